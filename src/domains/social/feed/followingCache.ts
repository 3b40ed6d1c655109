import type { VideoRow } from '../store.js';

/**
 * Each viewer's first Following page, kept for a moment: it is what every app open asks for.
 * This process drops all of them when a video becomes ready or changes, and a viewer's own when
 * they follow or unfollow, so a followed creator's new video shows at once; another process's
 * change shows within `ttlMs`.
 */
export class FollowingFirstPages {
  private readonly entries = new Map<string, { at: number; rows: Promise<VideoRow[]> }>();

  constructor(
    private readonly ttlMs = 2_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(viewer: string, limit: number, load: () => Promise<VideoRow[]>): Promise<VideoRow[]> {
    const key = `${limit}:${viewer}`;
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at <= this.ttlMs) return hit.rows;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const rows = load();
    this.entries.set(key, { at: Date.now(), rows });
    rows.catch(() => this.entries.delete(key));
    return rows;
  }

  forget(viewer: string): void {
    for (const key of this.entries.keys()) if (key.endsWith(`:${viewer}`)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
