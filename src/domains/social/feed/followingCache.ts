import type { VideoRow } from '../store.js';
import { ShortLived } from './shortLived.js';

/** About what one video row read from the store keeps alive (its columns, caption, author). */
export const ROW_BYTES = 1_200;

/**
 * Each viewer's first Following page, kept for a moment: it is what every app open asks for.
 * This process drops all of them when a video becomes ready or changes, and a viewer's own when
 * they follow or unfollow, so a followed creator's new video shows at once; another process's
 * change shows within `ttlMs`.
 */
export class FollowingFirstPages {
  private readonly pages: ShortLived<VideoRow[]>;

  constructor(ttlMs = 2_000) {
    this.pages = new ShortLived({
      name: 'first Following pages',
      ttlMs,
      maxEntries: 10_000,
      maxBytes: 32 * 1024 * 1024,
      sizeOf: (rows) => 100 + ROW_BYTES * rows.length,
    });
  }

  get(viewer: string, limit: number, load: () => Promise<VideoRow[]>): Promise<VideoRow[]> {
    return this.pages.get(`${limit}:${viewer}`, load);
  }

  forget(viewer: string): void {
    this.pages.deleteWhere((key) => key.endsWith(`:${viewer}`));
  }

  clear(): void {
    this.pages.clear();
  }

  stats() {
    return this.pages.stats();
  }
}
