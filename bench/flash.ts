/**
 * npm run bench:flash — a flash-sale stampede: many buyers at once on one deal's allocation, on
 * PGlite and (when DATABASE_URL is set) PostgreSQL. The baseline, measured in the same run on the
 * same store, is the same stampede on a normal variant holding as many units (no deal): the
 * existing checkout path with its conditional UPDATE on the variant's row.
 *
 * Prints buyers/s, p50/p99 (every answer, and the winners' alone), and orders == allocation.
 * Knobs: FLASH_ALLOCATION (default 200), FLASH_BUYERS (accounts, default 50), FLASH_ATTEMPTS (per
 * account, default 20), FLASH_LIMIT (per buyer, default 5), BENCH_SKIP_PGLITE=1.
 */
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../src/domains/commerce/testkit.js';

const ALLOCATION = Number(process.env.FLASH_ALLOCATION ?? 200);
const ACCOUNTS = Number(process.env.FLASH_BUYERS ?? 50);
const ATTEMPTS = Number(process.env.FLASH_ATTEMPTS ?? 20);
const LIMIT = Number(process.env.FLASH_LIMIT ?? 5);

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

interface Stampede {
  buyersPerSecond: number;
  p50: number;
  p99: number;
  winnersP50: number;
  winnersP99: number;
  orders: number;
  statuses: Record<number, number>;
  errors: number;
  maxPerBuyer: number;
}

let keySeq = 0;

/** Every buyer's attempts at once on `variantId`; figures of every answer. */
async function stampede(sekat: Sekat, buyers: TestUser[], variantId: string): Promise<Stampede> {
  const attempts = buyers.flatMap((buyer) => Array.from({ length: ATTEMPTS }, () => buyer));
  const all: number[] = [];
  const winners: number[] = [];
  const statuses: Record<number, number> = {};
  const started = performance.now();
  await Promise.all(
    attempts.map(async (buyer) => {
      const t0 = performance.now();
      const response = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, `flash-bench-${process.pid}-${++keySeq}`);
      const ms = performance.now() - t0;
      all.push(ms);
      if (response.statusCode === 201) winners.push(ms);
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  all.sort((a, b) => a - b);
  winners.sort((a, b) => a - b);
  const db = sekat.stores.commerce.db;
  const orders = (await sql<{ n: number }>`select count(*)::int as n from order_lines where variant_id = ${variantId}`.execute(db)).rows[0]!.n;
  const perBuyer = await sql<{ n: number }>`select count(*)::int as n from order_lines l join orders o on o.id = l.order_id where l.variant_id = ${variantId} group by o.buyer_subject`.execute(db);
  return {
    buyersPerSecond: attempts.length / elapsed,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    winnersP50: percentile(winners, 50),
    winnersP99: percentile(winners, 99),
    orders,
    statuses,
    errors: Object.entries(statuses).filter(([code]) => Number(code) >= 500).reduce((sum, [, n]) => sum + n, 0),
    maxPerBuyer: Math.max(0, ...perBuyer.rows.map((r) => r.n)),
  };
}

async function runOn(label: string, env: Record<string, string | undefined>) {
  const config = testConfig(env as Record<string, string>);
  const sekat = await buildSekat(config, { background: true });
  try {
    const seller = await registerUser(sekat.app, 'flashbench');
    const shop = await openShop(sekat.app, seller);
    const normal = await listProduct(sekat.app, seller, shop.id, [{ stock: ALLOCATION, priceIdr: 150_000 }]);
    const flash = await listProduct(sekat.app, seller, shop.id, [{ stock: ALLOCATION, priceIdr: 150_000 }]);
    const warm = await listProduct(sekat.app, seller, shop.id, [{ stock: 1_000, priceIdr: 150_000 }]);
    const created = await sekat.app.inject({
      method: 'POST',
      url: `/api/commerce/shops/${shop.id}/flash-deals`,
      headers: seller.headers,
      payload: {
        variantId: flash.variants[0]!.id, dealPriceIdr: 49_000, allocation: ALLOCATION, perBuyerLimit: LIMIT, durationMinutes: 20, countdownSeconds: 10,
      },
    });
    if (created.statusCode !== 201) throw new Error(`deal: ${created.body}`);
    // Open the deal now instead of waiting out its countdown.
    await sql`update flash_deals set announce_at = now() - interval '20 seconds', starts_at = now() - interval '1 second' where id = ${created.json().id}`.execute(sekat.stores.commerce.db);
    const buyers = await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => registerUser(sekat.app, `flashbuyer${i}`)));
    for (let i = 0; i < 20; i++) await checkout(sekat.app, buyers[i % ACCOUNTS]!, { items: [{ variantId: warm.variants[0]!.id, quantity: 1 }] });
    const baseline = await stampede(sekat, buyers, normal.variants[0]!.id);
    const deal = await stampede(sekat, buyers, flash.variants[0]!.id);
    return { label, baseline, deal };
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

function line(name: string, s: Stampede, limit?: number) {
  const held = limit === undefined ? '' : `, max ${s.maxPerBuyer} per buyer (limit ${limit})`;
  console.log(
    `${name.padEnd(30)} ${s.buyersPerSecond.toFixed(0).padStart(6)} buyers/s  p50 ${s.p50.toFixed(0).padStart(5)} ms  p99 ${s.p99.toFixed(0).padStart(5)} ms` +
      `  winners p50 ${s.winnersP50.toFixed(0)} / p99 ${s.winnersP99.toFixed(0)} ms  orders ${s.orders} ${s.orders === ALLOCATION ? '==' : '!='} ${ALLOCATION}` +
      `  5xx ${s.errors}${held}  ${JSON.stringify(s.statuses)}`,
  );
}

const runs: Awaited<ReturnType<typeof runOn>>[] = [];
if (!process.env.BENCH_SKIP_PGLITE) runs.push(await runOn('PGlite', { DATABASE_URL: '' }));
if (process.env.DATABASE_URL) runs.push(await runOn('PostgreSQL', { DATABASE_URL: process.env.DATABASE_URL }));
console.log(`\nflash-sale stampede: ${ACCOUNTS * ATTEMPTS} checkouts at once (${ACCOUNTS} buyers × ${ATTEMPTS}) on ${ALLOCATION} units`);
let oversold = false;
for (const r of runs) {
  console.log(`\n== ${r.label} ==`);
  line('baseline (normal variant)', r.baseline);
  line('flash deal', r.deal, LIMIT);
  if (r.deal.orders !== ALLOCATION || r.deal.maxPerBuyer > LIMIT || r.deal.errors > 0) oversold = true;
}
if (oversold) {
  console.error('\nFAILED: orders differ from the allocation, a limit was broken, or an answer was 5xx');
  process.exitCode = 1;
}
