import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact signed tokens: `base64url(JSON payload).base64url(HMAC-SHA256(key, first part))`.
 * Verified offline by whoever holds the key; `exp` (seconds since epoch) is always checked.
 */
export function signToken(key: string, payload: Record<string, unknown> & { exp: number }): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', key).update(body).digest('base64url');
  return `${body}.${mac}`;
}

export type TokenCheck<T> =
  | { ok: true; payload: T }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export function verifyToken<T extends { exp: number }>(key: string, token: string, nowMs = Date.now()): TokenCheck<T> {
  if (typeof token !== 'string' || token.length > 2048) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(parts[0]).digest();
  let given: Buffer;
  try {
    given = Buffer.from(parts[1], 'base64url');
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload !== 'object' || payload === null || typeof (payload as { exp?: unknown }).exp !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if ((payload as { exp: number }).exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, payload: payload as T };
}
