import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { STORE_LABEL } from '../../platform/testing.js';
import { useSekat } from '../../../test/support/sekat.js';

// A real SMTP server on loopback; its port is known only once it listens, before the app is built.
const received: ParsedMail[] = [];
const VERIFICATION_SUBJECTS = ['Verifikasi email Sekat Anda', 'Verify your Sekat email'];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream).then((mail) => {
      // Sign-up mails its own verification link (account.test.ts tests it); only reset mail counts here.
      if (!VERIFICATION_SUBJECTS.includes(mail.subject ?? '')) received.push(mail);
      callback();
    }, callback);
  },
});
const env: Record<string, string> = { PUBLIC_URL: 'https://sekat.test' };
beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(resolve)));

const t = useSekat({ background: false, env });

afterEach(() => {
  vi.useRealTimers();
});

let ips = 0;
const nextIp = () => `10.7.${Math.floor(ips / 250)}.${ips++ % 250}`;
const post = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}, remoteAddress = nextIp()) =>
  t.sekat.app.inject({ method: 'POST', url, payload, headers, remoteAddress });
const register = (email: string, password: string, handle: string, headers: Record<string, string> = {}) =>
  post('/api/auth/register', { email, password, handle, displayName: 'Dewi <b>' }, headers);

async function mailTo(address: string, count = 1): Promise<ParsedMail> {
  await vi.waitFor(
    () => expect(received.filter((m) => m.to && JSON.stringify(m.to).includes(address)).length).toBeGreaterThanOrEqual(count), { timeout: 5000 },
  );
  return received.filter((m) => JSON.stringify(m.to).includes(address)).at(count - 1)!;
}

const tokenIn = (mail: ParsedMail) => {
  const match = /https:\/\/sekat\.test\/sandi\/baru\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
  expect(match, mail.text).not.toBeNull();
  return match![1]!;
};

const forgot = (email: string, ip?: string) => post('/api/auth/password/forgot', { email }, {}, ip);
const reset = (token: string, password: string) => post('/api/auth/password/reset', { token, password });
const me = (token: string) => t.sekat.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });

describe(`password reset (${STORE_LABEL})`, () => {
  it('mails a link that sets a new password once and ends every session', async () => {
    const first = await register('dewi@contoh.id', 'kopi-tubruk-hitam', 'dewi.reset');
    expect(first.statusCode).toBe(201);
    const second = await post('/api/auth/login', { email: 'dewi@contoh.id', password: 'kopi-tubruk-hitam' });
    const sessions = [first.json().token as string, second.json().token as string];
    for (const s of sessions) expect((await me(s)).statusCode).toBe(200);

    const res = await forgot('  DEWI@contoh.id ');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted' });
    const mail = await mailTo('dewi@contoh.id');
    expect(mail.subject).toBe('Atur ulang kata sandi Sekat Anda');
    expect(mail.text).toContain('Halo, Dewi <b>!');
    expect(mail.html).toContain('Halo, Dewi &lt;b&gt;!');
    const token = tokenIn(mail);
    expect(mail.html).toContain(`href="https://sekat.test/sandi/baru?token=${token}"`);
    const stored = await t.sekat.stores.identity.db.selectFrom('password_resets').select(['token_hash', 'expires_at']).execute();
    expect(stored.some((r) => r.token_hash === token || String(r.token_hash).includes(token))).toBe(false);

    // A weak password is refused with registration's rule, and the token stays good.
    const weak = await reset(token, 'password123');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors).toHaveProperty('password');

    const done = await reset(token, 'teh-tarik-baru-2026');
    expect(done.statusCode).toBe(204);
    for (const s of sessions) expect((await me(s)).statusCode).toBe(401);
    expect((await post('/api/auth/login', { email: 'dewi@contoh.id', password: 'kopi-tubruk-hitam' })).statusCode).toBe(401);
    expect((await post('/api/auth/login', { email: 'dewi@contoh.id', password: 'teh-tarik-baru-2026' })).statusCode).toBe(200);

    const again = await reset(token, 'lain-lagi-kata-sandi');
    expect(again.statusCode).toBe(400);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect((await post('/api/auth/login', { email: 'dewi@contoh.id', password: 'teh-tarik-baru-2026' })).statusCode).toBe(200);
  });

  it('answers an unknown email exactly as a known one and mails nothing', async () => {
    await register('ada@contoh.id', 'nasi-uduk-betawi', 'ada.akun');
    const before = received.length;
    const known = await forgot('ada@contoh.id');
    const unknown = await forgot('tidak-ada@contoh.id');
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    await mailTo('ada@contoh.id');
    // The known address's mail went out after the unknown one was looked up, so none is coming.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.slice(before).map((m) => JSON.stringify(m.to))).toEqual([expect.stringContaining('ada@contoh.id')]);
  });

  it('refuses an expired or unknown token with the same 400 and changes nothing', async () => {
    await register('lama@contoh.id', 'soto-betawi-santan', 'lama.akun');
    await forgot('lama@contoh.id');
    const token = tokenIn(await mailTo('lama@contoh.id'));
    const hashBefore = await t.sekat.stores.identity.db.selectFrom('accounts').select('password_hash').where('email', '=', 'lama@contoh.id').executeTakeFirstOrThrow();

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 31 * 60 * 1000);
    const expired = await reset(token, 'pecel-lele-lamongan');
    const unknown = await reset('A'.repeat(43), 'pecel-lele-lamongan');
    vi.useRealTimers();

    expect(expired.statusCode).toBe(400);
    expect(unknown.statusCode).toBe(400);
    const { instance: _a, ...a } = expired.json();
    const { instance: _b, ...b } = unknown.json();
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).not.toMatch(/email|lama@/i);
    const hashAfter = await t.sekat.stores.identity.db.selectFrom('accounts').select('password_hash').where('email', '=', 'lama@contoh.id').executeTakeFirstOrThrow();
    expect(hashAfter.password_hash).toBe(hashBefore.password_hash);
  });

  it('spends the other open links of the account when one is used', async () => {
    await register('dua@contoh.id', 'martabak-manis-keju', 'dua.link');
    await forgot('dua@contoh.id');
    const older = tokenIn(await mailTo('dua@contoh.id', 1));
    await forgot('dua@contoh.id');
    const newer = tokenIn(await mailTo('dua@contoh.id', 2));
    expect((await reset(newer, 'klepon-pandan-gula')).statusCode).toBe(204);
    expect((await reset(older, 'klepon-pandan-lagi')).statusCode).toBe(400);
  });

  it('mails in English to a person who signed up in English', async () => {
    await register('sam@example.com', 'flat-white-double', 'sam.en', { 'accept-language': 'en-GB,en;q=0.9,id;q=0.5' });
    await forgot('sam@example.com');
    const mail = await mailTo('sam@example.com');
    expect(mail.subject).toBe('Reset your Sekat password');
    expect(mail.text).toContain('This link works for 30 minutes');
    expect(mail.html).toContain('Set a new password');

    // The web's explicit choice wins over the browser's header; anything else falls back to Bahasa Indonesia.
    await post('/api/auth/register', { email: 'pilih@example.com', password: 'flat-white-single', handle: 'pilih.en', displayName: 'P', locale: 'en' }, { 'accept-language': 'id-ID' });
    await post('/api/auth/register', { email: 'asal@example.com', password: 'flat-white-triple', handle: 'asal.fr', displayName: 'A', locale: 'fr' }, { 'accept-language': 'fr-FR, de;q=0.8' });
    const locales = await t.sekat.stores.identity.db.selectFrom('accounts').select(['email', 'locale']).where('email', 'in', ['sam@example.com', 'pilih@example.com', 'asal@example.com']).orderBy('email').execute();
    expect(locales).toEqual([
      { email: 'asal@example.com', locale: 'id' },
      { email: 'pilih@example.com', locale: 'en' },
      { email: 'sam@example.com', locale: 'en' },
    ]);
  });

  it('rate limits forgot per email whatever the IP, and per IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await forgot('banjir@contoh.id')).statusCode);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const ip = '10.8.8.8';
    const perIp: number[] = [];
    for (let i = 0; i < 11; i++) perIp.push((await forgot(`orang${i}@contoh.id`, ip)).statusCode);
    expect(perIp.slice(0, 10).every((s) => s === 202)).toBe(true);
    expect(perIp[10]).toBe(429);
  });
});
