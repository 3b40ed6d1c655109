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
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { seedFeed, seedViewers, viralVideo, VIEWERS } from './seed.js';
import { measure } from './support.js';
import type { LoadInput, LoadOutput } from './crowd-load.js';
import { serviceOf } from '../src/domains/social/testkit.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = 3;
const CONNECTIONS = 50;

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
