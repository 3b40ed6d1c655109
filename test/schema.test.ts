import { afterAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { openDomainStore, type DomainStore } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../src/platform/testing.js';
import { MIGRATION_FOLDERS } from '../src/server/app.js';
import { identityColumns } from '../src/domains/identity/store.js';
import { bridgeColumns } from '../src/domains/bridge/store.js';

/** Each typed domain's column list (its store.ts), which the compiler holds to its table interfaces. */
const TYPED: Record<string, Record<string, Record<string, 'null' | 'not null'>>> = {
  identity: identityColumns,
  bridge: bridgeColumns,
};

type Spec = Record<string, Record<string, 'null' | 'not null'>>;

/** The database's tables and columns in the spec's shape. */
async function schemaOf(db: Kysely<unknown>): Promise<Spec> {
  const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO' }>`
    select c.table_name, c.column_name, c.is_nullable from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'`.execute(db);
  const spec: Spec = {};
  for (const row of rows) (spec[row.table_name] ??= {})[row.column_name] = row.is_nullable === 'YES' ? 'null' : 'not null';
  return spec;
}

/** What differs between the database and the interfaces' list, one line each (empty when they agree). */
function differences(actual: Spec, typed: Spec): string[] {
  const out: string[] = [];
  for (const table of new Set([...Object.keys(actual), ...Object.keys(typed)])) {
    if (!typed[table]) {
      out.push(`table ${table} is in the database but not in the interfaces`);
      continue;
    }
    if (!actual[table]) {
      out.push(`table ${table} is in the interfaces but not in the database`);
      continue;
    }
    for (const column of new Set([...Object.keys(actual[table]), ...Object.keys(typed[table])])) {
      const a = actual[table][column];
      const t = typed[table][column];
      if (a !== t) out.push(`${table}.${column}: database ${a ?? 'has no such column'}, interfaces ${t ?? 'have no such column'}`);
    }
  }
  return out.sort();
}

const config = testConfig();
const stores: DomainStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  await disposeTestConfig(config);
});

describe(`the table interfaces (${STORE_LABEL})`, () => {
  for (const [domain, typed] of Object.entries(TYPED)) {
    it(`${domain}: store.ts lists every table and column its migrations make, with their nullability`, async () => {
      const { dataDir, databaseUrl, databasePrefix } = config;
      const store = await openDomainStore(domain, { dataDir, databaseUrl, databasePrefix, memory: true });
      stores.push(store);
      await migrate(store.db, domain, MIGRATION_FOLDERS[domain as keyof typeof MIGRATION_FOLDERS]);
      expect(differences(await schemaOf(store.db), typed)).toEqual([]);
      // A migration adding a column the interfaces lack is caught.
      await sql`alter table schema_migrations add column extra text`.execute(store.db);
      await sql`create table not_typed (id int primary key)`.execute(store.db);
      expect(differences(await schemaOf(store.db), typed)).toEqual([
        'schema_migrations.extra: database null, interfaces have no such column',
        'table not_typed is in the database but not in the interfaces',
      ]);
    });
  }
});
