import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import type { BridgeTables } from './store.js';
import type { FastifyRequest } from 'fastify';
import type { CommercePort, IdentityPort, LiveOffer, LiveOfferRef, ProfileSeed, PromotionCheck, SocialPort, SubjectSet } from '../../contracts/ports.js';
import { BridgeService } from './service.js';
import { PrivacyRequests } from './privacy/requests.js';
import { registerBridgeJobs } from './jobs.js';
import { scheduleRefresh } from './consent/refresh.job.js';
import { bridgeRoutes, type SubjectsOf } from './routes.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export type { SubjectsOf };

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
  registerBridgeJobs(deps.jobs, { db: db, service, privacy });
  scheduleRefresh(db).catch((error: unknown) => deps.log.warn({ err: error }, 'could not schedule the purchase-category refresh'));
  return {
    routes: bridgeRoutes(service, privacy, options.subjectsOf, options.profileSeedOf ?? (() => undefined)),
    authorizeTag: (subjects, productId) => service.authorizeTag(subjects, productId),
    liveOffer: (subjects, ref) => options.ports.commerce.liveOffer(subjects.commerce, ref),
    health: async () => true,
    stop: async () => {},
  };
}
