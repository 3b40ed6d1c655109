import { registerJobs, type BoundJob, type JobRunner } from '../../platform/jobs.js';
import { TRANSCODE_JOB, transcodeJobType, type TranscodeOptions } from './media/transcode.job.js';

/** Every job type social runs, by the name its rows are stored under. */
export type SocialJobName = typeof TRANSCODE_JOB;

/** Registers social's jobs: one handler per job type (the map is typed over every name, so none is left out). */
export function registerSocialJobs(runner: JobRunner, deps: { transcode: TranscodeOptions }): void {
  const jobs: Record<SocialJobName, BoundJob> = {
    [TRANSCODE_JOB]: transcodeJobType.with(deps.transcode),
  };
  registerJobs(runner, jobs);
}
