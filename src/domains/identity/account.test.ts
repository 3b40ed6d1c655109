import { describe, expect, it } from 'vitest';
import { STORE_LABEL } from '../../platform/testing.js';
import { useSekat } from '../../../test/support/sekat.js';
import { linkToken, useSmtp } from '../../../test/support/smtp.js';

const env: Record<string, string> = { PUBLIC_URL: 'https://sekat.test', REQUIRE_VERIFIED_EMAIL: 'true' };
const smtp = useSmtp(env);
const t = useSekat({ background: false, env });

let ips = 0;
const nextIp = () => `10.8.${Math.floor(ips / 250)}.${ips++ % 250}`;
const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: Record<string, unknown>) =>
  t.sekat.app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {}, remoteAddress: nextIp() });
async function register(handle: string, locale?: string) {
  const res = await call('POST', '/api/auth/register', undefined, { email: `${handle}@contoh.id`, password: 'rendang-padang-pedas', handle, displayName: `${handle} <i>`, ...(locale ? { locale } : {}) });
  expect(res.statusCode).toBe(201);
  return { token: res.json().token as string, email: `${handle}@contoh.id`, id: res.json().user.id as string };
}
const openShop = (token: string, slug: string) => call('POST', '/api/commerce/shops', token, { name: 'Toko Rendang', slug, city: 'Padang' });
const verify = (token: string | undefined, emailToken: string) => call('POST', '/api/auth/email/verify', token, { token: emailToken });
const sessionOf = async (token: string) => (await call('GET', '/api/session', token)).json();

describe(`email verification (${STORE_LABEL})`, () => {
  it('mails a link at sign-up in the person’s language; a shop opens only once it is followed', async () => {
    const ana = await register('ana_verif');
    expect((await sessionOf(ana.token)).user.emailVerified).toBe(false);
    expect((await call('GET', '/api/me', ana.token)).json().emailVerified).toBe(false);

    const mail = await smtp.mailTo(ana.email);
    expect(mail.subject).toBe('Verifikasi email Sekat Anda');
    expect(mail.text).toContain('Halo, ana_verif <i>!');
    expect(mail.html).toContain('Halo, ana_verif &lt;i&gt;!');
    const token = linkToken(mail, 'https://sekat.test/email/verifikasi');
    expect(mail.html).toContain(`href="https://sekat.test/email/verifikasi?token=${token}"`);
    const stored = await t.sekat.stores.identity.db.selectFrom('email_tokens').select('token_hash').execute();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.some((row) => String(row.token_hash).includes(token))).toBe(false);

    // Unverified: buying is open, a shop is not, and the refusal names the rule and keeps nothing.
    const refused = await openShop(ana.token, 'rendang-ana');
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().type).toBe('https://sekat.id/problems/email-not-verified');
    expect(refused.json().detail).toContain('Verify your email before opening a shop');
    expect((await call('GET', '/api/commerce/me/shops', ana.token)).json().items).toEqual([]);
    expect((await call('GET', '/api/commerce/cart', ana.token)).statusCode).toBe(200);

    // The link works without being signed in (it is often opened on another device).
    expect((await verify(undefined, token)).statusCode).toBe(204);
    expect((await sessionOf(ana.token)).user.emailVerified).toBe(true);
    expect((await openShop(ana.token, 'rendang-ana')).statusCode).toBe(201);

    const again = await verify(ana.token, token);
    expect(again.statusCode).toBe(400);
    expect(again.json().detail).toBe('This confirmation link is not valid any more; ask for a new one.');

    const budi = await register('budi_verif', 'en');
    const english = await smtp.mailTo(budi.email);
    expect(english.subject).toBe('Verify your Sekat email');
    expect(english.text).toContain('Hello, budi_verif <i>!');
    expect(english.html).toContain('<html lang="en">');
  });

  it('refuses unknown, expired and someone else’s tokens with one answer, changing nothing', async () => {
    const citra = await register('citra_verif');
    const dodi = await register('dodi_verif');
    const citraToken = linkToken(await smtp.mailTo(citra.email), 'https://sekat.test/email/verifikasi');

    const unknown = await verify(undefined, 'bukan-token-yang-pernah-dikirim');
    const foreign = await verify(dodi.token, citraToken);
    expect(unknown.statusCode).toBe(400);
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().detail).toBe(unknown.json().detail);
    expect((await sessionOf(dodi.token)).user.emailVerified).toBe(false);
    expect((await sessionOf(citra.token)).user.emailVerified).toBe(false);
    expect((await verify(undefined, '')).statusCode).toBe(400);

    // Dodi's own link, expired.
    const dodiToken = linkToken(await smtp.mailTo(dodi.email), 'https://sekat.test/email/verifikasi');
    await t.sekat.stores.identity.db.updateTable('email_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('account_id', '=', dodi.id).execute();
    const expired = await verify(dodi.token, dodiToken);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().detail).toBe(unknown.json().detail);
    expect((await sessionOf(dodi.token)).user.emailVerified).toBe(false);

    // The token Dodi could not use still works for Citra.
    expect((await verify(citra.token, citraToken)).statusCode).toBe(204);
    expect((await sessionOf(citra.token)).user.emailVerified).toBe(true);
  });

  it('mails the link again a few times an hour, and not once verified', async () => {
    expect((await call('POST', '/api/auth/email/verification')).statusCode).toBe(401);
    const eka = await register('eka_verif');
    await smtp.mailTo(eka.email, 1);
    for (let i = 0; i < 3; i++) expect((await call('POST', '/api/auth/email/verification', eka.token)).statusCode).toBe(202);
    const flooded = await call('POST', '/api/auth/email/verification', eka.token);
    expect(flooded.statusCode).toBe(429);
    expect(flooded.headers['retry-after']).toBeDefined();
    const fourth = await smtp.mailTo(eka.email, 4);
    // Every link sent is good until it is used; the newest one verifies.
    expect((await verify(eka.token, linkToken(fourth, 'https://sekat.test/email/verifikasi'))).statusCode).toBe(204);

    const fajar = await register('fajar_verif');
    expect((await verify(fajar.token, linkToken(await smtp.mailTo(fajar.email), 'https://sekat.test/email/verifikasi'))).statusCode).toBe(204);
    const done = await call('POST', '/api/auth/email/verification', fajar.token);
    expect(done.statusCode).toBe(409);
    expect(done.json().type).toBe('https://sekat.id/problems/already-verified');
  });
});
