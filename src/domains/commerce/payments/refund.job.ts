import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AnyDB, Database } from '../../../platform/db.js';
import { defineJob, enqueueJob, type Job } from '../../../platform/jobs.js';
import { uuidv7 } from '../../../platform/ids.js';
import type { PaymentProvider } from './provider.js';

export const SEND_REFUND_JOB = 'commerce.refund.send';

export interface RefundSending {
  refundId: string;
}

/** Asks for one order's money back: the refund, and the job that sends it once the caller commits. */
export async function requestRefund(trx: Transaction<AnyDB>, refund: { paymentId: string; orderId: string; amountIdr: number; reason: string }): Promise<void> {
  const refundId = uuidv7();
  await trx
    .insertInto('refunds')
    .values({ id: refundId, payment_id: refund.paymentId, order_id: refund.orderId, amount_idr: refund.amountIdr, reason: refund.reason, status: 'requested' })
    .execute();
  await enqueueJob(trx, SEND_REFUND_JOB, { refundId }, { dedupeKey: `refund:${refund.orderId}`, maxAttempts: 20 });
}

/**
 * Sends one requested refund to the payment gateway. The refund id is the gateway's refund key,
 * so a retry after a lost answer is the same refund, never a second one. A gateway that is
 * unreachable or busy makes the job fail and run again with backoff; a refusal is final and is
 * kept on the refund (and logged) for a person to look at.
 */
export function sendRefundJob(db: Database, provider: PaymentProvider, log: Logger) {
  return async (job: Job<RefundSending>): Promise<void> => {
    const refund = (await db
      .selectFrom('refunds')
      .select(['id', 'payment_id', 'amount_idr', 'reason', 'status'])
      .where('id', '=', job.payload.refundId)
      .executeTakeFirst()) as { id: string; payment_id: string; amount_idr: number; reason: string | null; status: string } | undefined;
    if (!refund || refund.status !== 'requested') return;
    const result = await provider.refund({ paymentId: refund.payment_id, refundKey: refund.id, amountIdr: refund.amount_idr, reason: refund.reason ?? 'refund' });
    if (result.ok) {
      await db
        .updateTable('refunds')
        .set({ status: 'sent', provider_reference: result.reference, sent_at: sql`now()`, last_error: null })
        .where('id', '=', refund.id)
        .where('status', '=', 'requested')
        .execute();
      return;
    }
    if (result.retryable) {
      await db.updateTable('refunds').set({ last_error: result.reason.slice(0, 500) }).where('id', '=', refund.id).execute();
      throw new Error(`the gateway did not take the refund yet: ${result.reason}`);
    }
    await db.updateTable('refunds').set({ status: 'failed', last_error: result.reason.slice(0, 500) }).where('id', '=', refund.id).execute();
    log.error({ refundId: refund.id, paymentId: refund.payment_id, reason: result.reason }, 'the gateway refused a refund');
  };
}

export const sendRefundJobType = defineJob<RefundSending, { db: Database; provider: PaymentProvider; log: Logger }>(SEND_REFUND_JOB, ({ db, provider, log }) =>
  sendRefundJob(db, provider, log),
);
