import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { DOMAINS, type DomainName } from '../src/platform/config.js';
import { databaseName, dropPostgresDatabase, openDomainStore } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { MIGRATION_FOLDERS } from '../src/server/app.js';
import { createDomainRoles } from '../scripts/db-roles.js';

const DATABASE_URL = process.env.DATABASE_URL;

/** `npm run db:roles`: each domain's own role, which opens its own database and no other. */
describe.skipIf(!DATABASE_URL)('each store its own role (postgres)', () => {
  const prefix = `sekat_r${randomBytes(4).toString('hex')}`;
  const passwords = Object.fromEntries(DOMAINS.map((domain) => [domain, randomBytes(18).toString('base64url')])) as Record<DomainName, string>;
  const admin = async <T>(run: (client: pg.Client) => Promise<T>, database?: string): Promise<T> => {
    const url = new URL(DATABASE_URL!);
    if (database) url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  };
  /** The URL of `domain`'s role (with its password) pointed at `database`. */
  const as = (urls: Record<DomainName, string>, domain: DomainName, database: string) => {
    const url = new URL(urls[domain]);
    url.password = passwords[domain];
    url.pathname = `/${database}`;
    return url.toString();
  };
  const connectError = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return error as { code?: string; message: string };
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  afterAll(async () => {
    for (const domain of DOMAINS) await dropPostgresDatabase(DATABASE_URL!, databaseName(prefix, domain));
    await admin(async (client) => {
      for (const domain of DOMAINS) await client.query(`drop role if exists "${databaseName(prefix, domain)}"`);
    });
  });

  it('refuses social’s role on commerce’s database (and the reverse); each migrates and uses its own', { timeout: 120_000 }, async () => {
    // Commerce's database already exists, made by the admin role with a table in it (as the one-process start leaves it).
    const commerceDb = databaseName(prefix, 'commerce');
    await admin((client) => client.query(`create database "${commerceDb}"`));
    await admin((client) => client.query('create table left_behind (id int primary key)'), commerceDb);

    const urls = await createDomainRoles({ adminUrl: DATABASE_URL!, prefix, passwords });
    // Running it again changes nothing and fails on nothing.
    expect(await createDomainRoles({ adminUrl: DATABASE_URL!, prefix, passwords })).toEqual(urls);
    expect(new URL(urls.social).username).toBe(`${prefix}_social`);
    expect(new URL(urls.social).password).toBe('');

    const socialDb = databaseName(prefix, 'social');
    const socialOnCommerce = await connectError(as(urls, 'social', commerceDb));
    expect(socialOnCommerce?.code).toBe('42501');
    expect(socialOnCommerce?.message).toMatch(/permission denied for database/);
    expect((await connectError(as(urls, 'commerce', socialDb)))?.code).toBe('42501');
    expect((await connectError(as(urls, 'identity', databaseName(prefix, 'bridge'))))?.code).toBe('42501');
    // (The refusal is the database's CONNECT right, not the password: this machine's server trusts local logins.)

    // Each role migrates its own database and works in it.
    for (const domain of ['social', 'commerce'] as const) {
      const store = await openDomainStore(domain, { dataDir: '/nonexistent', databasePrefix: prefix, ownDatabaseUrl: as(urls, domain, databaseName(prefix, domain)) });
      try {
        await migrate(store.db, domain, MIGRATION_FOLDERS[domain]);
        const who = await sql<{ user: string }>`select current_user as user`.execute(store.db);
        expect(who.rows[0]!.user).toBe(`${prefix}_${domain}`);
        const outbox = await sql<{ n: number }>`select count(*)::int as n from outbox`.execute(store.db);
        expect(outbox.rows[0]!.n).toBe(0);
        // It owns what it made, and it cannot make itself more than it is.
        const owners = await sql<{ owner: string }>`select distinct tableowner as owner from pg_tables where schemaname = 'public'`.execute(store.db);
        expect(owners.rows.map((r) => r.owner)).toEqual([`${prefix}_${domain}`]);
        await expect(sql`create database ${sql.id(`${prefix}_extra`)}`.execute(store.db)).rejects.toMatchObject({ code: '42501' });
      } finally {
        await store.close();
      }
    }
    // The table the admin left in commerce's database passed to commerce's role.
    const owner = await admin((client) => client.query<{ tableowner: string }>(`select tableowner from pg_tables where tablename = 'left_behind'`), commerceDb);
    expect(owner.rows[0]!.tableowner).toBe(`${prefix}_commerce`);
  });
});
