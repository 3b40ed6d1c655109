import type { Database } from '../../../platform/db.js';
import { defineJob, scheduleRecurring, type Recurrence } from '../../../platform/jobs.js';

export const REFRESH_JOB = 'consent.refresh-purchase-categories';
const HOURLY: Recurrence = { everyMs: 60 * 60 * 1000, dedupeKey: (hour) => `refresh:${new Date(hour * 60 * 60 * 1000).toISOString()}` };

/** Enqueues the next hourly refresh; the dedupe key makes every process agree on one job per hour. */
export function scheduleRefresh(db: Database, now = Date.now()): Promise<void> {
  return scheduleRecurring(db, { name: REFRESH_JOB }, HOURLY, now);
}

/** Hourly: each consenting person's purchase categories are read again from commerce and handed to social. */
export const refreshJobType = defineJob<Record<string, never>, { db: Database; service: { refreshPurchaseCategories(): Promise<unknown> } }>(
  REFRESH_JOB,
  ({ db, service }) =>
    async () => {
      await service.refreshPurchaseCategories();
      await scheduleRefresh(db);
    },
);
