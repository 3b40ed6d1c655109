import { sql, type Kysely } from 'kysely';
import type { JobRunner } from '../../platform/jobs.js';
import { forbidden, notFound } from '../../platform/errors.js';
import type { SocialDB } from './store.js';
import { SignalCache } from './feed/signals.js';
import { FollowingFirstPages } from './feed/followingCache.js';
import { ForYouWindows } from './feed/windows.js';
import { BoundedCache, ShortLived, type CacheStats } from './feed/shortLived.js';
import { LikedCache } from './feed/liked.js';
import type { GroupCommit } from '../../platform/group-commit.js';
import { watchWriter, type WatchBatch } from './watch-writer.js';
import { CandidateCache, FRESH_DAYS, FRESH_DEPTH, FRESH_MAX_VIEWS, RANKED_DEPTH } from './feed/candidates.js';
import type { MediaPaths } from './media/paths.js';
import { ANONYMOUS, type Audience, type ViewerAudience, type Watchable } from './views.js';

/**
 * What every part of the social service shares: the store, the media folders, the caches the
 * feeds keep, and the reads every part asks (who the viewer may see, a profile by handle, whether
 * one may post). The parts (profiles, blocks, videos, engagement, watch, search, privacy) build on
 * it one on top of the other, and SocialService (service.ts) is the last of them.
 */
export class SocialCore {
  /** For You candidates, shared by all requests; dropped whenever something here changes a ranking. */
  readonly candidates: CandidateCache;
  /** Per-viewer personalization signals, briefly cached; dropped when the viewer acts. */
  readonly signals: SignalCache;
  readonly followingFirstPages = new FollowingFirstPages();
  /**
   * Ready videos' length and hashtags, which watch batches are checked against without a query.
   * Ready is final; a video deleted in another process meanwhile is refused by the store itself.
   */
  protected readonly watchable = new BoundedCache<Watchable>({
    name: 'watchable videos',
    maxEntries: 50_000,
    maxBytes: 16 * 1024 * 1024,
    ttlMs: 5_000,
    sizeOf: (video) => 120 + 40 * video.hashtags.length,
  });
  /** What is left of each For You session's ranking, so its next page is not ranked again. */
  readonly forYouWindows = new ForYouWindows();
  /** Which videos each viewer likes, briefly cached; dropped when the viewer likes or unlikes. */
  readonly liked: LikedCache;
  /**
   * Each signed-in viewer's audience (whom they block, mute or are blocked by, and the age they
   * said), read on every feed page, like and video view. This process drops an entry the moment a
   * block, mute or age statement of that viewer commits; another process's change shows within
   * the time to live.
   */
  protected readonly audiences = new ShortLived<ViewerAudience>({
    name: 'viewer audiences',
    ttlMs: 2_000,
    maxEntries: 20_000,
    maxBytes: 16 * 1024 * 1024,
    sizeOf: (audience) => 120 + 80 * (audience.hidden.size + audience.blockedBy.size),
  });
  /** Subjects whose profile row is known to exist, so acting socially does not read it each time. */
  /** Watch batches of concurrent requests, stored together (group commit). */
  readonly watchWrites: GroupCommit<WatchBatch>;
  protected readonly profiled = new BoundedCache<true>({ name: 'profiles known', maxEntries: 50_000, maxBytes: 8 * 1024 * 1024, ttlMs: 60_000, sizeOf: () => 16 });

  constructor(
    readonly db: Kysely<SocialDB>,
    readonly media: MediaPaths,
    protected readonly jobs: JobRunner,
    candidateTtlMs?: number,
  ) {
    this.candidates = new CandidateCache(() => this.loadCandidates(), candidateTtlMs);
    this.signals = new SignalCache(db);
    this.liked = new LikedCache(db);
    this.watchWrites = watchWriter(db);
  }

  /** Hits, misses and size of every cache the feeds keep. */
  cacheStats(): CacheStats[] {
    return [
      this.candidates.stats(),
      this.signals.stats(),
      this.liked.stats(),
      this.audiences.stats(),
      this.profiled.stats(),
      this.followingFirstPages.stats(),
      this.forYouWindows.cache.stats(),
      this.watchable.stats(),
    ];
  }

  /** Which of these videos the viewer likes. */
  likedAmong(subject: string, videoIds: string[]): Promise<Set<string>> {
    return this.liked.among(subject, videoIds);
  }

  /** Product categories tagged on each of these videos, from the product-card projection. */
  async taggedCategories(videoIds: string[]): Promise<Map<string, string[]>> {
    const byVideo = new Map<string, string[]>();
    if (videoIds.length === 0) return byVideo;
    const { rows } = await sql<{ video_id: string; category: string }>`
      select t.video_id, c.category from video_product_tags t join product_cards c on c.product_id = t.product_id
      where t.video_id in (${sql.join(videoIds)}) and not c.removed and c.category is not null`.execute(this.db);
    for (const row of rows) byVideo.set(row.video_id, [...(byVideo.get(row.video_id) ?? []), row.category]);
    return byVideo;
  }

  /** Drops what feeds precomputed from videos, after a video became ready, changed or went away. */
  videosChanged(): void {
    this.candidates.invalidate();
    this.followingFirstPages.clear();
    this.watchable.clear();
  }

  protected async loadCandidates() {
    const ranked = await this.videoRows().where('v.status', '=', 'ready').where('v.moderation', '=', 'none').orderBy('v.hot', 'desc').orderBy('v.id', 'desc').limit(RANKED_DEPTH).execute();
    const fresh = await this.videoRows()
      .where('v.status', '=', 'ready')
      .where('v.moderation', '=', 'none')
      .where('v.view_count', '<', FRESH_MAX_VIEWS)
      .where('v.created_at', '>', sql<Date>`now() - make_interval(days => ${FRESH_DAYS})`)
      .orderBy('v.created_at', 'desc')
      .orderBy('v.id', 'desc')
      .limit(FRESH_DEPTH)
      .execute();
    return { ranked, fresh };
  }

  videoRows() {
    return this.db
      .selectFrom('videos as v')
      .innerJoin('profiles as p', 'p.subject', 'v.author')
      .selectAll('v')
      .select(['p.handle', 'p.display_name', 'p.avatar_url']);
  }


  // ---- who sees whom

  protected async profileByHandle(handle: string) {
    const row = await this.db.selectFrom('profiles').selectAll().where(sql<string>`lower(handle)`, '=', handle.toLowerCase()).executeTakeFirst();
    if (!row) throw notFound(`No user @${handle}.`);
    return row;
  }


  /** Whether the viewer blocks or mutes the other, and whether the other blocks the viewer. */
  async blockBetween(viewer: string, other: string): Promise<{ blocks: boolean; blockedBy: boolean; mutes: boolean }> {
    const { rows } = await sql<{ blocks: boolean; blocked_by: boolean; mutes: boolean }>`
      select exists (select 1 from blocks where blocker = ${viewer} and blocked = ${other}) as blocks,
        exists (select 1 from blocks where blocker = ${other} and blocked = ${viewer}) as blocked_by,
        exists (select 1 from mutes where muter = ${viewer} and muted = ${other}) as mutes`.execute(this.db);
    return { blocks: rows[0]!.blocks, blockedBy: rows[0]!.blocked_by, mutes: rows[0]!.mutes };
  }

  /** Authors the viewer does not see: those they block or mute, and those who block them. */
  async hiddenAuthors(viewer: string | undefined): Promise<Set<string>> {
    if (!viewer) return new Set();
    const { rows } = await sql<{ subject: string }>`
      select blocked as subject from blocks where blocker = ${viewer}
      union select blocker from blocks where blocked = ${viewer}
      union select muted from mutes where muter = ${viewer}`.execute(this.db);
    return new Set(rows.map((row) => row.subject));
  }

  /** What a viewer may be shown: the authors hidden from them and whether they said they are 18 or older. */
  async audience(viewer: string | undefined): Promise<Audience> {
    return viewer ? this.viewerAudience(viewer) : ANONYMOUS;
  }

  protected viewerAudience(viewer: string): Promise<ViewerAudience> {
    return this.audiences.get(viewer, async () => {
      // One round trip: the hidden authors, who of them blocks the viewer, and a marker row when the viewer is an adult.
      const { rows } = await sql<{ subject: string | null; blocks_viewer: boolean }>`
        select blocked as subject, false as blocks_viewer from blocks where blocker = ${viewer}
        union all select blocker, true from blocks where blocked = ${viewer}
        union all select muted, false from mutes where muter = ${viewer}
        union all select null, false from profiles where subject = ${viewer} and adult_confirmed_at is not null`.execute(this.db);
      const hidden = new Set<string>();
      const blockedBy = new Set<string>();
      let adult = false;
      for (const row of rows) {
        if (row.subject === null) adult = true;
        else {
          hidden.add(row.subject);
          if (row.blocks_viewer) blockedBy.add(row.subject);
        }
      }
      return { hidden, blockedBy, adult };
    });
  }

  async isAdult(viewer: string | undefined): Promise<boolean> {
    return viewer ? (await this.viewerAudience(viewer)).adult : false;
  }

  /** A profile as the viewer may reach it: one who blocked the viewer is not found. */
  protected async visibleProfile(viewer: string, handle: string) {
    const row = await this.profileByHandle(handle);
    if (row.subject !== viewer && (await this.blockBetween(viewer, row.subject)).blockedBy) throw notFound(`No user @${handle}.`);
    return row;
  }

  protected forgetViewer(subject: string): void {
    this.audiences.delete(subject);
    this.signals.forget(subject);
    this.followingFirstPages.forget(subject);
  }

  /** A suspended account (a moderation decision) cannot post, comment or follow until it ends. */
  async assertMayPost(subject: string): Promise<void> {
    const row = await this.db.selectFrom('profiles').select('suspended_until').where('subject', '=', subject).executeTakeFirst();
    if (row?.suspended_until && new Date(row.suspended_until) > new Date()) {
      throw forbidden(`Your account is suspended until ${new Date(row.suspended_until).toISOString()}; the statement of reasons and how to appeal are on your moderation page.`);
    }
  }
}
