import { sql } from 'kysely';
import type { Database } from '../../../platform/db.js';
import { enqueueJob } from '../../../platform/jobs.js';

export const PURGE_IDEMPOTENCY_JOB = 'commerce.idempotency.purge';
const HOUR_MS = 60 * 60 * 1000;

/** Schedules the next hourly purge; the dedupe key makes every process agree on one job per hour. */
export async function schedulePurge(db: Database, now = Date.now()): Promise<void> {
  const nextHour = Math.floor(now / HOUR_MS) + 1;
  await enqueueJob(db, PURGE_IDEMPOTENCY_JOB, {}, { runAt: new Date(nextHour * HOUR_MS), dedupeKey: `idempotency-purge:${nextHour}` });
}

/** Idempotency keys are kept 24 hours; older ones are deleted every hour. */
export function purgeIdempotencyJob(db: Database) {
  return async () => {
    await sql`delete from idempotency_keys where created_at < now() - interval '24 hours'`.execute(db);
    await schedulePurge(db);
  };
}
