/**
 * npm run bench:split — the cost of the split: the crowd mix of bench:crowd (bench/crowd-load.ts:
 * feeds scrolled by cursor, watch-event batches, likes) plus checkouts paid in the sandbox, first
 * on one all-in-one process, then through the gateway against two social processes, one commerce
 * (and identity and the bridge), on the same PostgreSQL databases.
 *
 * Prints req/s, p50 and p99 per kind of request for both, the added p50/p99 of the hop, the
 * gateway's CPU per request, and the CPU per request of all Sekat processes together. Needs
 * DATABASE_URL (PostgreSQL) and NATS_URL (default nats://127.0.0.1:4222); REDIS_URL is used when
 * set. BENCH_SECONDS (10) measured after 3 s warm-up; the data is smaller than bench:crowd's by
 * default (BENCH_VIDEOS 2,000, BENCH_USERS 300, BENCH_EVENTS 100,000, BENCH_VIEWERS 300).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DOMAINS, loadConfig } from '../src/platform/config.js';
import { databaseName, dropPostgresDatabase } from '../src/platform/db.js';
import { buildSekat } from '../src/server/app.js';
import { startSplit } from '../src/server/split.js';
import type { LoadInput, LoadOutput } from './crowd-load.js';
import { processCpuSeconds } from './cpu.js';

process.env.BENCH_VIDEOS ??= '2000';
process.env.BENCH_USERS ??= '300';
process.env.BENCH_EVENTS ??= '100000';
process.env.BENCH_VIEWERS ??= '300';
const { seedFeed, seedViewers, viralVideo } = await import('./seed.js');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const CONNECTIONS = 50;
const BUYERS = 5;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATABASE_URL = process.env.DATABASE_URL;
const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.REDIS_URL || '';
if (!DATABASE_URL) {
  console.error('bench:split runs on PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
  process.exit(2);
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
const freePort = async () => {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
};

function crowd(input: Omit<LoadInput, 'connections' | 'warmupSeconds' | 'seconds' | 'mode'>): Promise<LoadOutput> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./crowd-load.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
    child.once('message', (output) => resolve(output as LoadOutput));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the load generator exited with ${code}`))));
    child.send({ ...input, mode: 'crowd', connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS } satisfies LoadInput);
  });
}

const address = { recipient: 'Siti Rahma', phone: '0812-3456-7890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' };

/** BUYERS buyers at once, each placing an order and paying it in the sandbox, for the same window as the crowd. */
type Checkouts = { latencies: Record<string, number[]>; failures: Record<string, number>; statuses: Record<string, number> };
async function checkouts(base: string, tokens: string[], variantId: string): Promise<Checkouts> {
  const latencies: Record<string, number[]> = { checkout: [], 'payment (sandbox)': [] };
  const failures: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const measureFrom = Date.now() + WARMUP_SECONDS * 1000;
  const end = measureFrom + SECONDS * 1000;
  const timed = async (kind: string, url: string, token: string, body: unknown, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) }).catch(() => undefined);
    const json = res ? ((await res.json().catch(() => ({}))) as Record<string, any>) : {};
    if (Date.now() >= measureFrom) {
      latencies[kind]!.push(performance.now() - started);
      if (!res || res.status >= 300) {
        failures[kind] = (failures[kind] ?? 0) + 1;
        const key = `${kind} ${res?.status ?? 'no answer'} ${typeof json.type === 'string' ? json.type.split('/').pop() : ''}`.trim();
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    }
    return res && res.status < 300 ? json : undefined;
  };
  await Promise.all(
    Array.from({ length: BUYERS }, async (_, worker) => {
      for (let i = worker; Date.now() < end; i += BUYERS) {
        const token = tokens[i % tokens.length]!;
        const placed = await timed('checkout', '/api/commerce/checkout', token, { items: [{ variantId, quantity: 1 }], shippingAddress: address, courier: 'jne_reg', paymentMethod: 'va_bca' }, { 'idempotency-key': `bench-${randomBytes(6).toString('hex')}` });
        if (placed?.payment?.id) await timed('payment (sandbox)', `/api/commerce/payments/${placed.payment.id}/simulate`, token, { outcome: 'paid' });
      }
    }),
  );
  return { latencies, failures, statuses };
}

interface Run {
  latencies: Record<string, number[]>;
  failures: Record<string, number>;
  statuses: Record<string, number>;
  requests: number;
  cpu: Record<string, number>;
}

/** The mix against `base`, with the CPU each of `pids` spent during the measured window. */
async function run(base: string, tokens: string[], viral: string, variantId: string, pids: Record<string, number>): Promise<Run> {
  const cpuAt = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid) ?? NaN]));
  let before: Record<string, number> = {};
  const warm = setTimeout(() => (before = cpuAt()), WARMUP_SECONDS * 1000);
  const crowdShare = Math.floor(tokens.length * 0.8);
  const [load, buys] = await Promise.all([
    crowd({ base, tokens: tokens.slice(0, crowdShare), viral }),
    checkouts(base, tokens.slice(crowdShare), variantId),
  ]);
  clearTimeout(warm);
  const after = cpuAt();
  const latencies = { ...load.latencies, ...buys.latencies };
  const failures = { ...load.failures, ...buys.failures };
  const requests = Object.values(latencies).reduce((n, list) => n + list.length, 0);
  const cpu = Object.fromEntries(Object.keys(pids).map((name) => [name, after[name]! - before[name]!]));
  return { latencies, failures, statuses: { ...load.statuses, ...buys.statuses }, requests, cpu };
}

function spawnOne(env: Record<string, string>, write: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => write(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => write(chunk.toString()));
  return child;
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not become ready`);
}

const prefix = `sekat_bs${randomBytes(4).toString('hex')}`;
const stream = `SEKATBENCH_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(path.join(tmpdir(), 'sekat-bench-split-'));
const fresh = () => randomBytes(32).toString('base64url');
const secrets: Record<string, string> = {
  SESSION_PEPPER: fresh(),
  TOKEN_SIGNING_KEY: fresh(),
  ATTRIBUTION_KEY: fresh(),
  PAYMENT_SERVER_KEY: fresh(),
  EXPORT_LINK_KEY: fresh(),
  ...Object.fromEntries(DOMAINS.map((domain) => [`SUBJECT_KEY_${domain.toUpperCase()}`, fresh()])),
};
// The split keeps its secrets in its data folder: the same ones, so sessions work in both runs.
mkdirSync(path.join(dir, 'split'), { recursive: true });
writeFileSync(path.join(dir, 'split', 'split-secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
const common = { DATABASE_URL, DATABASE_PREFIX: prefix, REQUIRE_VERIFIED_EMAIL: 'false', RTMP_PORT: 'off', LOG_LEVEL: 'warn', ...(REDIS_URL ? { REDIS_URL } : {}) };
const log: string[] = [];

console.log(`Sekat split benchmark: the crowd mix (${CONNECTIONS} viewers at once) plus ${BUYERS} buyers checking out and paying, ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up, on PostgreSQL`);
const results: Record<string, Run> = {};
try {
  // One seed for both runs: the feed's data, the viewers (real sessions), a shop with a product.
  const seedConfig = loadConfig({ ...common, ...secrets, DATA_DIR: path.join(dir, 'seed'), LOG_LEVEL: 'silent' });
  const sekat = await buildSekat(seedConfig, { background: false });
  let tokens: string[];
  let viral: string;
  let variantId: string;
  try {
    await seedFeed(sekat);
    tokens = await seedViewers(sekat, seedConfig);
    viral = await viralVideo(sekat);
    const inject = async (url: string, token: string | undefined, payload: unknown) => {
      const res = await sekat.app.inject({ method: 'POST', url, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    const seller = (await inject('/api/auth/register', undefined, { email: 'penjual@bench.id', password: 'kata-sandi-penjual-bench', handle: 'penjual_bench', displayName: 'Penjual' })).token as string;
    const shop = await inject('/api/commerce/shops', seller, { name: 'Toko Bench', slug: 'toko-bench', city: 'Bandung', province: 'Jawa Barat' });
    const product = await inject(`/api/commerce/shops/${shop.id}/products`, seller, {
      title: 'Kaos Polos',
      description: 'Kaos katun',
      category: 'fashion',
      imageUrls: ['https://cdn.example.id/kaos.jpg'],
      variants: [{ sku: 'KAOS-1', name: 'Ukuran L', priceIdr: 75_000, stock: 1_000_000, weightGrams: 200 }],
    });
    variantId = product.variants[0].id;
  } finally {
    await sekat.close();
  }

  // One all-in-one process.
  const onePort = await freePort();
  const one = spawnOne({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...common, ...secrets, DATA_DIR: path.join(dir, 'one'), PORT: String(onePort), HOST: '127.0.0.1' }, (line) => log.push(`[one] ${line}`));
  try {
    await waitReady(`http://127.0.0.1:${onePort}`, one);
    results['one process'] = await run(`http://127.0.0.1:${onePort}`, tokens, viral, variantId, { sekat: one.pid! });
  } finally {
    one.kill('SIGTERM');
    await new Promise((resolve) => one.once('exit', resolve));
  }

  // The split on the same databases.
  const split = await startSplit({
    databaseUrl: DATABASE_URL,
    databasePrefix: prefix,
    natsUrl: NATS_URL,
    natsStream: stream,
    redisUrl: REDIS_URL,
    dataDir: path.join(dir, 'split'),
    gatewayPort: await freePort(),
    basePort: 30_000 + Math.floor(Math.random() * 20_000),
    socialProcesses: 2,
    logLevel: 'warn',
    extraEnv: { REQUIRE_VERIFIED_EMAIL: 'false' },
    write: (line) => log.push(line),
  });
  try {
    results.split = await run(split.gatewayUrl, tokens, viral, variantId, Object.fromEntries(split.processes.map((p) => [p.name, p.child.pid!])));
  } finally {
    await split.close();
  }

  const one1 = results['one process']!;
  const two = results.split!;
  const kinds = [...new Set([...Object.keys(one1.latencies), ...Object.keys(two.latencies)])].sort();
  const stats = (list: number[] | undefined) => {
    const sorted = [...(list ?? [])].sort((a, b) => a - b);
    return { rate: sorted.length / SECONDS, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  const pad = (value: string, width: number) => value.padStart(width);
  console.log(`\n  ${'request'.padEnd(20)} ${'one process'.padStart(26)}   ${'split (gateway, 2 social, 1 commerce)'.padStart(38)}   ${'added by the split'.padStart(18)}`);
  console.log(`  ${''.padEnd(20)} ${pad('req/s', 8)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)}   ${pad('req/s', 8)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('non-2xx', 10)}   ${pad('p50 ms', 8)} ${pad('p99 ms', 8)}`);
  for (const kind of [...kinds, 'whole mix']) {
    const a = kind === 'whole mix' ? stats(Object.values(one1.latencies).flat()) : stats(one1.latencies[kind]);
    const b = kind === 'whole mix' ? stats(Object.values(two.latencies).flat()) : stats(two.latencies[kind]);
    const failed = kind === 'whole mix' ? Object.values(two.failures).reduce((n, v) => n + v, 0) : (two.failures[kind] ?? 0);
    const plus = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    console.log(
      `  ${kind.padEnd(20)} ${pad(a.rate.toFixed(0), 8)} ${pad(a.p50.toFixed(1), 8)} ${pad(a.p99.toFixed(1), 8)}   ${pad(b.rate.toFixed(0), 8)} ${pad(b.p50.toFixed(1), 8)} ${pad(b.p99.toFixed(1), 8)} ${pad(String(failed), 10)}   ${pad(plus(b.p50 - a.p50), 8)} ${pad(plus(b.p99 - a.p99), 8)}`,
    );
  }
  const oneFailed = Object.values(one1.failures).reduce((n, v) => n + v, 0);
  const ms = (seconds: number, requests: number) => ((seconds / Math.max(1, requests)) * 1000).toFixed(3);
  const splitTotal = Object.values(two.cpu).reduce((n, v) => n + v, 0);
  console.log(`\n  non-2xx on one process: ${oneFailed}${oneFailed ? ` ${JSON.stringify(one1.statuses)}` : ''}`);
  if (Object.keys(two.statuses).length > 0) console.log(`  non-2xx in the split: ${JSON.stringify(two.statuses)}`);
  console.log(`  gateway CPU per request: ${ms(two.cpu.gateway!, two.requests)} ms (${two.cpu.gateway!.toFixed(2)} s for ${two.requests} requests)`);
  console.log(`  Sekat CPU per request: one process ${ms(one1.cpu.sekat!, one1.requests)} ms; split ${ms(splitTotal, two.requests)} ms in all (${Object.entries(two.cpu).map(([name, s]) => `${name} ${ms(s, two.requests)}`).join(', ')})`);
  console.log(`  (PostgreSQL, NATS and the load generator run on the same machine and are not counted.)`);
} catch (error) {
  console.error('bench:split failed:', error);
  console.error(log.slice(-40).join('\n'));
  process.exitCode = 1;
} finally {
  for (const domain of DOMAINS) await dropPostgresDatabase(DATABASE_URL, databaseName(prefix, domain)).catch(() => undefined);
  const nc = await connect({ servers: NATS_URL }).catch(() => undefined);
  if (nc) {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
  rmSync(dir, { recursive: true, force: true });
}
