import { defineJob, type JobHandler } from '../../../platform/jobs.js';

export const DISPATCH_DEADLINE_JOB = 'commerce.order.dispatch-deadline';

export interface DispatchDeadline {
  orderId: string;
}

/**
 * An order still not shipped at the end of its third working day is cancelled (and refunded when
 * paid). The shipments service runs it (`ShipmentService.dispatchJob`); it needs the order
 * transitions, which enqueue this job, so it is handed in rather than imported.
 */
export const dispatchDeadlineJobType = defineJob<DispatchDeadline, { dispatchJob(): JobHandler<DispatchDeadline> }>(DISPATCH_DEADLINE_JOB, (shipments) =>
  shipments.dispatchJob(),
);
