import { sql } from 'kysely';
import type { Database } from '../../../platform/db.js';
import { defineJob, scheduleRecurring, type Recurrence } from '../../../platform/jobs.js';

export const PURGE_IDEMPOTENCY_JOB = 'commerce.idempotency.purge';
const HOURLY: Recurrence = { everyMs: 60 * 60 * 1000, dedupeKey: (hour) => `idempotency-purge:${hour}` };

/** Schedules the next hourly purge; the dedupe key makes every process agree on one job per hour. */
export async function schedulePurge(db: Database, now = Date.now()): Promise<void> {
  await scheduleRecurring(db, { name: PURGE_IDEMPOTENCY_JOB }, HOURLY, now);
}

/** Idempotency keys are kept 24 hours; older ones are deleted every hour. */
export function purgeIdempotencyJob(db: Database) {
  return async () => {
    await sql`delete from idempotency_keys where created_at < now() - interval '24 hours'`.execute(db);
    await schedulePurge(db);
  };
}

export const purgeIdempotencyJobType = defineJob<Record<string, never>, Database>(PURGE_IDEMPOTENCY_JOB, purgeIdempotencyJob);
