/**
 * `npm run db:roles`: the operator's step before running Sekat split on PostgreSQL. Each domain gets
 * its own login role `<prefix>_<domain>` that owns its database `<prefix>_<domain>` and may connect
 * to no other domain's: CONNECT is revoked from PUBLIC on each domain database and granted to its
 * own role alone. Safe to run again (it sets the passwords again and fixes ownership, e.g. of a
 * database that the one-process start made under the admin role).
 *
 *   DATABASE_URL=postgres://postgres@db:5432/postgres DATABASE_PREFIX=sekat \
 *   DB_PASSWORD_IDENTITY=… DB_PASSWORD_SOCIAL=… DB_PASSWORD_COMMERCE=… DB_PASSWORD_BRIDGE=… \
 *   npm run db:roles
 *
 * It prints each process's DATABASE_URL_<DOMAIN> (password left out: put it in from your secret store).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DOMAINS, type DomainName } from '../src/platform/config.js';
import { databaseName } from '../src/platform/db.js';

export interface DomainRolesOptions {
  /** A role that may create roles and databases (a superuser, or CREATEROLE and CREATEDB). */
  adminUrl: string;
  prefix: string;
  /** Each domain's role password (at least 16 characters). */
  passwords: Partial<Record<DomainName, string>>;
  /** Default: every domain. */
  domains?: readonly DomainName[];
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates (or brings up to date) each domain's role and database; returns each domain's URL without its password. */
export async function createDomainRoles(options: DomainRolesOptions): Promise<Record<DomainName, string>> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(options.prefix)) throw new Error(`DATABASE_PREFIX must be lower-case letters, digits and _ (max 41), got "${options.prefix}"`);
  const domains = options.domains ?? DOMAINS;
  for (const domain of domains) {
    const password = options.passwords[domain];
    if (!password || password.length < 16) throw new Error(`DB_PASSWORD_${domain.toUpperCase()} is needed (at least 16 characters)`);
  }
  const urls = {} as Record<DomainName, string>;
  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    for (const domain of domains) {
      const name = databaseName(options.prefix, domain);
      const role = ident(name);
      const password = options.passwords[domain]!;
      const exists = (await admin.query('select 1 from pg_roles where rolname = $1', [name])).rowCount! > 0;
      // The password is a literal in the statement (CREATE ROLE takes no parameters): quote it as one.
      const literal = admin.escapeLiteral(password);
      await admin.query(`${exists ? 'alter' : 'create'} role ${role} login password ${literal} nosuperuser nocreatedb nocreaterole noinherit`);
      const hasDb = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount! > 0;
      if (hasDb) await admin.query(`alter database ${role} owner to ${role}`);
      else await admin.query(`create database ${role} owner ${role}`);
      // Nobody but the domain's own role may open its database.
      await admin.query(`revoke all on database ${role} from public`);
      await admin.query(`grant connect, temporary on database ${role} to ${role}`);
      await adoptObjects(options.adminUrl, name);
      const url = new URL(options.adminUrl);
      url.username = name;
      url.password = '';
      url.pathname = `/${name}`;
      urls[domain] = url.toString();
    }
  } finally {
    await admin.end();
  }
  return urls;
}

/** What another role made in the domain's database (the one-process start, an old migration) passes to its role. */
async function adoptObjects(adminUrl: string, name: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    const role = ident(name);
    await db.query(`alter schema public owner to ${role}`);
    const relations = await db.query<{ name: string; kind: string }>(
      `select c.relname as name, c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and pg_get_userbyid(c.relowner) <> $1
         and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i', 'e'))`,
      [name],
    );
    for (const relation of relations.rows) {
      const what = relation.kind === 'S' ? 'sequence' : relation.kind === 'v' ? 'view' : relation.kind === 'm' ? 'materialized view' : relation.kind === 'f' ? 'foreign table' : 'table';
      await db.query(`alter ${what} public.${ident(relation.name)} owner to ${role}`);
    }
    const routines = await db.query<{ signature: string }>(
      `select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and pg_get_userbyid(p.proowner) <> $1
         and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`,
      [name],
    );
    for (const routine of routines.rows) await db.query(`alter routine ${routine.signature} owner to ${role}`);
    const types = await db.query<{ name: string }>(
      `select t.typname as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
       where n.nspname = 'public' and t.typtype in ('e', 'd') and pg_get_userbyid(t.typowner) <> $1
         and not exists (select 1 from pg_depend d where d.objid = t.oid and d.deptype = 'e')`,
      [name],
    );
    for (const type of types.rows) await db.query(`alter type public.${ident(type.name)} owner to ${role}`);
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const adminUrl = env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is needed: a PostgreSQL URL of a role that may create roles and databases');
  const prefix = env.DATABASE_PREFIX || 'sekat';
  const passwords = Object.fromEntries(DOMAINS.map((domain) => [domain, env[`DB_PASSWORD_${domain.toUpperCase()}`]]));
  const urls = await createDomainRoles({ adminUrl, prefix, passwords });
  console.log('Each domain has its own role and database. Give each process its own URL (with the password):');
  for (const domain of DOMAINS) console.log(`  DATABASE_URL_${domain.toUpperCase()}=${urls[domain].replace(`${prefix}_${domain}@`, `${prefix}_${domain}:<DB_PASSWORD_${domain.toUpperCase()}>@`)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error('db:roles failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
