import { describe, expect, it } from 'vitest';
import { STORE_LABEL } from '../../platform/testing.js';
import { useSekat } from '../../../test/support/sekat.js';
import { DEVICE_COOKIE } from './throttle.js';

const t = useSekat({ background: false });

let registrations = 0;
const register = (body: Record<string, unknown>) =>
  t.sekat.app.inject({ method: 'POST', url: '/api/auth/register', payload: body, remoteAddress: `10.2.0.${registrations++}` });
const login = (email: string, password: string, ip = '10.0.0.1') =>
  t.sekat.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: ip });
const countAccounts = async () =>
  Number((await t.sekat.stores.identity.db.selectFrom('accounts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe(`identity (${STORE_LABEL})`, () => {
  it('registers, signs in with cookie or bearer, and signs out', async () => {
    const res = await register({ email: '  Sari@Contoh.ID ', password: 'kopi-susu-gula-aren', handle: 'Sari.w', displayName: ' Sari Wulandari ' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: 'sari@contoh.id', handle: 'sari.w', displayName: 'Sari Wulandari', roles: ['user'] });
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = res.cookies.find((c) => c.name === 'sid')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', value: body.token });
    expect(cookie.secure).toBeFalsy();
    expect(cookie.maxAge).toBe(30 * 24 * 3600);

    const me = await t.sekat.app.inject({ url: '/api/me', cookies: { sid: body.token } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ id: body.user.id, handle: 'sari.w', displayName: 'Sari Wulandari', roles: ['user'], emailVerified: false, secondFactor: false });

    const signIn = await login('SARI@contoh.id', 'kopi-susu-gula-aren');
    expect(signIn.statusCode).toBe(200);
    const token = signIn.json().token;
    expect(token).not.toBe(body.token);
    expect((await t.sekat.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);

    const out = await t.sekat.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode).toBe(204);
    const after = await t.sekat.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(after.statusCode).toBe(401);
    expect(after.headers['content-type']).toContain('application/problem+json');
    // The other session is untouched.
    expect((await t.sekat.app.inject({ url: '/api/me', cookies: { sid: body.token } })).statusCode).toBe(200);
  });

  it('GET /api/session answers 200 whether or not anyone is signed in', async () => {
    const anonymous = await t.sekat.app.inject({ url: '/api/session' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ signedIn: false });
    expect((await t.sekat.app.inject({ url: '/api/session', cookies: { sid: 'x'.repeat(43) } })).json()).toEqual({ signedIn: false });
    const { token, user } = (await register({ email: 'sesi@contoh.id', password: 'kopi-tubruk-pahit-manis', handle: 'sesi', displayName: 'Sesi' })).json();
    const signedIn = await t.sekat.app.inject({ url: '/api/session', cookies: { sid: token } });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json()).toEqual({ signedIn: true, user: { id: user.id, handle: 'sesi', displayName: 'Sesi', roles: ['user'], emailVerified: false, secondFactor: false } });
    await t.sekat.app.inject({ method: 'POST', url: '/api/auth/logout', cookies: { sid: token } });
    expect((await t.sekat.app.inject({ url: '/api/session', cookies: { sid: token } })).json()).toEqual({ signedIn: false });
  });

  it('stores only a hash of the session token and an argon2id hash of the password', async () => {
    const res = await register({ email: 'hash@contoh.id', password: 'rendang-padang-enak', handle: 'hashcheck', displayName: 'Hash' });
    const { token } = res.json();
    const sessions = await t.sekat.stores.identity.db.selectFrom('sessions').select('token_hash').execute();
    expect(sessions.some((s) => s.token_hash === token)).toBe(false);
    const account = await t.sekat.stores.identity.db.selectFrom('accounts').select('password_hash').where('email', '=', 'hash@contoh.id').executeTakeFirstOrThrow();
    expect(account.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('rejects bad registrations with field errors and writes nothing', async () => {
    const before = await countAccounts();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ email: 'not-an-email', password: 'long-enough-pass', handle: 'okhandle', displayName: 'Ok' }, ['email']],
      [{ email: 'a@b.id', password: 'short', handle: 'okhandle', displayName: 'Ok' }, ['password']],
      [{ email: 'a@b.id', password: 'password123', handle: 'okhandle', displayName: 'Ok' }, ['password']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'ab', displayName: 'Ok' }, ['handle']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'bad handle!', displayName: 'Ok' }, ['handle']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'x'.repeat(25), displayName: 'Ok' }, ['handle']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'okhandle', displayName: '   ' }, ['displayName']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'okhandle', displayName: 'x'.repeat(51) }, ['displayName']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'okhandle', displayName: 'Zero\u200bWidth' }, ['displayName']],
      [{ email: 'a@b.id', password: 'long-enough-pass', handle: 'okhandle' }, ['displayName']],
      [{ email: 42, password: 'long-enough-pass', handle: 'okhandle', displayName: 'Ok' }, ['email']],
    ];
    for (const [body, fields] of cases) {
      const res = await register(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const problem = res.json();
      expect(problem.type).toMatch(/validation$/);
      expect(Object.keys(problem.errors)).toEqual(expect.arrayContaining(fields));
    }
    expect(await countAccounts()).toBe(before);
  });

  it('refuses a taken email or handle with 409', async () => {
    await register({ email: 'dup@contoh.id', password: 'nasi-goreng-pedas', handle: 'dupe', displayName: 'Dup' });
    const before = await countAccounts();
    const sameEmail = await register({ email: 'DUP@contoh.id', password: 'nasi-goreng-pedas', handle: 'other', displayName: 'Dup' });
    expect(sameEmail.statusCode).toBe(409);
    expect(sameEmail.json().errors).toHaveProperty('email');
    const sameHandle = await register({ email: 'other@contoh.id', password: 'nasi-goreng-pedas', handle: 'DUPE', displayName: 'Dup' });
    expect(sameHandle.statusCode).toBe(409);
    expect(sameHandle.json().errors).toHaveProperty('handle');
    expect(await countAccounts()).toBe(before);
  });

  it('answers a wrong password and an unknown email with the same problem', async () => {
    await register({ email: 'same@contoh.id', password: 'es-teh-manis-dingin', handle: 'same401', displayName: 'S' });
    const wrong = await login('same@contoh.id', 'not-the-password', '10.0.0.2');
    const unknown = await login('nobody@contoh.id', 'not-the-password', '10.0.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const { instance: _a, ...a } = wrong.json();
    const { instance: _b, ...b } = unknown.json();
    expect(a).toEqual(b);
  });

  it('lets the owner sign in while strangers guess at the email from many addresses, and slows the strangers', async () => {
    const registered = await register({ email: 'limit@contoh.id', password: 'sate-ayam-madura', handle: 'limited', displayName: 'L' });
    const device = registered.cookies.find((c) => c.name === DEVICE_COOKIE)!;
    expect(device).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await login('limit@contoh.id', 'wrong-password!', `10.1.0.${i}`)).statusCode);
    expect(statuses).toEqual(Array(10).fill(401));
    // From an address the account has never seen, with no device cookie.
    const fresh = await login('limit@contoh.id', 'sate-ayam-madura', '10.1.0.99');
    expect(fresh.statusCode).toBe(200);
    // From a device that signed in before, even at an address that is itself being slowed.
    const strangerAgain = await login('limit@contoh.id', 'wrong-password!', '10.1.0.9');
    expect(strangerAgain.statusCode).toBe(429);
    expect(Number(strangerAgain.headers['retry-after'])).toBeGreaterThan(0);
    expect(strangerAgain.headers['content-type']).toContain('application/problem+json');
    const fromDevice = (password: string, cookie: string) =>
      t.sekat.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'limit@contoh.id', password }, remoteAddress: '10.1.0.9', cookies: { [DEVICE_COOKIE]: cookie } });
    expect((await fromDevice('sate-ayam-madura', device.value)).statusCode).toBe(200);
    // A device cookie made for another account does not exempt anyone.
    const otherDevice = (await register({ email: 'other-device@contoh.id', password: 'sate-ayam-madura', handle: 'otherdev', displayName: 'O' })).cookies.find((c) => c.name === DEVICE_COOKIE)!;
    expect((await fromDevice('wrong-password!', otherDevice.value)).statusCode).toBe(429);
  });

  it('slows one address guessing one account (429 with Retry-After) without slowing the owner elsewhere', async () => {
    await register({ email: 'pair@contoh.id', password: 'soto-betawi-hangat', handle: 'pairlimit', displayName: 'P' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('pair@contoh.id', 'wrong-password!', '10.3.0.1')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const slowed = await login('pair@contoh.id', 'soto-betawi-hangat', '10.3.0.1');
    expect(slowed.statusCode).toBe(429);
    expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('pair@contoh.id', 'soto-betawi-hangat', '10.3.0.2')).statusCode).toBe(200);
  });

  it('slows one address guessing many accounts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await login(`spray${i}@contoh.id`, 'whatever-pass', '10.4.0.1')).statusCode);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses[20]).toBe(429);
    expect((await login('spray0@contoh.id', 'whatever-pass', '10.4.0.2')).statusCode).toBe(401);
  });

  it('rate limits sign-in per IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await login(`ip${i}@contoh.id`, 'whatever-pass', '10.9.9.9')).statusCode);
    expect(statuses.at(-1)).toBe(429);
  });

  it('derives a stable pairwise subject per domain, different across domains and accounts', () => {
    const { identity } = t.sekat.domains;
    const a = identity.subjectFor('social', 'account-a');
    expect(identity.subjectFor('social', 'account-a')).toBe(a);
    expect(identity.subjectFor('commerce', 'account-a')).not.toBe(a);
    expect(identity.subjectFor('social', 'account-b')).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toContain('account-a');
  });

  it('ignores a forged, expired or malformed token', async () => {
    for (const authorization of ['Bearer nope', 'Bearer ' + 'A'.repeat(43), 'Basic abc', 'Bearer ']) {
      expect((await t.sekat.app.inject({ url: '/api/me', headers: { authorization } })).statusCode).toBe(401);
    }
    const res = await register({ email: 'exp@contoh.id', password: 'bakso-malang-kuah', handle: 'expired', displayName: 'E' });
    await t.sekat.stores.identity.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).execute();
    expect((await t.sekat.app.inject({ url: '/api/me', cookies: { sid: res.json().token } })).statusCode).toBe(401);
  });

  it('slides the session expiry forward once it is an hour old', async () => {
    const res = await register({ email: 'slide@contoh.id', password: 'gado-gado-betawi', handle: 'slider', displayName: 'S' });
    const { token } = res.json();
    await t.sekat.stores.identity.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 2 * 3600_000), expires_at: new Date(Date.now() + 24 * 3600_000) })
      .where('account_id', '=', res.json().user.id)
      .execute();
    const me = await t.sekat.app.inject({ url: '/api/me', cookies: { sid: token } });
    expect(me.statusCode).toBe(200);
    expect(me.cookies.find((c) => c.name === 'sid')?.value).toBe(token);
    const row = await t.sekat.stores.identity.db.selectFrom('sessions').select('expires_at').where('account_id', '=', res.json().user.id).executeTakeFirstOrThrow();
    expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600_000);
  });
});
