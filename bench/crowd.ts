/**
 * npm run bench:crowd — feeds and engagement the way a crowd uses them, next to a bare Fastify
 * hello-world measured right before, on PGlite and (when DATABASE_URL is set) PostgreSQL.
 *
 * Seeds as bench:feed does (10,000 videos, 1,000 creators, 1,000,000 watch events), then
 * BENCH_VIEWERS (2,000) viewers with real sessions made by identity's own session code, each with
 * follows and a watch history, and one fresh viral video. 50 virtual viewers (one connection
 * each) then each take the next viewer, open For You or Following, scroll 3–5 pages of 10 by
 * cursor, post one watch-event batch (10–20 events) per page and like about one video in ten; a
 * tenth of all events and likes go to the viral video (bench/crowd-load.ts).
 *
 * Prints req/s, p50 and p99 per kind of request, watch events ingested per second, the hit rate
 * of every social cache, the heap at the end, and whether the viral video's counters equal the
 * stored facts once the fold has settled. BENCH_SECONDS (15) measured after 3 s of warm-up;
 * BENCH_STORES=postgres (or pglite) runs one store only.
 */
import Fastify from 'fastify';
import argon2 from 'argon2';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import type { Config } from '../src/platform/config.js';
import { IdentityService } from '../src/domains/identity/service.js';
import type { SocialDB } from '../src/domains/social/store.js';
import { seedFeed, USERS } from './seed.js';
import { measure } from './support.js';
import type { LoadInput, LoadOutput } from './crowd-load.js';
import { serviceOf } from '../src/domains/social/testkit.js';

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 2_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = 3;
const CONNECTIONS = 50;
const VIDEO_MS = 15_000;

function load(input: Omit<LoadInput, 'connections' | 'warmupSeconds' | 'seconds'>): Promise<LoadOutput> {
  return new Promise((resolve, reject) => {
    // The load generator is TypeScript too: it loads through tsx as this process does.
    const child = fork(fileURLToPath(new URL('./crowd-load.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
    child.once('message', (output) => resolve(output as LoadOutput));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the load generator exited with ${code}`))));
    child.send({ ...input, connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS } satisfies LoadInput);
  });
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

interface Bare {
  loop: number;
  autocannon: number;
}

async function bare(): Promise<Bare> {
  const app = Fastify();
  app.get('/', async () => ({ hello: 'world' }));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    // The same load loop as the crowd's, and autocannon (as bench:feed and bench:http measure it).
    const loop = await load({ base: address, mode: 'bare', tokens: [], viral: '' });
    const cannon = await measure('bare', { url: address, duration: Math.min(SECONDS, 8) });
    return { loop: Math.round((loop.latencies['GET /']?.length ?? 0) / loop.seconds), autocannon: cannon.requestsPerSecond };
  } finally {
    await app.close();
  }
}

/**
 * The crowd: accounts written straight to identity's store (one password hash for all of them:
 * hashing is not what is measured), each signed in through identity's own session code, with a
 * social profile, 20–50 follows among the creators, and a watch history.
 */
async function seedViewers(sekat: Sekat, config: Config): Promise<string[]> {
  const started = performance.now();
  const identityDb = sekat.stores.identity.db;
  const hash = await argon2.hash('kata-sandi-penonton-bench', { type: argon2.argon2id });
  const { rows: accounts } = await sql<{ id: string }>`
    insert into accounts (id, email, handle, display_name, password_hash)
    select gen_random_uuid(), 'penonton' || g || '@bench.id', 'penonton' || g, 'Penonton ' || g, ${hash}
    from generate_series(1, ${VIEWERS}::int) g
    returning id`.execute(identityDb);
  const identity = new IdentityService(identityDb, config.secrets);
  const tokens: string[] = [];
  for (let i = 0; i < accounts.length; i += 50) {
    const made = await Promise.all(accounts.slice(i, i + 50).map((account) => identity.createSession(account.id)));
    tokens.push(...made.map((session) => session.token));
  }
  const db = serviceOf(sekat.domains.social).db as Kysely<SocialDB>;
  const subjects = accounts.map((account) => sekat.domains.identity.subjectFor('social', account.id));
  await sql`insert into profiles (subject, handle, display_name)
    select s, 'penonton' || n, 'Penonton ' || n from unnest(${subjects}::text[]) with ordinality as t(s, n)`.execute(db);
  await sql`insert into follows (follower, followee)
    select s, 'bench-' || (1 + (n * 37 + k * 13) % ${USERS}::int) from unnest(${subjects}::text[]) with ordinality as t(s, n),
      generate_series(1, 50) k where k <= 20 + n % 31
    on conflict do nothing`.execute(db);
  await sql`with numbered as (select id, row_number() over (order by id) as n from videos where status = 'ready')
    insert into watch_events (subject, video_id, watched_ms, completed, created_at)
    select t.s, v.id, 14000, true, now() - k * interval '1 hour'
    from unnest(${subjects}::text[]) with ordinality as t(s, n) cross join generate_series(1, 30) k
    join numbered v on v.n = 1 + (t.n * 101 + k * 331) % (select count(*) from numbered)`.execute(db);
  await sql`insert into viewer_completions (subject, video_id, completed_at)
    select distinct on (subject, video_id) subject, video_id, created_at from watch_events
    where subject = any(${subjects}::text[]) order by subject, video_id, created_at desc`.execute(db);
  await sql`insert into viewer_hashtags (subject, tag, score)
    select t.s, 'topik' || ((n + k * 7) % 50), k from unnest(${subjects}::text[]) with ordinality as t(s, n), generate_series(1, 5) k
    on conflict do nothing`.execute(db);
  await sql`analyze`.execute(db);
  console.log(`  seeded ${VIEWERS} signed-in viewers with follows and watch history in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return tokens;
}

/**
 * What a request that touches the database at all can reach here: the crowd's load loop against
 * a bare Fastify route that runs one `select 1`, and one that commits one tiny insert, through
 * social's own pool (same size, same database, same machine). No feed can beat these, so they
 * say what share of bare Fastify is possible on this machine.
 */
async function ceilings(sekat: Sekat): Promise<{ read: number; write: number; writeP99: number }> {
  const db = serviceOf(sekat.domains.social).db;
  await sql`create table if not exists bench_ceiling (id bigserial primary key, at timestamptz not null default now())`.execute(db);
  const app = Fastify();
  app.get('/read', async () => (await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]);
  app.get('/write', async () => {
    await sql`insert into bench_ceiling default values`.execute(db);
    return { ok: true };
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const read = await load({ base: address, mode: 'bare', path: '/read', tokens: [], viral: '' });
    const write = await load({ base: address, mode: 'bare', path: '/write', tokens: [], viral: '' });
    const writes = (write.latencies['GET /'] ?? []).sort((a, b) => a - b);
    return {
      read: Math.round((read.latencies['GET /']?.length ?? 0) / read.seconds),
      write: Math.round(writes.length / write.seconds),
      writeP99: percentile(writes, 99),
    };
  } finally {
    await app.close();
    await sql`drop table bench_ceiling`.execute(db);
  }
}

async function viralVideo(sekat: Sekat): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into videos (id, author, caption, hashtags, status, duration_ms, width, height, renditions, created_at, ready_at)
    values (gen_random_uuid(), 'bench-1', 'Semua orang menonton ini #viral', array['viral'], 'ready', ${VIDEO_MS}, 720, 1280,
      '[{"width":720,"height":1280,"size":720}]'::jsonb, now(), now())
    returning id`.execute(serviceOf(sekat.domains.social).db);
  serviceOf(sekat.domains.social).videosChanged();
  return rows[0]!.id;
}

async function viralCheck(sekat: Sekat, viral: string): Promise<{ settledMs: number; equal: boolean; line: string }> {
  const started = performance.now();
  await sekat.domains.social.counters.settle();
  const settledMs = performance.now() - started;
  const { rows } = await sql<{ view_count: number; completed_count: number; like_count: number; views: number; completed: number; likes: number }>`
    select v.view_count, v.completed_count, v.like_count,
      (select count(*) from watch_events w where w.video_id = v.id)::int as views,
      (select count(*) from watch_events w where w.video_id = v.id and w.completed)::int as completed,
      (select count(*) from likes l where l.video_id = v.id)::int as likes
    from videos v where v.id = ${viral}`.execute(serviceOf(sekat.domains.social).db);
  const r = rows[0]!;
  const equal = r.view_count === r.views && r.completed_count === r.completed && r.like_count === r.likes;
  return {
    settledMs,
    equal,
    line: `views ${r.view_count} (facts ${r.views}), completed ${r.completed_count} (facts ${r.completed}), likes ${r.like_count} (facts ${r.likes})`,
  };
}

async function benchStore(store: string, databaseUrl: string | undefined): Promise<void> {
  const baseline = await bare();
  console.log(`\n${store}: bare Fastify GET / ${baseline.loop} req/s with the crowd's load loop, ${baseline.autocannon} req/s with autocannon`);
  const config = testConfig({ LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl ?? '' });
  const sekat = await buildSekat(config, { background: false });
  try {
    await seedFeed(sekat);
    const tokens = await seedViewers(sekat, config);
    const viral = await viralVideo(sekat);
    const ceiling = await ceilings(sekat);
    console.log(
      `  ceilings through social's pool: one select 1 per request ${ceiling.read} req/s (${((ceiling.read / baseline.loop) * 100).toFixed(1)} % of bare), ` +
        `one committed insert per request ${ceiling.write} req/s (${((ceiling.write / baseline.loop) * 100).toFixed(1)} %, p99 ${ceiling.writeP99.toFixed(1)} ms)`,
    );
    const address = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    const before = new Map(sekat.domains.social.cacheStats().map((s) => [s.name, s]));
    const writes = serviceOf(sekat.domains.social).watchWrites;
    const writesBefore = { writes: writes.writes, items: writes.items };
    const output = await load({ base: address, mode: 'crowd', tokens, viral });
    const after = sekat.domains.social.cacheStats();
    const heap = process.memoryUsage();

    const total = Object.values(output.latencies).reduce((n, list) => n + list.length, 0);
    console.log(`  ${'request'.padEnd(20)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(8)}`);
    for (const [kind, list] of Object.entries(output.latencies).sort()) {
      const sorted = list.sort((a, b) => a - b);
      console.log(
        `  ${kind.padEnd(20)} ${String(Math.round(list.length / output.seconds)).padStart(7)} ${percentile(sorted, 50).toFixed(1).padStart(7)} ${percentile(sorted, 99).toFixed(1).padStart(7)} ${String(output.failures[kind] ?? 0).padStart(8)}`,
      );
    }
    const all = Object.values(output.latencies).flat().sort((a, b) => a - b);
    const feeds = Object.entries(output.latencies).filter(([kind]) => kind.includes('page')).flatMap(([, list]) => list).sort((a, b) => a - b);
    const perSecond = Math.round(total / output.seconds);
    console.log(`  ${'whole mix'.padEnd(20)} ${String(perSecond).padStart(7)} ${percentile(all, 50).toFixed(1).padStart(7)} ${percentile(all, 99).toFixed(1).padStart(7)}`);
    console.log(`  share of bare Fastify: ${((perSecond / baseline.loop) * 100).toFixed(1)} % (same loop), ${((perSecond / baseline.autocannon) * 100).toFixed(1)} % (autocannon)`);
    console.log(`  share of the one-query ceiling: ${((perSecond / ceiling.read) * 100).toFixed(1)} %; writes (likes + event batches) ${Math.round(((output.latencies['like']?.length ?? 0) + (output.latencies['watch events']?.length ?? 0)) / output.seconds)}/s against a ceiling of ${ceiling.write}/s`);
    console.log(`  watch events ingested: ${Math.round(output.events / output.seconds)} events/s (${output.viralEvents} to the viral video), feed p99 ${percentile(feeds, 99).toFixed(1)} ms; likes ${Math.round(output.likes / output.seconds)}/s (${output.viralLikes} to the viral video)`);
    const grouped = { writes: writes.writes - writesBefore.writes, items: writes.items - writesBefore.items };
    console.log(`  watch batches stored by group commit: ${grouped.items} batches in ${grouped.writes} writes (${(grouped.items / Math.max(1, grouped.writes)).toFixed(1)} per write)`);
    if (Object.keys(output.statuses).length > 0) console.log(`  refused: ${JSON.stringify(output.statuses)}`);
    console.log('  caches (during the measured run):');
    for (const stat of after) {
      const was = before.get(stat.name);
      const hits = stat.hits - (was?.hits ?? 0);
      const misses = stat.misses - (was?.misses ?? 0);
      const rate = hits + misses === 0 ? '—' : `${((hits / (hits + misses)) * 100).toFixed(1)} %`;
      console.log(
        `    ${stat.name.padEnd(26)} hit rate ${rate.padStart(7)} (${hits} hits, ${misses} misses), ${stat.entries}/${stat.maxEntries} entries, ${(stat.bytes / 1048576).toFixed(1)}/${(stat.maxBytes / 1048576).toFixed(0)} MiB`,
      );
    }
    console.log(`  heap at the end: ${(heap.heapUsed / 1048576).toFixed(0)} MiB used of ${(heap.heapTotal / 1048576).toFixed(0)} MiB, rss ${(heap.rss / 1048576).toFixed(0)} MiB`);
    const check = await viralCheck(sekat, viral);
    console.log(`  viral video after settling (${check.settledMs.toFixed(0)} ms): ${check.line} — ${check.equal ? 'equal' : 'NOT EQUAL'}`);
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

console.log(`Sekat crowd benchmark: ${CONNECTIONS} virtual viewers at once out of ${VIEWERS}, ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up`);
const stores = (process.env.BENCH_STORES ?? 'pglite,postgres').split(',');
if (stores.includes('pglite')) await benchStore('pglite', undefined);
if (stores.includes('postgres')) {
  if (process.env.DATABASE_URL) await benchStore('postgres', process.env.DATABASE_URL);
  else console.log('\npostgres: skipped (set DATABASE_URL to measure it)');
}
