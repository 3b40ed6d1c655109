import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDomainStore, PREPARED_PER_CONNECTION, type DomainStore } from './db.js';
import { migrate } from './migrate.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from './testing.js';
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const config = testConfig();
let store: DomainStore;

beforeAll(async () => {
  // From nothing, not from the suite's migrated snapshot: the migration tests below start empty.
  store = await openDomainStore('identity', { ...config, pgliteTemplateDir: undefined });
  await sql`create table counter (id int primary key, value int not null)`.execute(store.db);
  await sql`insert into counter values (1, 0)`.execute(store.db);
});

afterAll(async () => {
  await store.close();
  await disposeTestConfig(config);
});

describe(`database (${STORE_LABEL})`, () => {
  it('never interleaves two transactions: 100 concurrent read-modify-writes lose no update', async () => {
    await Promise.all(
      Array.from({ length: 100 }, () =>
        store.db.transaction().execute(async (trx) => {
          const { rows } = await sql<{ value: number }>`select value from counter where id = 1 for update`.execute(trx);
          // Yield to the event loop between read and write: any interleaving would lose updates.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
          await sql`update counter set value = ${rows[0]!.value + 1} where id = 1`.execute(trx);
        }),
      ),
    );
    const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(store.db);
    expect(rows[0]!.value).toBe(100);
  });

  it('rolls back a failed transaction whole while concurrent ones commit', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.db.transaction().execute(async (trx) => {
          await sql`update counter set value = value + 1 where id = 1`.execute(trx);
          if (i % 2 === 0) throw new Error('boom');
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(10);
    const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(store.db);
    expect(rows[0]!.value).toBe(110);
  });

  it.skipIf(STORE_LABEL !== 'postgres')('prepares each statement shape once per connection, and at most PREPARED_PER_CONNECTION of them', async () => {
    await store.db.transaction().execute(async (trx) => {
      const prepared = async () =>
        (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(trx)).rows.map((r) => r.statement);
      const before = await prepared();
      for (let i = 0; i < 3; i++) expect((await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(trx)).rows[0]!.n).toBe(i + 1);
      expect((await prepared()).filter((text) => !before.includes(text))).toEqual(['select $1::int + 1 as n']);
      // Many shapes: every one still answers, and the connection keeps no more than the cap.
      for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++) {
        expect((await sql<{ n: number }>`select ${i}::int + ${sql.raw(String(i))} as n`.execute(trx)).rows[0]!.n).toBe(2 * i);
      }
      expect((await prepared()).length).toBeLessThanOrEqual(PREPARED_PER_CONNECTION);
    });
  });

  it('returns int8 as a number and reports affected rows', async () => {
    const { rows } = await sql<{ n: number }>`select count(*) as n from counter`.execute(store.db);
    expect(rows[0]!.n).toBe(1);
    const updated = await store.db.updateTable('counter').set({ value: 0 }).where('id', '=', 1).executeTakeFirst();
    expect(Number(updated.numUpdatedRows)).toBe(1);
  });
});

describe(`migrations (${STORE_LABEL})`, () => {
  it('applies platform and domain files once, in order, and records them', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'sekat-mig-'));
    writeFileSync(path.join(folder, '001_first.sql'), 'create table mig_a (id int);');
    writeFileSync(path.join(folder, '002_second.sql'), 'alter table mig_a add column name text; create table mig_b (id int);');
    const first = await migrate(store.db, 'identity', folder);
    expect(first).toEqual(['platform/001_outbox_inbox_jobs.sql', 'identity/001_first.sql', 'identity/002_second.sql']);
    expect(await migrate(store.db, 'identity', folder)).toEqual([]);
    const { rows } = await sql<{ name: string }>`select scope || '/' || name as name from schema_migrations order by applied_at, name`.execute(store.db);
    expect(rows.map((r) => r.name)).toEqual(first);
  });

  it('leaves nothing behind when a migration fails', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'sekat-mig-'));
    writeFileSync(path.join(folder, '001_first.sql'), 'create table mig_a (id int);');
    writeFileSync(path.join(folder, '002_second.sql'), 'alter table mig_a add column name text; create table mig_b (id int);');
    writeFileSync(path.join(folder, '003_broken.sql'), 'create table mig_c (id int); select * from no_such_table;');
    await expect(migrate(store.db, 'identity', folder)).rejects.toThrow();
    const { rows } = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_name = 'mig_c'`.execute(store.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('refuses a badly named migration file', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'sekat-mig-'));
    writeFileSync(path.join(folder, '1_bad.sql'), 'select 1;');
    await expect(migrate(store.db, 'identity', folder)).rejects.toThrow(/NNN_name/);
  });
});

describe.skipIf(STORE_LABEL !== 'pglite')('PGlite snapshots', () => {
  it('starts a new store as a copy of a snapshot, and never loads one over existing data', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sekat-snap-'));
    writeFileSync(path.join(dir, 'identity.tar'), await store.snapshot!());
    const copy = await openDomainStore('identity', { dataDir: mkdtempSync(path.join(tmpdir(), 'sekat-copy-')), databasePrefix: 'sekat', pgliteTemplateDir: dir });
    try {
      const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(copy.db);
      expect(rows).toEqual([{ value: 0 }]);
      // The copy is its own store: a write there leaves the original alone.
      await sql`update counter set value = 7 where id = 1`.execute(copy.db);
      expect((await sql<{ value: number }>`select value from counter where id = 1`.execute(store.db)).rows).toEqual([{ value: 0 }]);
    } finally {
      await copy.close();
    }
    // A store with data of its own opens as it is (the snapshot is for new stores only).
    const own = mkdtempSync(path.join(tmpdir(), 'sekat-own-'));
    const first = await openDomainStore('identity', { dataDir: own, databasePrefix: 'sekat' });
    await sql`create table mine (id int)`.execute(first.db);
    await first.close();
    const again = await openDomainStore('identity', { dataDir: own, databasePrefix: 'sekat', pgliteTemplateDir: dir });
    try {
      expect((await sql<{ n: number }>`select count(*) as n from mine`.execute(again.db)).rows).toEqual([{ n: 0 }]);
      await expect(sql`select 1 from counter`.execute(again.db)).rejects.toThrow(/counter/);
    } finally {
      await again.close();
    }
  });
});
