import type { Database } from '../../platform/db.js';
import { registerJobs, type BoundJob, type JobRunner } from '../../platform/jobs.js';
import { REFRESH_JOB, refreshJobType } from './consent/refresh.job.js';
import { ERASE_JOB, EXPORT_JOB, privacyErasureJobType, privacyExportJobType, type PrivacyRequests } from './privacy/requests.js';
import type { BridgeService } from './service.js';

/** Every job type the bridge runs, by the name its rows are stored under. */
export type BridgeJobName = typeof EXPORT_JOB | typeof ERASE_JOB | typeof REFRESH_JOB;

/** Registers the bridge's jobs: one handler per job type (the map is typed over every name, so none is left out). */
export function registerBridgeJobs(runner: JobRunner, deps: { db: Database; service: BridgeService; privacy: PrivacyRequests }): void {
  const jobs: Record<BridgeJobName, BoundJob> = {
    [EXPORT_JOB]: privacyExportJobType.with(deps.privacy),
    [ERASE_JOB]: privacyErasureJobType.with(deps.privacy),
    [REFRESH_JOB]: refreshJobType.with(deps),
  };
  registerJobs(runner, jobs);
}
