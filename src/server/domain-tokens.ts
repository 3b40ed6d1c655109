import { createHmac, createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, exportJWK, jwtVerify, SignJWT, type JWK, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { SubjectSet } from '../contracts/ports.js';
import type { DomainName } from '../platform/config.js';
import { HttpProblem } from '../platform/errors.js';

/**
 * Domain tokens: what identity hands a domain running in another process instead of the session.
 * Each is an EdDSA (Ed25519) JWT with that domain's pairwise subject and an audience of that domain
 * only, valid for TOKEN_TTL_SECONDS. The domain verifies it offline against identity's JWKS.
 */
export const TOKEN_ISSUER = 'sekat-identity';
export const TOKEN_TTL_SECONDS = 120;
/** The signing key changes every period; the JWKS lists the previous, current and next keys. */
export const KEY_PERIOD_MS = 6 * 60 * 60 * 1000;
export const JWKS_PATH = '/api/identity/.well-known/jwks.json';
export const TOKEN_EXCHANGE_PATH = '/api/identity/domain-token';

export type OperatorClaim = 'ready' | 'second-factor-missing' | 'second-factor-not-used';

/** What a domain learns of its caller: its own subject and identity's claims, nothing more. */
export interface DomainClaims {
  sub: string;
  /** The email is confirmed (or the rule is off). */
  ev: boolean;
  /** Signed in or re-authenticated a few minutes ago. */
  ra: boolean;
  /** Present for operators only: whether this session may act as one. */
  op?: OperatorClaim;
  /** Public handle and display name (social and bridge, which seed profiles from them). */
  profile?: { handle: string; displayName: string };
  /** The bridge alone orchestrates across domains: it receives the set of subjects, as in one process. */
  subjects?: SubjectSet;
}

/** Service tokens: identity-signed, for one call of the bridge to one domain's internal endpoint. */
export const SERVICE_TOKEN_TYPE = 'sekat-service+jwt';
export const SERVICE_TOKEN_TTL_SECONDS = 30;
/** The only service that calls the domains' internal endpoints. */
export const SERVICE_CALLER = 'bridge';
/** What a service token may be used for, one action each. */
export type ServiceAction = 'privacy.export' | 'privacy.erase' | 'privacy.begin-erasure' | 'privacy.open-orders' | PortAction;
/** The other calls of the bridge into social and commerce (src/contracts/ports.ts), one action each. */
export const PORT_ACTIONS = {
  commerce: ['port.affiliate-id', 'port.may-promote', 'port.purchase-categories', 'port.attributed-stats', 'port.live-offer'],
  social: ['port.live-stats', 'port.set-affiliate-ref', 'port.set-purchase-categories', 'port.creator-stats'],
} as const;
export type PortAction = (typeof PORT_ACTIONS)[keyof typeof PORT_ACTIONS][number];

// PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

interface PeriodKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
}

/**
 * Signs domain tokens (identity's process only). Each period's Ed25519 key is derived from
 * TOKEN_SIGNING_KEY and the period number, so every identity process signs with the same key
 * without sharing a store, and keys rotate on their own; a leaked period key dies with its period.
 */
export class DomainTokenIssuer {
  private readonly keys = new Map<number, Promise<PeriodKey>>();

  constructor(
    private readonly secret: string,
    private readonly clock: () => number = Date.now,
  ) {}

  private keyOf(period: number): Promise<PeriodKey> {
    let key = this.keys.get(period);
    if (!key) {
      key = (async () => {
        const seed = createHmac('sha256', this.secret).update(`sekat-domain-token-key:${period}`).digest();
        const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
        const jwk = await exportJWK(createPublicKey(privateKey));
        const kid = await calculateJwkThumbprint(jwk);
        return { kid, privateKey, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
      })();
      this.keys.set(period, key);
      for (const old of this.keys.keys()) if (old < period - 2) this.keys.delete(old);
    }
    return key;
  }

  private period(): number {
    return Math.floor(this.clock() / KEY_PERIOD_MS);
  }

  /** The public keys: the previous period's (tokens it signed are still live), the current and the next (for a verifier's cache). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = this.period();
    return { keys: await Promise.all([now - 1, now, now + 1].map(async (period) => (await this.keyOf(period)).jwk)) };
  }

  /**
   * A service token: what the bridge shows a domain's internal endpoint in a split. Its subject is
   * the calling service, its audience the one domain called, it names the one action it is for,
   * lives SERVICE_TOKEN_TTL_SECONDS and carries a jti, so that it is taken once only.
   */
  async mintService(audience: DomainName, action: ServiceAction): Promise<{ token: string; expiresAt: number }> {
    const key = await this.keyOf(this.period());
    const issuedAt = Math.floor(this.clock() / 1000);
    const expiresAt = issuedAt + SERVICE_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ act: action })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: SERVICE_TOKEN_TYPE })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(audience)
      .setSubject(SERVICE_CALLER)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(key.privateKey);
    return { token, expiresAt };
  }

  async mint(audience: DomainName, claims: DomainClaims): Promise<{ token: string; expiresAt: number }> {
    const key = await this.keyOf(this.period());
    const issuedAt = Math.floor(this.clock() / 1000);
    const expiresAt = issuedAt + TOKEN_TTL_SECONDS;
    const { sub, ...rest } = claims;
    const token = await new SignJWT({ ...rest })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'sekat-domain+jwt' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(audience)
      .setSubject(sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(key.privateKey);
    return { token, expiresAt };
  }
}

export const invalidDomainToken = (detail: string) => new HttpProblem(401, 'invalid-token', 'Not signed in', detail);

/** Verifies domain tokens offline for one domain, with identity's JWKS fetched once and cached. */
export class DomainTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly audience: DomainName,
    jwksUrl: string,
  ) {
    // Keys are fetched again after ten minutes, or when a token names a key not yet seen (at most every 30 s).
    this.keys = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30_000, timeoutDuration: 5000 });
  }

  async verify(token: string): Promise<DomainClaims> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: TOKEN_ISSUER,
        audience: this.audience,
        algorithms: ['EdDSA'],
        typ: 'sekat-domain+jwt',
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: 5,
      });
      return payload as unknown as DomainClaims;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw invalidDomainToken('The domain token has expired.');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw invalidDomainToken(`The domain token was not made for ${this.audience}.`);
      // A key set that cannot be fetched (a network error has no jose code) is identity being away, not a bad token.
      if (code === undefined || code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') throw new HttpProblem(503, 'identity-unavailable', 'Service unavailable', 'Identity’s keys cannot be fetched right now.', undefined, { 'retry-after': '5' });
      throw invalidDomainToken('The domain token is not valid.');
    }
  }
}

/** Remembers the jti of every service token taken, until it expires: the second use is a replay. */
export interface ReplayGuard {
  /** True the first time a jti is seen, false ever after (until `expiresAt`, seconds since the epoch). */
  firstUse(jti: string, expiresAt: number): Promise<boolean>;
}

/** Minimal Redis surface the guard needs (ioredis). */
interface RedisLike {
  set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<'OK' | null>;
}

/**
 * Replays are refused in this process (memory) and, with Redis, by every process of the domain: a
 * token taken by one social process is refused by the other too.
 */
export function replayGuard(redis?: RedisLike): ReplayGuard {
  const seen = new LRUCache<string, true>({ max: 100_000, ttl: (SERVICE_TOKEN_TTL_SECONDS + 10) * 1000 });
  return {
    async firstUse(jti, expiresAt) {
      if (seen.has(jti)) return false;
      seen.set(jti, true);
      if (!redis) return true;
      const seconds = Math.max(1, expiresAt - Math.floor(Date.now() / 1000) + 10);
      try {
        return (await redis.set(`sekat-jti:${jti}`, '1', 'EX', seconds, 'NX')) === 'OK';
      } catch {
        throw new HttpProblem(503, 'service-unavailable', 'Service unavailable', 'Service tokens cannot be checked right now.', undefined, { 'retry-after': '5' });
      }
    },
  };
}

export const invalidServiceToken = (detail: string) => new HttpProblem(401, 'invalid-token', 'Not authorised', detail);

/**
 * Verifies service tokens for one domain's internal endpoints: identity's signature (offline, by
 * its JWKS; identity's own process by its issuer), the audience, the caller, the action, the
 * lifetime, and that the token was not used before.
 */
export class ServiceTokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly audience: DomainName,
    keys: { jwksUrl: string } | { issuer: DomainTokenIssuer },
    private readonly replays: ReplayGuard,
  ) {
    if ('jwksUrl' in keys) this.keys = createRemoteJWKSet(new URL(keys.jwksUrl), { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30_000, timeoutDuration: 5000 });
    else {
      const issuer = keys.issuer;
      this.keys = async (header, token) => createLocalJWKSet(await issuer.jwks())(header, token);
    }
  }

  /** The bearer token of an internal request, checked for `action`; 401 problems otherwise. */
  async verify(authorization: string | undefined, action: ServiceAction): Promise<void> {
    const token = authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token) throw invalidServiceToken('This endpoint takes a service token from identity.');
    if (!looksLikeJwt(token)) throw invalidServiceToken('This endpoint takes a service token, not a session.');
    let payload: { jti?: string; exp?: number; act?: unknown };
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: TOKEN_ISSUER,
        audience: this.audience,
        subject: SERVICE_CALLER,
        algorithms: ['EdDSA'],
        typ: SERVICE_TOKEN_TYPE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'act'],
        maxTokenAge: SERVICE_TOKEN_TTL_SECONDS + 5,
        clockTolerance: 5,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw invalidServiceToken('The service token has expired.');
      if (code === undefined || code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') throw new HttpProblem(503, 'identity-unavailable', 'Service unavailable', 'Identity’s keys cannot be fetched right now.', undefined, { 'retry-after': '5' });
      throw invalidServiceToken('The service token is not valid here.');
    }
    if (payload.act !== action) throw invalidServiceToken('The service token was made for another action.');
    if (!(await this.replays.firstUse(String(payload.jti), Number(payload.exp)))) throw invalidServiceToken('The service token was used before.');
  }
}

/** A JWT has three dot-separated parts; a session token has none. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
