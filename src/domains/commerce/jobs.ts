import type { Logger } from 'pino';
import type { Database } from '../../platform/db.js';
import { registerJobs, type BoundJob, type JobRunner } from '../../platform/jobs.js';
import { PURGE_IDEMPOTENCY_JOB, purgeIdempotencyJobType } from './checkout/purge.job.js';
import { ALLOCATION_END_JOB, allocationEndJobType } from './flash/allocations.js';
import { FLASH_END_JOB, flashEndJobType } from './flash/flash.js';
import { RELEASE_SETTLEMENT_JOB } from './ledger/ledger.js';
import { SEND_PAYOUT_JOB, sendPayoutJobType, type PayoutService } from './ledger/payouts.js';
import { releaseSettlementJobType } from './ledger/settlement.job.js';
import { autoComplete } from './orders/auto-complete.js';
import { AUTO_COMPLETE_JOB, autoCompleteJobType } from './orders/auto-complete.job.js';
import { DISPATCH_DEADLINE_JOB, dispatchDeadlineJobType } from './orders/dispatch-deadline.job.js';
import { EXPIRE_PAYMENT_JOB, expirePaymentJobType } from './payments/expire.job.js';
import type { PaymentProvider } from './payments/provider.js';
import { SEND_REFUND_JOB, sendRefundJobType } from './payments/refund.job.js';
import { PURGE_UNSENT_EVIDENCE_JOB, purgeUnsentEvidenceJobType, RETURN_DEADLINE_JOB, returnDeadlineJobType, type ReturnService } from './returns/returns.js';
import type { ShipmentService } from './shipping/shipments.js';

/** Every job type commerce runs, by the name its rows are stored under. */
export type CommerceJobName =
  | typeof EXPIRE_PAYMENT_JOB
  | typeof AUTO_COMPLETE_JOB
  | typeof DISPATCH_DEADLINE_JOB
  | typeof PURGE_IDEMPOTENCY_JOB
  | typeof FLASH_END_JOB
  | typeof ALLOCATION_END_JOB
  | typeof SEND_REFUND_JOB
  | typeof RETURN_DEADLINE_JOB
  | typeof PURGE_UNSENT_EVIDENCE_JOB
  | typeof RELEASE_SETTLEMENT_JOB
  | typeof SEND_PAYOUT_JOB;

export interface CommerceJobDeps {
  db: Database;
  provider: PaymentProvider;
  log: Logger;
  shipments: ShipmentService;
  returns: ReturnService;
  payouts: PayoutService;
}

/** Registers commerce's jobs: one handler per job type (the map is typed over every name, so none is left out). */
export function registerCommerceJobs(runner: JobRunner, deps: CommerceJobDeps): void {
  const { db } = deps;
  const jobs: Record<CommerceJobName, BoundJob> = {
    [EXPIRE_PAYMENT_JOB]: expirePaymentJobType.with(db),
    [AUTO_COMPLETE_JOB]: autoCompleteJobType.with({ db, autoComplete }),
    [DISPATCH_DEADLINE_JOB]: dispatchDeadlineJobType.with(deps.shipments),
    [PURGE_IDEMPOTENCY_JOB]: purgeIdempotencyJobType.with(db),
    [FLASH_END_JOB]: flashEndJobType.with(db),
    [ALLOCATION_END_JOB]: allocationEndJobType.with(db),
    [SEND_REFUND_JOB]: sendRefundJobType.with(deps),
    [RETURN_DEADLINE_JOB]: returnDeadlineJobType.with(deps.returns),
    [PURGE_UNSENT_EVIDENCE_JOB]: purgeUnsentEvidenceJobType.with(deps.returns),
    [RELEASE_SETTLEMENT_JOB]: releaseSettlementJobType.with(db),
    [SEND_PAYOUT_JOB]: sendPayoutJobType.with(deps.payouts),
  };
  registerJobs(runner, jobs);
}
