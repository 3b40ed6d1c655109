/**
 * The address book's migration: a buyer's "last checkout address" from before moves into the book
 * as their one (default) entry, marked as used, and the old table goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { openDomainStore, type DomainStore } from '../../../platform/db.js';
import { migrate } from '../../../platform/migrate.js';
import { MIGRATIONS } from '../index.js';
import { addressBook } from './address.js';

let config: Config;
let store: DomainStore;
let before: string;

beforeAll(async () => {
  config = testConfig();
  store = await openDomainStore('commerce', { dataDir: config.dataDir, databaseUrl: config.databaseUrl, databasePrefix: config.databasePrefix });
  before = mkdtempSync(path.join(tmpdir(), 'sekat-migrations-'));
  for (const file of readdirSync(MIGRATIONS).filter((f) => f < '004_address_book.sql')) cpSync(path.join(MIGRATIONS, file), path.join(before, file));
});

afterAll(async () => {
  await store?.close();
  rmSync(before, { recursive: true, force: true });
  if (config) await disposeTestConfig(config);
});

describe(`address book migration (${STORE_LABEL})`, () => {
  it('moves each saved address into the book as its default', async () => {
    await migrate(store.db, 'commerce', before);
    await sql`insert into saved_addresses (subject, recipient, phone, line1, city, province, postal_code, updated_at)
      values ('lama', 'Budi', '+6281234567890', 'Jl. Lama 1', 'Bandung', 'Jawa Barat', '40111', '2026-01-02T03:04:05Z')`.execute(store.db);
    await migrate(store.db, 'commerce', MIGRATIONS);
    expect(await addressBook(store.db, 'lama')).toEqual([
      { id: expect.any(String), label: '', recipient: 'Budi', phone: '+6281234567890', line1: 'Jl. Lama 1', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111', isDefault: true, lastUsedAt: '2026-01-02T03:04:05.000Z' },
    ]);
    const old = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name = 'saved_addresses'`.execute(store.db);
    expect(old.rows[0]!.n).toBe(0);
  });
});
