import type { Database } from '../../../platform/db.js';
import { defineJob, type Job } from '../../../platform/jobs.js';
import { RELEASE_SETTLEMENT_JOB, releaseSettlement } from './ledger.js';

export interface SettlementRelease {
  orderId: string;
}

/** Moves a completed order's settlement from pending to available on its tier's day. */
export function releaseSettlementJob(db: Database) {
  return async (job: Job<SettlementRelease>) => {
    const { orderId } = job.payload;
    if (await releaseSettlement(db, orderId)) return;
    const settlement = await db.selectFrom('ledger_settlements').select('order_id').where('order_id', '=', orderId).executeTakeFirst();
    // Ran early (clocks differ between hosts): fail so the runner tries again after a backoff.
    if (settlement) throw new Error('settlement not due yet');
  };
}

export const releaseSettlementJobType = defineJob<SettlementRelease, Database>(RELEASE_SETTLEMENT_JOB, releaseSettlementJob);
