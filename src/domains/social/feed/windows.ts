import type { FeedReason } from '../../../contracts/social.js';
import { BoundedCache } from './shortLived.js';

/** A video a window still holds for its session: its id, why it is there, and who made it. */
export interface Slot {
  id: string;
  why: FeedReason;
  author: string;
}

/**
 * What is left of one session's ranking after a page: the rest of the ranked (and, when
 * personalised, boosted and sorted) window and of the exploration pool, so the next page is
 * taken from it instead of ranked again. `exhausted` says the window reached the end of the
 * candidates; otherwise, once it runs short, the next page is ranked afresh from the cursor.
 */
export interface Window {
  scored: Slot[];
  explore: Slot[];
  exhausted: boolean;
  /** The viewer's purchase categories it was ranked with (their consent): revoking drops it. */
  purchases: Set<string> | undefined;
}

/** Pages a window is kept for: more than a session usually scrolls before the app reopens. */
export const WINDOW_PAGES = 6;
const SLOT_BYTES = 160;

/**
 * Sessions' ranked windows, keyed by the cursor that continues them (and the viewer, when
 * personalised; a plain window holds nothing personal, so everyone scrolling the plain feed from
 * the same page shares it). A miss — another process, an evicted or expired entry — ranks the page
 * from the cursor as before, so a window is only ever a shortcut.
 */
export class ForYouWindows {
  readonly cache = new BoundedCache<Window>({
    name: 'For You session windows',
    maxEntries: 50_000,
    maxBytes: 64 * 1024 * 1024,
    ttlMs: 5 * 60_000,
    sizeOf: (w) => 100 + SLOT_BYTES * (w.scored.length + w.explore.length),
  });

  static key(viewer: string | undefined, cursor: string, personalized: boolean): string {
    return personalized ? `${viewer}|${cursor}` : cursor;
  }
}
