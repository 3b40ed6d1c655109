import type { Database } from '../../../platform/db.js';
import { defineJob, type Job } from '../../../platform/jobs.js';
import { lockPayment, releasePayment } from './ledger.js';

export const EXPIRE_PAYMENT_JOB = 'commerce.payment.expire';

export interface PaymentExpiry {
  paymentId: string;
}

/**
 * Expires an unpaid payment once its deadline passed and releases its stock. Safe on several
 * processes: the payment row is locked and an already settled payment is left alone.
 */
export function expirePaymentJob(db: Database) {
  return async (job: Job<PaymentExpiry>) => {
    const { paymentId } = job.payload;
    if (await expirePayment(db, paymentId)) return;
    const still = (await db.selectFrom('payments').select(['status', 'expires_at']).where('id', '=', paymentId).executeTakeFirst()) as
      | { status: string; expires_at: Date | null }
      | undefined;
    // Ran early (clocks differ between hosts): fail so the runner tries again after a backoff.
    if (still?.status === 'pending') throw new Error('payment not due to expire yet');
  };
}

export const expirePaymentJobType = defineJob<PaymentExpiry, Database>(EXPIRE_PAYMENT_JOB, expirePaymentJob);

export async function expirePayment(db: Database, paymentId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const payment = await lockPayment(trx, paymentId);
    if (!payment || payment.status !== 'pending' || !payment.expires_at) return false;
    if (new Date(payment.expires_at).getTime() > now.getTime()) return false;
    return releasePayment(trx, payment, 'expired', 'system', 'payment deadline passed');
  });
}
