import argon2 from 'argon2';
import { sql, type Kysely } from 'kysely';
import { performance } from 'node:perf_hooks';
import type { Sekat } from '../src/server/app.js';
import type { Config } from '../src/platform/config.js';
import { IdentityService } from '../src/domains/identity/service.js';
import type { SocialDB } from '../src/domains/social/store.js';

export const VIDEOS = Number(process.env.BENCH_VIDEOS ?? 10_000);
export const USERS = Number(process.env.BENCH_USERS ?? 1_000);
export const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
export const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 2_000);
const VIDEO_MS = 15_000;

/**
 * The feed benchmarks' data, written straight to social's store: BENCH_VIDEOS (10,000) ready
 * videos by BENCH_USERS (1,000) creators, BENCH_EVENTS (1,000,000) watch events rolled up into
 * the counters, completions, and 20 follows per creator.
 */
export async function seedFeed(sekat: Sekat): Promise<void> {
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

/**
 * The crowd: accounts written straight to identity's store (one password hash for all of them:
 * hashing is not what is measured), each signed in through identity's own session code, with a
 * social profile, 20–50 follows among the creators, and a watch history.
 */
export async function seedViewers(sekat: Sekat, config: Config): Promise<string[]> {
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
  const db = sekat.domains.social.service.db as Kysely<SocialDB>;
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

export async function viralVideo(sekat: Sekat): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into videos (id, author, caption, hashtags, status, duration_ms, width, height, renditions, created_at, ready_at)
    values (gen_random_uuid(), 'bench-1', 'Semua orang menonton ini #viral', array['viral'], 'ready', ${VIDEO_MS}, 720, 1280,
      '[{"width":720,"height":1280,"size":720}]'::jsonb, now(), now())
    returning id`.execute(sekat.domains.social.service.db);
  sekat.domains.social.service.videosChanged();
  return rows[0]!.id;
}
