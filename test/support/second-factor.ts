import { expect } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import type { FastifyInstance } from 'fastify';
import type { APIRequestContext } from 'playwright-core';

/** A code of the next 30-second step: the current one is spent confirming the factor. */
export const nextTotpCode = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + 30_000 });
const currentCode = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' }).generate();

/**
 * Operators act only in a session signed in with a second factor: turns TOTP on for the account
 * of `token`, signs in again with the password and a code, and answers the new session's token.
 */
export async function signInWithTotp(app: FastifyInstance, token: string, email: string, password: string, remoteAddress = '10.250.0.1'): Promise<string> {
  const call = (url: string, payload: Record<string, unknown>, bearer?: string) =>
    app.inject({ method: 'POST', url, payload, remoteAddress, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const started = await call('/api/auth/totp/enrol', { password }, token);
  expect(started.statusCode, started.body).toBe(200);
  const secret = started.json().secret as string;
  expect((await call('/api/auth/totp/confirm', { code: currentCode(secret) }, token)).statusCode).toBe(200);
  const login = await call('/api/auth/login', { email, password });
  expect(login.statusCode, login.body).toBe(202);
  const signedIn = await call('/api/auth/login/second-factor', { challenge: login.json().challenge, code: nextTotpCode(secret) });
  expect(signedIn.statusCode, signedIn.body).toBe(200);
  return signedIn.json().token as string;
}

/** The same through a browser context's request (its cookie becomes the new session); answers the secret. */
export async function signInWithTotpIn(request: APIRequestContext, base: string, email: string, password: string): Promise<string> {
  const started = await request.post(`${base}/api/auth/totp/enrol`, { data: { password } });
  expect(started.status()).toBe(200);
  const secret = ((await started.json()) as { secret: string }).secret;
  expect((await request.post(`${base}/api/auth/totp/confirm`, { data: { code: currentCode(secret) } })).status()).toBe(200);
  const login = await request.post(`${base}/api/auth/login`, { data: { email, password } });
  expect(login.status()).toBe(202);
  const { challenge } = (await login.json()) as { challenge: string };
  expect((await request.post(`${base}/api/auth/login/second-factor`, { data: { challenge, code: nextTotpCode(secret) } })).status()).toBe(200);
  return secret;
}
