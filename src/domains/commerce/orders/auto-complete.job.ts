import type { Database } from '../../../platform/db.js';
import type { Job } from '../../../platform/jobs.js';
import { applyTransition, AUTO_COMPLETE_AFTER_MS, lockOrder } from './transition.js';

/**
 * Completes an order a day after its return window (7 days after delivery) unless the buyer
 * completed it or a return is open (the order is then `return_requested`, and the return closes it).
 */
export function autoCompleteJob(db: Database) {
  return async (job: Job) => {
    const orderId = String(job.payload.orderId);
    if (await autoComplete(db, orderId)) return;
    const still = (await db.selectFrom('orders').select(['status', 'delivered_at']).where('id', '=', orderId).executeTakeFirst()) as
      | { status: string; delivered_at: Date | null }
      | undefined;
    // Ran early (clocks differ between hosts): fail so the runner tries again after a backoff.
    if (still?.status === 'delivered' && still.delivered_at && new Date(still.delivered_at).getTime() + AUTO_COMPLETE_AFTER_MS > Date.now()) {
      throw new Error('order not due to complete yet');
    }
  };
}

export async function autoComplete(db: Database, orderId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, orderId);
    if (!order || order.status !== 'delivered' || !order.delivered_at) return false;
    if (new Date(order.delivered_at).getTime() + AUTO_COMPLETE_AFTER_MS > now.getTime()) return false;
    await applyTransition(trx, order, 'complete', 'system', { reason: 'completed automatically 7 days after delivery' });
    return true;
  });
}
