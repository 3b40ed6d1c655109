import { rename, rm, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { JobRunner } from '../../platform/jobs.js';
import { enqueueJob } from '../../platform/jobs.js';
import { uuidv7 } from '../../platform/ids.js';
import { textProblem } from '../../platform/text.js';
import { conflict, forbidden, HttpProblem, notFound, tooManyRequests, unprocessable, validationFailed } from '../../platform/errors.js';
import type { ProfileTable, SocialDB, VideoRow } from './store.js';
import { SignalCache } from './feed/signals.js';
import { FollowingFirstPages } from './feed/followingCache.js';
import { ForYouWindows } from './feed/windows.js';
import { BoundedCache, ShortLived, type CacheStats } from './feed/shortLived.js';
import { LikedCache } from './feed/liked.js';
import type { GroupCommit } from '../../platform/group-commit.js';
import { watchWriter, type WatchBatch } from './watch-writer.js';
import { CandidateCache, FRESH_DAYS, FRESH_DEPTH, FRESH_MAX_VIEWS, RANKED_DEPTH } from './feed/candidates.js';
import { parseHashtags, foldTag, MAX_CAPTION } from './hashtags.js';
import { AVATAR_URL_PREFIX, MediaPaths, masterUrl, posterUrl } from './media/paths.js';
import { avatarFileOf } from './media/avatar.js';
import type { ProbeResult } from './media/probe.js';
import type { ProfileView, VideoView } from './schemas.js';
import { TRANSCODE_JOB, TRANSCODE_MAX_ATTEMPTS } from './media/transcode.job.js';
import type { ProfileSeed } from '../../contracts/ports.js';
import { engagementNotice, notifySocial, socialNotificationHub } from './notifications.js';

/** The public facts a signed-in person chose to show; the composition root supplies them. */
export type { ProfileSeed };

export const COMMENTS_PER_MINUTE = 10;
/** A play may run a little past the end before the client reports it. */
const WATCH_SLACK_MS = 2_000;

export type { VideoRow };

export type { VideoView, ProfileView };

export function videoView(row: VideoRow, viewer?: string): VideoView {
  const ready = row.status === 'ready';
  const top = row.renditions[0];
  return {
    id: row.id,
    status: row.status,
    ...(row.status === 'failed' && viewer === row.author ? { failureReason: row.failure_reason ?? 'unknown' } : {}),
    author: { handle: row.handle, displayName: row.display_name, avatarUrl: row.avatar_url },
    caption: row.caption,
    hashtags: row.hashtags,
    durationMs: row.duration_ms,
    posterUrl: ready ? posterUrl(row.id) : null,
    sources: ready && top ? [{ url: masterUrl(row.id), type: 'application/vnd.apple.mpegurl', height: top.height }] : [],
    productTags: [],
    counts: { views: row.view_count, likes: row.like_count, comments: row.comment_count, shares: row.share_count },
    likedByMe: false,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export interface WatchEventInput {
  type: 'view';
  videoId: string;
  watchedMs: number;
  completed: boolean;
}

interface Watchable {
  duration_ms: number | null;
  hashtags: string[];
}

const isForeignKeyViolation = (error: unknown) => (error as { code?: string }).code === '23503';

const isUniqueViolation = (error: unknown, constraint?: string) =>
  (error as { code?: string }).code === '23505' &&
  (constraint === undefined || String((error as { constraint?: string; message?: string }).constraint ?? (error as Error).message).includes(constraint));

/** Who a page is for: authors hidden from the viewer (blocks either way, mutes) and whether they confirmed being 18 or older. */
export interface Audience {
  hidden: ReadonlySet<string>;
  adult: boolean;
}

export const ANONYMOUS: Audience = Object.freeze({ hidden: new Set<string>(), adult: false });

/** A video that can be engaged with: ready and not removed. */
function ready(row: VideoRow): VideoRow {
  if (row.status !== 'ready') throw unprocessable(`The video is ${row.status}, not ready.`);
  if (row.moderation === 'removed') throw notFound('No such video.');
  return row;
}

/** Counter deltas a video read adds, because the fold has not reached them yet. */
interface PendingCounts {
  pending_views: number | null;
  pending_likes: number | null;
  pending_comments: number | null;
  pending_shares: number | null;
}

/** A viewer's audience, and the authors who block them (their videos and profile are 404 to the viewer). */
interface ViewerAudience extends Audience {
  blockedBy: ReadonlySet<string>;
}

/** Whether a video (or live) row may be shown to this audience. */
export const visibleTo = (audience: Audience, row: { author: string; age_gated: boolean }) => !audience.hidden.has(row.author) && (audience.adult || !row.age_gated);

/** An age-gated item for a viewer who has not said they are 18 or older (anonymous: sign in first). */
export const ageConfirmationRequired = (what: 'video' | 'live', viewer: string | undefined) =>
  new HttpProblem(
    403,
    'age-confirmation-required',
    'Age confirmation required',
    viewer ? `This ${what} is for viewers 18 or older: confirm your age first (PUT /api/social/me/age).` : `This ${what} is for viewers 18 or older: sign in and confirm your age first.`,
  );

export class SocialService {
  /** For You candidates, shared by all requests; dropped whenever something here changes a ranking. */
  readonly candidates: CandidateCache;
  /** Per-viewer personalization signals, briefly cached; dropped when the viewer acts. */
  readonly signals: SignalCache;
  readonly followingFirstPages = new FollowingFirstPages();
  /**
   * Ready videos' length and hashtags, which watch batches are checked against without a query.
   * Ready is final; a video deleted in another process meanwhile is refused by the store itself.
   */
  private readonly watchable = new BoundedCache<Watchable>({
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
  private readonly audiences = new ShortLived<ViewerAudience>({
    name: 'viewer audiences',
    ttlMs: 2_000,
    maxEntries: 20_000,
    maxBytes: 16 * 1024 * 1024,
    sizeOf: (audience) => 120 + 80 * (audience.hidden.size + audience.blockedBy.size),
  });
  /** Subjects whose profile row is known to exist, so acting socially does not read it each time. */
  /** Watch batches of concurrent requests, stored together (group commit). */
  readonly watchWrites: GroupCommit<WatchBatch>;
  private readonly profiled = new BoundedCache<true>({ name: 'profiles known', maxEntries: 50_000, maxBytes: 8 * 1024 * 1024, ttlMs: 60_000, sizeOf: () => 16 });

  constructor(
    readonly db: Kysely<SocialDB>,
    readonly media: MediaPaths,
    private readonly jobs: JobRunner,
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

  private async loadCandidates() {
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

  // ---- profiles

  /** The caller's profile, created from the seed the first time they act socially. */
  /** `ensureProfile` for a caller who only needs the row to exist: no read once this process has seen it. */
  async ensureProfileExists(subject: string, seed: ProfileSeed | undefined): Promise<void> {
    if (this.profiled.get(subject)) return;
    await this.ensureProfile(subject, seed);
    this.profiled.set(subject, true);
  }

  async ensureProfile(subject: string, seed: ProfileSeed | undefined): Promise<Selectable<ProfileTable>> {
    const existing = await this.db.selectFrom('profiles').selectAll().where('subject', '=', subject).executeTakeFirst();
    if (existing) return existing;
    if (!seed) throw unprocessable('A social profile needs a public handle first.');
    for (let attempt = 0; attempt < 5; attempt++) {
      const handle = attempt === 0 ? seed.handle : `${seed.handle.slice(0, 19)}_${Math.random().toString(36).slice(2, 6)}`;
      try {
        await this.db
          .insertInto('profiles')
          .values({ subject, handle, display_name: seed.displayName.slice(0, 100), avatar_url: null })
          .onConflict((oc) => oc.column('subject').doNothing())
          .execute();
        break;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    const created = await this.db.selectFrom('profiles').selectAll().where('subject', '=', subject).executeTakeFirst();
    if (!created) throw conflict('Could not create a profile; try again.');
    return created;
  }

  private async profileByHandle(handle: string) {
    const row = await this.db.selectFrom('profiles').selectAll().where(sql<string>`lower(handle)`, '=', handle.toLowerCase()).executeTakeFirst();
    if (!row) throw notFound(`No user @${handle}.`);
    return row;
  }

  async getProfile(handle: string, viewer?: string): Promise<ProfileView> {
    // The profile row and the likes the fold has not reached yet are read in one statement, so
    // one snapshot: read apart, a fold between them would move a like out of the deltas after
    // the row was read and the like would be counted nowhere.
    const row = await this.db
      .selectFrom('profiles as p')
      .selectAll('p')
      .select((eb) =>
        eb
          .selectFrom('video_counter_deltas as d')
          .innerJoin('videos as v', 'v.id', 'd.video_id')
          .select(sql<number>`coalesce(sum(d.likes), 0)::int`.as('likes'))
          .whereRef('v.author', '=', 'p.subject')
          .as('pending_likes'),
      )
      .where(sql<string>`lower(p.handle)`, '=', handle.toLowerCase())
      .executeTakeFirst();
    if (!row) throw notFound(`No user @${handle}.`);
    const between = viewer && viewer !== row.subject ? await this.blockBetween(viewer, row.subject) : { blocks: false, blockedBy: false, mutes: false };
    // A person who blocked the viewer is, to the viewer, not there.
    if (between.blockedBy) throw notFound(`No user @${handle}.`);
    const follows = viewer
      ? await this.db.selectFrom('follows').select('follower').where('follower', '=', viewer).where('followee', '=', row.subject).executeTakeFirst()
      : undefined;
    return {
      handle: row.handle,
      displayName: row.display_name,
      bio: row.bio,
      avatarUrl: row.avatar_url,
      counts: { followers: row.follower_count, following: row.following_count, videos: row.video_count, likes: row.like_count + Number(row.pending_likes ?? 0) },
      followedByMe: Boolean(follows),
      blockedByMe: between.blocks,
      mutedByMe: between.mutes,
    };
  }

  // ---- blocks and mutes

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

  private viewerAudience(viewer: string): Promise<ViewerAudience> {
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

  /** The viewer's own statement that they are 18 or older (on), or its withdrawal; it opens age-gated videos and lives. */
  async confirmAdult(subject: string, on: boolean): Promise<{ adultConfirmed: boolean; confirmedAt: string | null }> {
    const row = await this.db
      .updateTable('profiles')
      .set({ adult_confirmed_at: on ? sql<Date>`coalesce(adult_confirmed_at, now())` : null })
      .where('subject', '=', subject)
      .returning('adult_confirmed_at')
      .executeTakeFirstOrThrow();
    this.forgetViewer(subject);
    return { adultConfirmed: row.adult_confirmed_at !== null, confirmedAt: row.adult_confirmed_at ? new Date(row.adult_confirmed_at).toISOString() : null };
  }

  /** Hooks run after a block is committed (the live rooms put the blocked one out of the blocker's lives). */
  readonly onBlock: ((blocker: string, blocked: string) => void)[] = [];

  /** Blocks a profile: each stops seeing the other, and follows between them end both ways. */
  async block(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.visibleProfile(subject, handle);
    if (target.subject === subject) throw unprocessable('You cannot block yourself.', { handle: ['is you'] });
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('blocks').values({ blocker: subject, blocked: target.subject }).onConflict((oc) => oc.doNothing()).execute();
      for (const [follower, followee] of [[subject, target.subject], [target.subject, subject]] as const) {
        const ended = await trx.deleteFrom('follows').where('follower', '=', follower).where('followee', '=', followee).returning('follower').executeTakeFirst();
        if (!ended) continue;
        await trx.updateTable('profiles').set((eb) => ({ follower_count: eb('follower_count', '-', 1) })).where('subject', '=', followee).execute();
        await trx.updateTable('profiles').set((eb) => ({ following_count: eb('following_count', '-', 1) })).where('subject', '=', follower).execute();
      }
    });
    this.forgetViewer(subject);
    this.forgetViewer(target.subject);
    for (const hook of this.onBlock) hook(subject, target.subject);
    return this.getProfile(target.handle, subject);
  }

  async unblock(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.visibleProfile(subject, handle);
    await this.db.deleteFrom('blocks').where('blocker', '=', subject).where('blocked', '=', target.subject).execute();
    this.forgetViewer(subject);
    this.forgetViewer(target.subject);
    return this.getProfile(target.handle, subject);
  }

  /** Mutes (on) or unmutes a profile: their videos and comments leave the muter's feeds, comments and search. */
  async mute(subject: string, handle: string, on: boolean): Promise<ProfileView> {
    const target = await this.visibleProfile(subject, handle);
    if (target.subject === subject) throw unprocessable('You cannot mute yourself.', { handle: ['is you'] });
    if (on) await this.db.insertInto('mutes').values({ muter: subject, muted: target.subject }).onConflict((oc) => oc.doNothing()).execute();
    else await this.db.deleteFrom('mutes').where('muter', '=', subject).where('muted', '=', target.subject).execute();
    this.forgetViewer(subject);
    return this.getProfile(target.handle, subject);
  }

  /** The profiles the caller blocks and mutes. */
  async blockList(subject: string) {
    const blocked = await this.db.selectFrom('blocks as b').innerJoin('profiles as p', 'p.subject', 'b.blocked').select(['p.handle', 'p.display_name', 'b.created_at']).where('b.blocker', '=', subject).orderBy('b.created_at', 'desc').execute();
    const muted = await this.db.selectFrom('mutes as m').innerJoin('profiles as p', 'p.subject', 'm.muted').select(['p.handle', 'p.display_name', 'm.created_at']).where('m.muter', '=', subject).orderBy('m.created_at', 'desc').execute();
    const view = (row: { handle: string; display_name: string; created_at: Date }) => ({ handle: row.handle, displayName: row.display_name, since: new Date(row.created_at).toISOString() });
    return { blocked: blocked.map(view), muted: muted.map(view) };
  }

  /** A profile as the viewer may reach it: one who blocked the viewer is not found. */
  private async visibleProfile(viewer: string, handle: string) {
    const row = await this.profileByHandle(handle);
    if (row.subject !== viewer && (await this.blockBetween(viewer, row.subject)).blockedBy) throw notFound(`No user @${handle}.`);
    return row;
  }

  private forgetViewer(subject: string): void {
    this.audiences.delete(subject);
    this.signals.forget(subject);
    this.followingFirstPages.forget(subject);
  }

  async updateProfile(subject: string, handle: string, patch: { displayName?: string; bio?: string; avatarUrl?: string | null }) {
    const row = await this.profileByHandle(handle);
    if (row.subject !== subject) throw forbidden('Only the owner can change this profile.');
    const displayName = patch.displayName?.normalize('NFC').trim();
    const bio = patch.bio?.normalize('NFC');
    const errors: Record<string, string[]> = {};
    if (displayName !== undefined && displayName.length === 0) errors.displayName = ['must not be empty'];
    else if (displayName !== undefined && [...displayName].length > 50) errors.displayName = ['must be 1–50 characters'];
    else if (displayName !== undefined && textProblem('display-name', displayName)) errors.displayName = [textProblem('display-name', displayName)!];
    const bioProblem = bio === undefined ? undefined : textProblem('free-text', bio);
    if (bioProblem) errors.bio = [bioProblem];
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    // Our avatar files are set only by uploading one: naming another person's would let erasing
    // this profile delete their picture.
    if (patch.avatarUrl?.startsWith(AVATAR_URL_PREFIX) && patch.avatarUrl !== row.avatar_url) {
      throw validationFailed({ avatarUrl: ['must be uploaded: PUT /api/social/me/avatar'] });
    }
    if (patch.avatarUrl !== undefined && patch.avatarUrl !== row.avatar_url) return this.replaceAvatar(subject, patch.avatarUrl, { displayName, bio });
    await this.db
      .updateTable('profiles')
      .set({
        ...(displayName !== undefined ? { display_name: displayName } : {}),
        ...(bio !== undefined ? { bio: bio.trim() } : {}),
        ...(patch.avatarUrl !== undefined ? { avatar_url: patch.avatarUrl } : {}),
      })
      .where('subject', '=', subject)
      .execute();
    this.videosChanged();
    return this.getProfile(handle, subject);
  }

  /**
   * Points the caller's profile at a new avatar (or none), with any text changes, and deletes the
   * avatar file it replaces. The profile row is locked so two uploads at once cannot both keep
   * the file they replaced.
   */
  async replaceAvatar(subject: string, avatarUrl: string | null, text: { displayName?: string; bio?: string } = {}): Promise<ProfileView> {
    const { handle, replaced } = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('profiles').select(['handle', 'avatar_url']).where('subject', '=', subject).forUpdate().executeTakeFirstOrThrow();
      await trx
        .updateTable('profiles')
        .set({
          avatar_url: avatarUrl,
          ...(text.displayName !== undefined ? { display_name: text.displayName } : {}),
          ...(text.bio !== undefined ? { bio: text.bio.trim() } : {}),
        })
        .where('subject', '=', subject)
        .execute();
      return { handle: row.handle, replaced: row.avatar_url };
    });
    const file = avatarFileOf(this.media, replaced);
    if (file && replaced !== avatarUrl) await rm(file, { force: true });
    this.videosChanged();
    return this.getProfile(handle, subject);
  }

  async follow(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.profileByHandle(handle);
    if (target.subject === subject) throw unprocessable('You cannot follow yourself.', { handle: ['is you'] });
    const between = await this.blockBetween(subject, target.subject);
    if (between.blockedBy) throw notFound(`No user @${handle}.`);
    if (between.blocks) throw conflict('You block this profile; unblock it before following.', { handle: ['is blocked by you'] });
    await this.assertMayPost(subject);
    await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('follows')
        .values({ follower: subject, followee: target.subject })
        .onConflict((oc) => oc.doNothing())
        .returning('follower')
        .executeTakeFirst();
      if (!inserted) return;
      await trx.updateTable('profiles').set((eb) => ({ follower_count: eb('follower_count', '+', 1) })).where('subject', '=', target.subject).execute();
      await trx.updateTable('profiles').set((eb) => ({ following_count: eb('following_count', '+', 1) })).where('subject', '=', subject).execute();
      await notifySocial(trx, { recipient: target.subject, kind: 'follow', groupKey: 'follow', actor: subject, targetType: 'profile', targetId: '' });
    });
    this.signals.forget(subject);
    this.followingFirstPages.forget(subject);
    return this.getProfile(handle, subject);
  }

  async unfollow(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.profileByHandle(handle);
    await this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('follows')
        .where('follower', '=', subject)
        .where('followee', '=', target.subject)
        .returning('follower')
        .executeTakeFirst();
      if (!deleted) return;
      await trx.updateTable('profiles').set((eb) => ({ follower_count: eb('follower_count', '-', 1) })).where('subject', '=', target.subject).execute();
      await trx.updateTable('profiles').set((eb) => ({ following_count: eb('following_count', '-', 1) })).where('subject', '=', subject).execute();
    });
    this.signals.forget(subject);
    this.followingFirstPages.forget(subject);
    return this.getProfile(handle, subject);
  }

  /** A suspended account (a moderation decision) cannot post, comment or follow until it ends. */
  async assertMayPost(subject: string): Promise<void> {
    const row = await this.db.selectFrom('profiles').select('suspended_until').where('subject', '=', subject).executeTakeFirst();
    if (row?.suspended_until && new Date(row.suspended_until) > new Date()) {
      throw forbidden(`Your account is suspended until ${new Date(row.suspended_until).toISOString()}; the statement of reasons and how to appeal are on your moderation page.`);
    }
  }

  // ---- videos

  /**
   * Takes ownership of a probed upload: moves it to the sources folder, records the video and
   * queues its transcode in one transaction.
   */
  async createVideo(subject: string, caption: string, file: string, probe: ProbeResult): Promise<{ id: string; status: 'processing' }> {
    await this.assertMayPost(subject);
    const id = uuidv7();
    await mkdir(this.media.sources, { recursive: true });
    await rename(file, this.media.sourceOf(id));
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('videos')
          // Millisecond timestamps, so keyset cursors (which carry ms) match rows exactly.
          .values({ id, author: subject, caption, hashtags: parseHashtags(caption), created_at: new Date(), duration_ms: probe.durationMs, width: probe.width, height: probe.height, failure_reason: null, ready_at: null })
          .execute();
        await enqueueJob(trx, TRANSCODE_JOB, { videoId: id }, { maxAttempts: TRANSCODE_MAX_ATTEMPTS, dedupeKey: `transcode:${id}` });
      });
    } catch (error) {
      await rm(this.media.sourceOf(id), { force: true });
      throw error;
    }
    this.jobs.kick();
    return { id, status: 'processing' };
  }

  /** A video as the viewer may see it: others see only ready videos. */
  async getVideo(id: string, viewer?: string): Promise<VideoRow> {
    const found = await this.videoRows()
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('video_counter_deltas as d')
            .select([
              sql<number>`coalesce(sum(d.views), 0)::int`.as('pending_views'),
              sql<number>`coalesce(sum(d.likes), 0)::int`.as('pending_likes'),
              sql<number>`coalesce(sum(d.comments), 0)::int`.as('pending_comments'),
              sql<number>`coalesce(sum(d.shares), 0)::int`.as('pending_shares'),
            ])
            .whereRef('d.video_id', '=', 'v.id')
            .as('pending'),
        (join) => join.onTrue(),
      )
      .select(['pending.pending_views', 'pending.pending_likes', 'pending.pending_comments', 'pending.pending_shares'])
      .where('v.id', '=', id)
      .executeTakeFirst();
    return this.visibleVideo(found, viewer);
  }

  /** A video row read with its deltas not folded yet, as the viewer may see it (or the problem why not). */
  private async visibleVideo(found: (VideoRow & PendingCounts) | undefined, viewer?: string): Promise<VideoRow> {
    if (!found || ((found.status !== 'ready' || found.moderation === 'removed') && found.author !== viewer)) throw notFound('No such video.');
    if (viewer && viewer !== found.author && (await this.viewerAudience(viewer)).blockedBy.has(found.author)) throw notFound('No such video.');
    if (found.age_gated && viewer !== found.author && !(await this.isAdult(viewer))) throw ageConfirmationRequired('video', viewer);
    // One video read alone counts what the fold has not reached yet, so it is exact at once.
    const { pending_views, pending_likes, pending_comments, pending_shares, ...row } = found;
    row.view_count += Number(pending_views ?? 0);
    row.like_count += Number(pending_likes ?? 0);
    row.comment_count += Number(pending_comments ?? 0);
    row.share_count += Number(pending_shares ?? 0);
    return row;
  }

  private async readyVideo(id: string, viewer?: string): Promise<VideoRow> {
    return ready(await this.getVideo(id, viewer));
  }

  private async ownVideo(id: string, subject: string): Promise<VideoRow> {
    const row = await this.videoRows().where('v.id', '=', id).executeTakeFirst();
    if (!row || ((row.status !== 'ready' || row.moderation === 'removed') && row.author !== subject)) throw notFound('No such video.');
    if (row.author !== subject) throw forbidden('Only the author can change this video.');
    return row;
  }

  async updateCaption(id: string, subject: string, caption: string): Promise<VideoRow> {
    await this.ownVideo(id, subject);
    checkCaption(caption);
    await this.db.updateTable('videos').set({ caption, hashtags: parseHashtags(caption) }).where('id', '=', id).execute();
    this.videosChanged();
    return this.getVideo(id, subject);
  }

  async deleteVideo(id: string, subject: string): Promise<void> {
    const row = await this.ownVideo(id, subject);
    await this.db.transaction().execute(async (trx) => {
      await this.removeVideos(trx, [row.id]);
    });
    this.videosChanged();
    await this.removeVideoFiles(row.id);
  }

  /** Deletes videos and keeps the counts of everyone who liked or followed in step. */
  private async removeVideos(trx: Kysely<SocialDB>, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const deleted = await trx.deleteFrom('videos').where('id', 'in', ids).returning(['author', 'status', 'like_count']).execute();
    for (const video of deleted) {
      await trx
        .updateTable('profiles')
        .set((eb) => ({
          video_count: eb('video_count', '-', video.status === 'ready' ? 1 : 0),
          like_count: sql<number>`greatest(like_count - ${video.like_count}, 0)`,
        }))
        .where('subject', '=', video.author)
        .execute();
    }
  }

  private async removeVideoFiles(id: string): Promise<void> {
    await rm(this.media.videoDir(id), { recursive: true, force: true });
    await rm(this.media.sourceOf(id), { force: true });
  }

  async listAuthorVideos(handle: string, viewer: string | undefined, limit: number, before?: { t: string; id: string }) {
    const profile = viewer ? await this.visibleProfile(viewer, handle) : await this.profileByHandle(handle);
    let query = this.videoRows().where('v.author', '=', profile.subject);
    if (profile.subject !== viewer) query = query.where('v.status', '=', 'ready').where('v.moderation', '<>', 'removed');
    if (profile.subject !== viewer && !(await this.isAdult(viewer))) query = query.where('v.age_gated', '=', false);
    if (before) query = query.where((eb) => eb.or([eb('v.created_at', '<', new Date(before.t)), eb.and([eb('v.created_at', '=', new Date(before.t)), eb('v.id', '<', before.id)])]));
    return query.orderBy('v.created_at', 'desc').orderBy('v.id', 'desc').limit(limit + 1).execute();
  }

  // ---- engagement

  /**
   * Engagement writes the fact and its counter delta in one statement and leaves the counter to
   * the fold (counters.ts): no request waits on a popular video's row. A video read right after
   * adds the deltas not yet folded, so the caller sees their own like, comment or share at once.
   */
  async like(id: string, subject: string): Promise<VideoRow> {
    // Nothing is stored for a video the viewer may not see (the read in the same statement says why).
    // The read's snapshot predates the like, so the like it just added is counted on top.
    const { adult } = await this.viewerAudience(subject);
    const { rows } = await sql<VideoRow & PendingCounts>`
      with liked as (
        insert into likes (video_id, subject) select id, ${subject} from videos where id = ${id} and status = 'ready' and moderation <> 'removed'
          and (not age_gated or author = ${subject} or ${adult}::boolean)
          and not exists (select 1 from blocks b where b.blocker = videos.author and b.blocked = ${subject})
        on conflict do nothing returning video_id),
      counted as (insert into video_counter_deltas (video_id, likes) select video_id, 1 from liked returning likes),
      noticed as (${engagementNotice('liked', 'like', subject)})
      select v.*, p.handle, p.display_name, p.avatar_url, d.pending_views, d.pending_likes + (select count(*)::int from counted) as pending_likes,
        d.pending_comments, d.pending_shares, (select coalesce(array_agg(recipient), '{}') from noticed) as noticed_to
      from videos v join profiles p on p.subject = v.author
      cross join lateral (select coalesce(sum(views), 0)::int as pending_views, coalesce(sum(likes), 0)::int as pending_likes,
        coalesce(sum(comments), 0)::int as pending_comments, coalesce(sum(shares), 0)::int as pending_shares
        from video_counter_deltas where video_id = v.id) d
      where v.id = ${id}`.execute(this.db);
    const found = rows[0] as (VideoRow & PendingCounts & { noticed_to?: string[] }) | undefined;
    const noticedTo = found?.noticed_to ?? [];
    if (found) delete found.noticed_to;
    this.noticed(noticedTo.map((recipient) => ({ recipient })));
    const row = ready(await this.visibleVideo(found, subject));
    this.liked.changed(subject, id, true);
    return row;
  }

  /** Wakes the live inbox streams of whoever a committed statement notified. */
  private noticed(rows: { recipient: string }[]): void {
    for (const row of rows) socialNotificationHub.touch(row.recipient);
  }

  async unlike(id: string, subject: string): Promise<VideoRow> {
    await sql`
      with unliked as (delete from likes where video_id = ${id} and subject = ${subject} returning video_id)
      insert into video_counter_deltas (video_id, likes) select video_id, -1 from unliked`.execute(this.db);
    this.liked.changed(subject, id, false);
    return this.getVideo(id, subject);
  }

  async share(id: string, subject: string | undefined): Promise<VideoRow> {
    await sql`
      with shared as (
        insert into shares (video_id, subject) select id, ${subject ?? null}::text from videos where id = ${id} and status = 'ready' and moderation <> 'removed'
          and not exists (select 1 from blocks b where b.blocker = videos.author and b.blocked = ${subject ?? ''})
        returning video_id)
      insert into video_counter_deltas (video_id, shares) select video_id, 1 from shared`.execute(this.db);
    return this.readyVideo(id, subject);
  }

  async comment(id: string, subject: string, rawText: string) {
    const text = rawText.trim();
    if (text.length < 1 || [...text].length > 500) throw validationFailed({ text: ['must be 1–500 characters after trimming'] });
    await this.readyVideo(id, subject);
    await this.assertMayPost(subject);
    const recent = await this.db
      .selectFrom('comments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('author', '=', subject)
      .where('created_at', '>', sql<Date>`now() - interval '1 minute'`)
      .executeTakeFirstOrThrow();
    if (Number(recent.n) >= COMMENTS_PER_MINUTE) throw tooManyRequests('Too many comments; wait a minute.', 60);
    const commentId = uuidv7();
    await sql`
      with written as (
        insert into comments (id, video_id, author, text, created_at) values (${commentId}, ${id}, ${subject}, ${text}, ${new Date()})
        returning video_id),
      counted as (insert into video_counter_deltas (video_id, comments) select video_id, 1 from written),
      noticed as (${engagementNotice('written', 'comment', subject)})
      select recipient from noticed`.execute(this.db)
      .then((r) => this.noticed(r.rows as { recipient: string }[]));
    return (await this.commentRows(id).where('c.id', '=', commentId).executeTakeFirstOrThrow());
  }

  commentRows(videoId: string) {
    return this.db
      .selectFrom('comments as c')
      .innerJoin('profiles as p', 'p.subject', 'c.author')
      .select(['c.id', 'c.text', 'c.created_at', 'p.handle', 'p.display_name', 'p.avatar_url'])
      .where('c.video_id', '=', videoId)
      .where('c.removed_at', 'is', null);
  }

  async listComments(id: string, viewer: string | undefined, limit: number, before?: { t: string; id: string }) {
    await this.getVideo(id, viewer);
    let query = this.commentRows(id);
    const hidden = await this.hiddenAuthors(viewer);
    if (hidden.size > 0) query = query.where('c.author', 'not in', [...hidden]);
    if (before) query = query.where((eb) => eb.or([eb('c.created_at', '<', new Date(before.t)), eb.and([eb('c.created_at', '=', new Date(before.t)), eb('c.id', '<', before.id)])]));
    return query.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit + 1).execute();
  }

  async deleteComment(videoId: string, commentId: string, subject: string): Promise<void> {
    const found = await this.db
      .selectFrom('comments as c')
      .innerJoin('videos as v', 'v.id', 'c.video_id')
      .select(['c.author', 'v.author as videoAuthor'])
      .where('c.id', '=', commentId)
      .where('c.video_id', '=', videoId)
      .executeTakeFirst();
    if (!found) throw notFound('No such comment.');
    if (found.author !== subject && found.videoAuthor !== subject) throw forbidden('Only the comment author or the video author can delete it.');
    await sql`
      with deleted as (delete from comments where id = ${commentId} returning video_id)
      insert into video_counter_deltas (video_id, comments) select video_id, -1 from deleted`.execute(this.db);
  }

  // ---- watch events

  /**
   * Validates the whole batch first (a bad event rejects all of it), then, in one statement,
   * appends the events, their per-video counter deltas (folded later, counters.ts), and the
   * viewer's completions and hashtag affinity. No video row is locked on the way.
   */
  async recordEvents(subject: string | undefined, events: WatchEventInput[], retried = false): Promise<number> {
    const ids = [...new Set(events.map((e) => e.videoId))];
    const byId = new Map<string, Watchable>();
    const unknown = ids.filter((id) => {
      const known = this.watchable.get(id);
      if (known) byId.set(id, known);
      return !known;
    });
    if (unknown.length > 0) {
      const ready = await this.db
        .selectFrom('videos')
        .select(['id', 'duration_ms', 'hashtags'])
        .where('id', '=', sql<string>`any(${unknown}::uuid[])`)
        .where('status', '=', 'ready')
        .execute();
      for (const { id, ...video } of ready) {
        byId.set(id, video);
        this.watchable.set(id, video);
      }
    }
    const errors: Record<string, string[]> = {};
    events.forEach((event, i) => {
      const video = byId.get(event.videoId);
      if (!video) (errors[`events.${i}.videoId`] ??= []).push('is not a video that can be watched');
      else if (event.watchedMs > (video.duration_ms ?? 0) + WATCH_SLACK_MS) (errors[`events.${i}.watchedMs`] ??= []).push('is longer than the video');
    });
    if (Object.keys(errors).length > 0) throw validationFailed(errors, 'Some watch events are not valid; none were recorded.');

    const perVideo = new Map<string, { views: number; completed: number; fraction: number }>();
    for (const event of events) {
      const duration = byId.get(event.videoId)!.duration_ms ?? 1;
      const stats = perVideo.get(event.videoId) ?? { views: 0, completed: 0, fraction: 0 };
      stats.views += 1;
      stats.completed += event.completed ? 1 : 0;
      stats.fraction += Math.min(1, event.watchedMs / Math.max(1, duration));
      perVideo.set(event.videoId, stats);
    }
    // Anonymous viewers add to the counts only.
    const completedIds = subject ? [...new Set(events.filter((e) => e.completed).map((e) => e.videoId))].sort() : [];
    const affinity = new Map<string, number>();
    for (const id of completedIds) for (const tag of byId.get(id)!.hashtags) affinity.set(tag, (affinity.get(tag) ?? 0) + 1);
    try {
      await this.watchWrites.write({
        subject: subject ?? null,
        events: events.map((e) => ({ videoId: e.videoId, watchedMs: e.watchedMs, completed: e.completed })),
        perVideo,
        completedIds,
        affinity,
      });
    } catch (error) {
      // A video was deleted after it was checked: nothing was stored; check the batch again.
      if (!isForeignKeyViolation(error) || retried) throw error;
      for (const id of ids) this.watchable.delete(id);
      return this.recordEvents(subject, events, true);
    }
    // What was just stored, added to the viewer's cached signals: no query to read it back.
    if (subject) this.signals.watched(subject, completedIds, affinity);
    return events.length;
  }

  // ---- hashtags and search

  async hashtagVideos(rawTag: string, limit: number, before?: { h: number; id: string }, audience: Audience = ANONYMOUS) {
    const tag = foldTag(rawTag.replace(/^#/, ''));
    const count = await this.db
      .selectFrom('videos')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'ready')
      .where('hashtags', '@>', sql<string[]>`array[${tag}]::text[]`)
      .executeTakeFirstOrThrow();
    let query = this.videoRows().where('v.status', '=', 'ready').where('v.moderation', '<>', 'removed').where('v.hashtags', '@>', sql<string[]>`array[${tag}]::text[]`);
    // Left out before the page is cut, so a page is full while more videos exist.
    query = query.$if(audience.hidden.size > 0, (q) => q.where('v.author', 'not in', [...audience.hidden])).$if(!audience.adult, (q) => q.where('v.age_gated', '=', false));
    if (before) query = query.where((eb) => eb.or([eb('v.hot', '<', before.h), eb.and([eb('v.hot', '=', before.h), eb('v.id', '<', before.id)])]));
    const rows = await query.orderBy('v.hot', 'desc').orderBy('v.id', 'desc').limit(limit + 1).execute();
    return { tag, videoCount: Number(count.n), rows };
  }

  async search(q: string, limit: number, viewer?: string) {
    const term = q.trim();
    const { hidden, adult } = await this.audience(viewer);
    const tag = foldTag(term.replace(/^#/, ''));
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.videoRows()
      .where('v.status', '=', 'ready')
      .where('v.moderation', '<>', 'removed')
      .where((eb) => eb.or([eb('v.caption', 'ilike', pattern), eb('v.hashtags', '@>', sql<string[]>`array[${tag}]::text[]`)]))
      .$if(hidden.size > 0, (query) => query.where('v.author', 'not in', [...hidden]))
      .$if(!adult, (query) => query.where('v.age_gated', '=', false))
      .orderBy('v.hot', 'desc')
      .limit(limit)
      .execute();
    const tagPattern = `${tag.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const tags = await sql<{ tag: string; n: number }>`
      select t.tag, count(*)::int as n from videos v, unnest(v.hashtags) as t(tag)
      where v.status = 'ready' and t.tag like ${tagPattern}
      group by t.tag order by n desc, t.tag limit 10`.execute(this.db);
    return { rows, hashtags: tags.rows.map((r) => ({ tag: r.tag, videoCount: Number(r.n) })) };
  }

  // ---- privacy (called by the bridge through the domain instance)

  async exportSubject(subject: string) {
    const profile = await this.db.selectFrom('profiles').selectAll().where('subject', '=', subject).executeTakeFirst();
    const videos = await this.db.selectFrom('videos').selectAll().where('author', '=', subject).orderBy('created_at').execute();
    const withFiles = await Promise.all(
      videos.map(async (v) => ({
        id: v.id,
        caption: v.caption,
        hashtags: v.hashtags,
        status: v.status,
        durationMs: v.duration_ms,
        createdAt: v.created_at,
        counts: { views: v.view_count, likes: v.like_count, comments: v.comment_count, shares: v.share_count },
        files: await listFiles(this.media.videoDir(v.id)),
      })),
    );
    const comments = await this.db.selectFrom('comments').select(['id', 'video_id as videoId', 'text', 'created_at as createdAt']).where('author', '=', subject).orderBy('created_at').execute();
    const likes = await this.db.selectFrom('likes').select(['video_id as videoId', 'created_at as createdAt']).where('subject', '=', subject).orderBy('created_at').execute();
    const following = await this.db
      .selectFrom('follows as f')
      .innerJoin('profiles as p', 'p.subject', 'f.followee')
      .select(['p.handle', 'f.created_at as createdAt'])
      .where('f.follower', '=', subject)
      .execute();
    const followers = await this.db
      .selectFrom('follows as f')
      .innerJoin('profiles as p', 'p.subject', 'f.follower')
      .select(['p.handle', 'f.created_at as createdAt'])
      .where('f.followee', '=', subject)
      .execute();
    const watchHistory = await this.db
      .selectFrom('watch_events')
      .select(['video_id as videoId', 'watched_ms as watchedMs', 'completed', 'created_at as createdAt'])
      .where('subject', '=', subject)
      .orderBy('id')
      .execute();
    const shares = await this.db.selectFrom('shares').select(['video_id as videoId', 'created_at as createdAt']).where('subject', '=', subject).execute();
    const hashtagAffinity = await this.db.selectFrom('viewer_hashtags').select(['tag', 'score']).where('subject', '=', subject).execute();
    const blocks = await this.blockList(subject);
    return {
      profile: profile ? { handle: profile.handle, displayName: profile.display_name, bio: profile.bio, avatarUrl: profile.avatar_url, createdAt: profile.created_at } : null,
      videos: withFiles,
      comments,
      likes,
      follows: { following, followers },
      watchHistory,
      shares,
      hashtagAffinity,
      blocks,
    };
  }

  /** Removes everything social holds about the subject, media files included. */
  async eraseSubject(subject: string): Promise<void> {
    const avatar = avatarFileOf(this.media, (await this.db.selectFrom('profiles').select('avatar_url').where('subject', '=', subject).executeTakeFirst())?.avatar_url ?? null);
    const videoIds = (await this.db.selectFrom('videos').select('id').where('author', '=', subject).execute()).map((v) => v.id);
    const uploadIds = (await this.db.selectFrom('uploads').select('id').where('owner', '=', subject).execute()).map((u) => u.id);
    await this.db.transaction().execute(async (trx) => {
      await this.removeVideos(trx, videoIds);
      await sql`
        with unliked as (delete from likes where subject = ${subject} returning video_id)
        insert into video_counter_deltas (video_id, likes) select video_id, -1 from unliked`.execute(trx);
      await sql`
        with deleted as (delete from comments where author = ${subject} returning video_id)
        insert into video_counter_deltas (video_id, comments) select video_id, -1 from deleted`.execute(trx);
      const following = await trx.deleteFrom('follows').where('follower', '=', subject).returning('followee').execute();
      for (const { followee } of following) {
        await trx.updateTable('profiles').set((eb) => ({ follower_count: eb('follower_count', '-', 1) })).where('subject', '=', followee).execute();
      }
      const followers = await trx.deleteFrom('follows').where('followee', '=', subject).returning('follower').execute();
      for (const { follower } of followers) {
        await trx.updateTable('profiles').set((eb) => ({ following_count: eb('following_count', '-', 1) })).where('subject', '=', follower).execute();
      }
      await trx.deleteFrom('watch_events').where('subject', '=', subject).execute();
      await trx.deleteFrom('viewer_completions').where('subject', '=', subject).execute();
      await trx.deleteFrom('viewer_hashtags').where('subject', '=', subject).execute();
      await trx.updateTable('shares').set({ subject: null }).where('subject', '=', subject).execute();
      await trx.deleteFrom('uploads').where('owner', '=', subject).execute();
      await trx.deleteFrom('profiles').where('subject', '=', subject).execute();
    });
    this.videosChanged();
    this.forgetViewer(subject);
    this.profiled.delete(subject);
    this.liked.forget(subject);
    this.followingFirstPages.forget(subject);
    for (const id of videoIds) await this.removeVideoFiles(id);
    if (avatar) await rm(avatar, { force: true });
    for (const id of uploadIds) {
      await rm(path.join(this.media.uploads, id), { force: true });
      await rm(path.join(this.media.uploads, `${id}.json`), { force: true });
    }
  }
}

export function checkCaption(caption: string): void {
  if ([...caption].length > MAX_CAPTION) throw validationFailed({ caption: [`must be at most ${MAX_CAPTION} characters`] });
  const problem = textProblem('free-text', caption);
  if (problem) throw validationFailed({ caption: [problem] });
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  } catch {
    return [];
  }
}
