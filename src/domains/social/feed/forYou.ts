import { badRequest } from '../../../platform/errors.js';
import { ANONYMOUS, visibleTo, type Audience, type SocialService } from '../service.js';
import type { VideoRow } from '../store.js';
import { SeenFilter } from './bloom.js';
import type { Candidates } from './candidates.js';
import type { Signals } from './signals.js';
import { ForYouWindows, WINDOW_PAGES, type Slot, type Window } from './windows.js';
import type { FeedReason } from '../../../contracts/social.js';

/** One in this many slots goes to a fresh video with few views (exploration). */
const EXPLORE_EVERY = 5;
const FOLLOW_BOOST = Math.log(3);
const HASHTAG_BOOST_MAX = 1;
/** For a video tagged with a product in a category the viewer bought from (only under consent). */
const PURCHASE_CATEGORY_BOOST = Math.log(2);
/** How many eligible candidates a personalized page considers for boosting. */
const PERSONAL_WINDOW = 400;

export interface ForYouCursor {
  personalized: boolean;
  served: number;
  lastAuthor: string;
  seen: SeenFilter;
}

export interface FeedItem {
  row: VideoRow;
  why: FeedReason;
}

const CURSOR = /^f1\.([01])\.(\d{1,6})\.([A-Za-z0-9_-]{0,16})\.([A-Za-z0-9_-]+)$/;

export function encodeForYouCursor(cursor: ForYouCursor): string {
  return `f1.${cursor.personalized ? 1 : 0}.${cursor.served}.${cursor.lastAuthor}.${cursor.seen.encode()}`;
}

export function decodeForYouCursor(raw: string | undefined): ForYouCursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  const match = CURSOR.exec(raw);
  const seen = match ? SeenFilter.decode(match[4]!) : undefined;
  if (!match || !seen) throw badRequest('The cursor is not valid.', { cursor: ['is not a cursor this feed gave out'] });
  return { personalized: match[1] === '1', served: Number(match[2]), lastAuthor: match[3]!, seen };
}

/** Who made it, as a 32-bit hash of the author: enough to keep one creator from playing twice in a row. */
function authorKey(row: VideoRow): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < row.author.length; i++) h = Math.imul(h ^ row.author.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

/**
 * The first page of each feed, kept while what it was ranked from lasts: the shared candidate
 * lists (refreshed every couple of seconds) and, when personalised, the viewer's signals (a new
 * object the moment the viewer follows, watches, or their consent changes). Every app open asks
 * for a first page.
 */
const firstPages = new WeakMap<object, { candidates: Candidates; byLimit: Map<number, Promise<ForYouResult>> }>();

export interface ForYouResult {
  items: FeedItem[];
  nextCursor: string | null;
}

const rowsByIdOf = new WeakMap<Candidates, Map<string, VideoRow>>();
function rowsById(candidates: Candidates): Map<string, VideoRow> {
  let map = rowsByIdOf.get(candidates);
  if (!map) {
    map = new Map();
    for (const row of candidates.ranked) map.set(row.id, row);
    for (const row of candidates.fresh) map.set(row.id, row);
    rowsByIdOf.set(candidates, map);
  }
  return map;
}

/**
 * The For You page. Without personalization (anonymous, or `personalized=false`) it reads no
 * viewing history at all: the ranking is the stored `hot` score (engagement per view with time
 * decay) plus an exploration share of fresh videos, the same for every viewer. Candidates come
 * from the shared precomputed lists, so the request path runs no ranking query; a later page
 * continues its session's window, so it costs what a first page costs.
 */
export async function forYouPage(
  service: SocialService,
  viewer: string | undefined,
  wantPersonalized: boolean,
  limit: number,
  rawCursor: string | undefined,
  audience: Audience = ANONYMOUS,
): Promise<ForYouResult> {
  const cursor = decodeForYouCursor(rawCursor);
  const personalized = (cursor ? cursor.personalized : wantPersonalized) && viewer !== undefined;
  const [candidates, signals] = await Promise.all([
    service.candidates.get(),
    personalized ? service.signals.get(viewer!) : Promise.resolve(undefined),
  ]);
  const page = { service, viewer, audience, personalized };
  if (cursor) {
    const key = windowKey(page, rawCursor!);
    const window = service.forYouWindows.cache.get(key);
    if (window && sameConsent(window.purchases, signals?.purchaseCategories) && (window.exhausted || window.scored.length + window.explore.length >= limit)) {
      return takePage(page, rowsById(candidates), window, limit, cursor);
    }
    return rankPage(page, candidates, signals, limit, cursor);
  }
  // A viewer who hides authors gets a first page of their own; the rest share it per age audience.
  if (audience.hidden.size > 0) return rankPage(page, candidates, signals, limit, undefined);
  const owner: object = signals ?? candidates;
  let cached = firstPages.get(owner);
  if (!cached || cached.candidates !== candidates) {
    cached = { candidates, byLimit: new Map() };
    firstPages.set(owner, cached);
  }
  const entry = cached;
  const cacheKey = audience.adult ? -limit : limit;
  let first = entry.byLimit.get(cacheKey);
  if (!first) {
    first = rankPage(page, candidates, signals, limit, undefined);
    entry.byLimit.set(cacheKey, first);
    first.catch(() => entry.byLimit.delete(cacheKey));
  }
  return first;
}

/** One request's page: whose it is and what they may be shown. */
interface PageFor {
  service: SocialService;
  viewer: string | undefined;
  audience: Audience;
  personalized: boolean;
}

/**
 * A window is shared only between viewers it was filtered the same for: personalised or hiding
 * authors, it is the viewer's own; otherwise everyone of the same age audience shares it.
 */
function windowKey(page: PageFor, cursor: string): string {
  if (page.personalized || page.audience.hidden.size > 0) return ForYouWindows.key(page.viewer, cursor, true);
  return ForYouWindows.key(undefined, `${page.audience.adult ? 'a' : 'g'}|${cursor}`, false);
}

/** Ranked with the purchase categories the viewer's signals hold now (they follow consent within the signals' TTL). */
function sameConsent(ranked: Set<string> | undefined, now: Set<string> | undefined): boolean {
  if ((ranked?.size ?? 0) !== (now?.size ?? 0)) return false;
  for (const category of ranked ?? []) if (!now!.has(category)) return false;
  return true;
}

/** Ranks a window from the candidates (skipping what the cursor has seen) and takes a page from it. */
async function rankPage(
  page: PageFor, candidates: Candidates, signals: Signals | undefined, limit: number, cursor: ForYouCursor | undefined,
): Promise<ForYouResult> {
  const { service } = page;
  const { ranked, fresh } = candidates;
  const seen = cursor?.seen ?? SeenFilter.empty();
  // What the viewer may not be shown is left out here, before the window and its pages are cut,
  // so a page is full while eligible videos remain.
  const eligible = (row: VideoRow) => !seen.has(row.id) && !signals?.completed.has(row.id) && visibleTo(page.audience, row);
  // Categories of the products tagged on candidate videos, read only when the viewer consented
  // to purchase-based personalization (their categories are then in the signals).
  const categoriesOf =
    signals && signals.purchaseCategories.size > 0
      ? await service.taggedCategories(ranked.slice(0, PERSONAL_WINDOW * 2).map((row) => row.id))
      : undefined;
  // Only the best eligible candidates can make the next pages; personalization looks deeper so
  // that boosted videos further down can rise.
  const window = signals ? PERSONAL_WINDOW : limit * WINDOW_PAGES + 10;
  const scored: { slot: Slot; score: number; rank: number }[] = [];
  let scanned = 0;
  for (; scanned < ranked.length && scored.length < window; scanned++) {
    const rank = scanned;
    const row = ranked[rank]!;
    if (!eligible(row)) continue;
    let score = row.hot;
    let why: FeedReason = row.hashtags[0] ? { code: 'popular_hashtag', hashtag: row.hashtags[0] } : { code: 'popular' };
    if (signals) {
      let bestTag: string | undefined;
      let bestAffinity = 0;
      for (const tag of row.hashtags) {
        const a = signals.affinity.get(tag) ?? 0;
        if (a > bestAffinity) [bestTag, bestAffinity] = [tag, a];
      }
      if (bestTag) {
        score += Math.min(HASHTAG_BOOST_MAX, 0.25 * Math.log1p(bestAffinity));
        why = { code: 'watched_hashtag', hashtag: bestTag };
      }
      const bought = categoriesOf?.get(row.id)?.find((category) => signals.purchaseCategories.has(category));
      if (bought) {
        score += PURCHASE_CATEGORY_BOOST;
        why = { code: 'bought_category', category: bought };
      }
      if (signals.followed.has(row.author)) {
        score += FOLLOW_BOOST;
        why = { code: 'followed', handle: row.handle };
      }
    }
    scored.push({ slot: { id: row.id, why, author: authorKey(row) }, score, rank });
  }
  // The cached list is already in `hot` order; only boosts need a new sort.
  if (signals) scored.sort((a, b) => b.score - a.score || a.rank - b.rank);
  const explore: Slot[] = [];
  for (const row of fresh) {
    if (explore.length >= limit * 2) break;
    if (eligible(row)) explore.push({ id: row.id, why: { code: 'new' }, author: authorKey(row) });
  }
  const kept = signals ? limit * WINDOW_PAGES + 10 : scored.length;
  const built: Window = {
    scored: scored.slice(0, kept).map((s) => s.slot),
    explore,
    exhausted: scanned >= ranked.length && kept >= scored.length,
    purchases: signals?.purchaseCategories,
  };
  return takePage({ ...page, personalized: signals !== undefined }, rowsById(candidates), built, limit, cursor ?? { personalized: signals !== undefined, served: 0, lastAuthor: '', seen });
}

/** Takes a page from a window, never the same creator twice in a row, and keeps the rest for the next page. */
function takePage(page: PageFor, rows: Map<string, VideoRow>, window: Window, limit: number, cursor: ForYouCursor): ForYouResult {
  const { service, personalized } = page;
  const scored = window.scored.slice();
  const explore = window.explore.slice();
  const seen = cursor.seen;
  const items: FeedItem[] = [];
  let lastAuthor = cursor.lastAuthor;
  const takeFrom = (pool: Slot[]) => {
    for (let i = 0; i < pool.length; i++) {
      const slot = pool[i]!;
      // A video gone from the candidates since the window was ranked (deleted, say) is dropped,
      // and so is one already shown from the other pool (a fresh video can be in both).
      const row = rows.get(slot.id);
      if (!row || seen.has(slot.id) || !visibleTo(page.audience, row)) {
        pool.splice(i--, 1);
        continue;
      }
      if (slot.author === lastAuthor) continue;
      pool.splice(i, 1);
      items.push({ row, why: slot.why });
      seen.add(slot.id);
      lastAuthor = slot.author;
      return true;
    }
    return false;
  };
  while (items.length < limit) {
    const exploreSlot = (cursor.served + items.length) % EXPLORE_EVERY === EXPLORE_EVERY - 1;
    const ok = exploreSlot ? takeFrom(explore) || takeFrom(scored) : takeFrom(scored) || takeFrom(explore);
    if (!ok) break;
  }
  const more = items.length === limit && (!window.exhausted || scored.length > 0 || explore.length > 0);
  if (!more) return { items, nextCursor: null };
  const nextCursor = encodeForYouCursor({ personalized, served: cursor.served + items.length, lastAuthor, seen });
  const rest: Window = { scored, explore, exhausted: window.exhausted, purchases: window.purchases };
  service.forYouWindows.cache.set(windowKey(page, nextCursor), rest);
  return { items, nextCursor };
}
