import type { Database } from '../../../platform/db.js';
import { defineJob } from '../../../platform/jobs.js';

export const AUTO_COMPLETE_JOB = 'commerce.order.auto-complete';
/** A buyer may ask for a return until 6 days after delivery. */
export const RETURN_WINDOW_MS = 6 * 24 * 60 * 60 * 1000;
/** An order completes by itself a day after its return window closed (and never while a return is open). */
export const AUTO_COMPLETE_AFTER_MS = RETURN_WINDOW_MS + 24 * 60 * 60 * 1000;

export interface AutoCompletion {
  orderId: string;
}

/**
 * Completes an order a day after its return window (7 days after delivery) unless the buyer
 * completed it or a return is open (the order is then `return_requested`, and the return closes it).
 * The move itself is `autoComplete` (orders/auto-complete.ts): it needs the order transitions,
 * which enqueue this job, so it is handed in rather than imported.
 */
export const autoCompleteJobType = defineJob<AutoCompletion, { db: Database; autoComplete: (db: Database, orderId: string) => Promise<boolean> }>(
  AUTO_COMPLETE_JOB,
  ({ db, autoComplete }) =>
    async (job) => {
      const { orderId } = job.payload;
      if (await autoComplete(db, orderId)) return;
      const still = (await db.selectFrom('orders').select(['status', 'delivered_at']).where('id', '=', orderId).executeTakeFirst()) as
        | { status: string; delivered_at: Date | null }
        | undefined;
      // Ran early (clocks differ between hosts): fail so the runner tries again after a backoff.
      if (still?.status === 'delivered' && still.delivered_at && new Date(still.delivered_at).getTime() + AUTO_COMPLETE_AFTER_MS > Date.now()) {
        throw new Error('order not due to complete yet');
      }
    },
);
