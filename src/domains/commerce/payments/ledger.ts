import { sql, type InsertQueryBuilder, type InsertResult, type QueryCreator, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { forbidden, notFound, conflict, unauthorized, unprocessable, badRequest } from '../../../platform/errors.js';
import { applyTransition, type OrderRow } from '../orders/transition.js';
import type { OrderAction } from '../orders/state.js';
import type { GatewayTransaction, NotificationClaim, PaymentProvider } from './provider.js';
import { requestRefund } from './refund.job.js';

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
  /** The gateway settled a payment that had already closed: it stays closed and the money goes back. */
  latePayment: boolean;
}

/** Checks a notification's signature and form: 401 or 400, nothing stored, when they fail. */
function verified(provider: PaymentProvider, body: Record<string, unknown>): NotificationClaim {
  const result = provider.verifyNotification(body);
  if (result.ok) return result.notification;
  if (result.reason === 'signature') throw unauthorized('The notification signature is not valid.');
  if (result.reason === 'status') {
    throw badRequest('The transaction_status is not one the signed status_code allows.', { transaction_status: ['does not agree with status_code'] });
  }
  throw badRequest('The notification is not one this gateway sends.');
}

/** The payment a notification or the gateway speaks of, if it is this gateway's and the amount matches. */
function paymentFor(payment: PaymentRow | undefined, provider: PaymentProvider, about: { paymentId: string; grossAmountIdr: number }): PaymentRow {
  if (!payment || payment.id !== about.paymentId || payment.provider !== provider.name) throw notFound('No such payment.');
  if (about.grossAmountIdr !== payment.gross_amount_idr) {
    throw unprocessable('The gross amount does not match the payment.', { gross_amount: ['does not match the payment'] });
  }
  return payment;
}

/**
 * The single path every gateway notification takes, real or simulated: verify the signature and
 * that the status agrees with the signed status code (4xx, nothing stored, when not), ask the
 * gateway what the transaction is now (the signature does not cover the status, so Midtrans tells
 * merchants to confirm with its status API), store that once (a repeat is a no-op) and apply what
 * the gateway confirmed, at most once.
 */
export async function receiveNotification(db: Database, provider: PaymentProvider, body: Record<string, unknown>): Promise<NotificationResult> {
  const claim = verified(provider, body);
  paymentFor((await db.selectFrom('payments').selectAll().where('id', '=', claim.paymentId).executeTakeFirst()) as PaymentRow | undefined, provider, claim);
  const gateway = await provider.status(claim.paymentId);
  if (!gateway || gateway.paymentId !== claim.paymentId) throw unprocessable('The gateway has no such transaction.');
  return db.transaction().execute(
    async (trx) => applyGatewayState(trx, claim, gateway, paymentFor(await lockPayment(trx, claim.paymentId), provider, gateway)),
  );
}

const CLOSED_UNPAID: ReadonlySet<PaymentRow['status']> = new Set(['failed', 'expired', 'cancelled']);

/** Applies what the gateway confirmed to its payment, which the caller has locked. */
async function applyGatewayState(
  trx: Transaction<AnyDB>, claim: NotificationClaim, gateway: GatewayTransaction, payment: PaymentRow,
): Promise<NotificationResult> {
  // The payment row is locked, so no other notification of it is being applied meanwhile, and
  // a payment leaves `pending` (or `paid`) only once: whether this one applies is known now.
  const late = gateway.outcome === 'paid' && CLOSED_UNPAID.has(payment.status);
  const applies =
    (gateway.outcome === 'paid' && canMarkPaid(payment)) ||
    (gateway.outcome === 'released' && canRelease(payment, gateway.releasedAs)) ||
    (gateway.outcome === 'refunded' && canRefund(payment));
  // Only verified fields are kept: the signed ones as sent, and the gateway's own answer. A
  // second notification of a state already handled finds its fingerprint taken and changes nothing.
  const store = (db: QueryCreator<AnyDB>) =>
    db
      .insertInto('payment_notifications')
      .values({
        payment_id: payment.id,
        fingerprint: gateway.fingerprint,
        transaction_status: gateway.transactionStatus,
        body: JSON.stringify({ notification: claim.fields, gateway: gateway.fields }),
        applied: applies,
      })
      .onConflict((oc) => oc.column('fingerprint').doNothing());
  const result = (status: PaymentRow['status'], applied: boolean, duplicate = false) => ({ paymentId: payment.id, status, applied, duplicate, latePayment: late && !duplicate });
  if (applies && gateway.outcome === 'paid') {
    // A settlement of a payment still pending cannot have been stored before (storing it would
    // have paid the payment), so it is stored in the same statement that marks the payment paid.
    await markPaymentPaid(trx, payment, store);
    return result('paid', true);
  }
  if (!(await store(trx).returning('id').executeTakeFirst())) return result(payment.status, false, true);
  if (late) await refundLatePayment(trx, payment, gateway);
  if (applies && gateway.outcome === 'released') await releasePayment(trx, payment, gateway.releasedAs, 'provider', `gateway: ${gateway.transactionStatus}`);
  else if (applies && gateway.outcome === 'refunded') await refundPayment(trx, payment);
  const status = !applies ? payment.status : gateway.outcome === 'released' ? gateway.releasedAs : 'refunded';
  return result(status, applies);
}

/**
 * The gateway settled a payment that had already closed (its deadline passed here first, or it
 * failed or was cancelled): the orders stay closed, the money is recorded and each order's share
 * is sent back by the refund job. A second paid state of the same transaction is the same money.
 */
async function refundLatePayment(trx: Transaction<AnyDB>, payment: PaymentRow, gateway: GatewayTransaction): Promise<void> {
  const recorded = await trx
    .insertInto('late_payments')
    .values({ payment_id: payment.id, amount_idr: gateway.grossAmountIdr, transaction_status: gateway.transactionStatus })
    .onConflict((oc) => oc.column('payment_id').doNothing())
    .returning('payment_id')
    .executeTakeFirst();
  if (!recorded) return;
  let refunded = 0;
  for (const order of await ordersOf(trx, payment.id)) {
    if (order.total_idr <= 0) continue;
    await requestRefund(trx, { paymentId: payment.id, orderId: order.id, amountIdr: order.total_idr, reason: 'late payment' });
    refunded += order.total_idr;
  }
  await trx.updateTable('payments').set({ refunded_idr: sql`refunded_idr + ${refunded}`, updated_at: sql`now()` }).where('id', '=', payment.id).execute();
}

/** Sandbox only: the gateway's simulator moves the transaction, and its notification takes the same path. */
export async function simulatePayment(
  db: Database,
  provider: PaymentProvider,
  subject: string,
  paymentId: string,
  outcome: 'paid' | 'failed',
): Promise<NotificationResult> {
  const simulate = provider.simulate?.bind(provider);
  if (!simulate) throw forbidden('Payments can be simulated only with the sandbox provider.');
  const payment = (await db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst()) as PaymentRow | undefined;
  if (!payment || payment.buyer_subject !== subject) throw notFound('No such payment.');
  if (payment.status === 'cod_pending') throw conflict('A cash-on-delivery payment is collected by the courier.');
  return receiveNotification(db, provider, await simulate(payment.id, payment.gross_amount_idr, outcome === 'paid' ? 'settlement' : 'deny'));
}
