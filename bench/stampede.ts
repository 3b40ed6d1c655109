/**
 * The flash-sale stampede shared by bench:flash and bench:live: many buyers at once on one deal's
 * allocation, next to the same stampede on a normal variant holding as many units (no deal).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Sekat } from '../src/server/app.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../src/domains/commerce/testkit.js';

export interface StampedeOptions {
  /** Units of the deal (and of the baseline variant). */
  allocation: number;
  /** Buyer accounts. */
  accounts: number;
  /** Checkouts each account sends at once. */
  attempts: number;
  /** The deal's per-buyer limit. */
  limit: number;
  /** Checkouts started per second, evenly spaced; 0: every one at once (a burst). */
  rate: number;
}

export const stampedeOptionsFromEnv = (): StampedeOptions => ({
  allocation: Number(process.env.FLASH_ALLOCATION ?? 200),
  accounts: Number(process.env.FLASH_BUYERS ?? 50),
  attempts: Number(process.env.FLASH_ATTEMPTS ?? 20),
  limit: Number(process.env.FLASH_LIMIT ?? 5),
  rate: Number(process.env.FLASH_RATE ?? 0),
});

export interface Stampede {
  buyersPerSecond: number;
  p50: number;
  p99: number;
  winnersP50: number;
  winnersP99: number;
  orders: number;
  statuses: Record<number, number>;
  errors: number;
  maxPerBuyer: number;
  /** The p99 delay of this process's event loop during the stampede: time no request could run. */
  loopDelayP99: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

let keySeq = 0;

/**
 * Every buyer's attempts on `variantId`, all at once (`rate` 0) or started `rate` per second,
 * interleaved across buyers; figures of every answer. A burst's p99 is its drain time (attempts
 * over throughput); a paced one's is the latency a buyer sees at that arrival rate.
 */
export async function stampede(sekat: Sekat, buyers: TestUser[], variantId: string, attemptsEach: number, rate = 0): Promise<Stampede> {
  const attempts = Array.from({ length: attemptsEach }, () => buyers).flat();
  const all: number[] = [];
  const winners: number[] = [];
  const statuses: Record<number, number> = {};
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = performance.now();
  await Promise.all(
    attempts.map(async (buyer, i) => {
      if (rate > 0) await new Promise((resolve) => setTimeout(resolve, started + (i * 1000) / rate - performance.now()));
      const t0 = performance.now();
      const response = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, `flash-bench-${process.pid}-${++keySeq}`);
      const ms = performance.now() - t0;
      all.push(ms);
      if (response.statusCode === 201) winners.push(ms);
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  loop.disable();
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
    loopDelayP99: loop.percentile(99) / 1e6,
  };
}

/**
 * Seeds a shop with a normal variant and a live flash deal of `allocation` units, warms checkout up,
 * then runs the baseline stampede (normal variant) and the deal's, on the same store.
 */
export async function flashStampede(sekat: Sekat, options: StampedeOptions): Promise<{ baseline: Stampede; deal: Stampede }> {
  const seller = await registerUser(sekat.app, 'flashbench');
  const shop = await openShop(sekat.app, seller);
  const normal = await listProduct(sekat.app, seller, shop.id, [{ stock: options.allocation, priceIdr: 150_000 }]);
  const flash = await listProduct(sekat.app, seller, shop.id, [{ stock: options.allocation, priceIdr: 150_000 }]);
  const warm = await listProduct(sekat.app, seller, shop.id, [{ stock: 1_000, priceIdr: 150_000 }]);
  const created = await sekat.app.inject({
    method: 'POST',
    url: `/api/commerce/shops/${shop.id}/flash-deals`,
    headers: seller.headers,
    payload: {
      variantId: flash.variants[0]!.id, dealPriceIdr: 49_000, allocation: options.allocation,
      perBuyerLimit: options.limit, durationMinutes: 20, countdownSeconds: 10,
    },
  });
  if (created.statusCode !== 201) throw new Error(`deal: ${created.body}`);
  // Open the deal now instead of waiting out its countdown.
  await sql`update flash_deals set announce_at = now() - interval '20 seconds', starts_at = now() - interval '1 second' where id = ${created.json().id}`.execute(sekat.stores.commerce.db);
  const buyers = await Promise.all(Array.from({ length: options.accounts }, (_, i) => registerUser(sekat.app, `flashbuyer${i}`)));
  // Every buyer has checked out once before (a buyer in a live is signed in and has bought before):
  // a buyer's first checkout of a process is slower (a paced run shows it as its p99 otherwise).
  for (const buyer of buyers) await checkout(sekat.app, buyer, { items: [{ variantId: warm.variants[0]!.id, quantity: 1 }] });
  const baseline = await stampede(sekat, buyers, normal.variants[0]!.id, options.attempts, options.rate);
  const deal = await stampede(sekat, buyers, flash.variants[0]!.id, options.attempts, options.rate);
  return { baseline, deal };
}

/** One line of figures; `limit` given: the deal's line, with the most one buyer got. */
export function stampedeLine(name: string, s: Stampede, allocation: number, limit?: number): string {
  const held = limit === undefined ? '' : `, max ${s.maxPerBuyer} per buyer (limit ${limit})`;
  return (
    `${name.padEnd(30)} ${s.buyersPerSecond.toFixed(0).padStart(6)} buyers/s  p50 ${s.p50.toFixed(0).padStart(5)} ms  p99 ${s.p99.toFixed(0).padStart(5)} ms` +
    `  winners p50 ${s.winnersP50.toFixed(0)} / p99 ${s.winnersP99.toFixed(0)} ms  orders ${s.orders} ${s.orders === allocation ? '==' : '!='} ${allocation}` +
    `  5xx ${s.errors}${held}  ${JSON.stringify(s.statuses)}  event-loop delay p99 ${s.loopDelayP99.toFixed(0)} ms`
  );
}

/** Whether the deal's stampede sold exactly its allocation, kept every limit, and answered no 5xx. */
export const stampedeHeld = (deal: Stampede, options: StampedeOptions) =>
  deal.orders === options.allocation && deal.maxPerBuyer <= options.limit && deal.errors === 0;
