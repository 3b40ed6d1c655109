/**
 * Session lifetimes by kind of account, operators' second factor, re-authentication for
 * sensitive actions, and what the privacy export says about factors and devices. Time is a fake
 * clock moved by hand; TOTP codes still follow the real clock (they are made with it).
 */
import { describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import { STORE_LABEL } from '../../platform/testing.js';
import { useSekat } from '../../../test/support/sekat.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PASSWORD = 'rendang-padang-pedas';
let now = Date.parse('2026-03-01T02:00:00Z');
const t = useSekat({ background: false, clock: () => now, env: { OPERATOR_EMAILS: 'opa@contoh.id,opi@contoh.id' } });

let ips = 0;
const nextIp = () => `10.9.${Math.floor(ips / 250)}.${ips++ % 250}`;
const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.sekat.app.inject({ method, url, payload, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, remoteAddress: nextIp() });
const codeAt = (secret: string, offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

async function register(handle: string) {
  const res = await call('POST', '/api/auth/register', undefined, { email: `${handle}@contoh.id`, password: PASSWORD, handle, displayName: handle });
  expect(res.statusCode).toBe(201);
  return { token: res.json().token as string, email: `${handle}@contoh.id`, id: res.json().user.id as string };
}
async function enrolTotp(token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await call('POST', '/api/auth/totp/enrol', token, { password: PASSWORD });
  expect(started.statusCode).toBe(200);
  const secret = started.json().secret as string;
  const confirmed = await call('POST', '/api/auth/totp/confirm', token, { code: codeAt(secret) });
  expect(confirmed.statusCode).toBe(200);
  return { secret, recoveryCodes: confirmed.json().recoveryCodes };
}
/** Signs in with the password and, when asked, a code (`code` makes it). */
async function signIn(email: string, code?: () => string, headers: Record<string, string> = {}): Promise<string> {
  const first = await call('POST', '/api/auth/login', undefined, { email, password: PASSWORD }, headers);
  if (first.statusCode === 200) return first.json().token;
  expect(first.statusCode).toBe(202);
  const second = await call('POST', '/api/auth/login/second-factor', undefined, { challenge: first.json().challenge, code: code!() }, headers);
  expect(second.statusCode, second.body).toBe(200);
  return second.json().token;
}
const me = (token: string) => call('GET', '/api/me', token);
const expectExpired = async (token: string) => {
  const res = await me(token);
  expect(res.statusCode).toBe(401);
  expect(res.json().type).toBe('https://sekat.id/problems/session-expired');
  expect((await call('GET', '/api/session', token)).json()).toEqual({ signedIn: false, expired: true });
};

describe(`session lifetimes (${STORE_LABEL})`, () => {
  it('keeps a buyer’s session for 30 days from the last request, then says it expired', async () => {
    const ayu = await register('ayu_life');
    now += 2 * DAY;
    expect((await me(ayu.token)).statusCode).toBe(200);
    now += 29 * DAY;
    expect((await me(ayu.token)).statusCode).toBe(200);
    now += 31 * DAY;
    await expectExpired(ayu.token);
    // A token no session ever had is just "not signed in".
    const unknown = await me('y'.repeat(43));
    expect(unknown.json().type).toBe('https://sekat.id/problems/unauthorized');
  });

  it('ends a seller’s session after 30 minutes idle, and after 12 hours however busy', async () => {
    const bayu = await register('bayu_life');
    const shop = await call('POST', '/api/commerce/shops', bayu.token, { name: 'Toko Bayu', slug: 'toko-bayu-life', city: 'Bandung' });
    expect(shop.statusCode).toBe(201);
    // The seller lifetime starts within a minute of the shop opening.
    now += MINUTE + 1;
    expect((await me(bayu.token)).statusCode).toBe(200);
    // Identity keeps only that the session is strict: nothing of the shop or the commerce pseudonym.
    const identityDb = t.sekat.stores.identity.db;
    const kept = JSON.stringify([
      await identityDb.selectFrom('sessions').selectAll().where('account_id', '=', bayu.id).execute(),
      await identityDb.selectFrom('accounts').selectAll().where('id', '=', bayu.id).execute(),
    ]);
    expect(kept).toContain('strict_since');
    for (const commerceFact of [shop.json().id, 'toko-bayu-life', 'Toko Bayu', t.sekat.domains.identity.subjectFor('commerce', bayu.id)]) expect(kept).not.toContain(commerceFact);
    const strictRows = await identityDb.selectFrom('sessions').select('strict_since').where('account_id', '=', bayu.id).execute();
    expect(strictRows.some((row) => row.strict_since !== null)).toBe(true);
    now += 29 * MINUTE;
    expect((await me(bayu.token)).statusCode).toBe(200);
    now += 31 * MINUTE;
    await expectExpired(bayu.token);
    // Nothing the expired session asks for goes through.
    expect((await call('GET', '/api/commerce/me/shops', bayu.token)).json().type).toBe('https://sekat.id/problems/session-expired');

    // A busy seller: a request every 20 minutes still ends 12 hours after signing in.
    const fresh = await signIn(bayu.email);
    const signedInAt = now;
    expect((await me(fresh)).statusCode).toBe(200);
    while (now + 20 * MINUTE < signedInAt + 12 * HOUR) {
      now += 20 * MINUTE;
      expect((await me(fresh)).statusCode).toBe(200);
    }
    now = signedInAt + 12 * HOUR;
    await expectExpired(fresh);

    // The devices page no longer lists sessions that ran out.
    const third = await signIn(bayu.email);
    expect((await call('GET', '/api/auth/sessions', third)).json().items).toHaveLength(1);
  });

  it('keeps everyone else’s session past 30 minutes idle and past 12 hours', async () => {
    const citra = await register('citra_life');
    now += 45 * MINUTE;
    expect((await me(citra.token)).statusCode).toBe(200);
    now += 13 * HOUR;
    expect((await me(citra.token)).statusCode).toBe(200);
  });
});

describe(`operators need a second factor (${STORE_LABEL})`, () => {
  const queues = ['/api/commerce/moderation/queue', '/api/social/moderation/queue', '/api/commerce/vouchers'];

  it('refuses every operator route until the session was signed in with TOTP', async () => {
    const opa = await register('opa');
    for (const url of queues) {
      const refused = await call('GET', url, opa.token);
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json().type).toBe('https://sekat.id/problems/second-factor-required');
      expect(refused.json().enrolled).toBe(false);
    }
    expect((await me(opa.token)).json().secondFactor).toBe(false);
    // Refused before anything was written.
    const create = await call('POST', '/api/commerce/vouchers', opa.token, { code: 'OPA10', kind: 'percent', value: 10, startsAt: new Date(now).toISOString(), endsAt: new Date(now + DAY).toISOString(), quota: 100 });
    expect(create.statusCode).toBe(403);
    expect(create.json().type).toBe('https://sekat.id/problems/second-factor-required');

    // Setting TOTP up is not enough: this session was signed in with the password alone.
    const { secret } = await enrolTotp(opa.token);
    expect((await me(opa.token)).json().secondFactor).toBe(true);
    const stillRefused = await call('GET', queues[0]!, opa.token);
    expect(stillRefused.statusCode).toBe(403);
    expect(stillRefused.json().enrolled).toBe(true);

    const withCode = await signIn(opa.email, () => codeAt(secret, 1));
    for (const url of queues) expect((await call('GET', url, withCode)).statusCode, url).toBe(200);
    expect((await call('GET', '/api/commerce/vouchers', withCode)).json().items).toEqual([]);

    // A person who is no operator hears the plain refusal, as before.
    const dedi = await register('dedi_life');
    const plain = await call('GET', queues[0]!, dedi.token);
    expect(plain.statusCode).toBe(403);
    expect(plain.json().type).toBe('https://sekat.id/problems/forbidden');

    // An operator session is strict: 30 minutes idle ends it.
    now += 31 * MINUTE;
    await expectExpired(withCode);
  });
});

describe(`re-authentication for sensitive actions (${STORE_LABEL})`, () => {
  it('signs out other devices right after sign-in, and later only after the password or a code again', async () => {
    const eka = await register('eka_life');
    const other = await signIn(eka.email);
    expect((await call('POST', '/api/auth/sessions/end-others', eka.token)).json()).toEqual({ ended: 1 });
    expect((await me(other)).statusCode).toBe(401);

    const third = await signIn(eka.email);
    now += 11 * MINUTE;
    const refused = await call('POST', '/api/auth/sessions/end-others', eka.token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('https://sekat.id/problems/reauthentication-required');
    expect((await me(third)).statusCode).toBe(200);

    const wrong = await call('POST', '/api/auth/reauth', eka.token, { password: 'bukan-kata-sandinya' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().type).toBe('https://sekat.id/problems/reauthentication-failed');
    expect((await call('POST', '/api/auth/sessions/end-others', eka.token)).statusCode).toBe(403);
    expect((await call('POST', '/api/auth/reauth', eka.token, {})).statusCode).toBe(400);
    expect((await call('POST', '/api/auth/reauth', undefined, { password: PASSWORD })).statusCode).toBe(401);

    expect((await call('POST', '/api/auth/reauth', eka.token, { password: PASSWORD })).statusCode).toBe(204);
    expect((await call('POST', '/api/auth/sessions/end-others', eka.token)).json()).toEqual({ ended: 1 });
    expect((await me(third)).statusCode).toBe(401);

    // A code from the authenticator app does as well as the password.
    const { recoveryCodes } = await enrolTotp(eka.token);
    now += 11 * MINUTE;
    expect((await call('POST', '/api/auth/sessions/end-others', eka.token)).statusCode).toBe(403);
    expect((await call('POST', '/api/auth/reauth', eka.token, { code: recoveryCodes[0] })).statusCode).toBe(204);
    expect((await call('POST', '/api/auth/sessions/end-others', eka.token)).statusCode).toBe(200);
  });
});

describe(`the identity part of the privacy export (${STORE_LABEL})`, () => {
  it('tells TOTP state, recovery codes left and the devices, never the secret, the codes or a token', async () => {
    const fani = await register('fani_life');
    const before = (await t.sekat.domains.identity.exportSubject(fani.id)).data as { totp: unknown };
    expect(before.totp).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 });

    const { secret, recoveryCodes } = await enrolTotp(fani.token);
    const phone = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';
    const phoneToken = await signIn(fani.email, () => recoveryCodes[0]!, { 'user-agent': phone, 'cf-ipcountry': 'ID' });

    const exported = (await t.sekat.domains.identity.exportSubject(fani.id)).data as {
      totp: { enabled: boolean; enabledAt: string; recoveryCodesLeft: number };
      sessions: { browser: string | null; os: string | null; country: string | null; signedInWith: string[]; lastSeenAt: string }[];
    };
    expect(exported.totp.enabled).toBe(true);
    expect(Number.isNaN(Date.parse(exported.totp.enabledAt))).toBe(false);
    expect(exported.totp.recoveryCodesLeft).toBe(9);
    expect(exported.sessions).toHaveLength(2);
    expect(exported.sessions[1]).toMatchObject({ browser: 'Chrome', os: 'Android', country: 'ID', signedInWith: ['password', 'totp'] });
    expect(exported.sessions[0]).toMatchObject({ browser: null, country: null, signedInWith: ['password'] });
    expect(exported.sessions[1]!.lastSeenAt).toBe(new Date(now).toISOString());

    const text = JSON.stringify(exported);
    for (const secretThing of [secret, ...recoveryCodes, recoveryCodes[1]!.replace('-', ''), fani.token, phoneToken]) expect(text).not.toContain(secretThing);
    const sealed = await t.sekat.stores.identity.db.selectFrom('totp_factors').select('secret_sealed').where('account_id', '=', fani.id).executeTakeFirstOrThrow();
    expect(text).not.toContain(String(sealed.secret_sealed));
  });
});
