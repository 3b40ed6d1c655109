import type { Kysely } from 'kysely';
import { ShortLived } from './shortLived.js';
import type { SocialDB } from '../store.js';

/** How many of a viewer's likes (newest first) are kept in memory. */
const KEPT = 5_000;

interface Liked {
  ids: Set<string>;
  complete: boolean;
}

/**
 * Which videos each signed-in viewer likes, kept briefly so that every video view and feed page
 * can say `likedByMe` without a query. This process keeps a viewer's entry in step when they like
 * or unlike; another process's change shows within `ttlMs`. Someone with more than `KEPT` likes is
 * asked about the rest in the store.
 */
export class LikedCache {
  private readonly cache: ShortLived<Liked>;

  constructor(
    private readonly db: Kysely<SocialDB>,
    ttlMs = 10_000,
  ) {
    this.cache = new ShortLived({
      name: 'likes per viewer',
      ttlMs,
      maxEntries: 20_000,
      maxBytes: 32 * 1024 * 1024,
      sizeOf: (liked) => 100 + 80 * liked.ids.size,
    });
  }

  async among(subject: string, videoIds: string[]): Promise<Set<string>> {
    if (videoIds.length === 0) return new Set();
    const { ids, complete } = await this.load(subject);
    const found = new Set(videoIds.filter((id) => ids.has(id)));
    if (complete) return found;
    const unknown = videoIds.filter((id) => !found.has(id));
    if (unknown.length === 0) return found;
    const rows = await this.db.selectFrom('likes').select('video_id').where('subject', '=', subject).where('video_id', 'in', unknown).execute();
    for (const row of rows) found.add(row.video_id);
    return found;
  }

  forget(subject: string): void {
    this.cache.delete(subject);
  }

  /** The viewer now likes the video, or no longer does: kept in step without reading the store again. */
  changed(subject: string, videoId: string, likes: boolean): void {
    const known = this.cache.peek(subject);
    // A load still in flight may have read the store before the change: it is dropped instead.
    if (!known) return this.cache.delete(subject);
    const ids = new Set(known.ids);
    if (likes) ids.add(videoId);
    else ids.delete(videoId);
    this.cache.replace(subject, { ids, complete: known.complete });
  }

  stats() {
    return this.cache.stats();
  }

  private load(subject: string): Promise<Liked> {
    return this.cache.get(subject, () =>
      this.db
        .selectFrom('likes')
        .select('video_id')
        .where('subject', '=', subject)
        .orderBy('created_at', 'desc')
        .limit(KEPT + 1)
        .execute()
        .then((rows) => ({ ids: new Set(rows.slice(0, KEPT).map((r) => r.video_id)), complete: rows.length <= KEPT })),
    );
  }
}
