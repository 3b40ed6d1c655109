import type { Database } from '../../../platform/db.js';
import { applyTransition, AUTO_COMPLETE_AFTER_MS, lockOrder } from './transition.js';

/** Completes a delivered order whose return window has passed; false when it is not (yet) due. */
export async function autoComplete(db: Database, orderId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, orderId);
    if (!order || order.status !== 'delivered' || !order.delivered_at) return false;
    if (new Date(order.delivered_at).getTime() + AUTO_COMPLETE_AFTER_MS > now.getTime()) return false;
    await applyTransition(trx, order, 'complete', 'system', { reason: 'completed automatically 7 days after delivery' });
    return true;
  });
}
