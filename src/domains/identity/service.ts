import argon2 from 'argon2';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../../platform/db.js';
import { conflict, HttpProblem, unauthorized, validationFailed, type FieldErrors } from '../../platform/errors.js';
import { uuidv7 } from '../../platform/ids.js';
import { textProblem } from '../../platform/text.js';
import { describeUserAgent } from './user-agent.js';

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Sliding expiry is pushed forward at most this often, so reads stay reads. */
const SESSION_RENEW_AFTER_MS = 60 * 60 * 1000;

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
  lastSeenAt: number;
  expiresAt: number;
}

export class IdentityService {
  private readonly dummyHash: Promise<string>;
  private readonly sessions = new LRUCache<string, CachedSession>({ max: 50_000, ttl: SESSION_CACHE_TTL_MS });
  /** Derived subjects of recently seen accounts: every signed-in request needs one per domain. */
  private readonly subjects = new LRUCache<string, string>({ max: 100_000 });

  /** Emails of the platform's operators (OPERATOR_EMAILS): their accounts carry the role `operator`. */
  private readonly operators: Set<string>;

  constructor(
    private readonly db: Database,
    private readonly secrets: { sessionPepper: string; subjectKeys: Record<string, string> },
    operatorEmails: string[] = [],
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
      return this.toAccount(row as AccountRow);
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
    const hash = row && row.status === 'active' ? (row.password_hash as string) : await this.dummyHash;
    let ok = false;
    try {
      ok = await argon2.verify(hash, password);
    } catch {
      ok = false;
    }
    if (!ok || !row || row.status !== 'active') throw unauthorized('Email or password is wrong.');
    return this.toAccount(row as AccountRow);
  }

  async accountById(accountId: string): Promise<Account | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'handle', 'display_name', 'roles', 'email_verified_at'])
      .where('id', '=', accountId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row ? this.toAccount(row as AccountRow) : undefined;
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
      return await argon2.verify(row ? (row.password_hash as string) : await this.dummyHash, password) && row !== undefined;
    } catch {
      return false;
    }
  }

  async createSession(accountId: string, device: SessionDevice = {}): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.db
      .insertInto('sessions')
      .values({
        id: uuidv7(),
        token_hash: this.hashToken(token),
        account_id: accountId,
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
      .where('expires_at', '>', sql<Date>`now()`)
      .orderBy('last_seen_at', 'desc')
      .orderBy('created_at', 'desc')
      .execute();
    const currentHash = token ? this.hashToken(token) : undefined;
    return rows.map((row) => ({
      id: row.id as string,
      ...describeUserAgent(row.user_agent as string | null),
      country: (row.country as string | null) ?? null,
      createdAt: new Date(row.created_at as Date).toISOString(),
      lastSeenAt: new Date(row.last_seen_at as Date).toISOString(),
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
   * The account behind a session token, or undefined. Renews the sliding expiry when it is more
   * than an hour old; `renewedUntil` tells the caller to refresh the cookie.
   */
  async authenticate(token: string): Promise<{ account: Account; renewedUntil?: Date } | undefined> {
    if (token.length < 20 || token.length > 100) return undefined;
    // The in-process cache is keyed by the token itself, so a hit costs no hashing; only the
    // hash is ever stored in the database.
    let session = this.sessions.get(token);
    if (!session) {
      const tokenHash = this.hashToken(token);
      const row = await this.db
        .selectFrom('sessions as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .select(['a.id', 'a.email', 'a.handle', 'a.display_name', 'a.roles', 'a.email_verified_at', 'a.status', 's.expires_at', 's.last_seen_at'])
        .where('s.token_hash', '=', tokenHash)
        .where('s.revoked_at', 'is', null)
        .where('s.expires_at', '>', sql<Date>`now()`)
        .where('a.status', 'in', ['active', 'erasing'])
        .executeTakeFirst();
      if (!row) return undefined;
      session = {
        account: { ...this.toAccount(row as AccountRow), status: row.status as 'active' | 'erasing' },
        lastSeenAt: new Date(row.last_seen_at as Date).getTime(),
        expiresAt: new Date(row.expires_at as Date).getTime(),
      };
      this.sessions.set(token, session);
    }
    const now = Date.now();
    if (session.expiresAt <= now) {
      this.sessions.delete(token);
      return undefined;
    }
    if (now - session.lastSeenAt < SESSION_RENEW_AFTER_MS) return { account: session.account };
    const renewedUntil = new Date(now + SESSION_TTL_MS);
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: sql`now()`, expires_at: renewedUntil })
      .where('token_hash', '=', this.hashToken(token))
      .execute();
    session.lastSeenAt = now;
    session.expiresAt = renewedUntil.getTime();
    return { account: session.account, renewedUntil };
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
  async endAllSessions(accountId: string, db: Database = this.db): Promise<void> {
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
  async secondFactorsOf(accountId: string): Promise<{ totp: boolean; passkeys: number }> {
    const row = await this.db
      .selectFrom('accounts as a')
      .select((eb) => [
        eb.exists(eb.selectFrom('totp_factors').select('account_id').whereRef('account_id', '=', 'a.id').where('confirmed_at', 'is not', null)).as('totp'),
        eb.selectFrom('passkeys').select((p) => p.fn.countAll<string>().as('n')).whereRef('account_id', '=', 'a.id').as('passkeys'),
      ])
      .where('a.id', '=', accountId)
      .executeTakeFirst();
    return { totp: Boolean(row?.totp), passkeys: Number(row?.passkeys ?? 0) };
  }

  async exportAccount(accountId: string) {
    const account = await this.db
      .selectFrom('accounts')
      .select(['id', 'email', 'handle', 'display_name', 'roles', 'status', 'locale', 'created_at'])
      .where('id', '=', accountId)
      .executeTakeFirst();
    const sessions = await this.db
      .selectFrom('sessions')
      .select(['created_at', 'last_seen_at', 'expires_at', 'revoked_at'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
    const passkeys = await this.db
      .selectFrom('passkeys')
      .select(['name', 'credential_id', 'public_key', 'transports', 'counter', 'backed_up', 'created_at', 'last_used_at'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
    const iso = (value: unknown) => (value ? new Date(value as Date).toISOString() : null);
    return {
      account: account
        ? { id: account.id, email: account.email, handle: account.handle, displayName: account.display_name, roles: account.roles, locale: account.locale, createdAt: iso(account.created_at) }
        : null,
      sessions: sessions.map((s) => ({ createdAt: iso(s.created_at), lastSeenAt: iso(s.last_seen_at), expiresAt: iso(s.expires_at), revokedAt: iso(s.revoked_at) })),
      passkeys: passkeys.map((p) => ({
        name: p.name,
        credentialId: p.credential_id,
        publicKey: Buffer.from(p.public_key as Uint8Array).toString('base64url'),
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
