import { sql, type Kysely } from 'kysely';
import { badRequest } from '../../../platform/errors.js';
import type { SocialDB } from '../store.js';
import type { SocialService, VideoRow } from '../service.js';
import { SeenFilter } from './bloom.js';

/** One in this many slots goes to a fresh video with few views (exploration). */
const EXPLORE_EVERY = 5;
const FRESH_MAX_VIEWS = 50;
const FRESH_DAYS = 3;
const COMPLETED_RECENTLY_DAYS = 7;
const FOLLOW_BOOST = Math.log(3);
const HASHTAG_BOOST_MAX = 1;

export interface ForYouCursor {
  personalized: boolean;
  served: number;
  lastAuthor: string;
  seen: SeenFilter;
}

export interface FeedItem {
  row: VideoRow;
  reason: string;
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

interface Signals {
  followed: Set<string>;
  affinity: Map<string, number>;
  completed: Set<string>;
}

async function viewerSignals(db: Kysely<SocialDB>, viewer: string): Promise<Signals> {
  const [follows, tags, completions] = await Promise.all([
    db.selectFrom('follows').select('followee').where('follower', '=', viewer).limit(2000).execute(),
    db.selectFrom('viewer_hashtags').select(['tag', 'score']).where('subject', '=', viewer).orderBy('score', 'desc').limit(30).execute(),
    db
      .selectFrom('viewer_completions')
      .select('video_id')
      .where('subject', '=', viewer)
      .where('completed_at', '>', sql<Date>`now() - make_interval(days => ${COMPLETED_RECENTLY_DAYS})`)
      .orderBy('completed_at', 'desc')
      .limit(1000)
      .execute(),
  ]);
  return {
    followed: new Set(follows.map((f) => f.followee)),
    affinity: new Map(tags.map((t) => [t.tag, t.score])),
    completed: new Set(completions.map((c) => c.video_id)),
  };
}

/**
 * The For You page. Without personalization (anonymous, or `personalized=false`) it reads no
 * viewing history at all: the ranking is the stored `hot` score (engagement per view with time
 * decay) plus an exploration share of fresh videos, the same for every viewer.
 */
export async function forYouPage(
  service: SocialService,
  viewer: string | undefined,
  wantPersonalized: boolean,
  limit: number,
  rawCursor: string | undefined,
): Promise<{ items: FeedItem[]; nextCursor: string | null }> {
  const cursor = decodeForYouCursor(rawCursor);
  const personalized = (cursor ? cursor.personalized : wantPersonalized) && viewer !== undefined;
  const seen = cursor?.seen ?? SeenFilter.empty();
  const served = cursor?.served ?? 0;
  const depth = Math.min(1500, served + limit * 4 + 20);

  const [ranked, fresh, signals] = await Promise.all([
    service.videoRows().where('v.status', '=', 'ready').orderBy('v.hot', 'desc').orderBy('v.id', 'desc').limit(depth).execute(),
    service
      .videoRows()
      .where('v.status', '=', 'ready')
      .where('v.view_count', '<', FRESH_MAX_VIEWS)
      .where('v.created_at', '>', sql<Date>`now() - make_interval(days => ${FRESH_DAYS})`)
      .orderBy('v.created_at', 'desc')
      .orderBy('v.id', 'desc')
      .limit(Math.min(500, Math.ceil(served / EXPLORE_EVERY) + limit + 10))
      .execute(),
    personalized ? viewerSignals(service.db, viewer!) : Promise.resolve(undefined),
  ]);

  const eligible = (row: VideoRow) => !seen.has(row.id) && !signals?.completed.has(row.id);
  const scored = ranked.filter(eligible).map((row) => {
    let score = row.hot;
    let reason = row.hashtags[0] ? `Populer di #${row.hashtags[0]}` : 'Populer di Sekat';
    if (signals) {
      let bestTag: string | undefined;
      let bestAffinity = 0;
      for (const tag of row.hashtags) {
        const a = signals.affinity.get(tag) ?? 0;
        if (a > bestAffinity) [bestTag, bestAffinity] = [tag, a];
      }
      if (bestTag) {
        score += Math.min(HASHTAG_BOOST_MAX, 0.25 * Math.log1p(bestAffinity));
        reason = `Karena Anda sering menonton #${bestTag}`;
      }
      if (signals.followed.has(row.author)) {
        score += FOLLOW_BOOST;
        reason = `Karena Anda mengikuti @${row.handle}`;
      }
    }
    return { row, score, reason };
  });
  scored.sort((a, b) => b.score - a.score || (a.row.id < b.row.id ? 1 : -1));
  const explore = fresh.filter(eligible).map((row) => ({ row, score: 0, reason: 'Video baru' }));

  const items: FeedItem[] = [];
  const taken = new Set<string>();
  let lastAuthor = cursor?.lastAuthor ?? '';
  const takeFrom = (pool: { row: VideoRow; reason: string }[]) => {
    const index = pool.findIndex((c) => !taken.has(c.row.id) && authorKey(c.row) !== lastAuthor);
    if (index < 0) return false;
    const [chosen] = pool.splice(index, 1);
    items.push({ row: chosen!.row, reason: chosen!.reason });
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
    (scored.some((c) => !taken.has(c.row.id)) || explore.some((c) => !taken.has(c.row.id)) || ranked.length === depth);
  return {
    items,
    nextCursor: more ? encodeForYouCursor({ personalized, served: served + items.length, lastAuthor, seen }) : null,
  };
}
