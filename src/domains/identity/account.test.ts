import { describe, expect, it, vi } from 'vitest';
import { Secret, TOTP } from 'otpauth';
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
    // Every link sent is good until one of them is used; the newest one verifies.
    expect((await verify(eka.token, linkToken(fourth, 'https://sekat.test/email/verifikasi'))).statusCode).toBe(204);

    const fajar = await register('fajar_verif');
    expect((await verify(fajar.token, linkToken(await smtp.mailTo(fajar.email), 'https://sekat.test/email/verifikasi'))).statusCode).toBe(204);
    const done = await call('POST', '/api/auth/email/verification', fajar.token);
    expect(done.statusCode).toBe(409);
    expect(done.json().type).toBe('https://sekat.id/problems/already-verified');
  });
});

describe(`changing the email (${STORE_LABEL})`, () => {
  const change = (token: string, body: Record<string, unknown>) => call('POST', '/api/auth/email/change', token, body);
  const confirm = (token: string | undefined, emailToken: string) => call('POST', '/api/auth/email/change/confirm', token, { token: emailToken });
  const login = (email: string) => call('POST', '/api/auth/login', undefined, { email, password: 'rendang-padang-pedas' });

  it('asks for the password again, confirms at the new address and tells the old one', async () => {
    const gita = await register('gita_ganti');
    const before = await t.sekat.stores.identity.db.selectFrom('accounts').selectAll().where('id', '=', gita.id).executeTakeFirstOrThrow();

    const noProof = await change(gita.token, { newEmail: 'gita.baru@contoh.id' });
    expect(noProof.statusCode).toBe(400);
    expect(noProof.json().errors).toHaveProperty('password');
    const wrong = await change(gita.token, { newEmail: 'gita.baru@contoh.id', password: 'bukan-kata-sandinya' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().type).toBe('https://sekat.id/problems/reauthentication-failed');
    expect((await change(gita.token, { newEmail: 'bukan email', password: 'rendang-padang-pedas' })).statusCode).toBe(400);
    expect((await change(gita.token, { newEmail: gita.email, password: 'rendang-padang-pedas' })).statusCode).toBe(400);
    await register('hadi_ganti');
    const taken = await change(gita.token, { newEmail: 'HADI_ganti@contoh.id', password: 'rendang-padang-pedas' });
    expect(taken.statusCode).toBe(409);
    expect((await call('POST', '/api/auth/email/change', undefined, { newEmail: 'x@contoh.id', password: 'rendang-padang-pedas' })).statusCode).toBe(401);
    expect(await t.sekat.stores.identity.db.selectFrom('accounts').selectAll().where('id', '=', gita.id).executeTakeFirstOrThrow()).toEqual(before);
    expect(await t.sekat.stores.identity.db.selectFrom('email_tokens').select('token_hash').where('account_id', '=', gita.id).where('purpose', '=', 'change').execute()).toEqual([]);

    expect((await change(gita.token, { newEmail: ' Gita.Baru@contoh.id ', password: 'rendang-padang-pedas' })).statusCode).toBe(202);
    const link = await smtp.mailTo('gita.baru@contoh.id');
    expect(link.subject).toBe('Konfirmasi email baru akun Sekat Anda');
    const token = linkToken(link, 'https://sekat.test/email/ganti');
    await vi.waitFor(() => expect(smtp.to(gita.email).some((m) => m.subject === 'Email akun Sekat Anda sedang diganti')).toBe(true), { timeout: 8000 });
    const notice = smtp.to(gita.email).find((m) => m.subject === 'Email akun Sekat Anda sedang diganti')!;
    expect(notice.text).toContain('g***@contoh.id');
    expect(notice.text).not.toContain('gita.baru@contoh.id');
    expect(notice.text).not.toContain('token=');
    // Until the link is followed the old address is the account's.
    expect((await login(gita.email)).statusCode).toBe(200);

    // Someone else signed in cannot spend it; the owner can, even signed out.
    const hadi = (await login('hadi_ganti@contoh.id')).json().token as string;
    expect((await confirm(hadi, token)).statusCode).toBe(400);
    expect((await confirm(undefined, token)).statusCode).toBe(204);
    expect((await login('gita.baru@contoh.id')).statusCode).toBe(200);
    expect((await login(gita.email)).statusCode).toBe(401);
    expect((await sessionOf(gita.token)).user.emailVerified).toBe(true);
    expect((await confirm(undefined, token)).statusCode).toBe(400);
    // The sign-up link to the old address confirms nothing any more.
    const oldVerify = linkToken(await smtp.mailTo(gita.email), 'https://sekat.test/email/verifikasi');
    expect((await verify(undefined, oldVerify)).statusCode).toBe(400);
  });

  it('refuses the link when the address was taken in the meantime, and changes nothing', async () => {
    const indah = await register('indah_ganti');
    expect((await change(indah.token, { newEmail: 'rebutan@contoh.id', password: 'rendang-padang-pedas' })).statusCode).toBe(202);
    const token = linkToken(await smtp.mailTo('rebutan@contoh.id'), 'https://sekat.test/email/ganti');
    await register('rebutan');
    const late = await confirm(indah.token, token);
    expect(late.statusCode).toBe(409);
    const row = await t.sekat.stores.identity.db.selectFrom('accounts').select(['email']).where('id', '=', indah.id).executeTakeFirstOrThrow();
    expect(row.email).toBe(indah.email);
  });
});

describe(`two-step sign-in with TOTP (${STORE_LABEL})`, () => {
  const PASSWORD = 'rendang-padang-pedas';
  const login = (email: string, password = PASSWORD) => call('POST', '/api/auth/login', undefined, { email, password });
  const second = (challenge: string, code: string) => call('POST', '/api/auth/login/second-factor', undefined, { challenge, code });
  /** The code of a step other than the one last used (a code works once per 30-second step). */
  const codeAt = (secret: string, offsetSteps = 0) => new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

  async function enrol(token: string) {
    const started = await call('POST', '/api/auth/totp/enrol', token, { password: PASSWORD });
    expect(started.statusCode).toBe(200);
    const { secret, otpauthUrl, qrCode } = started.json();
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Sekat:.*secret=/);
    expect(otpauthUrl).toContain('period=30');
    expect(qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    const confirmed = await call('POST', '/api/auth/totp/confirm', token, { code: codeAt(secret) });
    expect(confirmed.statusCode).toBe(200);
    return { secret: secret as string, recoveryCodes: confirmed.json().recoveryCodes as string[] };
  }

  it('turns on with a QR code and a first code; sign-in then asks for a code, each code works once', async () => {
    const joko = await register('joko_totp');
    expect((await call('GET', '/api/auth/totp', joko.token)).json()).toEqual({ enabled: false, recoveryCodesLeft: 0 });
    expect((await call('POST', '/api/auth/totp/enrol', joko.token, { password: 'salah-kata-sandinya' })).statusCode).toBe(403);
    const started = (await call('POST', '/api/auth/totp/enrol', joko.token, { password: PASSWORD })).json();
    const wrongFirst = await call('POST', '/api/auth/totp/confirm', joko.token, { code: '000000' === codeAt(started.secret) ? '111111' : '000000' });
    expect(wrongFirst.statusCode).toBe(400);
    expect((await call('GET', '/api/auth/totp', joko.token)).json().enabled).toBe(false);

    const { secret, recoveryCodes } = await enrol(joko.token);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const db = t.sekat.stores.identity.db;
    const stored = await db.selectFrom('recovery_codes').select('code_hash').where('account_id', '=', joko.id).execute();
    expect(stored).toHaveLength(10);
    for (const code of recoveryCodes) expect(stored.some((r) => String(r.code_hash).includes(code.replace('-', '')))).toBe(false);
    const factor = await db.selectFrom('totp_factors').select('secret_sealed').where('account_id', '=', joko.id).executeTakeFirstOrThrow();
    expect(String(factor.secret_sealed)).not.toContain(secret);
    expect((await call('POST', '/api/auth/totp/enrol', joko.token, { password: PASSWORD })).statusCode).toBe(409);

    // The password alone gives a challenge, not a session.
    const first = await login(joko.email);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ secondFactorRequired: true });
    expect(first.json().token).toBeUndefined();
    expect(first.headers['set-cookie'] ?? '').not.toContain('sid=');
    const challenge = first.json().challenge as string;
    // The code used to turn it on is spent: the same step is refused.
    expect((await second(challenge, codeAt(secret))).statusCode).toBe(401);
    const next = codeAt(secret, 1);
    const signedIn = await second(challenge, next);
    expect(signedIn.statusCode).toBe(200);
    expect((await sessionOf(signedIn.json().token)).user.handle).toBe('joko_totp');
    // The challenge and the code are both spent.
    expect((await second(challenge, next)).statusCode).toBe(401);
    const again = (await login(joko.email)).json().challenge as string;
    expect((await second(again, next)).statusCode).toBe(401);

    // A recovery code signs in once.
    expect((await second(again, recoveryCodes[0]!.toUpperCase())).statusCode).toBe(200);
    const third = (await login(joko.email)).json().challenge as string;
    expect((await second(third, recoveryCodes[0]!)).statusCode).toBe(401);
    expect((await call('GET', '/api/auth/totp', joko.token)).json()).toEqual({ enabled: true, recoveryCodesLeft: 9 });
    expect((await second('bukan-tantangan-yang-ada-xxxxxxxx', recoveryCodes[1]!)).statusCode).toBe(401);
  });

  it('slows wrong codes after five, at the account only, and a password reset does not get past it', async () => {
    const kiki = await register('kiki_totp');
    const { secret, recoveryCodes } = await enrol(kiki.token);
    const challenge = (await login(kiki.email)).json().challenge as string;
    const wrong = codeAt(secret, 5);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await second(challenge, wrong)).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    // Someone who only knows the email cannot reach this step, so cannot slow the owner down:
    // another account is untouched.
    const lina = await register('lina_totp');
    const linaFactor = await enrol(lina.token);
    const linaChallenge = (await login(lina.email)).json().challenge as string;
    expect((await second(linaChallenge, codeAt(linaFactor.secret, 1))).statusCode).toBe(200);

    // Reset the password by the mailed link: signing in still asks for the code.
    expect((await call('POST', '/api/auth/password/forgot', undefined, { email: kiki.email })).statusCode).toBe(202);
    await vi.waitFor(() => expect(smtp.to(kiki.email).some((m) => m.subject === 'Atur ulang kata sandi Sekat Anda')).toBe(true), { timeout: 8000 });
    const resetToken = linkToken(smtp.to(kiki.email).find((m) => m.subject === 'Atur ulang kata sandi Sekat Anda')!, 'https://sekat.test/sandi/baru');
    expect((await call('POST', '/api/auth/password/reset', undefined, { token: resetToken, password: 'soto-betawi-santan-kental' })).statusCode).toBe(204);
    const afterReset = await login(kiki.email, 'soto-betawi-santan-kental');
    expect(afterReset.statusCode).toBe(202);
    expect(afterReset.json().token).toBeUndefined();
    expect((await call('GET', '/api/auth/totp', kiki.token)).statusCode).toBe(401);

    // Turning it off needs a code: none, a wrong one, then a recovery code.
    // The owner too waits out the slow-down the wrong codes caused (a wait is not a lock).
    let fresh = '';
    await vi.waitFor(
      async () => {
        const res = await second(afterReset.json().challenge, recoveryCodes[0]!);
        expect(res.statusCode).toBe(200);
        fresh = res.json().token as string;
      },
      { timeout: 30_000, interval: 1000 },
    );
    expect((await call('POST', '/api/auth/totp/disable', fresh, {})).statusCode).toBe(400);
    expect((await call('GET', '/api/auth/totp', fresh)).json().enabled).toBe(true);
    expect((await call('POST', '/api/auth/totp/disable', fresh, { code: recoveryCodes[1] })).statusCode).toBe(204);
    expect((await call('GET', '/api/auth/totp', fresh)).json()).toEqual({ enabled: false, recoveryCodesLeft: 0 });
    expect((await login(kiki.email, 'soto-betawi-santan-kental')).statusCode).toBe(200);
  });

  it('takes a code instead of the password to change the email', async () => {
    const mira = await register('mira_totp');
    const { secret } = await enrol(mira.token);
    expect((await call('POST', '/api/auth/email/change', mira.token, { newEmail: 'mira.baru@contoh.id', code: '12345' })).statusCode).toBe(403);
    expect((await call('POST', '/api/auth/email/change', mira.token, { newEmail: 'mira.baru@contoh.id', code: codeAt(secret, 1) })).statusCode).toBe(202);
  });
});

describe(`signed-in devices (${STORE_LABEL})`, () => {
  const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
  const MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
  const loginFrom = async (email: string, headers: Record<string, string>) =>
    (await t.sekat.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'rendang-padang-pedas' }, headers, remoteAddress: nextIp() })).json().token as string;

  it('lists the devices with their browser and country, ends one, and ends all the others', async () => {
    const nina = await register('nina_sesi');
    const phone = await loginFrom(nina.email, { 'user-agent': PHONE, 'cf-ipcountry': 'ID' });
    const mac = await loginFrom(nina.email, { 'user-agent': MAC, 'cf-ipcountry': 'not-a-country' });
    const listed = await call('GET', '/api/auth/sessions', phone);
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items as { id: string; browser: string | null; os: string | null; country: string | null; current: boolean }[];
    expect(items).toHaveLength(3);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items.find((s) => s.current)).toMatchObject({ browser: 'Chrome', os: 'Android', country: 'ID' });
    expect(items.find((s) => s.browser === 'Safari')).toMatchObject({ os: 'macOS', country: null, current: false });
    expect(JSON.stringify(items)).not.toContain('token');

    // Someone else cannot end Nina's sessions, nor see them.
    const omar = await register('omar_sesi');
    const macId = items.find((s) => s.browser === 'Safari')!.id;
    expect((await t.sekat.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${macId}`, headers: { authorization: `Bearer ${omar.token}` } })).statusCode).toBe(404);
    expect((await call('GET', '/api/me', mac)).statusCode).toBe(200);
    expect((await t.sekat.app.inject({ method: 'DELETE', url: '/api/auth/sessions/bukan-uuid', headers: { authorization: `Bearer ${phone}` } })).statusCode).toBe(400);
    expect((await call('GET', '/api/auth/sessions')).statusCode).toBe(401);

    expect((await t.sekat.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${macId}`, headers: { authorization: `Bearer ${phone}` } })).statusCode).toBe(204);
    expect((await call('GET', '/api/me', mac)).statusCode).toBe(401);
    expect((await call('GET', '/api/auth/sessions', phone)).json().items).toHaveLength(2);

    const ended = await call('POST', '/api/auth/sessions/end-others', phone);
    expect(ended.json()).toEqual({ ended: 1 });
    expect((await call('GET', '/api/me', nina.token)).statusCode).toBe(401);
    expect((await call('GET', '/api/me', phone)).statusCode).toBe(200);
    expect((await call('GET', '/api/auth/sessions', phone)).json().items).toHaveLength(1);
    expect((await call('GET', '/api/me', omar.token)).statusCode).toBe(200);
  });

  it('changes the password with the current one and leaves ending the others to the person', async () => {
    const putu = await register('putu_sesi');
    const other = await loginFrom(putu.email, { 'user-agent': MAC });
    const changePassword = (body: Record<string, unknown>) => call('POST', '/api/auth/password/change', putu.token, body);
    const before = await t.sekat.stores.identity.db.selectFrom('accounts').select('password_hash').where('id', '=', putu.id).executeTakeFirstOrThrow();
    expect((await changePassword({ password: 'bukan-sandinya-putu', newPassword: 'bakso-malang-urat-pedas' })).statusCode).toBe(403);
    const weak = await changePassword({ password: 'rendang-padang-pedas', newPassword: 'password123' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors).toHaveProperty('newPassword');
    expect((await call('POST', '/api/auth/password/change', undefined, { password: 'rendang-padang-pedas', newPassword: 'bakso-malang-urat-pedas' })).statusCode).toBe(401);
    expect(await t.sekat.stores.identity.db.selectFrom('accounts').select('password_hash').where('id', '=', putu.id).executeTakeFirstOrThrow()).toEqual(before);

    expect((await changePassword({ password: 'rendang-padang-pedas', newPassword: 'bakso-malang-urat-pedas' })).statusCode).toBe(204);
    expect((await call('GET', '/api/me', other)).statusCode).toBe(200);
    expect((await call('POST', '/api/auth/login', undefined, { email: putu.email, password: 'bakso-malang-urat-pedas' })).statusCode).toBe(200);
    expect((await call('POST', '/api/auth/sessions/end-others', putu.token)).json()).toEqual({ ended: 2 });
    expect((await call('GET', '/api/me', other)).statusCode).toBe(401);
  });
});
