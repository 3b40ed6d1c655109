import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { conflict, forbidden, notFound, tooManyRequests, validationFailed } from '../../../platform/errors.js';
import { textProblem } from '../../../platform/text.js';
import { uuidv7 } from '../../../platform/ids.js';
import type { LiveOffer, LiveOfferRef, LiveStats, PromotionCheck } from '../../../contracts/ports.js';
import { ATTRIBUTION_TTL_SECONDS, type AttributionClaims } from '../../../contracts/attribution.js';
import { signToken } from '../../../platform/tokens.js';
import { livePlaylistUrl, type MediaPaths } from '../media/paths.js';
import { probeVideo } from '../media/probe.js';
import { CARD_COLUMNS, toCard, type ProductCard } from '../tags/cards.js';
import { MAX_TAGS_PER_VIDEO } from '../tags/tags.js';
import { ageConfirmationRequired, type SocialService } from '../service.js';
import type { Publish } from './ingest.js';
import { startPackaging, type Packaging } from './packager.js';
import type { Rooms, RoomTotals } from './room.js';
import type { LiveDb, LiveTable } from './store.js';
import type { Selectable } from 'kysely';

export const MAX_LIVE_PRODUCTS = 20;
export const MAX_LIVE_COMMENT = 150;
/** A viewer comments at most once per COMMENT_GAP_MS and COMMENTS_PER_WINDOW times per COMMENT_WINDOW_MS. */
export const COMMENT_GAP_MS = 1_000;
export const COMMENTS_PER_WINDOW = 10;
export const COMMENT_WINDOW_MS = 30_000;
/** How far ahead a live may be scheduled. */
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600_000;
/** Each packaging process looks this often whether a live it packages was ended by another process. */
const END_POLL_MS = 2_000;
/** A publish whose first playlist has not appeared by then is cut off as unplayable. */
export const FIRST_PLAYLIST_MS = 20_000;

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
const newStreamKey = () => `sk_${randomBytes(24).toString('base64url')}`;

type LiveRow = Selectable<LiveTable> & { handle: string; display_name: string; avatar_url: string | null };

export interface LiveView {
  id: string;
  title: string;
  status: 'scheduled' | 'live' | 'ended';
  onAir: boolean;
  scheduledAt: string;
  startedAt: string | null;
  endedAt: string | null;
  host: { handle: string; displayName: string; avatarUrl: string | null };
  playlistUrl: string | null;
  products: ProductCard[];
  pinned: ProductCard | null;
  viewers: number;
  counts: { likes: number; comments: number; peakViewers: number; totalViewers: number };
  replayVideoId: string | null;
}

export interface LiveCommentView {
  id: string;
  text: string;
  author: { handle: string; displayName: string; avatarUrl: string | null };
  at: string;
}

/** A voucher or flash deal the host dropped into the room, with the times every viewer counts down to. */
export interface LiveDropView {
  id: string;
  kind: 'voucher' | 'flash';
  offer: LiveOffer;
  startsAt: string;
  endsAt: string;
  droppedAt: string;
}

/** At most this many drops are in a room at once. */
export const MAX_ACTIVE_DROPS = 10;

interface Active {
  publish: Publish;
  packaging: Packaging;
  number: number;
}

export interface LiveOptions {
  db: LiveDb;
  media: MediaPaths;
  social: SocialService;
  rooms: Rooms;
  log: Logger;
  /** Where creators publish to (shown on the go-live page), known once the ingest listens. */
  rtmpUrl: () => string | null;
  /** Signs the attribution token of a tap on a live's product (as for video tags). */
  attributionKey: string;
}

export class LiveService {
  /** Called once a publish is watchable (the live's followers hear of it once). */
  readonly whenOnAir: ((liveId: string) => void)[] = [];
  private readonly db: LiveDb;
  private readonly active = new Map<string, Active>();
  /** Lives whose publisher is being set up, so a second one arriving meanwhile is refused. */
  private readonly claiming = new Set<string>();
  /** Per viewer and live: the times of their recent comments. */
  private readonly commentTimes = new Map<string, number[]>();
  private readonly endPoll: NodeJS.Timeout;
  /** Lives being finished here, each by one call of finish. */
  private readonly finishing = new Map<string, Promise<void>>();

  constructor(private readonly options: LiveOptions) {
    this.db = options.db;
    this.endPoll = setInterval(() => void this.endWhatOthersEnded(), END_POLL_MS);
    this.endPoll.unref();
  }

  get rooms(): Rooms {
    return this.options.rooms;
  }

  private baseQuery() {
    return this.db
      .selectFrom('lives as l')
      .innerJoin('profiles as p', 'p.subject', 'l.host')
      .selectAll('l')
      .select(['p.handle', 'p.display_name', 'p.avatar_url']);
  }

  private async cardsOf(liveIds: string[]): Promise<Map<string, ProductCard[]>> {
    const out = new Map<string, ProductCard[]>();
    if (liveIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('live_shown_products as s')
      .innerJoin('product_cards as c', 'c.product_id', 's.product_id')
      .select(['s.live_id', ...CARD_COLUMNS])
      .where('s.live_id', 'in', liveIds)
      .where('c.removed', '=', false)
      .orderBy('s.position')
      .execute();
    for (const row of rows) {
      const list = out.get(row.live_id) ?? [];
      list.push(toCard(row));
      out.set(row.live_id, list);
    }
    return out;
  }

  private view(row: LiveRow, cards: ProductCard[]): LiveView {
    const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
    return {
      id: row.id,
      title: row.title,
      status: row.status,
      onAir: row.on_air,
      scheduledAt: new Date(row.scheduled_at).toISOString(),
      startedAt: iso(row.started_at),
      endedAt: iso(row.ended_at),
      host: { handle: row.handle, displayName: row.display_name, avatarUrl: row.avatar_url },
      playlistUrl: row.on_air ? livePlaylistUrl(row.id, row.publish_count) : null,
      products: cards,
      pinned: cards.find((c) => c.productId === row.pinned_product_id) ?? null,
      viewers: this.rooms.viewerCount(row.id),
      counts: { likes: Number(row.like_count), comments: row.comment_count, peakViewers: row.peak_viewers, totalViewers: row.total_viewers },
      replayVideoId: row.replay_video_id,
    };
  }

  private async row(liveId: string): Promise<LiveRow> {
    const row = await this.baseQuery().where('l.id', '=', liveId).executeTakeFirst();
    if (!row) throw notFound('No such live.');
    return row;
  }

  async get(liveId: string): Promise<LiveView> {
    const row = await this.row(liveId);
    return this.view(row, (await this.cardsOf([row.id])).get(row.id) ?? []);
  }

  private async ownLive(liveId: string, host: string): Promise<LiveRow> {
    const row = await this.row(liveId);
    // Another creator's live is none of the caller's business: the same answer as no live.
    if (row.host !== host) throw notFound('No such live.');
    return row;
  }

  async create(
    host: string,
    input: { title: string; scheduledAt?: string; productIds: string[] },
    authorize: (productId: string) => Promise<PromotionCheck>,
  ): Promise<{ live: LiveView; rtmpUrl: string | null; streamKey: string }> {
    const title = input.title.trim();
    if (title.length === 0) throw validationFailed({ title: ['must not be blank'] });
    const now = Date.now();
    const scheduledAt = input.scheduledAt ? new Date(input.scheduledAt) : new Date(now);
    if (Number.isNaN(scheduledAt.getTime())) throw validationFailed({ scheduledAt: ['must be a date and time'] });
    if (scheduledAt.getTime() < now - 60_000) throw validationFailed({ scheduledAt: ['must not be in the past'] });
    if (scheduledAt.getTime() > now + MAX_SCHEDULE_AHEAD_MS) throw validationFailed({ scheduledAt: ['must be within 30 days'] });
    const productIds = [...new Set(input.productIds)];
    if (productIds.length > MAX_LIVE_PRODUCTS) throw validationFailed({ productIds: [`at most ${MAX_LIVE_PRODUCTS} products`] });
    const known = productIds.length
      ? await this.db.selectFrom('product_cards').select('product_id').where('product_id', 'in', productIds).where('removed', '=', false).execute()
      : [];
    const missing = productIds.filter((id) => !known.some((k) => k.product_id === id));
    if (missing.length > 0) throw validationFailed({ productIds: [`no such product: ${missing.join(', ')}`] });
    for (const productId of productIds) {
      const check = await authorize(productId);
      if (!check.allowed) throw forbidden(check.reason ?? 'You may not show this product.');
    }
    const id = uuidv7();
    const streamKey = newStreamKey();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('lives').values({ id, host, title, scheduled_at: scheduledAt, key_hash: hashKey(streamKey), started_at: null, ended_at: null, pinned_product_id: null, replay_video_id: null }).execute();
      if (productIds.length > 0) {
        await trx.insertInto('live_shown_products').values(productIds.map((product_id, position) => ({ live_id: id, product_id, position }))).execute();
      }
    });
    return { live: await this.get(id), rtmpUrl: this.options.rtmpUrl(), streamKey };
  }

  /** A new stream key; the old one stops working at once, and whoever publishes with it is cut off. */
  async rotateKey(liveId: string, host: string): Promise<{ rtmpUrl: string | null; streamKey: string }> {
    const row = await this.ownLive(liveId, host);
    if (row.status === 'ended') throw conflict('This live has ended.');
    const streamKey = newStreamKey();
    // A key rotation also clears an on-air flag a crashed process left behind.
    await this.db.updateTable('lives').set({ key_hash: hashKey(streamKey), on_air: false }).where('id', '=', liveId).execute();
    const active = this.active.get(liveId);
    if (active) active.publish.close();
    return { rtmpUrl: this.options.rtmpUrl(), streamKey };
  }

  async hostLives(host: string): Promise<LiveView[]> {
    const rows = await this.baseQuery().where('l.host', '=', host).orderBy('l.created_at', 'desc').limit(20).execute();
    const cards = await this.cardsOf(rows.map((r) => r.id));
    return rows.map((r) => this.view(r, cards.get(r.id) ?? []));
  }

  /**
   * Lives on air now, most recently started first; `following` only from creators `subject` follows.
   * Never a restricted live, one whose host and the viewer block each other or the viewer muted,
   * nor an age-gated one for a viewer who has not confirmed being 18 or older.
   */
  async onAir(subject: string | undefined, following: boolean): Promise<LiveView[]> {
    const audience = await this.options.social.audience(subject);
    let query = this.baseQuery().where('l.on_air', '=', true).where('l.status', '=', 'live').where('l.restricted', '=', false);
    if (audience.hidden.size > 0) query = query.where('l.host', 'not in', [...audience.hidden]);
    if (!audience.adult) query = query.where('l.age_gated', '=', false);
    if (following) {
      if (!subject) return [];
      query = query.where('l.host', 'in', this.db.selectFrom('follows').select('followee').where('follower', '=', subject));
    }
    const rows = await query.orderBy('l.started_at', 'desc').limit(10).execute();
    const cards = await this.cardsOf(rows.map((r) => r.id));
    return rows.map((r) => this.view(r, cards.get(r.id) ?? [])).sort((a, b) => b.viewers - a.viewers);
  }

  async pin(liveId: string, host: string, productId: string | null): Promise<LiveView> {
    const row = await this.ownLive(liveId, host);
    if (row.status === 'ended') throw conflict('This live has ended.');
    const cards = (await this.cardsOf([liveId])).get(liveId) ?? [];
    const card = productId === null ? null : cards.find((c) => c.productId === productId);
    if (card === undefined) throw validationFailed({ productId: ['is not one of the products this live shows'] });
    await this.db.updateTable('lives').set({ pinned_product_id: productId }).where('id', '=', liveId).execute();
    this.rooms.send(liveId, { type: 'pin', product: card });
    return this.get(liveId);
  }

  // ---- drops: vouchers and flash-sale countdowns

  private dropView(row: { id: string; kind: 'voucher' | 'flash'; offer_json: string; starts_at: Date | string; ends_at: Date | string; created_at: Date | string }): LiveDropView {
    return {
      id: row.id,
      kind: row.kind,
      offer: JSON.parse(row.offer_json) as LiveOffer,
      startsAt: new Date(row.starts_at).toISOString(),
      endsAt: new Date(row.ends_at).toISOString(),
      droppedAt: new Date(row.created_at).toISOString(),
    };
  }

  /**
   * The host drops one of their shop's vouchers, or starts the countdown of one of their shop's
   * flash deals for a product the live shows. Commerce (through the bridge) answers only its public
   * facts, and only for the host's own shop; social keeps just those to show.
   */
  async drop(liveId: string, host: string, ref: LiveOfferRef, lookup: (ref: LiveOfferRef) => Promise<LiveOffer | undefined>): Promise<LiveDropView> {
    const row = await this.ownLive(liveId, host);
    if (row.status === 'ended') throw conflict('This live has ended.');
    const field = ref.kind === 'voucher' ? 'voucherCode' : 'flashDealId';
    const offer = await lookup(ref);
    if (!offer) throw validationFailed({ [field]: [ref.kind === 'voucher' ? 'is not a current voucher of your shop' : 'is not a current flash deal of your shop'] });
    if (offer.kind === 'flash') {
      const shown = await this.db.selectFrom('live_shown_products').select('product_id').where('live_id', '=', liveId).where('product_id', '=', offer.productId).executeTakeFirst();
      if (!shown) throw validationFailed({ flashDealId: ['is for a product this live does not show'] });
    }
    const active = await this.activeDrops(liveId);
    if (active.some((d) => d.offer.id === offer.id)) throw conflict('This offer is already in the room.');
    if (active.length >= MAX_ACTIVE_DROPS) throw conflict(`At most ${MAX_ACTIVE_DROPS} offers at once.`);
    // A flash deal counts down to its start, then to its end; a voucher is good from now until it ends.
    const startsAt = new Date(Math.max(Date.parse(offer.startsAt), offer.kind === 'voucher' ? Date.now() : 0));
    const inserted = await this.db
      .insertInto('live_drops')
      .values({
        id: uuidv7(), live_id: liveId, kind: offer.kind, offer_id: offer.id, offer_json: JSON.stringify(offer), starts_at: startsAt,
        ends_at: new Date(offer.endsAt),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = this.dropView(inserted);
    this.rooms.send(liveId, { type: 'drop', drop: view });
    return view;
  }

  /** The drops of a live not yet over, oldest first. */
  async activeDrops(liveId: string): Promise<LiveDropView[]> {
    const rows = await this.db.selectFrom('live_drops').selectAll().where('live_id', '=', liveId).where('ends_at', '>', new Date()).orderBy('created_at').execute();
    return rows.map((r) => this.dropView(r));
  }

  /** The host takes a drop out of the room before it is over. */
  async withdrawDrop(liveId: string, host: string, dropId: string): Promise<void> {
    await this.ownLive(liveId, host);
    const gone = await this.db.deleteFrom('live_drops').where('id', '=', dropId).where('live_id', '=', liveId).returning('id').executeTakeFirst();
    if (!gone) throw notFound('No such drop.');
    this.rooms.send(liveId, { type: 'undrop', dropId });
  }

  // ---- taps and the host's figures

  /**
   * A viewer taps one of the live's products: counted for the host, and an attribution token
   * naming the live (as a video's tag names its video) and the host's affiliate id, never the viewer.
   */
  async openProduct(liveId: string, productId: string, viewer: string | undefined): Promise<{ attributionToken: string | null; product: ProductCard }> {
    await this.assertReachable(liveId, viewer);
    if ((await this.standing(liveId, viewer)) === 'removed') throw notFound('No such live.');
    const row = await this.db
      .selectFrom('live_shown_products as s')
      .innerJoin('lives as l', 'l.id', 's.live_id')
      .innerJoin('product_cards as c', 'c.product_id', 's.product_id')
      .leftJoin('creator_affiliate_refs as r', 'r.subject', 'l.host')
      .select([...CARD_COLUMNS, 'c.removed', 'r.affiliate_ref', 'l.host'])
      .where('s.live_id', '=', liveId)
      .where('s.product_id', '=', productId)
      .executeTakeFirst();
    if (!row || row.removed) throw notFound('This live shows no such product.');
    if (viewer !== row.host) {
      await this.db.updateTable('lives').set((eb) => ({ product_taps: eb('product_taps', '+', 1) })).where('id', '=', liveId).execute();
    }
    const claims: AttributionClaims | undefined = row.affiliate_ref
      ? { v: 1, aff: row.affiliate_ref, vid: liveId, pid: productId, exp: Math.floor(Date.now() / 1000) + ATTRIBUTION_TTL_SECONDS, n: randomBytes(9).toString('base64url') }
      : undefined;
    return { attributionToken: claims ? signToken(this.options.attributionKey, { ...claims }) : null, product: toCard(row) };
  }

  /** The host's own figures of a live; undefined for anyone else's. */
  async statsOf(liveId: string, host: string): Promise<LiveStats | undefined> {
    const row = await this.db.selectFrom('lives').selectAll().where('id', '=', liveId).where('host', '=', host).executeTakeFirst();
    if (!row) return undefined;
    const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
    return {
      liveId: row.id,
      title: row.title,
      status: row.status,
      startedAt: iso(row.started_at),
      endedAt: iso(row.ended_at),
      peakViewers: row.peak_viewers,
      totalViewers: row.total_viewers,
      comments: row.comment_count,
      likes: Number(row.like_count),
      productTaps: row.product_taps,
    };
  }

  async isHost(liveId: string, subject: string): Promise<boolean> {
    const row = await this.db.selectFrom('lives').select('host').where('id', '=', liveId).executeTakeFirst();
    return row?.host === subject;
  }

  /**
   * Whether the viewer may reach this live at all: not when the host and they block each other
   * (to each, the other's live is not there: 404), and an age-gated one only after they confirmed
   * being 18 or older (403). The host always reaches their own.
   */
  async assertReachable(liveId: string, subject: string | undefined): Promise<void> {
    const row = await this.db.selectFrom('lives').select(['host', 'age_gated']).where('id', '=', liveId).executeTakeFirst();
    if (!row) throw notFound('No such live.');
    if (subject === row.host) return;
    if (subject) {
      const between = await this.options.social.blockBetween(subject, row.host);
      if (between.blocks || between.blockedBy) throw notFound('No such live.');
    }
    if (row.age_gated && !(await this.options.social.isAdult(subject))) throw ageConfirmationRequired('live', subject);
  }

  /** Authors whose live comments the viewer is not shown (blocks either way, mutes). */
  async hiddenFrom(subject: string | undefined): Promise<ReadonlySet<string>> {
    return (await this.options.social.audience(subject)).hidden;
  }

  /** After a block: neither stays in a live room of the other. */
  async separate(blocker: string, blocked: string): Promise<void> {
    const hosted = await this.db.selectFrom('lives').select(['id', 'host']).where('host', 'in', [blocker, blocked]).where('status', '<>', 'ended').execute();
    for (const live of hosted) this.rooms.kick(live.id, live.host === blocker ? blocked : blocker, 4404, 'no such live');
  }

  /** What a viewer may do in a live: watch (not removed) and comment (not muted). */
  async standing(liveId: string, subject: string | undefined): Promise<'ok' | 'muted' | 'removed'> {
    if (!subject) return 'ok';
    const ban = await this.db.selectFrom('live_bans').select('kind').where('live_id', '=', liveId).where('subject', '=', subject).executeTakeFirst();
    return ban?.kind ?? 'ok';
  }

  /** The comment's text after the one text rule, or the reason it is refused. */
  static commentProblem(text: string): string | undefined {
    const trimmed = text.trim();
    if (trimmed.length === 0) return 'must not be empty';
    if ([...trimmed].length > MAX_LIVE_COMMENT) return `must be at most ${MAX_LIVE_COMMENT} characters`;
    return textProblem('free-text', trimmed);
  }

  private takeCommentSlot(liveId: string, subject: string): boolean {
    const key = `${liveId}:${subject}`;
    const now = Date.now();
    const times = (this.commentTimes.get(key) ?? []).filter((t) => now - t < COMMENT_WINDOW_MS);
    if ((times.length > 0 && now - times.at(-1)! < COMMENT_GAP_MS) || times.length >= COMMENTS_PER_WINDOW) {
      this.commentTimes.set(key, times);
      return false;
    }
    times.push(now);
    this.commentTimes.set(key, times);
    if (this.commentTimes.size > 100_000) this.commentTimes.clear();
    return true;
  }

  async comment(liveId: string, subject: string, rawText: string): Promise<LiveCommentView> {
    const problem = LiveService.commentProblem(rawText);
    if (problem) throw validationFailed({ text: [problem] });
    const row = await this.row(liveId);
    await this.assertReachable(liveId, subject);
    if (row.status !== 'live') throw conflict('This live is not on now.');
    const standing = await this.standing(liveId, subject);
    if (standing === 'removed') throw notFound('No such live.');
    if (standing === 'muted') throw forbidden('The host muted you in this live.');
    // This process's own count turns a flood away before the database is asked.
    if (!this.takeCommentSlot(liveId, subject)) throw tooManyRequests('Too many comments; wait a moment.', 2);
    const id = uuidv7();
    const text = rawText.trim();
    await this.db.transaction().execute(async (trx) => {
      // The same limit on every process: the viewer's comments in the database, read under a lock
      // of their own, so two processes taking one of theirs at the same moment take turns.
      await sql`select pg_advisory_xact_lock(hashtext(${`live-comment:${liveId}:${subject}`}))`.execute(trx);
      const now = Date.now();
      const recent = await trx
        .selectFrom('live_comments')
        .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('created_at').as('last')])
        .where('author', '=', subject)
        .where('live_id', '=', liveId)
        .where('created_at', '>', new Date(now - COMMENT_WINDOW_MS))
        .executeTakeFirstOrThrow();
      if (Number(recent.n) >= COMMENTS_PER_WINDOW || (recent.last && now - new Date(recent.last).getTime() < COMMENT_GAP_MS)) {
        throw tooManyRequests('Too many comments; wait a moment.', 2);
      }
      await trx.insertInto('live_comments').values({ id, live_id: liveId, author: subject, text, created_at: new Date() }).execute();
      await trx.updateTable('lives').set((eb) => ({ comment_count: eb('comment_count', '+', 1) })).where('id', '=', liveId).execute();
    });
    const author = await this.db.selectFrom('profiles').select(['handle', 'display_name', 'avatar_url']).where('subject', '=', subject).executeTakeFirstOrThrow();
    const view: LiveCommentView = {
      id, text, author: { handle: author.handle, displayName: author.display_name, avatarUrl: author.avatar_url }, at: new Date().toISOString(),
    };
    this.rooms.send(liveId, { type: 'comment', comment: view }, subject);
    return view;
  }

  /** The latest comments, without those by authors the viewer does not see. */
  async recentComments(liveId: string, limit = 50, hidden: ReadonlySet<string> = new Set()): Promise<LiveCommentView[]> {
    const rows = await this.db
      .selectFrom('live_comments as c')
      .innerJoin('profiles as p', 'p.subject', 'c.author')
      .select(['c.id', 'c.text', 'c.created_at', 'p.handle', 'p.display_name', 'p.avatar_url'])
      .where('c.live_id', '=', liveId)
      .where('c.deleted', '=', false)
      .$if(hidden.size > 0, (query) => query.where('c.author', 'not in', [...hidden]))
      .orderBy('c.created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => ({
      id: r.id, text: r.text, author: { handle: r.handle, displayName: r.display_name, avatarUrl: r.avatar_url }, at: new Date(r.created_at).toISOString(),
    }));
  }

  async deleteComment(liveId: string, host: string, commentId: string): Promise<void> {
    await this.ownLive(liveId, host);
    const deleted = await this.db.updateTable('live_comments').set({ deleted: true }).where('id', '=', commentId).where('live_id', '=', liveId).returning('id').executeTakeFirst();
    if (!deleted) throw notFound('No such comment.');
    this.rooms.send(liveId, { type: 'deleted', commentId });
  }

  async moderate(liveId: string, host: string, handle: string, action: 'mute' | 'unmute' | 'remove'): Promise<void> {
    await this.ownLive(liveId, host);
    const target = await this.db.selectFrom('profiles').select('subject').where('handle', '=', handle.trim().toLowerCase()).executeTakeFirst();
    if (!target) throw notFound('No such viewer.');
    if (target.subject === host) throw validationFailed({ handle: ['is you, the host'] });
    if (action === 'unmute') {
      await this.db.deleteFrom('live_bans').where('live_id', '=', liveId).where('subject', '=', target.subject).where('kind', '=', 'muted').execute();
      return;
    }
    const kind = action === 'mute' ? 'muted' : 'removed';
    await this.db
      .insertInto('live_bans')
      .values({ live_id: liveId, subject: target.subject, kind })
      // Removal outranks muting; a later mute does not readmit a removed viewer.
      .onConflict((oc) => oc.columns(['live_id', 'subject']).doUpdateSet({ kind: sql`case when live_bans.kind = 'removed' then 'removed' else excluded.kind end` }))
      .execute();
    if (kind === 'removed') this.rooms.kick(liveId, target.subject, 4403, 'removed by the host');
  }

  /** Counts from the rooms: likes and joins added, the peak kept. */
  async recordTotals(totals: RoomTotals[]): Promise<void> {
    for (const t of totals) {
      await this.db
        .updateTable('lives')
        .set((eb) => ({
          like_count: eb('like_count', '+', t.likes),
          total_viewers: eb('total_viewers', '+', t.joins),
          peak_viewers: sql`greatest(peak_viewers, ${t.viewers})`,
        }))
        .where('id', '=', t.liveId)
        .execute();
    }
  }

  // ---- ingest

  /** Takes a publish whose stream key belongs to a live here that has not ended. */
  async takePublish(publish: Publish): Promise<boolean> {
    const live = await this.db.selectFrom('lives').select(['id', 'status']).where('key_hash', '=', hashKey(publish.streamKey)).executeTakeFirst();
    if (!live || live.status === 'ended') return false;
    return this.startPublish(live.id, publish, hashKey(publish.streamKey));
  }

  /**
   * Whether the host may publish from the browser to this live now: their own, not ended, and
   * nobody publishing to it in this process. Throws the problem otherwise.
   */
  async assertCanPublish(liveId: string, host: string): Promise<void> {
    const row = await this.ownLive(liveId, host);
    if (row.status === 'ended') throw conflict('This live has ended.');
    if (this.active.has(liveId) || this.claiming.has(liveId)) throw conflict('Someone is already publishing to this live.');
  }

  /** Takes a browser's recording ("Live dari kamera") for the host's own live. */
  async takeBrowserPublish(liveId: string, host: string, publish: Publish): Promise<void> {
    await this.assertCanPublish(liveId, host);
    if (!(await this.startPublish(liveId, publish))) throw conflict('This live cannot take a publish now.');
  }

  /** One publisher per live: claims the live (a stream key, when given, must still be its key) and starts its one ffmpeg. */
  private async startPublish(liveId: string, publish: Publish, keyHash?: string): Promise<boolean> {
    if (this.active.has(liveId) || this.claiming.has(liveId)) return false;
    this.claiming.add(liveId);
    try {
      const claimed = await this.db
        .updateTable('lives')
        .set((eb) => ({ publish_count: eb('publish_count', '+', 1), status: 'live', started_at: sql`coalesce(started_at, now())` }))
        .where('id', '=', liveId)
        .where('status', '<>', 'ended')
        .$if(keyHash !== undefined, (query) => query.where('key_hash', '=', keyHash!))
        .returning('publish_count')
        .executeTakeFirst();
      if (!claimed) return false;
      const number = claimed.publish_count;
      const log = this.options.log.child({ liveId, publish: number });
      const outDir = this.options.media.livePublishDir(liveId, number);
      const packaging = await startPackaging(publish, outDir, this.options.media.recordingOf(liveId, number), log);
      const active: Active = { publish, packaging, number };
      this.active.set(liveId, active);
      publish.onClose(() => void this.publishGone(liveId, active));
      // ffmpeg giving up on its own (bytes it cannot read) cuts the publisher off; the live may be tried again.
      void packaging.done.then(() => {
        if (this.active.get(liveId) === active) publish.close('unplayable');
      });
      void this.goOnAirOnceWatchable(liveId, active, path.join(outDir, 'index.m3u8'));
      return true;
    } finally {
      this.claiming.delete(liveId);
    }
  }

  private async goOnAirOnceWatchable(liveId: string, active: Active, playlist: string): Promise<void> {
    const until = Date.now() + FIRST_PLAYLIST_MS;
    while (Date.now() < until && this.active.get(liveId) === active) {
      if (await stat(playlist).catch(() => undefined)) {
        await this.db.updateTable('lives').set({ on_air: true }).where('id', '=', liveId).where('status', '=', 'live').where('publish_count', '=', active.number).execute();
        this.rooms.send(liveId, { type: 'stream', url: livePlaylistUrl(liveId, active.number) });
        for (const hook of this.whenOnAir) hook(liveId);
        this.options.log.info({ liveId }, 'live on air');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A stream ffmpeg could not make one segment of (junk after a valid header) is cut off; the live may be tried again.
    if (this.active.get(liveId) === active) {
      this.options.log.warn({ liveId }, 'live publish gave no playable stream; cutting it off');
      active.publish.close('unplayable');
    }
  }

  private async publishGone(liveId: string, active: Active): Promise<void> {
    if (this.active.get(liveId) !== active) return;
    this.active.delete(liveId);
    active.packaging.stop();
    await this.db.updateTable('lives').set({ on_air: false }).where('id', '=', liveId).where('publish_count', '=', active.number).execute();
    this.rooms.send(liveId, { type: 'offair' });
    await active.packaging.done;
  }

  /** Ends the live: the publisher is cut off and refused from now on, and the recording becomes a video. */
  async end(liveId: string, host: string): Promise<LiveView> {
    const row = await this.ownLive(liveId, host);
    if (row.status === 'ended') throw conflict('This live has already ended.');
    const ended = await this.db.updateTable('lives').set({ status: 'ended', on_air: false, ended_at: new Date() }).where('id', '=', liveId).where('status', '<>', 'ended').returning('id').executeTakeFirst();
    if (!ended) throw conflict('This live has already ended.');
    // Viewers hear it at once; the replay's id follows when the recording is handed over.
    this.rooms.send(liveId, { type: 'ended', replayVideoId: null });
    await this.finish(liveId);
    return this.get(liveId);
  }

  /**
   * After the end (here or in another process): stop packaging, make the replay, close the room
   * (on every process when the end was here; only here when another process ended it).
   */
  private finish(liveId: string, scope: 'everywhere' | 'here' = 'everywhere'): Promise<void> {
    // The end, the poll, a moderation decision and another process's close may all ask at once:
    // one finish at a time, so one replay.
    const running = this.finishing.get(liveId);
    if (running) return running;
    const finishing = this.finishNow(liveId, scope).finally(() => this.finishing.delete(liveId));
    this.finishing.set(liveId, finishing);
    return finishing;
  }

  private async finishNow(liveId: string, scope: 'everywhere' | 'here'): Promise<void> {
    const active = this.active.get(liveId);
    this.active.delete(liveId);
    if (active) {
      active.packaging.stop();
      active.publish.close();
      await active.packaging.done;
    }
    const replayVideoId = await this.makeReplay(liveId).catch((error: unknown) => {
      this.options.log.warn({ err: error, liveId }, 'no replay could be made of the live');
      return null;
    });
    await rm(path.join(this.options.media.live, liveId), { recursive: true, force: true });
    this.rooms.close(liveId, { type: 'ended', replayVideoId }, scope);
  }

  /** Finishes the lives this process packages that were ended elsewhere (another process, a moderation decision). */
  async endWhatOthersEnded(): Promise<void> {
    // Rooms too: viewers waiting in a live that never went on air here hear that it ended.
    const ids = [...new Set([...this.active.keys(), ...this.rooms.liveIds()])];
    if (ids.length === 0) return;
    const rows = await this.db.selectFrom('lives').select(['id', 'status']).where('id', 'in', ids).execute().catch(() => undefined);
    if (!rows) return;
    // A live erased with its host (here or elsewhere) is stopped and its media removed; nothing becomes a replay.
    for (const id of ids.filter((id) => !rows.some((r) => r.id === id))) {
      await this.discardMedia(id);
      this.rooms.close(id, { type: 'ended', replayVideoId: null }, 'here');
    }
    const ended = rows.filter((r) => r.status === 'ended');
    for (const { id } of ended) await this.finish(id, 'here');
  }

  /** The longest recording of the live's publishes, as a video of the host with the live's products tagged. */
  private async makeReplay(liveId: string): Promise<string | null> {
    const prefix = `${liveId}-`;
    const names = (await readdir(this.options.media.recordings).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && n.endsWith('.mkv'));
    if (names.length === 0) return null;
    let best: { file: string; probe: Awaited<ReturnType<typeof probeVideo>> } | undefined;
    for (const name of names) {
      const file = path.join(this.options.media.recordings, name);
      const probe = await probeVideo(file).catch(() => undefined);
      if (probe && (!best || probe.durationMs > best.probe.durationMs)) best = { file, probe };
    }
    const claimed = await this.db.selectFrom('lives').select(['host', 'title', 'replay_video_id', 'replay_removed', 'age_gated']).where('id', '=', liveId).executeTakeFirstOrThrow();
    if (!best || claimed.replay_video_id) {
      await Promise.all(names.map((n) => rm(path.join(this.options.media.recordings, n), { force: true })));
      return claimed.replay_video_id;
    }
    const caption = claimed.title.slice(0, 2000);
    const { id: videoId } = await this.options.social.createVideo(claimed.host, caption, best.file, best.probe);
    const products = await this.db.selectFrom('live_shown_products').select('product_id').where('live_id', '=', liveId).orderBy('position').limit(MAX_TAGS_PER_VIDEO).execute();
    await this.db.transaction().execute(async (trx) => {
      if (products.length > 0) {
        await trx.insertInto('video_product_tags').values(products.map((p, position) => ({ video_id: videoId, product_id: p.product_id, position }))).onConflict((oc) => oc.doNothing()).execute();
      }
      await trx.updateTable('lives').set({ replay_video_id: videoId }).where('id', '=', liveId).execute();
      // Decisions on the live hold for its replay: a removed replay is born removed, a gated live's replay gated.
      if (claimed.replay_removed || claimed.age_gated) {
        await sql`update videos set moderation = case when ${claimed.replay_removed} then 'removed' else moderation end, age_gated = ${claimed.age_gated} where id = ${videoId}`.execute(trx);
      }
    });
    await Promise.all(names.map((n) => rm(path.join(this.options.media.recordings, n), { force: true })));
    return videoId;
  }

  // ---- privacy

  /**
   * Everything of the live rooms that is the subject's: the lives they hosted (with the products
   * shown, the drops and the taps counted), every comment they wrote (those the host deleted too,
   * which are kept hidden), and the mutes and removals naming them. Others' comments in their
   * lives, and whom they muted, are those people's.
   */
  async exportOf(subject: string) {
    const hosted = await this.db
      .selectFrom('lives')
      .select(['id', 'title', 'status', 'scheduled_at', 'started_at', 'ended_at', 'like_count', 'comment_count', 'peak_viewers', 'total_viewers', 'product_taps', 'pinned_product_id', 'replay_video_id', 'created_at'])
      .where('host', '=', subject)
      .orderBy('created_at')
      .execute();
    const ids = hosted.map((l) => l.id);
    const shown = ids.length ? await this.db.selectFrom('live_shown_products').select(['live_id', 'product_id']).where('live_id', 'in', ids).orderBy('position').execute() : [];
    const drops = ids.length
      ? await this.db.selectFrom('live_drops').select(['live_id', 'kind', 'offer_json', 'starts_at', 'ends_at', 'created_at']).where('live_id', 'in', ids).orderBy('created_at').execute()
      : [];
    const lives = hosted.map((live) => ({
      ...live,
      shownProducts: shown.filter((s) => s.live_id === live.id).map((s) => s.product_id),
      drops: drops
        .filter((d) => d.live_id === live.id)
        .map((d) => ({ kind: d.kind, offer: JSON.parse(d.offer_json) as unknown, startsAt: d.starts_at, endsAt: d.ends_at, droppedAt: d.created_at })),
    }));
    const liveComments = await this.db.selectFrom('live_comments').select(['id', 'live_id', 'text', 'deleted', 'created_at']).where('author', '=', subject).orderBy('created_at').execute();
    const liveStanding = await this.db.selectFrom('live_bans').select(['live_id', 'kind', 'created_at']).where('subject', '=', subject).execute();
    return { lives, liveComments, liveStanding };
  }

  /** Stops what this process packages of a live and removes its segments and recordings. */
  private async discardMedia(liveId: string): Promise<void> {
    const active = this.active.get(liveId);
    this.active.delete(liveId);
    if (active) {
      active.packaging.stop();
      active.publish.close();
      await active.packaging.done;
    }
    const prefix = `${liveId}-`;
    const recordings = (await readdir(this.options.media.recordings).catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
    await Promise.all([
      rm(path.join(this.options.media.live, liveId), { recursive: true, force: true }),
      ...recordings.map((n) => rm(path.join(this.options.media.recordings, n), { force: true })),
    ]);
  }

  /**
   * Removes everything of the live rooms naming the subject: the lives they hosted (stopped on
   * air, their segments and recordings gone, and with them their products, drops, everyone's
   * comments and bans), their comments elsewhere and the bans naming them. Their sockets in any
   * room, on any process, are closed.
   */
  async eraseOf(subject: string): Promise<void> {
    const hosted = (await this.db.selectFrom('lives').select('id').where('host', '=', subject).execute()).map((l) => l.id);
    for (const id of hosted) await this.discardMedia(id);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('live_comments').where('author', '=', subject).execute();
      await trx.deleteFrom('live_bans').where('subject', '=', subject).execute();
      await trx.deleteFrom('lives').where('host', '=', subject).execute();
    });
    // After the rows are gone, so a process that hears of it finds nothing left to finish.
    for (const id of hosted) this.rooms.close(id, { type: 'ended', replayVideoId: null });
    this.rooms.forget(subject, 4401, 'signed out');
    for (const key of this.commentTimes.keys()) if (key.endsWith(`:${subject}`)) this.commentTimes.delete(key);
  }

  async stop(): Promise<void> {
    clearInterval(this.endPoll);
    for (const [liveId, active] of this.active) {
      this.active.delete(liveId);
      active.packaging.stop();
      active.publish.close();
      await active.packaging.done;
      await this.db.updateTable('lives').set({ on_air: false }).where('id', '=', liveId).execute().catch(() => undefined);
    }
  }
}
