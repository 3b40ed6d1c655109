import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, forbidden, HttpProblem, notFound, unprocessable } from '../../../platform/errors.js';
import { defineJob, enqueueJob, scheduleRecurring, type Job } from '../../../platform/jobs.js';
import { uuidv7 } from '../../../platform/ids.js';
import type { Logger } from '../../../platform/log.js';
import { storePicture } from '../../../platform/pictures.js';
import { storeVideo } from './video.js';
import { lockPayment } from '../payments/ledger.js';
import { applyTransition, lockOrder, RETURN_WINDOW_MS, type OrderRow } from '../orders/transition.js';
import { shipmentView, type ShipmentService } from '../shipping/shipments.js';
import { COURIERS, type CourierCode } from '../shipping/rates.js';
import type { ShipmentStage } from '../shipping/courier.js';
import { notifyReturnStep } from '../notifications.js';

export const RETURN_REASONS = ['damaged', 'wrong_item', 'not_as_described', 'missing_parts', 'changed_mind'] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];
/** Reasons a photo must show: what arrived broken, wrong, different or short. */
export const PHOTO_REQUIRED: ReadonlySet<ReturnReason> = new Set(['damaged', 'wrong_item', 'not_as_described', 'missing_parts']);
export const MAX_RETURN_PHOTOS = 6;
/** Photos uploaded and not yet sent with a request or a response, per person. */
const MAX_UNCLAIMED_PHOTOS = 12;
const RETURN_PHOTO_SIDE = 1600;
/** An evidence file: a re-encoded photo, or a remuxed video. */
export const RETURN_PHOTO_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(jpg|mp4|webm)$/;
const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', mp4: 'video/mp4', webm: 'video/webm' };
export const RETURN_PHOTO_URL_PREFIX = '/api/commerce/returns/photos/';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** How long each side has before a return's timer acts for them. */
export const RETURN_TIMERS = {
  /** The seller answers a request (accept, refuse, offer a partial refund); silence accepts it. */
  sellerAnswer: 48 * HOUR,
  /** The buyer answers a partial offer; silence declines it. */
  buyerAnswer: 48 * HOUR,
  /** A refused return (or a declined offer) may be escalated to operators; after that it stands. */
  escalate: 3 * DAY,
  /** An accepted return is handed to the courier; otherwise it is cancelled and the order completes. */
  shipBack: 5 * DAY,
  /** A return parcel not reported at the shop by then is refunded anyway. */
  refundAfterShipped: 14 * DAY,
} as const;

export const RETURN_DEADLINE_JOB = 'commerce.return.deadline';
export const PURGE_UNSENT_EVIDENCE_JOB = 'commerce.return.purge-unsent';
export interface ReturnDeadline {
  returnId: string;
  state: string;
  deadlineAt: string;
}
export const returnDeadlineJobType = defineJob<ReturnDeadline, ReturnService>(RETURN_DEADLINE_JOB, (returns) => returns.deadlineJob());
export const purgeUnsentEvidenceJobType = defineJob<Record<string, never>, ReturnService>(PURGE_UNSENT_EVIDENCE_JOB, (returns) => returns.purgeJob());
/** Uploaded evidence never sent with a request or a response is deleted after this. */
export const UNSENT_EVIDENCE_KEPT_MS = DAY;

export const RETURN_STATES = ['requested', 'offered', 'refused', 'declined', 'escalated', 'accepted', 'shipped', 'refunded', 'partially_refunded', 'cancelled', 'closed'] as const;
export type ReturnState = (typeof RETURN_STATES)[number];
const OPEN_STATES: ReadonlySet<ReturnState> = new Set(['requested', 'offered', 'refused', 'declined', 'escalated', 'accepted', 'shipped']);
type Actor = 'buyer' | 'seller' | 'system' | 'provider' | 'operator';

export interface ReturnRow {
  id: string;
  order_id: string;
  shop_id: string;
  buyer_subject: string | null;
  buyer_tag: string;
  state: ReturnState;
  reason_code: ReturnReason;
  reason_text: string;
  seller_reason: string | null;
  seller_response: string | null;
  offer_idr: number | null;
  refund_idr: number | null;
  deadline_at: Date | null;
  requested_at: Date;
  updated_at: Date;
  closed_at: Date | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const wrongState = (row: ReturnRow, what: string) =>
  conflict(`This return is ${row.state.replace(/_/g, ' ')}: ${what}.`, undefined, 'transition-not-allowed');
const rule = (
  status: number, slug: string, title: string, detail: string, errors?: Record<string, string[]>,
) => new HttpProblem(status, slug, title, detail, errors);

/**
 * Returns with evidence (#18 item 4). A buyer asks within 6 days of delivery with a reason, words
 * and photos; the seller accepts, refuses or offers part of the money back within 48 h (silence
 * accepts); an accepted return goes back through the courier within 5 days and is refunded when
 * the courier reports it at the shop, or 14 days after it left. A refused return (or a declined
 * offer) can be escalated to operators, who see both sides' evidence and decide. Every step is a
 * `return_events` row with the deadline it set; the order itself moves only when the return ends.
 */
export class ReturnService {
  private readonly folder: string;
  private readonly incoming: string;

  constructor(
    private readonly db: Database,
    private readonly shipments: ShipmentService,
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.folder = path.join(dataDir, 'media', 'commerce', 'returns');
    this.incoming = path.join(dataDir, 'media', 'commerce', 'incoming');
    shipments.onReturnStage = (trx, orderId, stage, waybill) => this.returnParcelMoved(trx, orderId, stage, waybill);
  }

  // ── Evidence ─────────────────────────────────────────────────────────────────────────────

  /** A photo for a return request or a seller's response: checked by content, re-encoded, kept unclaimed until sent. */
  async uploadPhoto(subject: string, declaredType: string, bytes: Buffer): Promise<{ photoId: string; url: string }> {
    await this.roomForUnsent(subject);
    const id = uuidv7();
    const file = `${randomUUID()}.jpg`;
    const full = path.join(this.folder, file);
    await storePicture(bytes, declaredType, this.incoming, full, { within: RETURN_PHOTO_SIDE });
    try {
      // The party is settled when the photo is claimed; until then it is only its uploader's.
      await this.db.insertInto('return_evidence').values({ id, return_id: null, uploader_subject: subject, party: 'buyer', file }).execute();
    } catch (error) {
      await rm(full, { force: true });
      throw error;
    }
    return { photoId: id, url: RETURN_PHOTO_URL_PREFIX + file };
  }

  /** A short video for a return (one per side): checked as the container it claims by ffprobe, remuxed without metadata. */
  async uploadVideo(subject: string, declaredType: string, bytes: Buffer): Promise<{ videoId: string; url: string }> {
    await this.roomForUnsent(subject);
    const id = uuidv7();
    const file = await storeVideo(bytes, declaredType, this.incoming, path.join(this.folder, randomUUID()));
    try {
      await this.db.insertInto('return_evidence').values({ id, return_id: null, uploader_subject: subject, party: 'buyer', kind: 'video', file }).execute();
    } catch (error) {
      await rm(path.join(this.folder, file), { force: true });
      throw error;
    }
    return { videoId: id, url: RETURN_PHOTO_URL_PREFIX + file };
  }

  private async roomForUnsent(subject: string) {
    const unclaimed = (await this.db
      .selectFrom('return_evidence')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('uploader_subject', '=', subject)
      .where('return_id', 'is', null)
      .executeTakeFirstOrThrow()) as { n: number };
    if (unclaimed.n >= MAX_UNCLAIMED_PHOTOS) throw unprocessable(`At most ${MAX_UNCLAIMED_PHOTOS} files can wait to be sent; send or discard some first.`, { file: ['too many unsent files'] });
  }

  /** A photo's bytes, for whoever may see it: its uploader, the return's buyer and seller, and operators. */
  async photo(subject: string, file: string, asOperator: boolean) {
    if (!RETURN_PHOTO_FILE.test(file)) throw notFound('No such photo.');
    const row = (await this.db
      .selectFrom('return_evidence as e')
      .leftJoin('returns as r', 'r.id', 'e.return_id')
      .leftJoin('shops as s', 's.id', 'r.shop_id')
      .select(['e.uploader_subject', 'r.buyer_subject', 's.owner_subject'])
      .where('e.file', '=', file)
      .executeTakeFirst()) as { uploader_subject: string | null; buyer_subject: string | null; owner_subject: string | null } | undefined;
    const full = path.join(this.folder, file);
    if (!row || !existsSync(full) || !(asOperator || [row.uploader_subject, row.buyer_subject, row.owner_subject].includes(subject))) throw notFound('No such photo.');
    return { stream: createReadStream(full), contentType: CONTENT_TYPES[file.split('.').pop()!]! };
  }

  /** Claims the caller's unsent photos for a return, or a 422 naming the ones that are not theirs to send. */
  private async claimPhotos(trx: Transaction<AnyDB>, subject: string, returnId: string, party: 'buyer' | 'seller', photoIds: string[], videoId?: string): Promise<void> {
    await this.claim(trx, subject, returnId, party, 'photo', photoIds, MAX_RETURN_PHOTOS);
    if (videoId) await this.claim(trx, subject, returnId, party, 'video', [videoId], 1);
  }

  private async claim(trx: Transaction<AnyDB>, subject: string, returnId: string, party: 'buyer' | 'seller', kind: 'photo' | 'video', ids: string[], most: number): Promise<void> {
    if (ids.length === 0) return;
    const field = kind === 'photo' ? 'photoIds' : 'videoId';
    const unique = [...new Set(ids)];
    const claimed = await trx
      .updateTable('return_evidence')
      .set({ return_id: returnId, party })
      .where('id', 'in', unique)
      .where('kind', '=', kind)
      .where('uploader_subject', '=', subject)
      .where('return_id', 'is', null)
      .returning('id')
      .execute();
    if (claimed.length !== unique.length) {
      const got = new Set(claimed.map((row) => row.id as string));
      throw unprocessable(`Some ${kind}s are not yours to send, or were sent already; upload them first.`, { [field]: unique.filter((id) => !got.has(id)).map((id) => `${id} is not an unsent ${kind} of yours`) });
    }
    const count = (await trx.selectFrom('return_evidence').select(sql<number>`count(*)::int`.as('n')).where('return_id', '=', returnId).where('party', '=', party).where('kind', '=', kind).executeTakeFirstOrThrow()) as { n: number };
    if (count.n > most) throw unprocessable(`Each side adds at most ${most} ${kind}${most === 1 ? '' : 's'} to a return.`, { [field]: [`at most ${most}`] });
  }

  // ── Reading ──────────────────────────────────────────────────────────────────────────────

  /** Who the caller is to an order: its buyer, its seller, or nobody (404). */
  private async roleIn(subject: string, orderId: string): Promise<'buyer' | 'seller'> {
    const row = (await this.db
      .selectFrom('orders')
      .innerJoin('shops', 'shops.id', 'orders.shop_id')
      .select(['orders.buyer_subject', 'shops.owner_subject'])
      .where('orders.id', '=', orderId)
      .executeTakeFirst()) as { buyer_subject: string | null; owner_subject: string | null } | undefined;
    if (row?.buyer_subject === subject) return 'buyer';
    if (row?.owner_subject === subject) return 'seller';
    throw notFound('No such order.');
  }

  /** The return of an order, for its buyer or seller; 404 when there is none. */
  async view(subject: string, orderId: string) {
    await this.roleIn(subject, orderId);
    const row = (await this.db.selectFrom('returns').selectAll().where('order_id', '=', orderId).executeTakeFirst()) as ReturnRow | undefined;
    if (!row) throw notFound('This order has no return.');
    return this.render(row);
  }

  /**
   * What both sides (and operators) see: the state and its deadline, each side's words and photos,
   * the timeline, and the return parcel. The buyer appears only as "Pembeli #<tag>".
   */
  private async render(row: ReturnRow) {
    const evidence = (await this.db.selectFrom('return_evidence').select(['party', 'kind', 'file', 'created_at']).where('return_id', '=', row.id).orderBy('created_at').orderBy('id').execute()) as {
      party: 'buyer' | 'seller';
      kind: 'photo' | 'video';
      file: string;
      created_at: Date;
    }[];
    const events = (await this.db.selectFrom('return_events').selectAll().where('return_id', '=', row.id).orderBy('id').execute()) as {
      from_state: string | null;
      to_state: string;
      action: string;
      actor: string;
      note: string | null;
      amount_idr: number | null;
      deadline_at: Date | null;
      at: Date;
    }[];
    const order = (await this.db.selectFrom('orders').select(['total_idr', 'status']).where('id', '=', row.order_id).executeTakeFirstOrThrow()) as { total_idr: number; status: string };
    return {
      id: row.id,
      orderId: row.order_id,
      orderStatus: order.status,
      orderTotalIdr: Number(order.total_idr),
      state: row.state,
      reasonCode: row.reason_code,
      reasonText: row.reason_text,
      buyer: { label: `Pembeli #${row.buyer_tag}` },
      sellerReason: row.seller_reason,
      sellerResponse: row.seller_response,
      offerIdr: row.offer_idr === null ? null : Number(row.offer_idr),
      refundIdr: row.refund_idr === null ? null : Number(row.refund_idr),
      deadlineAt: iso(row.deadline_at),
      requestedAt: iso(row.requested_at)!,
      closedAt: iso(row.closed_at),
      evidence: evidence.map((e) => ({ party: e.party, kind: e.kind, url: RETURN_PHOTO_URL_PREFIX + e.file, at: iso(e.created_at)! })),
      events: events.map((e) => ({
        from: e.from_state,
        to: e.to_state,
        action: e.action,
        actor: e.actor,
        note: e.note,
        amountIdr: e.amount_idr === null ? null : Number(e.amount_idr),
        deadlineAt: iso(e.deadline_at),
        at: iso(e.at)!,
      })),
      shipment: await shipmentView(this.db, row.order_id, 'return'),
    };
  }

  // ── Steps ────────────────────────────────────────────────────────────────────────────────

  /**
   * Moves a locked return to `to`, records the step with the deadline it sets and enqueues the
   * timer for that deadline, in the caller's transaction.
   */
  private async step(
    trx: Transaction<AnyDB>, row: ReturnRow, to: ReturnState, action: string, actor: Actor,
    extra: { note?: string | null; amountIdr?: number | null; timerMs?: number; set?: Record<string, unknown>; now?: Date } = {},
  ) {
    // A timer's step counts its next deadline from the clock it ran by.
    const deadline = extra.timerMs === undefined ? null : new Date((extra.now ?? new Date()).getTime() + extra.timerMs);
    const closes = !OPEN_STATES.has(to);
    await trx
      .updateTable('returns')
      .set({ ...(extra.set ?? {}), state: to, deadline_at: deadline, updated_at: sql`now()`, ...(closes ? { closed_at: sql`now()` } : {}) })
      .where('id', '=', row.id)
      .execute();
    const event = (await trx
      .insertInto('return_events')
      .values({ return_id: row.id, from_state: action === 'request' ? null : row.state, to_state: to, action, actor, note: extra.note ?? null, amount_idr: extra.amountIdr ?? null, deadline_at: deadline })
      .returning('id')
      .executeTakeFirstOrThrow()) as { id: number };
    await notifyReturnStep(
      trx, { orderId: row.order_id, shopId: row.shop_id, buyerSubject: row.buyer_subject, state: to, action, actor, amountIdr: extra.amountIdr },
    );
    if (deadline) {
      await enqueueJob(trx, RETURN_DEADLINE_JOB, { returnId: row.id, state: to, deadlineAt: deadline.toISOString() }, { runAt: deadline, dedupeKey: `return-deadline:${row.id}:${event.id}`, maxAttempts: 20 });
    }
    row.state = to;
    row.deadline_at = deadline;
  }

  /** The order and its return, locked (payment first, as every order path locks), for a caller who must be `as`. */
  private async locked(trx: Transaction<AnyDB>, subject: string | null, orderId: string, as?: 'buyer' | 'seller'): Promise<{ order: OrderRow; row: ReturnRow }> {
    const peek = (await trx.selectFrom('orders').select('payment_id').where('id', '=', orderId).executeTakeFirst()) as { payment_id: string } | undefined;
    if (!peek) throw notFound('No such order.');
    await lockPayment(trx, peek.payment_id);
    const order = await lockOrder(trx, orderId);
    if (!order) throw notFound('No such order.');
    if (subject !== null && as) {
      const shop = (await trx.selectFrom('shops').select('owner_subject').where('id', '=', order.shop_id).executeTakeFirstOrThrow()) as { owner_subject: string | null };
      const role = order.buyer_subject === subject ? 'buyer' : shop.owner_subject === subject ? 'seller' : undefined;
      if (!role) throw notFound('No such order.');
      if (role !== as) throw forbidden(`Only the ${as} may do this.`);
    }
    const row = (await trx.selectFrom('returns').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirst()) as ReturnRow | undefined;
    if (!row) throw notFound('This order has no return.');
    return { order, row };
  }

  /** The buyer asks for a return: within 6 days of delivery, with photos when the reason needs them. */
  async request(subject: string, orderId: string, input: { reasonCode: ReturnReason; text: string; photoIds: string[]; videoId?: string }) {
    await this.db.transaction().execute(async (trx) => {
      const peek = (await trx.selectFrom('orders').select('payment_id').where('id', '=', orderId).executeTakeFirst()) as { payment_id: string } | undefined;
      if (!peek) throw notFound('No such order.');
      await lockPayment(trx, peek.payment_id);
      const order = await lockOrder(trx, orderId);
      if (!order) throw notFound('No such order.');
      const shop = (await trx.selectFrom('shops').select('owner_subject').where('id', '=', order.shop_id).executeTakeFirstOrThrow()) as { owner_subject: string | null };
      if (order.buyer_subject !== subject) {
        if (shop.owner_subject === subject) throw forbidden('Only the buyer may ask for a return.');
        throw notFound('No such order.');
      }
      const existing = await trx.selectFrom('returns').select('state').where('order_id', '=', orderId).executeTakeFirst();
      if (existing) throw conflict('A return was already asked for this order; there is one return per order.', undefined, 'return-exists');
      if (order.status !== 'delivered' || !order.delivered_at) {
        throw rule(409, 'return-not-delivered', 'Order not delivered', `Only a delivered order can be returned; this order is ${order.status.replace(/_/g, ' ')}.`);
      }
      const closesAt = new Date(new Date(order.delivered_at).getTime() + RETURN_WINDOW_MS);
      if (Date.now() > closesAt.getTime()) {
        throw rule(422, 'return-window-closed', 'Return window closed', `A return can be asked for within 6 days of delivery; this order’s window closed at ${closesAt.toISOString()}.`);
      }
      if (PHOTO_REQUIRED.has(input.reasonCode) && input.photoIds.length === 0) {
        throw rule(422, 'return-evidence-required', 'Photo required', `A return for “${input.reasonCode}” needs at least one photo of what arrived.`, { photoIds: ['at least one photo for this reason'] });
      }
      const id = uuidv7();
      const row: ReturnRow = {
        id,
        order_id: orderId,
        shop_id: order.shop_id,
        buyer_subject: subject,
        buyer_tag: randomBytes(3).toString('hex').toUpperCase(),
        state: 'requested',
        reason_code: input.reasonCode,
        reason_text: input.text,
        seller_reason: null,
        seller_response: null,
        offer_idr: null,
        refund_idr: null,
        deadline_at: null,
        requested_at: new Date(),
        updated_at: new Date(),
        closed_at: null,
      };
      await trx.insertInto('returns').values({ id, order_id: orderId, shop_id: order.shop_id, buyer_subject: subject, buyer_tag: row.buyer_tag, state: 'requested', reason_code: input.reasonCode, reason_text: input.text }).execute();
      await this.claimPhotos(trx, subject, id, 'buyer', input.photoIds, input.videoId);
      await this.step(trx, row, 'requested', 'request', 'buyer', { note: input.text || null, timerMs: RETURN_TIMERS.sellerAnswer });
      await applyTransition(trx, order, 'request_return', 'buyer', { reason: input.reasonCode });
    });
    return this.view(subject, orderId);
  }

  /** The seller (or, at 48 h, the timer) accepts: the buyer has 5 days to send the parcel back. */
  async accept(subject: string, orderId: string) {
    await this.db.transaction().execute(async (trx) => {
      const { row } = await this.locked(trx, subject, orderId, 'seller');
      if (row.state !== 'requested') throw wrongState(row, 'only a new request can be accepted');
      await this.step(trx, row, 'accepted', 'accept', 'seller', { timerMs: RETURN_TIMERS.shipBack });
    });
    return this.view(subject, orderId);
  }

  async refuse(subject: string, orderId: string, reason: string) {
    await this.db.transaction().execute(async (trx) => {
      const { row } = await this.locked(trx, subject, orderId, 'seller');
      if (row.state !== 'requested') throw wrongState(row, 'only a new request can be refused');
      await this.step(trx, row, 'refused', 'refuse', 'seller', { note: reason, timerMs: RETURN_TIMERS.escalate, set: { seller_reason: reason } });
    });
    return this.view(subject, orderId);
  }

  /** The seller offers part of the money back with the buyer keeping the goods; less than the order's total. */
  async offer(subject: string, orderId: string, amountIdr: number, note: string) {
    await this.db.transaction().execute(async (trx) => {
      const { order, row } = await this.locked(trx, subject, orderId, 'seller');
      if (row.state !== 'requested') throw wrongState(row, 'only a new request can get an offer');
      await this.checkPartial(trx, order, amountIdr);
      await this.step(trx, row, 'offered', 'offer', 'seller', { note: note || null, amountIdr, timerMs: RETURN_TIMERS.buyerAnswer, set: { offer_idr: amountIdr } });
    });
    return this.view(subject, orderId);
  }

  /** A partial refund is more than nothing, less than the order, and no more than the shop holds for it. */
  private async checkPartial(trx: Transaction<AnyDB>, order: OrderRow, amountIdr: number) {
    if (amountIdr >= order.total_idr) {
      throw rule(422, 'partial-refund-too-large', 'Partial refund too large', `A partial refund is less than the order’s total (Rp${order.total_idr}); a full refund is a return.`, { amountIdr: [`less than ${order.total_idr}`] });
    }
    const commission = (await trx.selectFrom('commissions').select(sql<number>`coalesce(sum(amount_idr), 0)::bigint`.as('n')).where('order_id', '=', order.id).executeTakeFirstOrThrow()) as { n: number };
    const most = order.total_idr - Number(commission.n);
    if (amountIdr > most) throw rule(422, 'partial-refund-too-large', 'Partial refund too large', `At most Rp${most} of this order can be refunded in part.`, { amountIdr: [`at most ${most}`] });
  }

  async acceptOffer(subject: string, orderId: string) {
    await this.db.transaction().execute(async (trx) => {
      const { order, row } = await this.locked(trx, subject, orderId, 'buyer');
      if (row.state !== 'offered' || row.offer_idr === null) throw wrongState(row, 'there is no offer to accept');
      const amount = Number(row.offer_idr);
      await this.step(trx, row, 'partially_refunded', 'accept_offer', 'buyer', { amountIdr: amount, set: { refund_idr: amount } });
      await applyTransition(trx, order, 'close_return', 'buyer', { reason: 'return settled with a partial refund', partialRefundIdr: amount });
    });
    return this.view(subject, orderId);
  }

  async declineOffer(subject: string, orderId: string) {
    await this.db.transaction().execute(async (trx) => {
      const { row } = await this.locked(trx, subject, orderId, 'buyer');
      if (row.state !== 'offered') throw wrongState(row, 'there is no offer to decline');
      await this.step(trx, row, 'declined', 'decline_offer', 'buyer', { timerMs: RETURN_TIMERS.escalate });
    });
    return this.view(subject, orderId);
  }

  /** The buyer takes a refused return (or a declined offer) to the platform's operators. */
  async escalate(subject: string, orderId: string, note: string) {
    await this.db.transaction().execute(async (trx) => {
      const { row } = await this.locked(trx, subject, orderId, 'buyer');
      if (row.state !== 'refused' && row.state !== 'declined') throw wrongState(row, 'only a refused return or a declined offer can be escalated');
      await this.step(trx, row, 'escalated', 'escalate', 'buyer', { note: note || null });
    });
    return this.view(subject, orderId);
  }

  /** The seller's side of the story, with photos, while the return is open. */
  async respond(subject: string, orderId: string, text: string, photoIds: string[], videoId?: string) {
    await this.db.transaction().execute(async (trx) => {
      const { row } = await this.locked(trx, subject, orderId, 'seller');
      if (!OPEN_STATES.has(row.state)) throw wrongState(row, 'a closed return takes no response');
      await this.claimPhotos(trx, subject, row.id, 'seller', photoIds, videoId);
      await trx.updateTable('returns').set({ seller_response: text, updated_at: sql`now()` }).where('id', '=', row.id).execute();
      // A response is a step on the timeline that leaves the state and its deadline as they are.
      await trx
        .insertInto('return_events')
        .values({ return_id: row.id, from_state: row.state, to_state: row.state, action: 'respond', actor: 'seller', note: text, deadline_at: row.deadline_at })
        .execute();
    });
    return this.view(subject, orderId);
  }

  /** The buyer books the return parcel with the courier (origin: the order's address; destination: the shop). */
  async ship(subject: string, orderId: string, courierOverride?: CourierCode) {
    const role = await this.roleIn(subject, orderId);
    if (role !== 'buyer') throw forbidden('Only the buyer may do this.');
    const data = (await this.db
      .selectFrom('orders')
      .innerJoin('shops', 'shops.id', 'orders.shop_id')
      .innerJoin('returns', 'returns.order_id', 'orders.id')
      .selectAll('orders')
      .select(['shops.name as shop_name', 'shops.city as shop_city', 'returns.state as return_state'])
      .where('orders.id', '=', orderId)
      .executeTakeFirst()) as (OrderRow & { shop_name: string; shop_city: string; return_state: ReturnState }) | undefined;
    if (!data) throw notFound('This order has no return.');
    if (data.return_state !== 'accepted') throw conflict(`This return is ${data.return_state.replace(/_/g, ' ')}: only an accepted return is sent back.`, undefined, 'transition-not-allowed');
    const courier = (courierOverride ?? data.courier) as CourierCode;
    if (!(courier in COURIERS)) throw unprocessable('Choose a courier.', { courier: ['is not a courier'] });
    const lines = await this.shipments.parcelLines(orderId);
    const booked = await this.shipments.book({
      referenceId: `${orderId}:return`,
      courier,
      origin: { contactName: data.recipient, contactPhone: data.phone, address: `${data.line1}, ${data.city}, ${data.province}`, postalCode: data.postal_code },
      destination: { contactName: data.shop_name, contactPhone: '0', address: `${data.shop_name}, ${data.shop_city}`, postalCode: '0' },
      items: lines.map((l) => ({ name: l.title, valueIdr: Number(l.unit_price_idr), quantity: l.quantity, weightGrams: l.weight_grams })),
    });
    try {
      await this.db.transaction().execute(async (trx) => {
        const { row } = await this.locked(trx, subject, orderId, 'buyer');
        if (row.state !== 'accepted') throw wrongState(row, 'only an accepted return is sent back');
        await trx
          .insertInto('shipments')
          .values({ order_id: orderId, kind: 'return', provider: this.shipments.providerName, provider_order_id: booked.orderId, tracking_id: booked.trackingId, waybill_id: booked.waybillId, courier, status: 'booked' })
          .execute();
        await this.step(trx, row, 'shipped', 'ship', 'buyer', { note: booked.waybillId, timerMs: RETURN_TIMERS.refundAfterShipped });
      });
    } catch (error) {
      const taken = (await this.db.selectFrom('shipments').select('tracking_id').where('order_id', '=', orderId).where('kind', '=', 'return').executeTakeFirst()) as { tracking_id: string } | undefined;
      if (taken?.tracking_id !== booked.trackingId) await this.shipments.cancelBooking(booked.orderId, 'return no longer ships');
      throw error;
    }
    return this.view(subject, orderId);
  }

  /** Full refund of a returned order; the goods go back on the shelf when they reached the shop. */
  private async refundInFull(trx: Transaction<AnyDB>, order: OrderRow, row: ReturnRow, action: string, actor: Actor, note: string, restock: boolean) {
    await this.step(trx, row, 'refunded', action, actor, { note, amountIdr: order.total_idr, set: { refund_idr: order.total_idr } });
    await applyTransition(trx, order, 'refund_return', actor === 'operator' ? 'operator' : actor === 'provider' ? 'provider' : 'system', { reason: note, restock });
  }

  /** The courier's word on the return parcel: delivered at the shop refunds the order. */
  private async returnParcelMoved(trx: Transaction<AnyDB>, orderId: string, stage: ShipmentStage, waybill: string) {
    if (stage !== 'delivered') return;
    const order = await lockOrder(trx, orderId);
    const row = (await trx.selectFrom('returns').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirst()) as ReturnRow | undefined;
    if (!order || !row || row.state !== 'shipped' || order.status !== 'return_requested') return;
    await this.refundInFull(trx, order, row, 'arrive', 'provider', `the return parcel reached the shop (${waybill})`, true);
  }

  // ── Operators ────────────────────────────────────────────────────────────────────────────

  /** Escalated returns waiting for an operator, oldest first. */
  async escalated() {
    const rows = (await this.db.selectFrom('returns').selectAll().where('state', '=', 'escalated').orderBy('updated_at').limit(100).execute()) as ReturnRow[];
    return { items: await Promise.all(rows.map((row) => this.render(row))) };
  }

  async operatorView(returnId: string) {
    const row = (await this.db.selectFrom('returns').selectAll().where('id', '=', returnId).executeTakeFirst()) as ReturnRow | undefined;
    if (!row) throw notFound('No such return.');
    return this.render(row);
  }

  /** An operator decides an escalated return, with a statement both sides read. */
  async decide(returnId: string, input: { outcome: 'refund' | 'partial_refund' | 'reject'; amountIdr?: number; statement: string }) {
    const peek = (await this.db.selectFrom('returns').select('order_id').where('id', '=', returnId).executeTakeFirst()) as { order_id: string } | undefined;
    if (!peek) throw notFound('No such return.');
    await this.db.transaction().execute(async (trx) => {
      const { order, row } = await this.locked(trx, null, peek.order_id);
      if (row.state !== 'escalated') throw wrongState(row, 'only an escalated return is decided by operators');
      if (input.outcome === 'refund') {
        // The goods stay with the buyer: nothing goes back on the shelf.
        await this.refundInFull(trx, order, row, 'decide_refund', 'operator', input.statement, false);
      } else if (input.outcome === 'partial_refund') {
        if (input.amountIdr === undefined) throw unprocessable('A partial refund needs its amount.', { amountIdr: ['is required for a partial refund'] });
        await this.checkPartial(trx, order, input.amountIdr);
        await this.step(trx, row, 'partially_refunded', 'decide_partial_refund', 'operator', { note: input.statement, amountIdr: input.amountIdr, set: { refund_idr: input.amountIdr } });
        await applyTransition(trx, order, 'close_return', 'operator', { reason: input.statement, partialRefundIdr: input.amountIdr });
      } else {
        await this.step(trx, row, 'closed', 'decide_reject', 'operator', { note: input.statement });
        await applyTransition(trx, order, 'close_return', 'operator', { reason: input.statement });
      }
    });
    return this.operatorView(returnId);
  }

  // ── Timers ───────────────────────────────────────────────────────────────────────────────

  /**
   * The job for a return's deadline: it acts only if the return is still in the state that set it
   * (any step since made it moot), and fails to run again later when it came early.
   */
  deadlineJob(now: () => Date = () => new Date()) {
    return async (job: Job<ReturnDeadline>): Promise<void> => {
      const { returnId, state, deadlineAt } = job.payload;
      const acted = await this.runDeadline(returnId, state, deadlineAt, now());
      if (acted) this.log.info({ returnId, state: job.payload.state, acted }, 'return deadline passed');
    };
  }

  /** What a passed deadline does; undefined when it no longer applies. */
  async runDeadline(returnId: string, state: string, deadlineAt: string, now: Date): Promise<string | undefined> {
    const peek = (await this.db.selectFrom('returns').select('order_id').where('id', '=', returnId).executeTakeFirst()) as { order_id: string } | undefined;
    if (!peek) return undefined;
    return this.db.transaction().execute(async (trx) => {
      const { order, row } = await this.locked(trx, null, peek.order_id);
      if (row.state !== state || !row.deadline_at || new Date(row.deadline_at).toISOString() !== deadlineAt) return undefined;
      if (new Date(row.deadline_at).getTime() > now.getTime()) throw new Error('return deadline not due yet');
      switch (row.state) {
        case 'requested':
          await this.step(trx, row, 'accepted', 'auto_accept', 'system', { note: 'the seller did not answer within 48 hours', timerMs: RETURN_TIMERS.shipBack, now });
          return 'accepted';
        case 'offered':
          await this.step(trx, row, 'declined', 'offer_lapsed', 'system', { note: 'the buyer did not answer the offer within 48 hours', timerMs: RETURN_TIMERS.escalate, now });
          return 'declined';
        case 'refused':
        case 'declined':
          await this.step(trx, row, 'closed', 'escalation_lapsed', 'system', { note: 'not escalated within 3 days' });
          await applyTransition(trx, order, 'close_return', 'system', { reason: 'return closed: not escalated' });
          return 'closed';
        case 'accepted':
          await this.step(trx, row, 'cancelled', 'ship_lapsed', 'system', { note: 'not sent back within 5 days' });
          await applyTransition(trx, order, 'close_return', 'system', { reason: 'return cancelled: not sent back within 5 days' });
          return 'cancelled';
        case 'shipped':
          await this.refundInFull(trx, order, row, 'refund_due', 'system', 'refunded 14 days after the return was sent', false);
          return 'refunded';
        default:
          return undefined;
      }
    });
  }

  // ── Privacy ──────────────────────────────────────────────────────────────────────────────

  /** A buyer's returns with their steps and the buyer's own photos (for the export and its zip). */
  async exportOf(subject: string) {
    const returns = (await this.db.selectFrom('returns').selectAll().where('buyer_subject', '=', subject).orderBy('requested_at').execute()) as ReturnRow[];
    const ids = returns.map((r) => r.id);
    const events = ids.length ? await this.db.selectFrom('return_events').selectAll().where('return_id', 'in', ids).orderBy('id').execute() : [];
    const evidence = (await this.db
      .selectFrom('return_evidence')
      .select(['id', 'return_id', 'party', 'kind', 'file', 'created_at'])
      .where((eb) => eb.or([eb('uploader_subject', '=', subject), ...(ids.length ? [eb.and([eb('return_id', 'in', ids), eb('party', '=', 'buyer')])] : [])]))
      .orderBy('created_at')
      .execute()) as { id: string; return_id: string | null; party: string; file: string; created_at: Date }[];
    return {
      returns,
      returnEvents: events,
      returnEvidence: evidence.map((e) => ({ ...e, url: RETURN_PHOTO_URL_PREFIX + e.file })),
    };
  }

  filesOf(files: string[]): { path: string; name: string }[] {
    return files.filter((f) => RETURN_PHOTO_FILE.test(f)).map((f) => ({ path: path.join(this.folder, f), name: `returns/${f}` }));
  }

  /**
   * Erasure: the buyer's unsent photos go now, and the photos of returns of closed orders (the
   * order's minimisation drops their rows). Answers the files to remove once committed.
   */
  async eraseOf(trx: Transaction<AnyDB>, subject: string): Promise<string[]> {
    const unsent = (await trx.deleteFrom('return_evidence').where('uploader_subject', '=', subject).where('return_id', 'is', null).returning('file').execute()) as { file: string }[];
    const closed = (await trx
      .selectFrom('return_evidence as e')
      .innerJoin('returns as r', 'r.id', 'e.return_id')
      .innerJoin('orders as o', 'o.id', 'r.order_id')
      .select('e.file')
      .where('r.buyer_subject', '=', subject)
      .where('e.party', '=', 'buyer')
      .where('o.closed_at', 'is not', null)
      .execute()) as { file: string }[];
    await trx.updateTable('return_evidence').set({ uploader_subject: null }).where('uploader_subject', '=', subject).execute();
    return [...unsent, ...closed].map((r) => r.file);
  }

  /** Deletes evidence uploaded more than a day before `now` and never sent; answers how many went. */
  async purgeUnsent(now = new Date()): Promise<number> {
    const gone = (await this.db
      .deleteFrom('return_evidence')
      .where('return_id', 'is', null)
      .where('created_at', '<', new Date(now.getTime() - UNSENT_EVIDENCE_KEPT_MS))
      .returning('file')
      .execute()) as { file: string }[];
    await this.removeFiles(gone.map((row) => row.file));
    return gone.length;
  }

  /** The hourly purge of unsent evidence; the dedupe key makes every process agree on one job per hour. */
  async schedulePurge(now = Date.now()): Promise<void> {
    await scheduleRecurring(this.db, { name: PURGE_UNSENT_EVIDENCE_JOB }, { everyMs: HOUR, dedupeKey: (hour) => `return-evidence-purge:${hour}` }, now);
  }

  purgeJob() {
    return async (): Promise<void> => {
      await this.purgeUnsent();
      await this.schedulePurge();
    };
  }

  async removeFiles(files: string[]): Promise<void> {
    for (const file of this.filesOf(files)) await rm(file.path, { force: true });
  }
}
