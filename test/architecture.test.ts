import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { DOMAINS } from '../src/platform/config.js';
import { STORE_LABEL } from '../src/platform/testing.js';
import { useSekat } from './support/sekat.js';

const t = useSekat({ background: false });

const run = promisify(execFile);
const PLATFORM_TABLES = new Set(['schema_migrations', 'outbox', 'inbox', 'jobs']);

/** The tables a domain's own migrations create. */
function tablesDeclaredBy(domain: string): Set<string> {
  const folder = path.join('src/domains', domain, 'migrations');
  const names = new Set<string>();
  // In the order migrations run: a later migration may drop a table an earlier one made.
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.sql')).sort()) {
    const text = readFileSync(path.join(folder, file), 'utf8');
    for (const match of text.matchAll(/(create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?|drop\s+table\s+(?:if\s+exists\s+)?)"?([a-z_][a-z0-9_]*)"?/gi)) {
      if (/^create/i.test(match[1]!)) names.add(match[2]!.toLowerCase());
      else names.delete(match[2]!.toLowerCase());
    }
  }
  return names;
}

describe(`the partition (${STORE_LABEL})`, () => {
  it('each domain database holds only its own tables and the platform tables', async () => {
    const declared = Object.fromEntries(DOMAINS.map((d) => [d, tablesDeclaredBy(d)]));
    for (const domain of DOMAINS) {
      const { rows } = await sql<{ table_name: string }>`
        select table_name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(t.sekat.stores[domain].db);
      const tables = rows.map((r) => r.table_name);
      for (const table of tables) {
        const owner = DOMAINS.filter((d) => d !== domain && declared[d]!.has(table));
        expect(owner, `${domain} database holds ${table}, a table of ${owner.join(', ')}`).toEqual([]);
        expect(PLATFORM_TABLES.has(table) || declared[domain]!.has(table), `${domain} holds undeclared table ${table}`).toBe(true);
      }
      for (const table of declared[domain]!) expect(tables, `${domain} lacks its table ${table}`).toContain(table);
    }
  });

  it('each domain has its own database: a table made in one is invisible to the others', async () => {
    await sql`create table zz_marker (id int)`.execute(t.sekat.stores.identity.db);
    try {
      for (const domain of DOMAINS.filter((d) => d !== 'identity')) {
        const { rows } = await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_name = 'zz_marker'`.execute(t.sekat.stores[domain].db);
        expect(rows[0]!.n, domain).toBe(0);
      }
    } finally {
      await sql`drop table zz_marker`.execute(t.sekat.stores.identity.db);
    }
  });

  it('dependency-cruiser fails the build when a domain imports another domain', async () => {
    const probe = path.join('src/domains/social', 'zz-crossing-probe.ts');
    writeFileSync(probe, "import { IdentityService } from '../identity/service.js';\nexport const leak = IdentityService;\n");
    try {
      const result = await run('npx', ['depcruise', probe, '--config', '.dependency-cruiser.cjs']).then(
        () => ({ code: 0, out: '' }),
        (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
      );
      expect(result.code).not.toBe(0);
      expect(result.out).toContain('social-stays-in-its-lane');
    } finally {
      rmSync(probe, { force: true });
    }
  });

  it('dependency-cruiser fails the build when the server reaches past a domain\'s index.ts', async () => {
    const probe = path.join('src/server', 'zz-deep-import-probe.ts');
    writeFileSync(probe, "import { setSessionCookie } from '../domains/identity/routes.js';\nexport const deep = setSessionCookie;\n");
    try {
      const result = await run('npx', ['depcruise', probe, '--config', '.dependency-cruiser.cjs']).then(
        () => ({ code: 0, out: '' }),
        (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
      );
      expect(result.code).not.toBe(0);
      expect(result.out).toContain('server-enters-a-domain-by-its-index');
    } finally {
      rmSync(probe, { force: true });
    }
  });
});
