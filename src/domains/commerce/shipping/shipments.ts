import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { badRequest, conflict, forbidden, HttpProblem, notFound, unauthorized } from '../../../platform/errors.js';
import type { Job } from '../../../platform/jobs.js';
import type { DispatchDeadline } from '../orders/dispatch-deadline.job.js';
import type { Logger } from '../../../platform/log.js';
import { lockPayment } from '../payments/ledger.js';
import { nextStatus } from '../orders/state.js';
import { applyTransition, dispatchDeadline, lockOrder, type OrderRow } from '../orders/transition.js';
import { advances, SHIPMENT_STAGES, stageOf, type Booking, type CourierProvider, type ShipmentStage } from './courier.js';
import { notifyOutForDelivery } from '../notifications.js';
import { COURIERS, type CourierCode } from './rates.js';

/** An order's parcel to the buyer, or the buyer's return parcel back to the shop. */
export type ShipmentKind = 'outbound' | 'return';

export interface ShipmentRow {
  order_id: string;
  kind: ShipmentKind;
  provider: string;
  provider_order_id: string;
  tracking_id: string;
  waybill_id: string;
  courier: string;
  status: ShipmentStage;
}

export interface ShipmentView {
  provider: string;
  courier: string;
  waybill: string;
  status: ShipmentStage;
  events: { status: ShipmentStage | null; providerStatus: string; note: string; at: string }[];
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** The courier's timeline of an order's parcel (or its return parcel), oldest first, or null before it shipped. */
export async function shipmentView(db: Database, orderId: string, kind: ShipmentKind = 'outbound'): Promise<ShipmentView | null> {
  const shipment = (await db.selectFrom('shipments').selectAll().where('order_id', '=', orderId).where('kind', '=', kind).executeTakeFirst()) as ShipmentRow | undefined;
  if (!shipment) return null;
  const events = (await db
    .selectFrom('shipment_events')
    .select(['status', 'provider_status', 'note', 'occurred_at'])
    .where('order_id', '=', orderId)
    .where('kind', '=', kind)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute()) as { status: string; provider_status: string; note: string; occurred_at: Date }[];
  return {
    provider: shipment.provider,
    courier: shipment.courier,
    waybill: shipment.waybill_id,
    status: shipment.status,
    events: events.map((e) => ({
      status: (SHIPMENT_STAGES as readonly string[]).includes(e.status) ? (e.status as ShipmentStage) : null,
      providerStatus: e.provider_status,
      note: e.note,
      at: iso(e.occurred_at),
    })),
  };
}

/**
 * Courier bookings and tracking (#18 item 3): shipping an order books it with the courier
 * aggregator, whose tracking then carries the order to `delivered` (or back to the seller, refunded).
 */
export class ShipmentService {
  /**
   * Told, in the tracking's own transaction, each time a return parcel moves on (returns.ts
   * refunds the order when it reaches the shop).
   */
  onReturnStage: ((trx: Transaction<AnyDB>, orderId: string, stage: ShipmentStage, waybill: string) => Promise<void>) | undefined;

  constructor(
    private readonly db: Database,
    private readonly courier: CourierProvider,
    private readonly log: Logger,
  ) {}

  /** The seller hands the order to the courier: a booking, its AWB on the order, the order `shipped`. */
  async ship(subject: string, orderId: string, courierOverride?: CourierCode): Promise<void> {
    const row = (await this.db
      .selectFrom('orders')
      .innerJoin('shops', 'shops.id', 'orders.shop_id')
      .selectAll('orders')
      .select(['shops.owner_subject', 'shops.name as shop_name', 'shops.city as shop_city'])
      .where('orders.id', '=', orderId)
      .executeTakeFirst()) as (OrderRow & { owner_subject: string | null; shop_name: string; shop_city: string }) | undefined;
    if (!row || (row.owner_subject !== subject && row.buyer_subject !== subject)) throw notFound('No such order.');
    if (row.owner_subject !== subject) throw forbidden('Only the seller may do this.');
    nextStatus(row.status, 'ship');
    const courier = (courierOverride ?? row.courier) as CourierCode;
    if (!(courier in COURIERS)) throw badRequest('Choose a courier.', { courier: ['is not a courier'] });
    const lines = await this.parcelLines(orderId);
    const booked = await this.courier.book({
      referenceId: orderId,
      courier,
      // Shops give a city, not a pickup address yet: the courier is told the shop and its city.
      origin: { contactName: row.shop_name, contactPhone: '0', address: `${row.shop_name}, ${row.shop_city}`, postalCode: '0' },
      destination: { contactName: row.recipient, contactPhone: row.phone, address: `${row.line1}, ${row.city}, ${row.province}`, postalCode: row.postal_code },
      items: lines.map((l) => ({ name: l.title, valueIdr: Number(l.unit_price_idr), quantity: l.quantity, weightGrams: l.weight_grams })),
    });
    if (!booked.ok) {
      throw new HttpProblem(booked.retry ? 503 : 502, 'courier-unavailable', 'Courier unavailable', `The courier could not be booked: ${booked.message} Nothing changed; try again.`);
    }
    try {
      await this.db.transaction().execute(async (trx) => {
        await lockPayment(trx, row.payment_id);
        const order = await lockOrder(trx, orderId);
        if (!order) throw notFound('No such order.');
        await applyTransition(trx, order, 'ship', 'seller', { trackingNumber: booked.waybillId, courier });
        await trx
          .insertInto('shipments')
          .values({ order_id: orderId, provider: this.courier.name, provider_order_id: booked.orderId, tracking_id: booked.trackingId, waybill_id: booked.waybillId, courier, status: 'booked' })
          .execute();
      });
    } catch (error) {
      // The order moved meanwhile (cancelled, shipped twice): nobody will hand this booking a parcel.
      const taken = await this.db.selectFrom('shipments').select('tracking_id').where('order_id', '=', orderId).where('kind', '=', 'outbound').executeTakeFirst();
      if (!taken || (taken as { tracking_id: string }).tracking_id !== booked.trackingId) await this.courier.cancel(booked.orderId, 'order no longer ships');
      throw error;
    }
  }

  /** What an order's parcel holds, for a courier booking (the first parcel or a return). */
  async parcelLines(orderId: string): Promise<{ title: string; unit_price_idr: number; quantity: number; weight_grams: number }[]> {
    return (await this.db
    .selectFrom('order_lines as l')
    .innerJoin('variants as v', 'v.id', 'l.variant_id')
    .select(['l.title', 'l.unit_price_idr', 'l.quantity', 'v.weight_grams'])
    .where('l.order_id', '=', orderId)
    .execute()) as { title: string; unit_price_idr: number; quantity: number; weight_grams: number }[];
  }

  /** The courier aggregator's name, as kept on its shipments. */
  get providerName(): string {
    return this.courier.name;
  }

  /** Books a parcel (the return of an order) or answers the 502/503 problem the courier's refusal means. */
  async book(booking: Booking): Promise<{ orderId: string; trackingId: string; waybillId: string }> {
    const booked = await this.courier.book(booking);
    if (!booked.ok) {
      throw new HttpProblem(booked.retry ? 503 : 502, 'courier-unavailable', 'Courier unavailable', `The courier could not be booked: ${booked.message} Nothing changed; try again.`);
    }
    return booked;
  }

  /** Cancels a booking nobody will hand a parcel to (best effort). */
  cancelBooking(providerOrderId: string, reason: string): Promise<void> {
    return this.courier.cancel(providerOrderId, reason);
  }

  /**
   * A courier webhook. Its secret header proves only who sent it, not what it says, so the
   * parcel's history is read back from the courier's tracking API; that history is stored (a
   * repeat is kept once) and moves the shipment, and the order, forward only.
   */
  async receiveWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): Promise<{ applied: boolean }> {
    if (!this.courier.verifyWebhook(headers)) throw unauthorized('The webhook secret is not valid.');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      throw badRequest('The webhook is not JSON.');
    }
    if (body === null || typeof body !== 'object') throw badRequest('The webhook is not a JSON object.');
    // order.waybill_id and order.price carry nothing this side acts on.
    if (body.event !== 'order.status') return { applied: false };
    const trackingId = body.courier_tracking_id;
    if (typeof trackingId !== 'string' || trackingId.length === 0 || trackingId.length > 100) throw badRequest('The webhook has no courier_tracking_id.', { courier_tracking_id: ['is required'] });
    return this.refresh(trackingId);
  }

  /** Reads a parcel's history from the courier and applies it. */
  async refresh(trackingId: string): Promise<{ applied: boolean }> {
    const known = (await this.db.selectFrom('shipments').selectAll().where('provider', '=', this.courier.name).where('tracking_id', '=', trackingId).executeTakeFirst()) as
      | ShipmentRow
      | undefined;
    if (!known) throw notFound('No shipment has this tracking id.');
    const tracking = await this.courier.tracking(trackingId);
    if (tracking === 'unknown') throw notFound('The courier does not know this tracking id.');
    if (!tracking) throw new HttpProblem(503, 'courier-unavailable', 'Courier unavailable', 'The courier’s tracking could not be read; send the webhook again later.');
    return this.db.transaction().execute(async (trx) => {
      const peek = (await trx.selectFrom('orders').select('payment_id').where('id', '=', known.order_id).executeTakeFirstOrThrow()) as { payment_id: string };
      await lockPayment(trx, peek.payment_id);
      const order = await lockOrder(trx, known.order_id);
      const shipment = (await trx.selectFrom('shipments').selectAll().where('order_id', '=', known.order_id).where('kind', '=', known.kind).forUpdate().executeTakeFirstOrThrow()) as ShipmentRow;
      let stage = shipment.status;
      let picked = false;
      let fresh = 0;
      for (const entry of tracking.history) {
        const entryStage = stageOf(entry.status, picked);
        if (entry.status === 'picked') picked = true;
        const inserted = await trx
          .insertInto('shipment_events')
          .values({
            order_id: shipment.order_id, kind: shipment.kind, status: entryStage ?? entry.status, provider_status: entry.status, note: entry.note,
            occurred_at: new Date(entry.updatedAt),
          })
          .onConflict((oc) => oc.columns(['order_id', 'kind', 'provider_status', 'occurred_at']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted) fresh++;
        if (entryStage && advances(stage, entryStage)) stage = entryStage;
      }
      if (stage === shipment.status) return { applied: fresh > 0 };
      await trx.updateTable('shipments').set({ status: stage, updated_at: sql`now()` }).where('order_id', '=', shipment.order_id).where('kind', '=', shipment.kind).execute();
      if (shipment.kind === 'return') {
        await this.onReturnStage?.(trx, shipment.order_id, stage, shipment.waybill_id);
        return { applied: true };
      }
      if (order && order.status === 'shipped') {
        if (stage === 'out_for_delivery') await notifyOutForDelivery(trx, order);
        if (stage === 'delivered') await applyTransition(trx, order, 'deliver', 'provider', { reason: `delivered (courier ${shipment.waybill_id})` });
        if (stage === 'returned') await applyTransition(trx, order, 'courier_return', 'provider', { reason: `the courier brought the parcel back to the seller (${shipment.waybill_id})` });
      }
      return { applied: true };
    });
  }

  /** The tracking id of an order's shipment (or return shipment) for its buyer or seller (the sandbox's simulate). */
  async trackingIdFor(subject: string, orderId: string, kind: ShipmentKind = 'outbound'): Promise<string> {
    const row = (await this.db
      .selectFrom('orders')
      .innerJoin('shops', 'shops.id', 'orders.shop_id')
      .leftJoin('shipments', (join) => join.onRef('shipments.order_id', '=', 'orders.id').on('shipments.kind', '=', kind))
      .select(['orders.buyer_subject', 'shops.owner_subject', 'shipments.tracking_id'])
      .where('orders.id', '=', orderId)
      .executeTakeFirst()) as { buyer_subject: string | null; owner_subject: string | null; tracking_id: string | null } | undefined;
    if (!row || (row.buyer_subject !== subject && row.owner_subject !== subject)) throw notFound('No such order.');
    if (!row.tracking_id) throw conflict(kind === 'return' ? 'This order’s return has not been handed to a courier.' : 'This order has not been handed to a courier.', undefined, 'not-shipped');
    return row.tracking_id;
  }

  /** The dispatch deadline: an order still not shipped at the end of its third working day is cancelled (and refunded when paid). */
  dispatchJob(now: () => Date = () => new Date()) {
    return async (job: Job<DispatchDeadline>): Promise<void> => {
      const { orderId } = job.payload;
      const cancelled = await this.db.transaction().execute(async (trx) => {
        const peek = (await trx.selectFrom('orders').select('payment_id').where('id', '=', orderId).executeTakeFirst()) as { payment_id: string } | undefined;
        if (!peek) return false;
        await lockPayment(trx, peek.payment_id);
        const order = await lockOrder(trx, orderId);
        if (!order || (order.status !== 'paid' && order.status !== 'confirmed')) return false;
        const since = order.paid_at ?? order.created_at;
        if (dispatchDeadline(new Date(since)).getTime() > now().getTime()) throw new Error('order not due for its dispatch deadline yet');
        await applyTransition(trx, order, 'seller_cancel', 'system', { reason: 'not shipped within 3 working days' });
        await sql`update payments set status = 'cancelled', updated_at = now()
          where id = ${order.payment_id} and status = 'cod_pending'
            and not exists (select 1 from orders o where o.payment_id = ${order.payment_id} and o.status in ('awaiting_payment', 'confirmed', 'paid', 'shipped', 'delivered', 'return_requested'))`.execute(trx);
        return true;
      });
      if (cancelled) this.log.info({ orderId }, 'order cancelled: not shipped by its dispatch deadline');
    };
  }
}
