import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest, forbidden, HttpProblem, unauthorized } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The caller's subject as this domain knows it: identity sees the account id; every other
     * domain sees only its own pairwise pseudonym. Undefined when not signed in.
     */
    subject?: string;
    /**
     * Whether the caller's email counts as verified, a claim identity adds to the session the
     * composition root passes to every domain (true for all when REQUIRE_VERIFIED_EMAIL=false).
     */
    emailVerified?: boolean;
    /**
     * Whether the caller signed in, or gave the password or a code again, within the last few
     * minutes: identity's claim, passed to every domain like emailVerified.
     */
    recentlyAuthenticated?: boolean;
    /** The request came with a session that has run out (so "not signed in" says why). */
    sessionExpired?: boolean;
  }
}

/** The problem-details (RFC 9457) responses for these status codes, spread into a route's `response`. */
export const problems = (...codes: number[]): Record<number, TSchema> => Object.fromEntries(codes.map((code) => [code, Type.Ref('Problem')]));

/** 401 for a session that ran out: the web sends the person to sign in again and back. */
export const sessionExpired = () => new HttpProblem(401, 'session-expired', 'Session expired', 'Your session has ended; sign in again.');

export function requireSubject(request: FastifyRequest): string {
  if (!request.subject) throw request.sessionExpired ? sessionExpired() : unauthorized();
  return request.subject;
}

/**
 * The subject of a platform operator: 401 when not signed in, 403 with `detail` for anyone else.
 * `isOperator` is the composition root's check (it may itself demand the second factor).
 */
export function requireOperator(request: FastifyRequest, isOperator: (request: FastifyRequest) => boolean, detail: string): string {
  const subject = requireSubject(request);
  if (!isOperator(request)) throw forbidden(detail);
  return subject;
}

/**
 * The subject, for a sensitive action (a bank account, a withdrawal, signing out other devices):
 * 403 `reauthentication-required` unless the person signed in or proved it again recently
 * (POST /api/auth/reauth with the password or a code).
 */
export function requireRecentAuthentication(request: FastifyRequest, action: string): string {
  const subject = requireSubject(request);
  if (!request.recentlyAuthenticated) {
    throw new HttpProblem(403, 'reauthentication-required', 'Re-authentication required', `Give your password (or a code from your authenticator app) again before ${action}.`);
  }
  return subject;
}

/**
 * The subject, for an action that waits for a verified email (opening a shop, a payout, going
 * live): 401 when not signed in, 403 `email-not-verified` naming the rule when not verified.
 */
export function requireVerifiedEmail(request: FastifyRequest, action: string): string {
  const subject = requireSubject(request);
  if (!request.emailVerified) {
    throw new HttpProblem(403, 'email-not-verified', 'Email not verified', `Verify your email before ${action}: open the link we mailed you, or ask for a new one.`);
  }
  return subject;
}

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});
export type PageQuery = Static<typeof PageQuery>;

export function encodeCursor(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes an opaque cursor; a tampered or foreign cursor is a 400, never a 500. */
export function decodeCursor<T extends Record<string, unknown>>(
  cursor: string | undefined,
  check: (value: Record<string, unknown>) => value is T,
): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('The cursor is not valid.', { cursor: ['is not a cursor this list gave out'] });
  }
  if (typeof value !== 'object' || value === null || !check(value as Record<string, unknown>)) {
    throw badRequest('The cursor is not valid.', { cursor: ['is not a cursor this list gave out'] });
  }
  return value as T;
}

/** Builds `{ items, nextCursor }` from a page fetched with limit + 1 rows. */
export function pageOf<R, I>(rows: R[], limit: number, toItem: (row: R) => I, cursorOf: (row: R) => Record<string, unknown>) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { items: kept.map(toItem), nextCursor: more && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
    moreErrors: Type.Optional(Type.Integer({ description: 'How many more fields had errors than `errors` lists (it lists at most 20)' })),
    availableIdr: Type.Optional(Type.Integer({ description: 'A withdrawal over the balance: what is available to withdraw' })),
    enrolled: Type.Optional(Type.Boolean({ description: '`second-factor-required`: whether the account has a second factor (then sign in again with it) or must set one up' })),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const SESSION_COOKIE = 'sid';

/** The session token from the `sid` cookie or an `Authorization: Bearer` header. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(header);
    return match?.[1];
  }
  const cookie = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];
  return cookie || undefined;
}

/** The first field (dotted path) holding a string with a NUL character, which PostgreSQL text cannot store. */
export function fieldWithNul(value: unknown, path = ''): string | undefined {
  const found = nulAt(value, 0);
  return found ? [path, ...found].filter((part) => part !== '').join('.') || '(body)' : undefined;
}

/**
 * Where in `value` a NUL is, as path segments; undefined when nowhere. The path is made only for
 * a hit and arrays are walked by index: a 1 MB body can hold half a million items.
 */
function nulAt(value: unknown, depth: number): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? [] : undefined;
  if (depth > 20 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'string' && (typeof item !== 'object' || item === null)) continue;
      const found = nulAt(item, depth + 1);
      if (found) return [String(i), ...found];
    }
    return undefined;
  }
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const found = nulAt(inner, depth + 1);
    if (found) return [key, ...found];
  }
  return undefined;
}

/**
 * Whether a request that reads or opens something with the session cookie (an event stream, a
 * WebSocket) comes from Sekat's own pages or from no browser at all: `Sec-Fetch-Site` when the
 * browser sends it, else the `Origin` host. The cookie alone never opens another site's view.
 */
export function fromOwnSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}
