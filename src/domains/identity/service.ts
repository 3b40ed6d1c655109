import argon2 from 'argon2';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { IdentityDatabase } from './store.js';
import { conflict, HttpProblem, unauthorized, validationFailed, type FieldErrors } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import { textProblem } from '../../platform/text.js';
import { describeUserAgent } from './user-agent.js';
import { secondFactorsOf, totpExport, type SecondFactors } from './factors.js';

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Sliding expiry is pushed forward at most this often, so reads stay reads. */
const SESSION_RENEW_AFTER_MS = 60 * 60 * 1000;
/** Sellers' and operators' sessions end after this long without a request… */
export const STRICT_IDLE_MS = 30 * 60 * 1000;
/** …and this long after they began, however busy. */
export const STRICT_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** A strict session's last activity is written at most this often (its idle time is kept to within this). */
const STRICT_RENEW_AFTER_MS = 60 * 1000;
/** How long a sign-in, or the password or a code given again, counts for sensitive actions. */
export const REAUTH_WINDOW_MS = 10 * 60 * 1000;

/** Milliseconds since the epoch; tests pass a clock they move by hand. */
export type Clock = () => number;

/** The factor a session was signed in with beyond the password. */
export type SessionSecondFactor = 'totp' | 'passkey';

/**
 * What identity says about a live session. `strict`: the seller and operator lifetime applies;
 * `recentlyAuthenticated`: signed in, or proved again, within REAUTH_WINDOW_MS.
 */
export interface AuthenticatedSession {
  account: Account;
  renewedUntil?: Date;
  secondFactor: SessionSecondFactor | null;
  strict: boolean;
  recentlyAuthenticated: boolean;
}

/** A token that named a session which has run out: the person is told so, not just "sign in". */
export interface ExpiredSession {
  expired: true;
}

/** OWASP's minimum for argon2id: m = 19 MiB, t = 2, p = 1. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const COMMON_PASSWORDS = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter(Boolean),
);

export interface Account {
  id: string;
  email: string;
  handle: string;
  displayName: string;
  roles: string[];
  /** Whether the current address was confirmed by a mailed link. */
  emailVerified: boolean;
  /** 'erasing' once the person asked to be erased: every sign-in and session is refused. */
  status?: 'active' | 'erasing';
}

/** What is kept about the device a session was opened on. */
export interface SessionDevice {
  userAgent?: string;
  /** ISO 3166 alpha-2, only when a proxy in front of the app said so. */
  country?: string;
}

export interface SessionView {
  id: string;
  browser: string | null;
  os: string | null;
  country: string | null;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

export interface RegisterInput {
  email: string;
  password: string;
  handle: string;
  displayName: string;
  /** The person's language for mail. */
  locale?: 'id' | 'en';
}


export function normaliseEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

export function validateRegistration(input: RegisterInput): { email: string; handle: string; displayName: string } {
  const errors: FieldErrors = {};
  const email = normaliseEmail(input.email);
  const emailProblem = textProblem('email', email);
  if (emailProblem) errors.email = [emailProblem];
  const handle = input.handle.trim().toLowerCase();
  const handleProblem = textProblem('handle', handle);
  if (handleProblem) errors.handle = [handleProblem];
  const displayName = input.displayName.normalize('NFC').trim();
  const nameProblem = displayName.length < 1 || [...displayName].length > 50 ? 'must be 1–50 characters' : textProblem('display-name', displayName);
  if (nameProblem) errors.displayName = [nameProblem];
  const passwordErrors = passwordProblems(input.password);
  if (passwordErrors) errors.password = passwordErrors;
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  return { email, handle, displayName };
}

/** Registration's password rules, shared by every place a password is set. */
export function passwordProblems(password: string): string[] | undefined {
  if ([...password].length < 10) return ['must be at least 10 characters'];
  if (password.length > 1024) return ['must be at most 1024 characters'];
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return ['is too common; choose another'];
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

interface AccountRow {
  id: string;
  email: string;
  handle: string;
  display_name: string;
  roles: string[];
  email_verified_at: Date | null;
}

/**
 * How long a verified session is trusted from memory before the database is asked again. Sign-out
 * and erasure drop the entry at once in this process; other processes notice within this time.
 */
const SESSION_CACHE_TTL_MS = 15_000;

interface CachedSession {
  account: Account;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  strictSince: number | null;
  authenticatedAt: number;
  secondFactor: SessionSecondFactor | null;
}

const millis = (value: unknown): number => new Date(value as Date).getTime();

export class IdentityService {
  private readonly dummyHash: Promise<string>;
  private readonly sessions = new LRUCache<string, CachedSession>({ max: 50_000, ttl: SESSION_CACHE_TTL_MS });
  /** Derived subjects of recently seen accounts: every signed-in request needs one per domain. */
  private readonly subjects = new LRUCache<string, string>({ max: 100_000 });

  /** Emails of the platform's operators (OPERATOR_EMAILS): their accounts carry the role `operator`. */
  private readonly operators: Set<string>;

  constructor(
    private readonly db: IdentityDatabase,
    private readonly secrets: { sessionPepper: string; subjectKeys: Record<string, string> },
    operatorEmails: string[] = [],
    readonly now: Clock = Date.now,
  ) {
    this.operators = new Set(operatorEmails.map(normaliseEmail));
    // Verified against when the email is unknown, so both failures cost the same time.
    this.dummyHash = argon2.hash(randomBytes(16).toString('hex'), ARGON2_OPTIONS);
  }

  private toAccount(row: AccountRow): Account {
    const roles = this.operators.has(row.email) && !row.roles.includes('operator') ? [...row.roles, 'operator'] : row.roles;
    return { id: row.id, email: row.email, handle: row.handle, displayName: row.display_name, roles, emailVerified: row.email_verified_at !== null };
  }

  /** `sub = base64url(HMAC-SHA256(key_of_domain, accountId))`: stable, and different per domain. */
  subjectFor(domain: string, accountId: string): string {
    const memo = `${domain}:${accountId}`;
    const known = this.subjects.get(memo);
    if (known !== undefined) return known;
    const key = this.secrets.subjectKeys[domain];
    if (!key) throw new Error(`no subject key for domain ${domain}`);
    const subject = createHmac('sha256', key).update(accountId).digest('base64url');
    this.subjects.set(memo, subject);
    return subject;
  }

  private hashToken(token: string): string {
    return createHmac('sha256', this.secrets.sessionPepper).update(token).digest('base64url');
  }

  async register(input: RegisterInput): Promise<Account> {
    const clean = validateRegistration(input);
    const passwordHash = await hashPassword(input.password);
    const id = uuidv7();
    try {
      const row = await this.db
        .insertInto('accounts')
        .values({ id, email: clean.email, handle: clean.handle, display_name: clean.displayName, password_hash: passwordHash, locale: input.locale ?? 'id' })
        .returning(['id', 'email', 'handle', 'display_name', 'roles', 'email_verified_at'])
        .executeTakeFirstOrThrow();
      return this.toAccount(row);
    } catch (error) {
      const constraint = (error as { constraint?: string }).constraint ?? String((error as Error).message);
      if ((error as { code?: string }).code === '23505') {
        if (constraint.includes('email')) throw conflictField('email', 'is already registered');
        if (constraint.includes('handle')) throw conflictField('handle', 'is already taken');
      }
      throw error;
    }
  }

  /** The same 401, after about the same work, for an unknown email and a wrong password. */
  async verifyCredentials(email: string, password: string): Promise<Account> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'handle', 'display_name', 'roles', 'email_verified_at', 'password_hash', 'status'])
      .where('email', '=', normaliseEmail(email))
      .executeTakeFirst();
    const hash = row && row.status === 'active' ? row.password_hash : await this.dummyHash;
    let ok = false;
    try {
      ok = await argon2.verify(hash, password);
    } catch {
      ok = false;
    }
    if (!ok || !row || row.status !== 'active') throw unauthorized('Email or password is wrong.');
    return this.toAccount(row);
  }

  async accountById(accountId: string): Promise<Account | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'handle', 'display_name', 'roles', 'email_verified_at'])
      .where('id', '=', accountId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row ? this.toAccount(row) : undefined;
  }

  /** Sets a new password after the current one is given; other sessions stay until the person ends them. */
  async changePassword(accountId: string, current: string, next: string): Promise<void> {
    const problems = passwordProblems(next);
    if (problems) throw validationFailed({ newPassword: problems });
    if (!(await this.passwordMatches(accountId, current))) {
      throw new HttpProblem(403, 'reauthentication-failed', 'Re-authentication failed', 'That password is not right; this change needs it again.');
    }
    await this.db.updateTable('accounts').set({ password_hash: await hashPassword(next) }).where('id', '=', accountId).where('status', '=', 'active').execute();
  }

  /** Whether `password` is the account's (for re-authentication before a sensitive change). */
  async passwordMatches(accountId: string, password: string): Promise<boolean> {
    const row = await this.db.selectFrom('accounts').select(['password_hash']).where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
    try {
      return await argon2.verify(row ? row.password_hash : await this.dummyHash, password) && row !== undefined;
    } catch {
      return false;
    }
  }

  /** A new session; `secondFactor` names the factor the person gave at sign-in besides the password. */
  async createSession(
    accountId: string, device: SessionDevice = {}, secondFactor: SessionSecondFactor | null = null,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date(this.now());
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await this.db
      .insertInto('sessions')
      .values({
        id: uuidv7(),
        token_hash: this.hashToken(token),
        account_id: accountId,
        created_at: now,
        last_seen_at: now,
        authenticated_at: now,
        second_factor: secondFactor,
        expires_at: expiresAt,
        user_agent: device.userAgent?.slice(0, 512) ?? null,
        country: device.country && /^[A-Z]{2}$/.test(device.country) ? device.country : null,
      })
      .execute();
    return { token, expiresAt };
  }

  /** The account's live sessions, newest first; `current` marks the one `token` belongs to. */
  async listSessions(accountId: string, token: string | undefined): Promise<SessionView[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .select(['id', 'token_hash', 'user_agent', 'country', 'created_at', 'last_seen_at'])
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date(this.now()))
      .orderBy('last_seen_at', 'desc')
      .orderBy('created_at', 'desc')
      .execute();
    const currentHash = token ? this.hashToken(token) : undefined;
    return rows.map((row) => ({
      id: row.id,
      ...describeUserAgent(row.user_agent),
      country: row.country,
      createdAt: row.created_at.toISOString(),
      lastSeenAt: row.last_seen_at.toISOString(),
      current: row.token_hash === currentHash,
    }));
  }

  /** Ends one of the account's sessions by its id; false when it has no such live session. */
  async endSession(accountId: string, sessionId: string): Promise<boolean> {
    const ended = await this.db
      .updateTable('sessions')
      .set({ revoked_at: sql`now()` })
      .where('id', '=', sessionId)
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.forgetCachedSessions(accountId);
    return ended.numUpdatedRows > 0n;
  }

  /** Ends every session of the account but the one `token` belongs to; answers how many. */
  async endOtherSessions(accountId: string, token: string): Promise<number> {
    const ended = await this.db
      .updateTable('sessions')
      .set({ revoked_at: sql`now()` })
      .where('account_id', '=', accountId)
      .where('token_hash', '!=', this.hashToken(token))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.forgetCachedSessions(accountId);
    return Number(ended.numUpdatedRows);
  }

  /**
   * The account behind a session token; `{ expired: true }` when the token named a session that
   * ran out, undefined when it names none (or a revoked one). Everyone's session slides for 30
   * days, renewed at most hourly (`renewedUntil` tells the caller to refresh the cookie). A
   * seller's or operator's session is strict: it ends after 30 minutes without a request or 12
   * hours after it began, whichever comes first.
   */
  async authenticate(token: string): Promise<AuthenticatedSession | ExpiredSession | undefined> {
    if (token.length < 20 || token.length > 100) return undefined;
    // The in-process cache is keyed by the token itself, so a hit costs no hashing; only the
    // hash is ever stored in the database.
    let session = this.sessions.get(token);
    if (!session) {
      const tokenHash = this.hashToken(token);
      const row = await this.db
        .selectFrom('sessions as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .select(['a.id', 'a.email', 'a.handle', 'a.display_name', 'a.roles', 'a.email_verified_at', 'a.status'])
        .select(['s.expires_at', 's.created_at', 's.last_seen_at', 's.strict_since', 's.authenticated_at', 's.second_factor'])
        .where('s.token_hash', '=', tokenHash)
        .where('s.revoked_at', 'is', null)
        .where('a.status', 'in', ['active', 'erasing'])
        .executeTakeFirst();
      if (!row) return undefined;
      session = {
        account: { ...this.toAccount(row), status: row.status as 'active' | 'erasing' },
        createdAt: millis(row.created_at),
        lastSeenAt: millis(row.last_seen_at),
        expiresAt: millis(row.expires_at),
        strictSince: row.strict_since ? millis(row.strict_since) : null,
        authenticatedAt: millis(row.authenticated_at ?? row.created_at),
        secondFactor: row.second_factor,
      };
      this.sessions.set(token, session);
    }
    const now = this.now();
    const strict = this.isStrict(session);
    if (session.expiresAt <= now || (strict && this.strictDeadline(session) <= now)) {
      this.sessions.delete(token);
      return { expired: true };
    }
    const claims = (renewedUntil?: Date): AuthenticatedSession => ({
      account: session.account,
      ...(renewedUntil ? { renewedUntil } : {}),
      secondFactor: session.secondFactor,
      strict,
      recentlyAuthenticated: now - session.authenticatedAt < REAUTH_WINDOW_MS,
    });
    if (now - session.lastSeenAt < (strict ? STRICT_RENEW_AFTER_MS : SESSION_RENEW_AFTER_MS)) return claims();
    session.lastSeenAt = now;
    if (strict) {
      session.expiresAt = this.strictDeadline(session);
      await this.db.updateTable('sessions').set({ last_seen_at: new Date(now), expires_at: new Date(session.expiresAt) }).where('token_hash', '=', this.hashToken(token)).execute();
      // The cookie outlives a strict session on purpose: the next request then hears "expired".
      return claims();
    }
    const renewedUntil = new Date(now + SESSION_TTL_MS);
    session.expiresAt = renewedUntil.getTime();
    await this.db.updateTable('sessions').set({ last_seen_at: new Date(now), expires_at: renewedUntil }).where('token_hash', '=', this.hashToken(token)).execute();
    return claims(renewedUntil);
  }

  private isStrict(session: CachedSession): boolean {
    return session.strictSince !== null || session.account.roles.includes('operator');
  }

  /** When a strict session ends: 30 minutes after its last request, 12 hours after it became strict. */
  private strictDeadline(session: CachedSession): number {
    return Math.min(session.lastSeenAt + STRICT_IDLE_MS, (session.strictSince ?? session.createdAt) + STRICT_ABSOLUTE_MS);
  }

  /**
   * Puts a session on the seller lifetime from now on (the composition root says when the
   * account is a seller; identity never asks commerce). Its 12 hours count from this moment.
   */
  async holdToSellerLifetime(token: string): Promise<void> {
    const now = this.now();
    const cached = this.sessions.get(token);
    if (cached?.strictSince) return;
    await this.db
      .updateTable('sessions')
      .set({ strict_since: new Date(now), last_seen_at: new Date(now), expires_at: sql<Date>`least(expires_at, ${new Date(now + STRICT_IDLE_MS)})` })
      .where('token_hash', '=', this.hashToken(token))
      .where('strict_since', 'is', null)
      .execute();
    if (cached) {
      cached.strictSince = now;
      cached.lastSeenAt = now;
      cached.expiresAt = Math.min(cached.expiresAt, now + STRICT_IDLE_MS);
    }
  }

  /** Records that the person proved who they are again in this session (see REAUTH_WINDOW_MS). */
  async markReauthenticated(token: string): Promise<void> {
    const now = this.now();
    await this.db.updateTable('sessions').set({ authenticated_at: new Date(now) }).where('token_hash', '=', this.hashToken(token)).where('revoked_at', 'is', null).execute();
    const cached = this.sessions.get(token);
    if (cached) cached.authenticatedAt = now;
  }

  async revokeSession(token: string): Promise<void> {
    this.sessions.delete(token);
    await this.db
      .updateTable('sessions')
      .set({ revoked_at: sql`now()` })
      .where('token_hash', '=', this.hashToken(token))
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Revokes every session of the account, here and (within the cache's TTL) in other processes. */
  async endAllSessions(accountId: string, db: IdentityDatabase = this.db): Promise<void> {
    await db.updateTable('sessions').set({ revoked_at: sql`now()` }).where('account_id', '=', accountId).where('revoked_at', 'is', null).execute();
    this.forgetCachedSessions(accountId);
  }

  /** Drops this process's cached sessions of the account, so its next request reads the account afresh. */
  forgetCachedSessions(accountId: string): void {
    for (const [key, cached] of this.sessions.entries()) if (cached.account.id === accountId) this.sessions.delete(key);
  }

  /** Refuses sign-in and every session of the account from now on; erasure follows. */
  async beginErasure(accountId: string): Promise<void> {
    await this.db.updateTable('accounts').set({ status: 'erasing' }).where('id', '=', accountId).where('status', '=', 'active').execute();
    for (const [key, cached] of this.sessions.entries()) {
      if (cached.account.id === accountId) this.sessions.set(key, { ...cached, account: { ...cached.account, status: 'erasing' } });
    }
  }

  /** Which second factors the account has: a confirmed TOTP app, and how many passkeys. */
  secondFactorsOf(accountId: string): Promise<SecondFactors> {
    return secondFactorsOf(this.db, accountId);
  }

  async exportAccount(accountId: string) {
    const account = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'handle', 'display_name', 'roles', 'status', 'locale', 'created_at'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    const sessions = await this.db
      .selectFrom('sessions')
      .select(['created_at', 'last_seen_at', 'expires_at', 'revoked_at', 'user_agent', 'country', 'second_factor'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
    const passkeys = await this.db
      .selectFrom('passkeys')
      .select(['name', 'credential_id', 'public_key', 'transports', 'counter', 'backed_up', 'created_at', 'last_used_at'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
    const iso = (value: Date | null) => value?.toISOString() ?? null;
    return {
      account: account
        ? {
          id: account.id, email: account.email, handle: account.handle, displayName: account.display_name, roles: account.roles, locale: account.locale,
          createdAt: iso(account.created_at),
        }
        : null,
      totp: await totpExport(this.db, accountId),
      // The devices as the sessions page names them; the token (or its hash) is never exported.
      sessions: sessions.map((s) => ({
        ...describeUserAgent(s.user_agent),
        country: s.country,
        signedInWith: s.second_factor ? ['password', s.second_factor] : ['password'],
        createdAt: iso(s.created_at),
        lastSeenAt: iso(s.last_seen_at),
        expiresAt: iso(s.expires_at),
        revokedAt: iso(s.revoked_at),
      })),
      passkeys: passkeys.map((p) => ({
        name: p.name,
        credentialId: p.credential_id,
        publicKey: Buffer.from(p.public_key).toString('base64url'),
        transports: p.transports,
        signCount: Number(p.counter),
        backedUp: p.backed_up,
        createdAt: iso(p.created_at),
        lastUsedAt: iso(p.last_used_at),
      })),
    };
  }

  /** Deletes the account with its sessions, factors and passkeys (they cascade); erasing twice is the same as once. */
  async eraseAccount(accountId: string): Promise<void> {
    await this.db.deleteFrom('accounts').where('id', '=', accountId).execute();
    this.forgetCachedSessions(accountId);
  }

}

function conflictField(field: string, message: string) {
  return conflict(`That ${field} ${message}.`, { [field]: [message] });
}
