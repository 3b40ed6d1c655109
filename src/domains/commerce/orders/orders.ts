import { sql } from 'kysely';
import { UUID } from '../../../platform/ids.js';
import type { Database } from '../../../platform/db.js';
import { conflict, forbidden, notFound, validationFailed } from '../../../platform/errors.js';
import { decodeCursor, pageOf } from '../../../platform/http.js';
import { COURIERS, type CourierCode } from '../shipping/rates.js';
import { lockPayment, releasePayment, type PaymentRow } from '../payments/ledger.js';
import { applyTransition, lockOrder, type OrderRow } from './transition.js';
import { ACTION_ACTORS, CLOSED_STATUSES, type OrderAction, type OrderStatus } from './state.js';
import { orderViews, paymentView, withQrImage } from './views.js';
import { shipmentView } from '../shipping/shipments.js';

type Position = { i: string };
/** A seller narrowing their orders: one status, and text found in the order number, recipient or a product title. */
export interface OrderFilter {
  status?: OrderStatus;
  q?: string;
}
const isPosition = (v: Record<string, unknown>): v is Position => typeof v.i === 'string' && UUID.test(v.i);

export class OrderService {
  constructor(private readonly db: Database) {}

  private async page(where: { column: 'buyer_subject' | 'shop_id'; value: string }, limit: number, cursor?: string, filter: OrderFilter = {}) {
    const position = decodeCursor(cursor, isPosition);
    let query = this.db.selectFrom('orders').selectAll().where(where.column, '=', where.value);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.q) {
      // The number a person reads off an order is its id's last 8 characters; a name or product finds it too.
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql<string>`cast(orders.id as text)`, 'ilike', like),
          eb('recipient', 'ilike', like),
          eb.exists(eb.selectFrom('order_lines').select('order_lines.id').whereRef('order_lines.order_id', '=', 'orders.id').where('order_lines.title', 'ilike', like)),
        ]),
      );
    }
    // Order ids are UUIDv7, so id order is creation order and the id alone is an exact cursor.
    if (position) query = query.where('id', '<', position.i);
    const rows = (await query.orderBy('id', 'desc').limit(limit + 1).execute()) as OrderRow[];
    const views = await orderViews(this.db, rows.slice(0, limit));
    const page = pageOf(rows, limit, (row) => row.id, (row) => ({ i: row.id }));
    return { items: views, nextCursor: page.nextCursor };
  }

  buyerOrders(subject: string, limit: number, cursor?: string) {
    return this.page({ column: 'buyer_subject', value: subject }, limit, cursor);
  }

  async shopOrders(subject: string, shopId: string, limit: number, cursor?: string, filter: OrderFilter = {}) {
    const shop = (await this.db.selectFrom('shops').select('owner_subject').where('id', '=', shopId).executeTakeFirst()) as { owner_subject: string | null } | undefined;
    if (!shop) throw notFound('No such shop.');
    if (shop.owner_subject !== subject) throw forbidden('Only the shop owner sees its orders.');
    return this.page({ column: 'shop_id', value: shopId }, limit, cursor, filter);
  }

  /** The order for its buyer or its seller; anyone else gets 404. */
  async order(subject: string, orderId: string) {
    const row = (await this.db
      .selectFrom('orders')
      .innerJoin('shops', 'shops.id', 'orders.shop_id')
      .selectAll('orders')
      .select('shops.owner_subject')
      .where('orders.id', '=', orderId)
      .executeTakeFirst()) as (OrderRow & { owner_subject: string | null }) | undefined;
    if (!row || (row.buyer_subject !== subject && row.owner_subject !== subject)) throw notFound('No such order.');
    const [view] = await orderViews(this.db, [row]);
    const events = await this.db
      .selectFrom('order_events')
      .select(['from_status', 'to_status', 'action', 'actor', 'reason', 'at'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
    const payment = (await this.db.selectFrom('payments').selectAll().where('id', '=', row.payment_id).executeTakeFirstOrThrow()) as PaymentRow;
    const refund = (await this.db.selectFrom('refunds').select(['amount_idr', 'status', 'created_at', 'sent_at']).where('order_id', '=', orderId).executeTakeFirst()) as
      | { amount_idr: number; status: 'requested' | 'sent' | 'failed'; created_at: Date; sent_at: Date | null }
      | undefined;
    const late = (await this.db.selectFrom('late_payments').select(['amount_idr', 'received_at']).where('payment_id', '=', row.payment_id).executeTakeFirst()) as
      | { amount_idr: number; received_at: Date }
      | undefined;
    return {
      ...view!,
      latePayment: late ? { amountIdr: Number(late.amount_idr), receivedAt: new Date(late.received_at).toISOString() } : null,
      refund: refund
        ? {
          amountIdr: refund.amount_idr, status: refund.status, requestedAt: new Date(refund.created_at).toISOString(),
          sentAt: refund.sent_at ? new Date(refund.sent_at).toISOString() : null,
        }
        : null,
      payment: row.buyer_subject === subject ? await withQrImage(paymentView(payment)) : { id: payment.id, method: payment.method, status: payment.status },
      events: events.map(
        (e) => ({ from: e.from_status, to: e.to_status, action: e.action, actor: e.actor, reason: e.reason, at: new Date(e.at).toISOString() }),
      ),
      shipment: await shipmentView(this.db, orderId),
    };
  }

  /**
   * A buyer or seller action on one order. Roles come from the data: the buyer is the order's
   * subject, the seller the shop's owner. Someone who is neither gets 404.
   */
  async act(subject: string, orderId: string, action: OrderAction, options: { reason?: string; trackingNumber?: string; courier?: CourierCode } = {}) {
    await this.db.transaction().execute(async (trx) => {
      // Locks are always taken payment first, then its orders (as the webhook path does), so two
      // transactions can never wait on each other.
      const peek = (await trx.selectFrom('orders').select('payment_id').where('id', '=', orderId).executeTakeFirst()) as { payment_id: string } | undefined;
      if (!peek) throw notFound('No such order.');
      await lockPayment(trx, peek.payment_id);
      const order = await lockOrder(trx, orderId);
      if (!order) throw notFound('No such order.');
      const shop = (await trx.selectFrom('shops').select('owner_subject').where('id', '=', order.shop_id).executeTakeFirstOrThrow()) as { owner_subject: string | null };
      const isBuyer = order.buyer_subject === subject;
      const isSeller = shop.owner_subject === subject;
      if (!isBuyer && !isSeller) throw notFound('No such order.');
      const role = ACTION_ACTORS[action].includes('buyer') && isBuyer ? 'buyer' : ACTION_ACTORS[action].includes('seller') && isSeller ? 'seller' : undefined;
      if (!role) throw forbidden(`Only the ${ACTION_ACTORS[action].includes('buyer') ? 'buyer' : 'seller'} may do this.`);
      if (action === 'ship' && options.courier && !(options.courier in COURIERS)) throw validationFailed({ courier: ['is not a courier'] });
      if (action === 'buyer_cancel' && order.status === 'awaiting_payment') {
        // One payment covers every shop's order in the checkout; a VA has one amount, so
        // cancelling before payment cancels the whole payment.
        const payment = (await trx.selectFrom('payments').selectAll().where('id', '=', order.payment_id).executeTakeFirst()) as PaymentRow | undefined;
        if (!payment || !(await releasePayment(trx, payment, 'cancelled', 'buyer', options.reason ?? 'cancelled by buyer'))) {
          throw conflict('This order can no longer be cancelled.', undefined, 'transition-not-allowed');
        }
        return;
      }
      await applyTransition(trx, order, action, role, options);
      if (action === 'buyer_cancel' || action === 'seller_cancel') {
        await sql`update payments set status = 'cancelled', updated_at = now()
          where id = ${order.payment_id} and status = 'cod_pending'
            and not exists (select 1 from orders o where o.payment_id = ${order.payment_id} and o.status not in (${sql.join([...CLOSED_STATUSES])}))`.execute(trx);
      }
    });
    return this.order(subject, orderId);
  }

  /**
   * Cancels as whoever the caller is on this order: its buyer cancels as the buyer (who wins when
   * they also own the shop), anyone else as the seller — someone who is neither gets 404 from act.
   */
  async cancel(subject: string, orderId: string, reason?: string) {
    const order = (await this.db.selectFrom('orders').select('buyer_subject').where('id', '=', orderId).executeTakeFirst()) as { buyer_subject: string | null } | undefined;
    if (!order) throw notFound('No such order.');
    return this.act(subject, orderId, order.buyer_subject === subject ? 'buyer_cancel' : 'seller_cancel', { reason });
  }

  async payment(subject: string, paymentId: string) {
    const payment = (await this.db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst()) as PaymentRow | undefined;
    if (!payment || payment.buyer_subject !== subject) throw notFound('No such payment.');
    return withQrImage(paymentView(payment));
  }
}
