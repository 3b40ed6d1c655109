/**
 * npm run bench:checkout — concurrent buyers doing checkout + sandbox payment, on PGlite and (when
 * DATABASE_URL is set) PostgreSQL, next to pgbench TPS on the same PostgreSQL in the same run;
 * then product reads at 100 connections with autocannon; then an oversell check.
 *
 * Knobs: BENCH_SECONDS (default 8), BENCH_CONCURRENCY (default 16), BENCH_READ_SECONDS (default 8),
 * BENCH_SKIP_PGLITE=1, BENCH_PROFILE=dir (a CPU profile of each checkout run, for Chrome DevTools).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../src/domains/commerce/testkit.js';
import { isLocalServer, ownCpuSeconds, postgresCpuSeconds } from './cpu.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const READ_SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 8);
const BUYERS = 16;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Seeded {
  buyers: TestUser[];
  variantIds: string[];
  productId: string;
  scarce: { variantId: string; stock: number };
}

async function seed(sekat: Sekat): Promise<Seeded> {
  const seller = await registerUser(sekat.app, 'benchseller');
  const shop = await openShop(sekat.app, seller);
  const product = await listProduct(sekat.app, seller, shop.id, Array.from({ length: 8 }, () => ({ stock: 1_000_000, priceIdr: 125_000 })));
  const scarce = await listProduct(sekat.app, seller, shop.id, [{ stock: 100 }]);
  const buyers = await Promise.all(Array.from({ length: BUYERS }, (_, i) => registerUser(sekat.app, `benchbuyer${i}`)));
  return { buyers, variantIds: product.variants.map((v) => v.id), productId: product.id, scarce: { variantId: scarce.variants[0]!.id, stock: 100 } };
}

let keySeq = 0;
const benchKey = () => `bench-${process.pid}-${++keySeq}`;

async function buyAndPay(sekat: Sekat, buyer: TestUser, variantId: string): Promise<number> {
  const placed = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, benchKey());
  if (placed.statusCode !== 201) return placed.statusCode;
  const paid = await sekat.app.inject({ method: 'POST', url: `/api/commerce/payments/${placed.json().payment.id}/simulate`, headers: buyer.headers, payload: { outcome: 'paid' } });
  return paid.statusCode === 200 ? 201 : paid.statusCode;
}

async function checkoutThroughput(sekat: Sekat, seeded: Seeded, databaseUrl: string | undefined) {
  const latencies: number[] = [];
  const failures = new Map<number, number>();
  const deadline = Date.now() + SECONDS * 1000;
  // Warm up the code paths and the database caches.
  for (let i = 0; i < 20; i++) await buyAndPay(sekat, seeded.buyers[i % BUYERS]!, seeded.variantIds[i % seeded.variantIds.length]!);
  const inspector = process.env.BENCH_PROFILE ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const started = Date.now();
  const cpuAtStart = { node: ownCpuSeconds(), postgres: databaseUrl && isLocalServer(databaseUrl) ? postgresCpuSeconds() : undefined };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let n = 0;
      while (Date.now() < deadline) {
        const t0 = performance.now();
        const status = await buyAndPay(sekat, seeded.buyers[worker % BUYERS]!, seeded.variantIds[(worker + n++) % seeded.variantIds.length]!);
        if (status === 201) latencies.push(performance.now() - t0);
        else failures.set(status, (failures.get(status) ?? 0) + 1);
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const postgresAtEnd = cpuAtStart.postgres === undefined ? undefined : postgresCpuSeconds();
  const cpu = {
    nodeMs: ((ownCpuSeconds() - cpuAtStart.node) * 1000) / Math.max(1, latencies.length + failures.size),
    postgresMs:
      postgresAtEnd === undefined || cpuAtStart.postgres === undefined
        ? undefined
        : ((postgresAtEnd - cpuAtStart.postgres) * 1000) / Math.max(1, latencies.length),
  };
  if (inspector && process.env.BENCH_PROFILE) {
    const { profile } = await inspector.post('Profiler.stop');
    mkdirSync(process.env.BENCH_PROFILE, { recursive: true });
    writeFileSync(path.join(process.env.BENCH_PROFILE, `checkout-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    inspector.disconnect();
  }
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length, failures, cpu };
}

async function oversell(sekat: Sekat, seeded: Seeded) {
  const attempts = 300;
  const statuses = await Promise.all(Array.from({ length: attempts }, (_, i) => buyAndPay(sekat, seeded.buyers[i % BUYERS]!, seeded.scarce.variantId)));
  const db = sekat.stores.commerce.db;
  const variant = (await db.selectFrom('variants').select(['stock', 'reserved', 'sold']).where('id', '=', seeded.scarce.variantId).executeTakeFirstOrThrow()) as { stock: number; reserved: number; sold: number };
  const won = statuses.filter((s) => s === 201).length;
  return {
    attempts,
    won,
    refused: statuses.filter((s) => s === 409).length,
    errors: statuses.filter((s) => s >= 500).length,
    oversold: Math.max(0, won - seeded.scarce.stock, variant.sold - seeded.scarce.stock, -variant.stock),
  };
}

async function productReads(sekat: Sekat, productId: string) {
  const address = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  // The load generator runs in its own thread, so it does not share the server's event loop.
  const result = await autocannon({ url: `${address}/api/commerce/products/${productId}`, connections: 100, duration: READ_SECONDS, workers: 1 });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

function pgbenchBinary(): string | undefined {
  const fixed = '/usr/lib/postgresql/15/bin/pgbench';
  if (existsSync(fixed)) return fixed;
  const found = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

interface PgbenchFigures {
  tps: number;
  /** CPU per transaction: the pgbench client's, and the server's when it runs on this machine. */
  clientMs: number;
  postgresMs?: number;
}

/** pgbench's built-in TPC-B-like script on a scratch database of the same server, then dropped. */
async function pgbench(databaseUrl: string): Promise<PgbenchFigures | string> {
  const binary = pgbenchBinary();
  if (!binary) return 'skipped: pgbench not found';
  const name = `sekat_pgbench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  try {
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    execFileSync(binary, ['-i', '-s', '10', '-q', url.toString()], { stdio: 'ignore' });
    const local = isLocalServer(databaseUrl);
    const postgresBefore = local ? postgresCpuSeconds() : undefined;
    // Same client count as the commerce pool (10 connections), so the figures compare. bash's
    // `times` prints the CPU its child (pgbench) used.
    const out = execFileSync('bash', ['-c', '"$@" && times', 'pgbench', binary, '-c', '10', '-j', '2', '-T', String(SECONDS), url.toString()], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const postgresAfter = local ? postgresCpuSeconds() : undefined;
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
    if (!Number.isFinite(tps)) return 'skipped: pgbench output not understood';
    const seconds = (m: string, sec: string) => Number(m) * 60 + Number(sec);
    const child = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
    const transactions = tps * SECONDS;
    return {
      tps,
      clientMs: child ? ((seconds(child[1]!, child[2]!) + seconds(child[3]!, child[4]!)) * 1000) / transactions : NaN,
      ...(postgresBefore !== undefined && postgresAfter !== undefined ? { postgresMs: ((postgresAfter - postgresBefore) * 1000) / transactions } : {}),
    };
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

async function runOn(label: string, env: Record<string, string | undefined>) {
  const config = testConfig(env as Record<string, string>);
  const sekat = await buildSekat(config, { background: true });
  try {
    const seeded = await seed(sekat);
    const throughput = await checkoutThroughput(sekat, seeded, config.databaseUrl);
    const over = await oversell(sekat, seeded);
    const reads = await productReads(sekat, seeded.productId);
    return { label, throughput, over, reads };
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

function report(r: Awaited<ReturnType<typeof runOn>>, baseline?: PgbenchFigures | string) {
  const t = r.throughput;
  console.log(`\n== ${r.label} ==`);
  console.log(`checkout + sandbox payment: ${t.perSecond.toFixed(1)} checkouts/s  p50 ${t.p50.toFixed(1)} ms  p99 ${t.p99.toFixed(1)} ms  (${t.count} in ${SECONDS}s, ${CONCURRENCY} concurrent buyers${t.failures.size ? `, failures ${JSON.stringify(Object.fromEntries(t.failures))}` : ''})`);
  const serverCpu = t.cpu.postgresMs === undefined ? '' : `, PostgreSQL ${t.cpu.postgresMs.toFixed(2)} ms`;
  console.log(`CPU per checkout + payment: this process (app and load generator) ${t.cpu.nodeMs.toFixed(2)} ms${serverCpu}`);
  if (typeof baseline === 'string') console.log(`pgbench: ${baseline}`);
  else if (baseline) {
    console.log(`pgbench (TPC-B, 10 clients, same server): ${baseline.tps.toFixed(1)} TPS → checkout is ${((t.perSecond / baseline.tps) * 100).toFixed(1)} % of pgbench`);
    const perTransaction = (baseline.postgresMs ?? NaN) + baseline.clientMs;
    const serverPart = baseline.postgresMs === undefined ? '' : `PostgreSQL ${baseline.postgresMs.toFixed(3)} ms + `;
    console.log(`CPU per pgbench transaction: ${serverPart}pgbench client ${baseline.clientMs.toFixed(3)} ms`);
    if (Number.isFinite(perTransaction)) {
      // On one machine the two runs share the same cores: 25 % of pgbench's rate leaves each
      // checkout + payment four times a pgbench transaction's CPU, app and database together.
      console.log(`at 25 % of pgbench a checkout + payment may spend ${(4 * perTransaction).toFixed(2)} ms of CPU in all; it spends ${(t.cpu.nodeMs + (t.cpu.postgresMs ?? 0)).toFixed(2)} ms`);
    }
  }
  console.log(`oversell check: ${r.over.attempts} buyers for 100 units → ${r.over.won} orders, ${r.over.refused} × 409, ${r.over.errors} × 5xx; oversell count: ${r.over.oversold}`);
  console.log(`product reads (autocannon, 100 connections, ${READ_SECONDS}s): ${r.reads.rps.toFixed(0)} req/s  p50 ${r.reads.p50} ms  p99 ${r.reads.p99} ms  non-2xx ${r.reads.non2xx}  errors ${r.reads.errors}`);
}

async function main() {
  process.env.TEST_LOG_LEVEL ??= 'silent';
  const databaseUrl = process.env.DATABASE_URL;
  if (process.env.BENCH_SKIP_PGLITE === '1') console.log('\n== PGlite (embedded) ==\nskipped: BENCH_SKIP_PGLITE=1');
  else report(await runOn('PGlite (embedded)', { DATABASE_URL: '' }));
  if (!databaseUrl) {
    console.log('\n== PostgreSQL ==\nskipped: set DATABASE_URL to run on PostgreSQL (and pgbench next to it)');
    return;
  }
  const baseline = await pgbench(databaseUrl).catch((error: unknown) => `skipped: ${error instanceof Error ? error.message : String(error)}`);
  report(await runOn('PostgreSQL', { DATABASE_URL: databaseUrl }), baseline);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
