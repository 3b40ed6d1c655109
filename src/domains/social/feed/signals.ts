import { sql, type Kysely } from 'kysely';
import { ShortLived } from './shortLived.js';
import type { SocialDB } from '../store.js';

/** "Recently" for "nothing the viewer completed recently". */
const COMPLETED_RECENTLY_DAYS = 7;

export interface Signals {
  followed: Set<string>;
  affinity: Map<string, number>;
  completed: Set<string>;
  /** Purchase categories commerce shared under the viewer's consent (empty without it). */
  purchaseCategories: Set<string>;
}

/** Roughly what one id or tag costs in a Set or Map. */
const BYTES_PER_ITEM = 80;

/**
 * Per-viewer signals, kept briefly so that scrolling does not query them on every page. This
 * process drops a viewer's entry when they follow, unfollow or their consent changes, and adds
 * what they just watched to it (a new object, so pages ranked from the old one are not reused).
 */
export class SignalCache {
  private readonly cache: ShortLived<Signals>;

  constructor(
    private readonly db: Kysely<SocialDB>,
    ttlMs = 10_000,
  ) {
    this.cache = new ShortLived({
      name: 'viewer signals',
      ttlMs,
      maxEntries: 20_000,
      maxBytes: 64 * 1024 * 1024,
      sizeOf: (s) => 200 + BYTES_PER_ITEM * (s.followed.size + s.affinity.size + s.completed.size + s.purchaseCategories.size),
    });
  }

  get(viewer: string): Promise<Signals> {
    return this.cache.get(viewer, () => viewerSignals(this.db, viewer));
  }

  /** The viewer completed these videos (with these hashtag counts), as the store now says too. */
  watched(viewer: string, completed: string[], affinity: Map<string, number>): void {
    const known = this.cache.peek(viewer);
    if (!known || (completed.length === 0 && affinity.size === 0)) return;
    const next: Signals = { ...known, completed: new Set(known.completed), affinity: new Map(known.affinity) };
    for (const id of completed) next.completed.add(id);
    for (const [tag, score] of affinity) next.affinity.set(tag, (next.affinity.get(tag) ?? 0) + score);
    this.cache.replace(viewer, next);
  }

  forget(viewer: string): void {
    this.cache.delete(viewer);
  }

  stats() {
    return this.cache.stats();
  }
}

/** The viewer's follows, hashtag affinity, recent completions and consented purchase categories, in one round trip. */
async function viewerSignals(db: Kysely<SocialDB>, viewer: string): Promise<Signals> {
  const result = await sql<{
    followed: string[] | null;
    tags: { tag: string; score: number }[] | null;
    completed: string[] | null;
    purchase_categories: string[] | null;
  }>`
    select
      (select array_agg(followee) from (select followee from follows where follower = ${viewer} limit 2000) f) as followed,
      (select json_agg(t) from (select tag, score from viewer_hashtags where subject = ${viewer} order by score desc limit 30) t) as tags,
      (select array_agg(video_id::text) from (
         select video_id from viewer_completions
         where subject = ${viewer} and completed_at > now() - make_interval(days => ${COMPLETED_RECENTLY_DAYS})
         order by completed_at desc limit 1000) c) as completed,
      (select array_agg(category) from viewer_purchase_categories where subject = ${viewer}) as purchase_categories`.execute(db);
  const row = result.rows[0];
  return {
    followed: new Set(row?.followed ?? []),
    affinity: new Map((row?.tags ?? []).map((t) => [t.tag, t.score])),
    completed: new Set(row?.completed ?? []),
    purchaseCategories: new Set(row?.purchase_categories ?? []),
  };
}
