import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './db.js';

const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;
const PLATFORM_MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  scope: string;
  name: string;
  sql: string;
}

export function readMigrations(scope: string, folder: string): Migration[] {
  if (!existsSync(folder)) return [];
  const files = readdirSync(folder).filter((file) => file.endsWith('.sql')).sort();
  for (const file of files) {
    if (!MIGRATION_FILE.test(file)) throw new Error(`migration ${scope}/${file} must be named NNN_name.sql`);
  }
  return files.map((file) => ({ scope, name: file, sql: readFileSync(path.join(folder, file), 'utf8') }));
}

/**
 * Applies the platform tables (outbox, inbox, jobs) and then the domain's own migrations, in
 * order, each in its own transaction, recorded in the domain's `schema_migrations` table. An
 * advisory lock keeps two processes starting at once from applying the same file twice.
 */
export async function migrate<DB>(db: Database<DB>, domain: string, folder: string): Promise<string[]> {
  await db.transaction().execute(async (trx) => {
    // Two processes creating the table at once would collide in the catalog, hence the lock.
    await sql`select pg_advisory_xact_lock(hashtext(${'migrate:' + domain}))`.execute(trx);
    await sql`create table if not exists schema_migrations (
      scope text not null, name text not null, applied_at timestamptz not null default now(),
      primary key (scope, name))`.execute(trx);
  });
  const all = [...readMigrations('platform', PLATFORM_MIGRATIONS), ...readMigrations(domain, folder)];
  const applied: string[] = [];
  for (const migration of all) {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${'migrate:' + domain}))`.execute(trx);
      const done = await sql<{ one: number }>`select 1 as one from schema_migrations
        where scope = ${migration.scope} and name = ${migration.name}`.execute(trx);
      if (done.rows.length > 0) return;
      await sql.raw(migration.sql).execute(trx);
      await sql`insert into schema_migrations (scope, name) values (${migration.scope}, ${migration.name})`.execute(trx);
      applied.push(`${migration.scope}/${migration.name}`);
    });
  }
  return applied;
}
