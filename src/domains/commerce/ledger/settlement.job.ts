import type { Database } from '../../../platform/db.js';
import type { Job } from '../../../platform/jobs.js';
import { releaseSettlement } from './ledger.js';

/** Moves a completed order's settlement from pending to available on its tier's day. */
export function releaseSettlementJob(db: Database) {
  return async (job: Job) => {
    const orderId = String(job.payload.orderId);
    if (await releaseSettlement(db, orderId)) return;
    const settlement = await db.selectFrom('ledger_settlements').select('order_id').where('order_id', '=', orderId).executeTakeFirst();
    // Ran early (clocks differ between hosts): fail so the runner tries again after a backoff.
    if (settlement) throw new Error('settlement not due yet');
  };
}
