/**
 * npm run bench:flash — a flash-sale stampede: many buyers at once on one deal's allocation, on
 * PGlite and (when DATABASE_URL is set) PostgreSQL. The baseline, measured in the same run on the
 * same store, is the same stampede on a normal variant holding as many units (no deal): the
 * existing checkout path with its conditional UPDATE on the variant's row.
 *
 * Prints buyers/s, p50/p99 (every answer, and the winners' alone), and orders == allocation.
 * Knobs: FLASH_ALLOCATION (default 200), FLASH_BUYERS (accounts, default 50), FLASH_ATTEMPTS (per
 * account, default 20), FLASH_LIMIT (per buyer, default 5), FLASH_RATE (checkouts started a second,
 * default 0: all at once), BENCH_SKIP_PGLITE=1.
 */
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { flashStampede, stampedeHeld, stampedeLine, stampedeOptionsFromEnv } from './stampede.js';

const options = stampedeOptionsFromEnv();

async function runOn(label: string, env: Record<string, string | undefined>) {
  const config = testConfig(env as Record<string, string>);
  const sekat = await buildSekat(config, { background: true });
  try {
    return { label, ...(await flashStampede(sekat, options)) };
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

const runs: Awaited<ReturnType<typeof runOn>>[] = [];
if (!process.env.BENCH_SKIP_PGLITE) runs.push(await runOn('PGlite', { DATABASE_URL: '' }));
if (process.env.DATABASE_URL) runs.push(await runOn('PostgreSQL', { DATABASE_URL: process.env.DATABASE_URL }));
console.log(`\nflash-sale stampede: ${options.accounts * options.attempts} checkouts ${options.rate > 0 ? `started ${options.rate} a second` : 'at once'} (${options.accounts} buyers × ${options.attempts}) on ${options.allocation} units`);
let oversold = false;
for (const r of runs) {
  console.log(`\n== ${r.label} ==`);
  console.log(stampedeLine('baseline (normal variant)', r.baseline, options.allocation));
  console.log(stampedeLine('flash deal', r.deal, options.allocation, options.limit));
  if (!stampedeHeld(r.deal, options)) oversold = true;
}
if (oversold) {
  console.error('\nFAILED: orders differ from the allocation, a limit was broken, or an answer was 5xx');
  process.exitCode = 1;
}
