import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IdentityTables } from './store.js';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import type { IdentityPort } from '../../contracts/ports.js';
import type { Redis } from 'ioredis';
import { MemoryBackoff, RedisBackoff } from '../../platform/backoff.js';
import { IdentityService, type AuthenticatedSession, type Clock, type ExpiredSession } from './service.js';
import { hasSecondFactor, secondFactorsOf, type OperatorStanding, type SecondFactors } from './factors.js';
import { identityRoutes, User } from './routes.js';
import { LOGIN_BACKOFF, LoginThrottle } from './throttle.js';
import { Mailer } from './mail.js';
import { PasswordRecovery, recoveryRoutes } from './recovery.js';
import { EmailConfirmation, emailRoutes } from './email.js';
import { Reauthentication } from './reauth.js';
import { TotpFactor } from './totp.js';
import { totpRoutes } from './totp.routes.js';
import { sessionRoutes } from './sessions.routes.js';
import { Passkeys, relyingPartyOf } from './passkeys.js';
import { passkeyRoutes } from './passkeys.routes.js';
import type { SecondFactorMethod } from './routes.js';

export { secondFactorRequired, type OperatorStanding, type SecondFactors } from './factors.js';
export { setSessionCookie } from './routes.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface IdentityInstance extends DomainInstance, IdentityPort {
  authenticate(token: string): Promise<AuthenticatedSession | ExpiredSession | undefined>;
  subjectFor(domain: string, accountId: string): string;
  /** Undefined for an account that is not an operator; else whether it may act as one in this session. */
  operatorStanding(session: AuthenticatedSession): Promise<OperatorStanding | undefined>;
  /** The composition root's word that the account is a seller: the session takes the seller lifetime. */
  holdToSellerLifetime(token: string): Promise<void>;
  secondFactorsOf(accountId: string): Promise<SecondFactors>;
}

export interface IdentitySecrets {
  sessionPepper: string;
  subjectKeys: Record<string, string>;
}

export interface IdentityMailOptions {
  smtpUrl: string | undefined;
  from: string;
  publicUrl: string;
}

/** `redis`: sign-in throttling counters shared by every process (REDIS_URL); else kept per process. */
export function start(
  deps: DomainDeps,
  secrets: IdentitySecrets,
  mail: IdentityMailOptions,
  operatorEmails: string[] = [],
  redis?: Redis,
  clock: Clock = Date.now,
): IdentityInstance {
  const db = deps.db.withTables<IdentityTables>();
  const service = new IdentityService(db, secrets, operatorEmails, clock);
  const factorsOf = (accountId: string) => secondFactorsOf(db, accountId);
  const backoff = redis ? new RedisBackoff(redis, LOGIN_BACKOFF, 'sekat-login-') : new MemoryBackoff(LOGIN_BACKOFF);
  const mailer = new Mailer({ smtpUrl: mail.smtpUrl, from: mail.from, dataDir: deps.dataDir });
  const recovery = new PasswordRecovery({ db: db, identity: service, mailer, log: deps.log, pepper: secrets.sessionPepper, publicUrl: mail.publicUrl });
  const reauth = new Reauthentication(service);
  const totp = new TotpFactor(db, secrets.sessionPepper, redis ? new RedisBackoff(redis, LOGIN_BACKOFF, 'sekat-totp-') : new MemoryBackoff(LOGIN_BACKOFF));
  reauth.acceptCodes((accountId, code) => totp.checkCode(accountId, code));
  const passkeys = new Passkeys(db, secrets.sessionPepper, relyingPartyOf(mail.publicUrl));
  const confirmation = new EmailConfirmation({
    db: db, identity: service, mailer, log: deps.log, pepper: secrets.sessionPepper, publicUrl: mail.publicUrl, reauth,
  });
  return {
    routes: async (app) => {
      // Shared by every identity route file that answers with a user.
      app.addSchema(User);
      await app.register(
        identityRoutes(service, new LoginThrottle(backoff, secrets.sessionPepper), {
          registered: (account) => confirmation.inBackground(() => confirmation.mailVerification(account.id), 'verification'),
          secondFactorChallenge: async (account) => {
            const factors = await service.secondFactorsOf(account.id);
            const methods: SecondFactorMethod[] = [...(factors.totp ? (['totp'] as const) : []), ...(factors.passkeys > 0 ? (['passkey'] as const) : [])];
            if (methods.length > 0 && (factors.totp || (await totp.hasRecoveryCodes(account.id)))) methods.push('recovery-code');
            return methods.length > 0 ? { challenge: await totp.issueChallenge(account.id), methods } : undefined;
          },
          hasSecondFactor: async (accountId) => hasSecondFactor(await factorsOf(accountId)),
        }),
      );
      await app.register(totpRoutes(service, totp, reauth));
      await app.register(sessionRoutes(service, reauth));
      await app.register(passkeyRoutes(service, passkeys, totp, reauth));
      await app.register(recoveryRoutes(recovery));
      await app.register(emailRoutes(confirmation));
    },
    authenticate: (token) => service.authenticate(token),
    subjectFor: (domain, accountId) => service.subjectFor(domain, accountId),
    operatorStanding: async (session) => {
      if (!session.account.roles.includes('operator')) return undefined;
      if (session.secondFactor) return 'ready';
      return hasSecondFactor(await factorsOf(session.account.id)) ? 'second-factor-not-used' : 'second-factor-missing';
    },
    holdToSellerLifetime: (token) => service.holdToSellerLifetime(token),
    secondFactorsOf: factorsOf,
    beginErasure: (accountId) => service.beginErasure(accountId),
    exportSubject: async (accountId) => ({ data: await service.exportAccount(accountId) }),
    eraseSubject: (accountId) => service.eraseAccount(accountId),
    health: async () => true,
    stop: async () => {
      await confirmation.stop();
      await recovery.stop();
    },
  };
}
