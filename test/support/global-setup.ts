import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DOMAINS } from '../../src/platform/config.js';
import { openDomainStore } from '../../src/platform/db.js';
import { migrate } from '../../src/platform/migrate.js';
import { MIGRATION_FOLDERS } from '../../src/server/app.js';

/**
 * Once per run on PGlite: migrate each domain's store once and keep it as a tar, so that every test
 * file's new stores start as copies (a fraction of a second) instead of running initdb and every
 * migration again (seconds each, four stores per file). Made fresh each run from today's
 * migrations, so a snapshot can never be older than the code. PostgreSQL runs are left alone.
 */
export async function setup(): Promise<() => void> {
  if (process.env.DATABASE_URL || process.env.PGLITE_TEMPLATE_DIR) return () => undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'sekat-pglite-templates-'));
  await Promise.all(
    DOMAINS.map(async (domain) => {
      const store = await openDomainStore(domain, { dataDir: dir, databasePrefix: 'sekat', memory: true });
      try {
        await migrate(store.db, domain, MIGRATION_FOLDERS[domain]);
        writeFileSync(path.join(dir, `${domain}.tar`), await store.snapshot!());
      } finally {
        await store.close();
      }
    }),
  );
  // Test workers start after this and inherit the variable; testConfig() hands it to each store.
  process.env.PGLITE_TEMPLATE_DIR = dir;
  return () => {
    delete process.env.PGLITE_TEMPLATE_DIR;
    rmSync(dir, { recursive: true, force: true });
  };
}
