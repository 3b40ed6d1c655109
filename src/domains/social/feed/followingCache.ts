import type { VideoRow } from '../store.js';
import { ShortLived } from './shortLived.js';

/**
 * Each viewer's first Following page, kept for a moment: it is what every app open asks for.
 * This process drops all of them when a video becomes ready or changes, and a viewer's own when
 * they follow or unfollow, so a followed creator's new video shows at once; another process's
 * change shows within `ttlMs`.
 */
export class FollowingFirstPages {
  private readonly pages: ShortLived<VideoRow[]>;

  constructor(ttlMs = 2_000) {
    this.pages = new ShortLived(ttlMs);
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
}
