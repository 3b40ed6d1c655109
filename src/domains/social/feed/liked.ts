import type { Kysely } from 'kysely';
import type { SocialDB } from '../store.js';

/** How many of a viewer's likes (newest first) are kept in memory. */
const KEPT = 5_000;

interface Entry {
  at: number;
  liked: Promise<{ ids: Set<string>; complete: boolean }>;
}

/**
 * Which videos each signed-in viewer likes, kept briefly so that every video view and feed page
 * can say `likedByMe` without a query. This process drops a viewer's entry when they like or
 * unlike; another process's change shows within `ttlMs`. Someone with more than `KEPT` likes is
 * asked about the rest in the store.
 */
export class LikedCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly db: Kysely<SocialDB>,
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

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
    this.entries.delete(subject);
  }

  private load(subject: string): Entry['liked'] {
    const hit = this.entries.get(subject);
    if (hit && Date.now() - hit.at <= this.ttlMs) return hit.liked;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const liked = this.db
      .selectFrom('likes')
      .select('video_id')
      .where('subject', '=', subject)
      .orderBy('created_at', 'desc')
      .limit(KEPT + 1)
      .execute()
      .then((rows) => ({ ids: new Set(rows.slice(0, KEPT).map((r) => r.video_id)), complete: rows.length <= KEPT }));
    const entry = { at: Date.now(), liked };
    this.entries.set(subject, entry);
    liked.catch(() => {
      if (this.entries.get(subject) === entry) this.entries.delete(subject);
    });
    return liked;
  }
}
