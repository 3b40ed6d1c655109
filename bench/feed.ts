/**
 * npm run bench:feed — For You and Following throughput next to a bare Fastify hello-world,
 * on PGlite and (when DATABASE_URL is set) PostgreSQL, plus the transcode time of a 10 s 720p clip
 * (npm run bench:transcode measures a 30 s 1080p clip).
 *
 * Seeds its own data: BENCH_VIDEOS (10,000), BENCH_USERS (1,000), BENCH_EVENTS (1,000,000).
 * BENCH_SECONDS (10) per run, 50 connections. BENCH_STORES=postgres (or pglite) runs one store only;
 * BENCH_TRANSCODE=0 skips the transcode figure; BENCH_ONLY=Following (a part of a target's name) runs that target only;
 * BENCH_PROFILE=dir writes a CPU profile of each run there (open it in Chrome DevTools).
 */
import Fastify from 'fastify';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { registerUser, serviceOf } from '../src/domains/social/testkit.js';
import { benchTranscode } from './transcode.js';
import { seedFeed } from './seed.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;

interface Row {
  store: string;
  target: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
}
const rows: Row[] = [];

const profileDir = process.env.BENCH_PROFILE;
const inspector = profileDir ? new Session() : undefined;
inspector?.connect();

async function load(store: string, target: string, url: string, headers: Record<string, string> = {}): Promise<void> {
  if (process.env.BENCH_ONLY && !target.includes(process.env.BENCH_ONLY) && store !== '-') return;
  if (inspector) {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  if (inspector && profileDir) {
    const { profile } = await inspector.post('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(path.join(profileDir, `${store}-${target.replace(/\W+/g, '-')}.cpuprofile`), JSON.stringify(profile));
  }
  rows.push({
    store,
    target,
    reqPerSec: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  });
  console.log(`  ${store.padEnd(9)} ${target.padEnd(28)} ${String(Math.round(result.requests.average)).padStart(7)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  errors ${result.non2xx + result.errors + result.timeouts}`);
}

async function baseline(): Promise<void> {
  const app = Fastify();
  app.get('/', async () => ({ hello: 'world' }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  await load('-', 'bare Fastify hello-world', address);
  await app.close();
}

async function benchStore(label: string, databaseUrl: string | undefined): Promise<void> {
  const config = testConfig({ LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '' }) });
  const sekat = await buildSekat(config, { background: false });
  try {
    console.log(`\n${label}:`);
    await seedFeed(sekat);
    const viewer = await registerUser(sekat.app, 'penonton');
    const subject = sekat.domains.identity.subjectFor('social', viewer.accountId);
    const db = serviceOf(sekat.domains.social).db;
    await serviceOf(sekat.domains.social).ensureProfile(subject, { handle: 'penonton', displayName: 'Penonton' });
    await sql`insert into follows (follower, followee) select ${subject}, 'bench-' || g from generate_series(1, 50) g`.execute(db);
    await sql`insert into viewer_hashtags (subject, tag, score) select ${subject}, 'topik' || g, g from generate_series(1, 10) g`.execute(db);
    await sql`insert into viewer_completions (subject, video_id, completed_at) select ${subject}, id, now() from videos order by hot desc limit 200`.execute(db);

    const address = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    await load(label, 'For You (anonymous)', `${address}/api/social/feed/for-you`);
    // Signed in but not personalized: the difference to anonymous is the session lookup alone.
    await load(label, 'For You (signed in, plain)', `${address}/api/social/feed/for-you?personalized=false`, viewer.auth);
    await load(label, 'For You (personalized)', `${address}/api/social/feed/for-you`, viewer.auth);
    await load(label, 'Following', `${address}/api/social/feed/following`, viewer.auth);
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

console.log(`Sekat feed benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run`);
// Each store is compared with a bare Fastify measured right before it, in the same process
// state (a store run leaves its heap behind, which slows whatever runs next a little).
const stores = (process.env.BENCH_STORES ?? 'pglite,postgres').split(',');
if (stores.includes('pglite')) {
  await baseline();
  await benchStore('pglite', undefined);
}
if (stores.includes('postgres')) {
  if (process.env.DATABASE_URL) {
    await baseline();
    await benchStore('postgres', process.env.DATABASE_URL);
  } else console.log('\npostgres: skipped (set DATABASE_URL to measure it)');
}
if (process.env.BENCH_TRANSCODE !== '0') {
  console.log('\ntranscoding:');
  await benchTranscode([['10 s 720p portrait', 720, 1280, 10]]);
}
console.log('\nsummary (share of the bare Fastify req/s measured just before the store):');
let bare = 0;
for (const row of rows) {
  if (row.store === '-') bare = row.reqPerSec;
  else console.log(`  ${row.store.padEnd(9)} ${row.target.padEnd(28)} ${((row.reqPerSec / bare) * 100).toFixed(1).padStart(5)} %  p99 ${row.p99} ms`);
}
