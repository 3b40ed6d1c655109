import { badRequest } from '../../../platform/errors.js';
import type { SocialService } from '../service.js';
import type { VideoRow } from '../store.js';
import { SeenFilter } from './bloom.js';
import type { Candidates } from './candidates.js';
import type { Signals } from './signals.js';
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
 * lists (refreshed every couple of seconds) and, when personalised, the viewer's signals (dropped
 * the moment the viewer follows, watches, or their consent changes). Every app open asks for a
 * first page; later pages carry their own cursor and are ranked per request.
 */
const firstPages = new WeakMap<object, { candidates: Candidates; byLimit: Map<number, Promise<ForYouResult>> }>();

export interface ForYouResult {
  items: FeedItem[];
  nextCursor: string | null;
}

/**
 * The For You page. Without personalization (anonymous, or `personalized=false`) it reads no
 * viewing history at all: the ranking is the stored `hot` score (engagement per view with time
 * decay) plus an exploration share of fresh videos, the same for every viewer. Candidates come
 * from the shared precomputed lists, so the request path runs no ranking query.
 */
export async function forYouPage(
  service: SocialService,
  viewer: string | undefined,
  wantPersonalized: boolean,
  limit: number,
  rawCursor: string | undefined,
): Promise<ForYouResult> {
  const cursor = decodeForYouCursor(rawCursor);
  const personalized = (cursor ? cursor.personalized : wantPersonalized) && viewer !== undefined;
  const [candidates, signals] = await Promise.all([
    service.candidates.get(),
    personalized ? service.signals.get(viewer!) : Promise.resolve(undefined),
  ]);
  if (cursor) return rankPage(service, candidates, signals, limit, cursor);
  const owner: object = signals ?? candidates;
  let cached = firstPages.get(owner);
  if (!cached || cached.candidates !== candidates) {
    cached = { candidates, byLimit: new Map() };
    firstPages.set(owner, cached);
  }
  const entry = cached;
  let page = entry.byLimit.get(limit);
  if (!page) {
    page = rankPage(service, candidates, signals, limit, undefined);
    entry.byLimit.set(limit, page);
    page.catch(() => entry.byLimit.delete(limit));
  }
  return page;
}

async function rankPage(
  service: SocialService,
  { ranked, fresh }: Candidates,
  signals: Signals | undefined,
  limit: number,
  cursor: ForYouCursor | undefined,
): Promise<ForYouResult> {
  const personalized = signals !== undefined;
  const seen = cursor?.seen ?? SeenFilter.empty();
  const served = cursor?.served ?? 0;

  const eligible = (row: VideoRow) => !seen.has(row.id) && !signals?.completed.has(row.id);
  // Categories of the products tagged on candidate videos, read only when the viewer consented
  // to purchase-based personalization (their categories are then in the signals).
  const categoriesOf =
    signals && signals.purchaseCategories.size > 0
      ? await service.taggedCategories(ranked.slice(0, PERSONAL_WINDOW * 2).map((row) => row.id))
      : undefined;
  // Only the best eligible candidates can make this page; personalization looks a little deeper
  // so that boosted videos further down can rise.
  const window = signals ? PERSONAL_WINDOW : limit * 3 + 10;
  const scored: { row: VideoRow; score: number; why: FeedReason; rank: number }[] = [];
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
    scored.push({ row, score, why, rank });
  }
  // The cached list is already in `hot` order; only boosts need a new sort.
  if (signals) scored.sort((a, b) => b.score - a.score || a.rank - b.rank);
  const explore: { row: VideoRow; why: FeedReason }[] = [];
  for (const row of fresh) {
    if (explore.length >= limit) break;
    if (eligible(row)) explore.push({ row, why: { code: 'new' } });
  }

  const items: FeedItem[] = [];
  const taken = new Set<string>();
  let lastAuthor = cursor?.lastAuthor ?? '';
  const takeFrom = (pool: { row: VideoRow; why: FeedReason }[]) => {
    const index = pool.findIndex((c) => !taken.has(c.row.id) && authorKey(c.row) !== lastAuthor);
    if (index < 0) return false;
    const [chosen] = pool.splice(index, 1);
    items.push({ row: chosen!.row, why: chosen!.why });
    taken.add(chosen!.row.id);
    seen.add(chosen!.row.id);
    lastAuthor = authorKey(chosen!.row);
    return true;
  };
  while (items.length < limit) {
    const exploreSlot = (served + items.length) % EXPLORE_EVERY === EXPLORE_EVERY - 1;
    const ok = exploreSlot ? takeFrom(explore) || takeFrom(scored) : takeFrom(scored) || takeFrom(explore);
    if (!ok) break;
  }
  const more =
    items.length === limit &&
    (scanned < ranked.length || scored.some((c) => !taken.has(c.row.id)) || explore.some((c) => !taken.has(c.row.id)));
  return {
    items,
    nextCursor: more ? encodeForYouCursor({ personalized, served: served + items.length, lastAuthor, seen }) : null,
  };
}
