import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import type { IdentityPort } from '../../contracts/ports.js';
import { IdentityService, type Account } from './service.js';
import { identityRoutes } from './routes.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface IdentityInstance extends DomainInstance, IdentityPort {
  authenticate(token: string): Promise<{ account: Account; renewedUntil?: Date } | undefined>;
  subjectFor(domain: string, accountId: string): string;
}

export interface IdentitySecrets {
  sessionPepper: string;
  subjectKeys: Record<string, string>;
}

export function start(deps: DomainDeps, secrets: IdentitySecrets, operatorEmails: string[] = []): IdentityInstance {
  const service = new IdentityService(deps.db, secrets, operatorEmails);
  return {
    routes: identityRoutes(service),
    authenticate: (token) => service.authenticate(token),
    subjectFor: (domain, accountId) => service.subjectFor(domain, accountId),
    beginErasure: (accountId) => service.beginErasure(accountId),
    exportSubject: async (accountId) => ({ data: await service.exportAccount(accountId) }),
    eraseSubject: (accountId) => service.eraseAccount(accountId),
    health: async () => true,
    stop: async () => {},
  };
}
