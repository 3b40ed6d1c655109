import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, DOMAINS, type Config } from './config.js';
import { databaseName, dropPostgresDatabase } from './db.js';

/**
 * A config for one test file: a fresh temp DATA_DIR, and when DATABASE_URL is set a unique
 * database prefix so each run gets its own PostgreSQL databases (dropped by `disposeTestConfig`).
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-test-'));
  return loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: process.env.DATABASE_URL,
    DATABASE_PREFIX: `sekat_t${randomBytes(5).toString('hex')}`,
    // The suite's migrated PGlite snapshots (test/support/global-setup.ts), when it made them.
    PGLITE_TEMPLATE_DIR: process.env.PGLITE_TEMPLATE_DIR,
    // Most tests open shops right after signing up; the tests of the rule itself turn it on.
    REQUIRE_VERIFIED_EMAIL: 'false',
    // Only the live tests take RTMP (on a free port): one ingest per process.
    RTMP_PORT: 'off',
    ...overrides,
  });
}

export async function disposeTestConfig(config: Config): Promise<void> {
  if (config.databaseUrl) {
    for (const domain of DOMAINS) {
      await dropPostgresDatabase(config.databaseUrl, databaseName(config.databasePrefix, domain));
    }
  }
  rmSync(config.dataDir, { recursive: true, force: true });
}

/** Which store the suite runs on, for test names. */
export const STORE_LABEL = process.env.DATABASE_URL ? 'postgres' : 'pglite';
