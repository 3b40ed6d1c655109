import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, jwtVerify, SignJWT, type JWK } from 'jose';
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

/** A JWT has three dot-separated parts; a session token has none. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
