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
import { performance } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { registerUser } from '../src/domains/social/testkit.js';
import { benchTranscode } from './transcode.js';

const VIDEOS = Number(process.env.BENCH_VIDEOS ?? 10_000);
const USERS = Number(process.env.BENCH_USERS ?? 1_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
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

async function seed(sekat: Sekat): Promise<void> {
  const db = sekat.domains.social.service.db;
  const started = performance.now();
  await sql`insert into profiles (subject, handle, display_name)
    select 'bench-' || g, 'bench_' || g, 'Kreator ' || g from generate_series(1, ${USERS}::int) g`.execute(db);
  await sql`insert into videos (id, author, caption, hashtags, status, duration_ms, width, height, renditions, created_at, ready_at)
    select gen_random_uuid(), 'bench-' || (1 + g % ${USERS}::int), 'Video ' || g || ' #topik' || (g % 50), array['topik' || (g % 50)],
      'ready', 15000, 720, 1280, '[{"width":720,"height":1280,"size":720}]'::jsonb,
      now() - (g % 20000) * interval '3 minutes', now()
    from generate_series(1, ${VIDEOS}::int) g`.execute(db);
  await sql`create temporary table bench_ids as select id, row_number() over (order by id) as n from videos`.execute(db);
  await sql`insert into watch_events (subject, video_id, watched_ms, completed, created_at)
    select 'bench-' || (1 + g % ${USERS}::int), b.id, (g * 7) % 15000, g % 3 = 0, now() - (g % 10000) * interval '1 minute'
    from generate_series(1, ${EVENTS}::int) g join bench_ids b on b.n = 1 + ((g::bigint * 7919) % ${VIDEOS}::int)`.execute(db);
  // Roll the events up as the write path does, in one pass.
  await sql`update videos v set view_count = s.views, completed_count = s.completed, watched_fraction_sum = s.fraction,
      like_count = s.views / 7, comment_count = s.views / 40, share_count = s.views / 90
    from (select video_id, count(*)::int as views, count(*) filter (where completed)::int as completed,
            sum(least(1, watched_ms / 15000.0)) as fraction from watch_events group by video_id) s
    where s.video_id = v.id`.execute(db);
  await sql`insert into viewer_completions (subject, video_id, completed_at)
    select distinct on (subject, video_id) subject, video_id, created_at from watch_events where completed
    order by subject, video_id, created_at desc`.execute(db);
  await sql`insert into follows (follower, followee)
    select 'bench-' || u, 'bench-' || (1 + (u * 31 + k * 17) % ${USERS}::int) from generate_series(1, ${USERS}::int) u, generate_series(1, 20) k
    where 'bench-' || u <> 'bench-' || (1 + (u * 31 + k * 17) % ${USERS}::int) on conflict do nothing`.execute(db);
  await sql`update profiles p set follower_count = f.n from (select followee, count(*)::int as n from follows group by followee) f where f.followee = p.subject`.execute(db);
  await sql`analyze`.execute(db);
  console.log(`  seeded ${VIDEOS} videos, ${USERS} users, ${EVENTS} watch events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function benchStore(label: string, databaseUrl: string | undefined): Promise<void> {
  const config = testConfig({ LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '' }) });
  const sekat = await buildSekat(config, { background: false });
  try {
    console.log(`\n${label}:`);
    await seed(sekat);
    const viewer = await registerUser(sekat.app, 'penonton');
    const subject = sekat.domains.identity.subjectFor('social', viewer.accountId);
    const db = sekat.domains.social.service.db;
    await sekat.domains.social.service.ensureProfile(subject, { handle: 'penonton', displayName: 'Penonton' });
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
