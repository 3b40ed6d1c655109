import type { Database } from '../../../platform/db.js';
import type { Job } from '../../../platform/jobs.js';
import { lockPayment, releasePayment } from './ledger.js';

export const EXPIRE_PAYMENT_JOB = 'commerce.payment.expire';

/**
 * Expires an unpaid payment once its deadline passed and releases its stock. Safe on several
 * processes: the payment row is locked and an already settled payment is left alone.
 */
export function expirePaymentJob(db: Database) {
  return async (job: Job) => {
    const paymentId = String(job.payload.paymentId);
    await expirePayment(db, paymentId);
  };
}

export async function expirePayment(db: Database, paymentId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const payment = await lockPayment(trx, paymentId);
    if (!payment || payment.status !== 'pending' || !payment.expires_at) return false;
    if (new Date(payment.expires_at).getTime() > now.getTime()) return false;
    return releasePayment(trx, payment, 'expired', 'system', 'payment deadline passed');
  });
}
