import { sql, type InsertQueryBuilder, type InsertResult, type QueryCreator, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { forbidden, notFound, conflict, unauthorized, unprocessable, badRequest } from '../../../platform/errors.js';
import { applyTransition, type OrderRow } from '../orders/transition.js';
import type { OrderAction } from '../orders/state.js';
import type { PaymentProvider, VerifiedNotification } from './provider.js';

export interface PaymentRow {
  id: string;
  buyer_subject: string | null;
  provider: string;
  method: string;
  status: 'pending' | 'cod_pending' | 'paid' | 'failed' | 'expired' | 'cancelled' | 'refunded';
  gross_amount_idr: number;
  refunded_idr: number;
  instructions: Record<string, unknown>;
  expires_at: Date | null;
  paid_at: Date | null;
  created_at: Date;
}

export async function lockPayment(trx: Transaction<AnyDB>, paymentId: string): Promise<PaymentRow | undefined> {
  return (await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirst()) as PaymentRow | undefined;
}

/**
 * A payment's orders, locked, and — when there are several — every variant they reserved, locked
 * in id order before any order moves: the orders of one payment would otherwise lock their
 * variants order by order, and two payments sharing variants could deadlock.
 */
async function lockOrdersOf(trx: Transaction<AnyDB>, paymentId: string, locker: QueryCreator<AnyDB> = trx): Promise<OrderRow[]> {
  const orders = await ordersOf(locker, paymentId);
  if (orders.length > 1) {
    await sql`select id from variants where id in (
        select r.variant_id from reservations r join orders o on o.id = r.order_id where o.payment_id = ${paymentId})
      order by id for update`.execute(trx);
  }
  return orders;
}

async function ordersOf(trx: QueryCreator<AnyDB>, paymentId: string): Promise<OrderRow[]> {
  return (await trx.selectFrom('orders').selectAll().where('payment_id', '=', paymentId).orderBy('id').forUpdate().execute()) as OrderRow[];
}

/** Whether money arriving moves this payment (it does only while the payment waits for it). */
export const canMarkPaid = (payment: PaymentRow): boolean => payment.status === 'pending';

/** Whether the payment can still be released as `as` (a COD payment only by the buyer's cancel). */
export const canRelease = (payment: PaymentRow, as: 'failed' | 'expired' | 'cancelled'): boolean =>
  payment.status === 'pending' || (payment.status === 'cod_pending' && as === 'cancelled');

/** Whether a refund the gateway reports moves this payment. */
export const canRefund = (payment: PaymentRow): boolean => payment.status === 'paid';

/** Money arrived: every order still waiting for it is paid and its reservations become sales. */
export async function markPaymentPaid(
  trx: Transaction<AnyDB>,
  payment: PaymentRow,
  alongside?: (db: QueryCreator<AnyDB>) => InsertQueryBuilder<AnyDB, string, InsertResult>,
): Promise<boolean> {
  if (!canMarkPaid(payment)) return false;
  // The payment row is already locked by the caller; mark it paid and lock its orders at once
  // (writing `alongside` in the same statement).
  let paid = trx.with('paid', (db) => db.updateTable('payments').set({ status: 'paid', paid_at: sql`now()`, updated_at: sql`now()` }).where('id', '=', payment.id));
  if (alongside) paid = paid.with('alongside', alongside) as unknown as typeof paid;
  for (const order of await lockOrdersOf(trx, payment.id, paid as unknown as QueryCreator<AnyDB>)) {
    if (order.status === 'awaiting_payment') await applyTransition(trx, order, 'pay', 'provider');
  }
  return true;
}

const RELEASE_ACTION: Record<'failed' | 'expired' | 'cancelled', OrderAction> = {
  failed: 'fail_payment',
  expired: 'expire',
  cancelled: 'buyer_cancel',
};

/**
 * The payment will not come (failed, expired, or the buyer cancelled): its orders close, their
 * reserved units go back to available and the vouchers it used can be used again.
 */
export async function releasePayment(
  trx: Transaction<AnyDB>,
  payment: PaymentRow,
  as: 'failed' | 'expired' | 'cancelled',
  actor: 'buyer' | 'system' | 'provider',
  reason?: string,
): Promise<boolean> {
  if (!canRelease(payment, as)) return false;
  await trx.updateTable('payments').set({ status: as, updated_at: sql`now()` }).where('id', '=', payment.id).execute();
  // Vouchers before orders and their variants: the lock order checkout uses too.
  const redeemed = await trx.deleteFrom('voucher_redemptions').where('payment_id', '=', payment.id).returning('voucher_id').execute();
  for (const { voucher_id } of redeemed) {
    await trx.updateTable('vouchers').set({ used: sql`used - 1` }).where('id', '=', voucher_id).execute();
  }
  const action = payment.status === 'cod_pending' ? 'buyer_cancel' : RELEASE_ACTION[as];
  for (const order of await lockOrdersOf(trx, payment.id)) {
    if (order.status === 'awaiting_payment' || (order.status === 'confirmed' && action === 'buyer_cancel')) {
      await applyTransition(trx, order, action, actor, { reason });
    }
  }
  return true;
}

/** The gateway refunded the whole transaction: every order that can still be refunded is. */
export async function refundPayment(trx: Transaction<AnyDB>, payment: PaymentRow): Promise<boolean> {
  if (!canRefund(payment)) return false;
  for (const order of await lockOrdersOf(trx, payment.id)) {
    if (['paid', 'shipped', 'delivered', 'return_requested'].includes(order.status)) await applyTransition(trx, order, 'refund', 'provider');
  }
  await trx.updateTable('payments').set({ status: 'refunded', updated_at: sql`now()` }).where('id', '=', payment.id).execute();
  return true;
}

export interface NotificationResult {
  paymentId: string;
  status: PaymentRow['status'];
  applied: boolean;
  duplicate: boolean;
}

/** Checks a notification's signature and form: 401 (nothing stored) when the signature fails. */
function verified(provider: PaymentProvider, body: Record<string, unknown>): VerifiedNotification {
  const result = provider.verifyNotification(body);
  if (result.ok) return result.notification;
  if (result.reason === 'signature') throw unauthorized('The notification signature is not valid.');
  throw badRequest('The notification is not one this gateway sends.');
}

/**
 * The single path every gateway notification takes, real or simulated: verify the signature
 * (401, nothing stored, when it fails), require the amount to match, store the notification once
 * (a repeat is a no-op) and apply it at most once.
 */
export async function receiveNotification(db: Database, provider: PaymentProvider, body: Record<string, unknown>): Promise<NotificationResult> {
  const n = verified(provider, body);
  return db.transaction().execute(async (trx) => applyNotification(trx, provider, n, body, await lockPayment(trx, n.paymentId)));
}

/** Applies a verified notification to its payment, which the caller has locked. */
async function applyNotification(
  trx: Transaction<AnyDB>,
  provider: PaymentProvider,
  n: VerifiedNotification,
  body: Record<string, unknown>,
  payment: PaymentRow | undefined,
): Promise<NotificationResult> {
  if (!payment || payment.id !== n.paymentId || payment.provider !== provider.name) throw notFound('No such payment.');
  if (n.grossAmountIdr !== payment.gross_amount_idr) {
    throw unprocessable('The gross amount does not match the payment.', { gross_amount: ['does not match the payment'] });
  }
  // The payment row is locked, so no other notification of it is being applied meanwhile, and
  // a payment leaves `pending` (or `paid`) only once: whether this one applies is known now.
  const applies =
    (n.outcome === 'paid' && canMarkPaid(payment)) ||
    (n.outcome === 'released' && canRelease(payment, n.releasedAs)) ||
    (n.outcome === 'refunded' && canRefund(payment));
  // An identical delivery finds its fingerprint taken and changes nothing.
  const store = (db: QueryCreator<AnyDB>) =>
    db
      .insertInto('payment_notifications')
      .values({ payment_id: payment.id, fingerprint: n.fingerprint, transaction_status: n.transactionStatus, body: JSON.stringify(body), applied: applies })
      .onConflict((oc) => oc.column('fingerprint').doNothing());
  if (applies && n.outcome === 'paid') {
    // A settlement of a payment still pending cannot have been stored before (storing it would
    // have paid the payment), so it is stored in the same statement that marks the payment paid.
    await markPaymentPaid(trx, payment, store);
    return { paymentId: payment.id, status: 'paid', applied: true, duplicate: false };
  }
  if (!(await store(trx).returning('id').executeTakeFirst())) return { paymentId: payment.id, status: payment.status, applied: false, duplicate: true };
  let status = payment.status;
  if (applies && n.outcome === 'released') {
    await releasePayment(trx, payment, n.releasedAs, 'provider', `gateway: ${n.transactionStatus}`);
    status = n.releasedAs;
  } else if (applies && n.outcome === 'refunded') {
    await refundPayment(trx, payment);
    status = 'refunded';
  }
  return { paymentId: payment.id, status, applied: applies, duplicate: false };
}

/** Sandbox only: sign the notification the gateway would send and take the same path. */
export async function simulatePayment(
  db: Database,
  provider: PaymentProvider,
  subject: string,
  paymentId: string,
  outcome: 'paid' | 'failed',
): Promise<NotificationResult> {
  const simulate = provider.simulateNotification?.bind(provider);
  if (!simulate) throw forbidden('Payments can be simulated only with the sandbox provider.');
  return db.transaction().execute(async (trx) => {
    const payment = await lockPayment(trx, paymentId);
    if (!payment || payment.buyer_subject !== subject) throw notFound('No such payment.');
    if (payment.status === 'cod_pending') throw conflict('A cash-on-delivery payment is collected by the courier.');
    const body = simulate(payment.id, payment.gross_amount_idr, outcome);
    return applyNotification(trx, provider, verified(provider, body), body, payment);
  });
}
