import { sql, type Kysely } from 'kysely';
import { GroupCommit } from '../../platform/group-commit.js';
import type { SocialDB } from './store.js';

/** One request's checked watch batch, as it is stored. */
export interface WatchBatch {
  subject: string | null;
  events: { videoId: string; watchedMs: number; completed: boolean }[];
  perVideo: Map<string, { views: number; completed: number; fraction: number }>;
  /** The videos the (signed-in) viewer completed, and the hashtag affinity they add. */
  completedIds: string[];
  affinity: Map<string, number>;
}

/**
 * Watch batches arrive from many viewers at once; the batches that come in while one write is in
 * flight are stored together in one statement (group commit), so a crowd's events cost a few
 * commits a second rather than one per request. Each request is answered only once its events have
 * committed. Rows are written in a fixed order (video, then subject and tag), so two processes'
 * groups cannot deadlock.
 */
export function watchWriter(db: Kysely<SocialDB>): GroupCommit<WatchBatch> {
  return new GroupCommit<WatchBatch>((batches) => writeWatchBatches(db, batches));
}

async function writeWatchBatches(db: Kysely<SocialDB>, batches: WatchBatch[]): Promise<void> {
  const subjects: (string | null)[] = [];
  const videoIds: string[] = [];
  const watchedMs: number[] = [];
  const completed: boolean[] = [];
  const deltas = new Map<string, { views: number; completed: number; fraction: number }>();
  const completions = new Map<string, [string, string]>();
  const affinity = new Map<string, [string, string, number]>();
  for (const batch of batches) {
    for (const event of batch.events) {
      subjects.push(batch.subject);
      videoIds.push(event.videoId);
      watchedMs.push(event.watchedMs);
      completed.push(event.completed);
    }
    for (const [id, delta] of batch.perVideo) {
      const sum = deltas.get(id) ?? { views: 0, completed: 0, fraction: 0 };
      sum.views += delta.views;
      sum.completed += delta.completed;
      sum.fraction += delta.fraction;
      deltas.set(id, sum);
    }
    if (batch.subject === null) continue;
    for (const id of batch.completedIds) completions.set(`${batch.subject}\u0000${id}`, [batch.subject, id]);
    for (const [tag, score] of batch.affinity) {
      const key = `${batch.subject}\u0000${tag}`;
      affinity.set(key, [batch.subject, tag, (affinity.get(key)?.[2] ?? 0) + score]);
    }
  }
  const counted = [...deltas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const done = [...completions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, pair]) => pair);
  const tags = [...affinity.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, triple]) => triple);
  await sql`
    with appended as (
      insert into watch_events (subject, video_id, watched_ms, completed)
      select * from unnest(${subjects}::text[], ${videoIds}::uuid[], ${watchedMs}::int[], ${completed}::bool[])
    ), counted as (
      insert into video_counter_deltas (video_id, views, completed, fraction)
      select * from unnest(${counted.map(([id]) => id)}::uuid[], ${counted.map(([, d]) => d.views)}::int[],
        ${counted.map(([, d]) => d.completed)}::int[], ${counted.map(([, d]) => d.fraction)}::float8[])
    ), completions as (
      insert into viewer_completions (subject, video_id, completed_at)
      select c.subject, c.video_id, now() from unnest(${done.map(([s]) => s)}::text[], ${done.map(([, v]) => v)}::uuid[]) as c(subject, video_id)
      on conflict (subject, video_id) do update set completed_at = excluded.completed_at
    )
    insert into viewer_hashtags (subject, tag, score)
    select * from unnest(${tags.map(([s]) => s)}::text[], ${tags.map(([, t]) => t)}::text[], ${tags.map(([, , n]) => n)}::float8[])
    on conflict (subject, tag) do update set score = viewer_hashtags.score + excluded.score`.execute(db);
}
