import type { Database } from '../../../platform/db.js';
import type { Job } from '../../../platform/jobs.js';
import { applyTransition, AUTO_COMPLETE_AFTER_MS, lockOrder } from './transition.js';

/** Completes an order 3 days after delivery unless the buyer completed it or asked for a return. */
export function autoCompleteJob(db: Database) {
  return async (job: Job) => {
    await autoComplete(db, String(job.payload.orderId));
  };
}

export async function autoComplete(db: Database, orderId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, orderId);
    if (!order || order.status !== 'delivered' || !order.delivered_at) return false;
    if (new Date(order.delivered_at).getTime() + AUTO_COMPLETE_AFTER_MS > now.getTime()) return false;
    await applyTransition(trx, order, 'complete', 'system', { reason: 'completed automatically 3 days after delivery' });
    return true;
  });
}
