import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import { enqueueJob } from '../../platform/jobs.js';
import type { BridgeTables } from './store.js';
import type { FastifyRequest } from 'fastify';
import type { CommercePort, IdentityPort, LiveOffer, LiveOfferRef, ProfileSeed, PromotionCheck, SocialPort, SubjectSet } from '../../contracts/ports.js';
import { BridgeService } from './service.js';
import { PrivacyRequests, EXPORT_JOB, ERASE_JOB } from './privacy/requests.js';
import { bridgeRoutes, type SubjectsOf } from './routes.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export type { SubjectsOf };

const REFRESH_JOB = 'consent.refresh-purchase-categories';
const REFRESH_EVERY_MS = 60 * 60 * 1000;

export interface BridgeOptions {
  ports: { identity: IdentityPort; social: SocialPort; commerce: CommercePort };
  subjectsOf: SubjectsOf;
  /** The caller's public handle and display name, handed on to social when linking creates their profile. */
  profileSeedOf?: (request: FastifyRequest) => ProfileSeed | undefined;
  /** Signs short-lived export download links. */
  linkKey: string;
}

export interface BridgeInstance extends DomainInstance {
  /** Asked by social before a product is tagged on a video. */
  authorizeTag(subjects: SubjectSet, productId: string): Promise<PromotionCheck>;
  /** Asked by social when a live's host drops a voucher or flash deal: the public facts of one of their own shop's offers. */
  liveOffer(subjects: SubjectSet, ref: LiveOfferRef): Promise<LiveOffer | undefined>;
}

export function start(deps: DomainDeps, options: BridgeOptions): BridgeInstance {
  const db = deps.db.withTables<BridgeTables>();
  const service = new BridgeService(db, options.ports, deps.log);
  const privacy = new PrivacyRequests(db, options.ports, deps.jobs, deps.log, deps.dataDir, options.linkKey);
  deps.jobs.register(EXPORT_JOB, (job) => privacy.runExport(job));
  deps.jobs.register(ERASE_JOB, (job) => privacy.runErasure(job));
  deps.jobs.register(REFRESH_JOB, async () => {
    await service.refreshPurchaseCategories();
    const next = new Date(Math.ceil((Date.now() + 1) / REFRESH_EVERY_MS) * REFRESH_EVERY_MS);
    await enqueueJob(deps.db, REFRESH_JOB, {}, { runAt: next, dedupeKey: `refresh:${next.toISOString()}` });
  });
  const first = new Date(Math.ceil(Date.now() / REFRESH_EVERY_MS) * REFRESH_EVERY_MS);
  void enqueueJob(deps.db, REFRESH_JOB, {}, { runAt: first, dedupeKey: `refresh:${first.toISOString()}` }).catch((error: unknown) =>
    deps.log.warn({ err: error }, 'could not schedule the purchase-category refresh'),
  );
  return {
    routes: bridgeRoutes(service, privacy, options.subjectsOf, options.profileSeedOf ?? (() => undefined)),
    authorizeTag: (subjects, productId) => service.authorizeTag(subjects, productId),
    liveOffer: (subjects, ref) => options.ports.commerce.liveOffer(subjects.commerce, ref),
    health: async () => true,
    stop: async () => {},
  };
}
