import { sql, type QueryCreator, type RawBuilder, type Transaction } from 'kysely';
import type { AnyDB } from '../../../platform/db.js';
import { conflict } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { publishIfAvailabilityChanged } from '../catalog/events.js';
import { productViews } from '../catalog/cache.js';
import { requestRefund } from '../payments/refund.job.js';
import { postOrderMove } from '../ledger/ledger.js';
import { notifyOrderMove } from '../notifications.js';
import { AUTO_COMPLETE_AFTER_MS, autoCompleteJobType } from './auto-complete.job.js';
import { dispatchDeadlineJobType } from './dispatch-deadline.job.js';
import { CLOSED_STATUSES, nextStatus, type Actor, type OrderAction, type OrderStatus } from './state.js';

export { AUTO_COMPLETE_AFTER_MS, RETURN_WINDOW_MS } from './auto-complete.job.js';
export const DISPATCH_WORKING_DAYS = 3;
const WIB_MS = 7 * 60 * 60 * 1000;

/**
 * When a paid or confirmed order must have been handed to the courier: the end of the third
 * working day (Monday to Friday, in WIB) after the day it was paid. Public holidays are not counted
 * out yet.
 */
export function dispatchDeadline(paidAt: Date, workingDays = DISPATCH_WORKING_DAYS): Date {
  const local = new Date(paidAt.getTime() + WIB_MS);
  let day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  for (let left = workingDays; left > 0; ) {
    day += 24 * 60 * 60 * 1000;
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  // The end of that day in WIB, as an instant.
  return new Date(day + 24 * 60 * 60 * 1000 - WIB_MS);
}

export interface OrderRow {
  id: string;
  payment_id: string;
  shop_id: string;
  buyer_subject: string | null;
  status: OrderStatus;
  subtotal_idr: number;
  shipping_idr: number;
  discount_idr: number;
  shipping_discount_idr: number;
  total_idr: number;
  voucher_id: string | null;
  courier: string;
  tracking_number: string | null;
  recipient: string;
  phone: string;
  line1: string;
  city: string;
  province: string;
  postal_code: string;
  return_reason: string | null;
  return_rejected: boolean;
  erase_pending: boolean;
  created_at: Date;
  paid_at: Date | null;
  shipped_at: Date | null;
  delivered_at: Date | null;
  closed_at: Date | null;
}

export const ERASED = '[dihapus]';

export async function lockOrder(trx: Transaction<AnyDB>, orderId: string): Promise<OrderRow | undefined> {
  return (await trx.selectFrom('orders').selectAll().where('id', '=', orderId).forUpdate().executeTakeFirst()) as OrderRow | undefined;
}

/** How an order's reservations move with the order, and what that does to their variants. */
interface StockMove {
  from: 'open' | 'sold';
  to: 'sold' | 'released' | 'restocked';
  counts: Record<string, RawBuilder<number>>;
}

/** Reservations of an order become sales: units leave stock and reserved, and count as sold. */
const SELL: StockMove = {
  from: 'open',
  to: 'sold',
  counts: { stock: sql`v.stock - m.quantity`, reserved: sql`v.reserved - m.quantity`, sold: sql`v.sold + m.quantity` },
};
const RELEASE: StockMove = { from: 'open', to: 'released', counts: { reserved: sql`v.reserved - m.quantity` } };
/** Sold units of an order that never left the shop go back on the shelf. */
const RESTOCK: StockMove = { from: 'sold', to: 'restocked', counts: { stock: sql`v.stock + m.quantity`, sold: sql`v.sold - m.quantity` } };

/**
 * Adds to a statement the CTEs that move an order's reservations and change their variants'
 * counts to match (`stock` returns the products touched). The variant rows are locked in id order
 * first — a materialised CTE the reservation update reads — the order checkout takes them in, so
 * two transactions never deadlock.
 */
function withStockMove<Q extends QueryCreator<AnyDB>>(statement: Q, orderId: string, move: StockMove): Q {
  return statement
    .with(
      (cte) => cte('locked').materialized(),
      (db) =>
        db
          .selectFrom('variants')
          .select('id')
          .where('id', 'in', db.selectFrom('reservations').select('variant_id').where('order_id', '=', orderId).where('state', '=', move.from))
          .orderBy('id')
          .forUpdate(),
    )
    .with('stock_moved', (db) =>
      db
        .updateTable('reservations')
        .set({ state: move.to, updated_at: sql`now()` })
        .where('order_id', '=', orderId)
        .where('state', '=', move.from)
        .where('variant_id', 'in', db.selectFrom('locked').select('id'))
        .returning(['variant_id', 'quantity']),
    )
    .with('stock', (db) =>
      db.updateTable('variants as v').from('stock_moved as m').set(move.counts).whereRef('v.id', '=', 'm.variant_id').returning('v.product_id'),
    ) as unknown as Q;
}

/** Pending commissions for the order's attributed lines, written with the order's move to paid. */
function openCommissions(db: QueryCreator<AnyDB>, order: OrderRow) {
  return db
    .insertInto('commissions')
    .columns(['id', 'affiliate_id', 'order_id', 'order_line_id', 'shop_id', 'product_id', 'percent', 'amount_idr', 'state'])
    .expression((eb) =>
      eb
        .selectFrom('order_lines as l')
        .select([
          sql<string>`gen_random_uuid()`.as('id'),
          'l.affiliate_id',
          'l.order_id',
          'l.id',
          sql<string>`${order.shop_id}::uuid`.as('shop_id'),
          'l.product_id',
          'l.commission_percent',
          sql<number>`(l.line_total_idr * l.commission_percent) / 100`.as('amount_idr'),
          sql<string>`'pending'`.as('state'),
        ])
        .where('l.order_id', '=', order.id)
        .where('l.affiliate_id', 'is not', null)
        .where('l.commission_percent', '>', 0),
    )
    .onConflict((oc) => oc.column('order_line_id').doNothing());
}

async function settleCommissions(trx: Transaction<AnyDB>, orderId: string, state: 'confirmed' | 'reversed'): Promise<void> {
  await trx
    .updateTable('commissions')
    .set({ state, updated_at: sql`now()` })
    .where('order_id', '=', orderId)
    .where('state', '=', 'pending')
    .execute();
}

/** Keeps what tax law needs (amounts, lines, dates) and drops who and where. */
export async function minimiseOrder(trx: Transaction<AnyDB>, orderId: string): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ buyer_subject: null, recipient: ERASED, phone: ERASED, line1: ERASED, postal_code: '00000', return_reason: null, erase_pending: false })
    .where('id', '=', orderId)
    .execute();
  // A return keeps its steps, amounts and dates; the buyer's words, photos and who they are go
  // (erasure removes the photo files it collected before; see PrivacyService).
  await trx.updateTable('returns').set({ buyer_subject: null, reason_text: ERASED }).where('order_id', '=', orderId).execute();
  await trx
    .updateTable('return_events')
    .set({ note: null })
    .where('actor', '=', 'buyer')
    .where('return_id', 'in', trx.selectFrom('returns').select('id').where('order_id', '=', orderId))
    .execute();
  await trx
    .deleteFrom('return_evidence')
    .where('party', '=', 'buyer')
    .where('return_id', 'in', trx.selectFrom('returns').select('id').where('order_id', '=', orderId))
    .execute();
  // A courier's notes can name who took the parcel in; the stages and times stay.
  await trx.updateTable('shipment_events').set({ note: '' }).where('order_id', '=', orderId).execute();
  // The payment loses its subject too once none of its orders is open.
  await sql`update payments p set buyer_subject = null where p.id = (select payment_id from orders where id = ${orderId})
    and not exists (select 1 from orders o where o.payment_id = p.id and o.closed_at is null and o.id <> ${orderId})`.execute(trx);
}

export interface TransitionOptions {
  reason?: string;
  trackingNumber?: string;
  courier?: string;
  /** close_return: the part of the order's money that goes back to the buyer (posted before settlement). */
  partialRefundIdr?: number;
  /** refund_return: the returned goods reached the shop and go back on the shelf. */
  restock?: boolean;
}

/**
 * Moves one locked order through the machine and does what the move means for stock, money and
 * commission, all in the caller's transaction; every move is written to `order_events`.
 */
export async function applyTransition(
  trx: Transaction<AnyDB>,
  order: OrderRow,
  action: OrderAction,
  actor: Actor,
  options: TransitionOptions = {},
): Promise<OrderStatus> {
  const from = order.status;
  const to = nextStatus(from, action);
  const set: Record<string, unknown> = { status: to, updated_at: sql`now()` };
  let moveStock: StockMove | undefined;

  let opensCommissions = false;
  if (from === 'awaiting_payment' && (to === 'paid' || to === 'confirmed')) {
    moveStock = SELL;
    opensCommissions = true;
    if (to === 'paid') set.paid_at = sql`now()`;
    await dispatchDeadlineJobType.enqueue(trx, { orderId: order.id }, { runAt: dispatchDeadline(new Date()), dedupeKey: `dispatch:${order.id}` });
  } else if (from === 'awaiting_payment') {
    moveStock = RELEASE;
  } else if (to === 'cancelled' || (to === 'refunded' && (from === 'paid' || action === 'courier_return' || (action === 'refund_return' && options.restock)))) {
    moveStock = RESTOCK;
  }
  if (to === 'refunded') {
    await settleCommissions(trx, order.id, 'reversed');
    await sql`update payments set refunded_idr = refunded_idr + ${order.total_idr}, updated_at = now() where id = ${order.payment_id}`.execute(trx);
    // A refund the gateway reported already happened there; any other is asked of the gateway,
    // by a job that runs once this transaction has committed.
    if (action !== 'refund' && order.total_idr > 0) {
      await requestRefund(trx, { paymentId: order.payment_id, orderId: order.id, amountIdr: order.total_idr, reason: options.reason ?? action });
    }
  }
  if (to === 'cancelled' && from !== 'awaiting_payment') await settleCommissions(trx, order.id, 'reversed');
  if (to === 'shipped') {
    set.shipped_at = sql`now()`;
    set.tracking_number = options.trackingNumber ?? null;
    if (options.courier) set.courier = options.courier;
  }
  // The order keeps the return's reason code, for lists; the return itself is in `returns`.
  if (action === 'request_return') set.return_reason = options.reason ?? null;
  const partial = action === 'close_return' ? Math.max(0, Math.trunc(options.partialRefundIdr ?? 0)) : 0;
  if (partial > 0) {
    if (partial >= order.total_idr) throw conflict('A partial refund is less than the order’s total.', undefined, 'transition-not-allowed');
    await sql`update payments set refunded_idr = refunded_idr + ${partial}, updated_at = now() where id = ${order.payment_id}`.execute(trx);
    await requestRefund(trx, { paymentId: order.payment_id, orderId: order.id, amountIdr: partial, reason: options.reason ?? 'partial refund' });
  }
  if (to === 'delivered') {
    const deliveredAt = order.delivered_at ? new Date(order.delivered_at) : new Date();
    if (!order.delivered_at) set.delivered_at = deliveredAt;
    const runAt = new Date(Math.max(Date.now(), deliveredAt.getTime() + AUTO_COMPLETE_AFTER_MS));
    await autoCompleteJobType.enqueue(trx, { orderId: order.id }, { runAt, dedupeKey: `auto-complete:${order.id}:${uuidv7()}` });
  }
  if (to === 'completed') await settleCommissions(trx, order.id, 'confirmed');
  if (CLOSED_STATUSES.has(to)) set.closed_at = sql`now()`;

  // The move, its event, its stock and (on payment) its commissions in one statement; the event
  // is written only if the order moved, and without it the transaction rolls back.
  let move = trx.with('moved', (db) => db.updateTable('orders').set(set).where('id', '=', order.id).where('status', '=', from).returning('id'));
  if (opensCommissions) move = move.with('commissions', (db) => openCommissions(db, order)) as unknown as typeof move;
  if (moveStock) move = withStockMove(move, order.id, moveStock);
  const recorded = (await move
    .insertInto('order_events')
    .columns(['order_id', 'from_status', 'to_status', 'action', 'actor', 'reason'])
    .expression((eb) =>
      eb
        .selectFrom('moved')
        .select([
          'moved.id',
          sql<string | null>`${from}::text`.as('from_status'),
          sql<string>`${to}::text`.as('to_status'),
          sql<string>`${action}::text`.as('action'),
          sql<string>`${actor}::text`.as('actor'),
          sql<string | null>`${options.reason ?? null}::text`.as('reason'),
        ]),
    )
    .returning(['order_events.id', moveStock ? sql<string[]>`(select coalesce(json_agg(product_id), '[]'::json) from stock)`.as('touched') : sql<string[]>`'[]'::json`.as('touched')])
    .execute()) as { id: number; touched: string[] }[];
  if (recorded.length !== 1) throw conflict('The order changed meanwhile; try again.');
  await postOrderMove(trx, order, from, to, partial);
  // Before a minimising erasure below drops the buyer's subject, and in this transaction.
  await notifyOrderMove(trx, order, from, to, action, actor);

  if (to === 'delivered' && from === 'shipped') {
    // Cash on delivery: the courier collected the money when the last open order arrived.
    await sql`update payments set status = 'paid', paid_at = now(), updated_at = now()
      where id = ${order.payment_id} and status = 'cod_pending'
        and not exists (select 1 from orders o where o.payment_id = ${order.payment_id} and o.status in ('confirmed', 'shipped'))`.execute(trx);
  }
  if (CLOSED_STATUSES.has(to) && order.erase_pending) await minimiseOrder(trx, order.id);
  const touched = recorded[0]!.touched;
  if (touched.length > 0) {
    productViews.forget(touched);
    // A sale takes units out of stock and reserved alike: availability does not change.
    if (moveStock !== SELL) await publishIfAvailabilityChanged(trx, touched);
  }
  order.status = to;
  return to;
}
