import { describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import yauzl from 'yauzl';
import { STORE_LABEL } from '../../platform/testing.js';
import { useSekat } from '../../../test/support/sekat.js';
import { dumpDatabase, tablesContaining, waitFor } from '../../../test/privacy/support.js';
import { SoftAuthenticator, type SoftCredential } from './webauthn.testkit.js';

const env: Record<string, string> = { PUBLIC_URL: 'https://sekat.test' };
const t = useSekat({ env });
const PASSWORD = 'rendang-padang-pedas';
const soft = new SoftAuthenticator('https://sekat.test', 'sekat.test');

let ips = 0;
const nextIp = () => `10.19.${Math.floor(ips / 250)}.${ips++ % 250}`;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token?: string, payload?: unknown) =>
  t.sekat.app.inject({ method, url, payload: payload as Record<string, unknown>, headers: token ? { authorization: `Bearer ${token}` } : {}, remoteAddress: nextIp() });

async function register(handle: string) {
  const res = await call('POST', '/api/auth/register', undefined, { email: `${handle}@contoh.id`, password: PASSWORD, handle, displayName: handle });
  expect(res.statusCode).toBe(201);
  return { token: res.json().token as string, email: `${handle}@contoh.id`, id: res.json().user.id as string };
}
const login = (email: string) => call('POST', '/api/auth/login', undefined, { email, password: PASSWORD });
const db = () => t.sekat.stores.identity.db;
const passkeyRows = (accountId: string) => db().selectFrom('passkeys').selectAll().where('account_id', '=', accountId).execute();

async function registrationOptions(token: string) {
  const res = await call('POST', '/api/auth/passkeys/registration/options', token, { password: PASSWORD });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    flow: string;
    options: { challenge: string; user: { id: string; name: string }; rp: { id: string; name: string }; excludeCredentials: { id: string }[] };
  };
}

async function addPasskey(token: string, name?: string): Promise<{ credential: SoftCredential; id: string }> {
  const { flow, options } = await registrationOptions(token);
  const { credential, response } = soft.create(options);
  const res = await call('POST', '/api/auth/passkeys', token, { flow, response, ...(name ? { name } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  return { credential, id: res.json().id };
}

const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): { type: string } }, status: number, slug?: string) => {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  if (slug) expect(res.json().type).toBe(`https://sekat.id/problems/${slug}`);
};

describe(`registering passkeys (${STORE_LABEL})`, () => {
  it('asks for the password again, then lists, renames and removes the passkey', async () => {
    const ana = await register('ana_passkey');
    expectProblem(await call('POST', '/api/auth/passkeys/registration/options', undefined, { password: PASSWORD }), 401);
    expectProblem(await call('POST', '/api/auth/passkeys/registration/options', ana.token, { password: 'salah-sekali-sandinya' }), 403, 'reauthentication-failed');
    expectProblem(await call('POST', '/api/auth/passkeys/registration/options', ana.token, {}), 400);
    expect(await db().selectFrom('webauthn_challenges').selectAll().where('account_id', '=', ana.id).execute()).toEqual([]);

    const { flow, options } = await registrationOptions(ana.token);
    expect(options.rp).toEqual({ id: 'sekat.test', name: 'Sekat' });
    expect(options.user.name).toBe(ana.email);
    // The user handle says nothing about the account.
    expect(Buffer.from(options.user.id, 'base64url').toString('utf8')).not.toContain(ana.id);
    const { response } = soft.create(options);
    const created = await call('POST', '/api/auth/passkeys', ana.token, { flow, response, name: 'Ponsel Ana' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Ponsel Ana', lastUsedAt: null, transports: ['internal'] });
    const id = created.json().id as string;

    const listed = (await call('GET', '/api/auth/passkeys', ana.token)).json().items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id, name: 'Ponsel Ana', lastUsedAt: null });
    expect(new Date(listed[0].createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    // A second registration is offered the first to exclude.
    expect((await registrationOptions(ana.token)).options.excludeCredentials.map((c) => c.id)).toEqual([response.id]);

    const renamed = await call('PATCH', `/api/auth/passkeys/${id}`, ana.token, { name: '  Laptop kantor ' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe('Laptop kantor');
    expectProblem(await call('PATCH', `/api/auth/passkeys/${id}`, ana.token, { name: '' }), 400);
    expectProblem(await call('PATCH', `/api/auth/passkeys/${id}`, ana.token, { name: '   ' }), 400);
    expectProblem(await call('PATCH', `/api/auth/passkeys/${id}`, ana.token, { name: 'x'.repeat(61) }), 400);

    // Someone else cannot see, rename or remove it; nor can removal go without the password.
    const budi = await register('budi_passkey');
    expect((await call('GET', '/api/auth/passkeys', budi.token)).json().items).toEqual([]);
    expectProblem(await call('PATCH', `/api/auth/passkeys/${id}`, budi.token, { name: 'Punya Budi' }), 404);
    expectProblem(await call('DELETE', `/api/auth/passkeys/${id}`, budi.token, { password: PASSWORD }), 404);
    expectProblem(await call('DELETE', `/api/auth/passkeys/${id}`, ana.token, { password: 'salah-sekali-sandinya' }), 403);
    expect((await passkeyRows(ana.id)).map((r) => r.name)).toEqual(['Laptop kantor']);

    expect((await call('DELETE', `/api/auth/passkeys/${id}`, ana.token, { password: PASSWORD })).statusCode).toBe(204);
    expect(await passkeyRows(ana.id)).toEqual([]);
    expectProblem(await call('DELETE', `/api/auth/passkeys/${id}`, ana.token, { password: PASSWORD }), 404);
  });

  it('refuses a wrong origin, a replayed or foreign challenge, an expired one and a duplicate, storing nothing', async () => {
    const citra = await register('citra_passkey');
    const other = await register('dodi_passkey');

    const wrongOrigin = await registrationOptions(citra.token);
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: wrongOrigin.flow, response: soft.create(wrongOrigin.options, { origin: 'https://sekat.evil' }).response }), 400, 'passkey-rejected');
    const wrongRp = await registrationOptions(citra.token);
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: wrongRp.flow, response: soft.create(wrongRp.options, { rpId: 'evil.test' }).response }), 400, 'passkey-rejected');
    const wrongChallenge = await registrationOptions(citra.token);
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: wrongChallenge.flow, response: soft.create(wrongChallenge.options, { challenge: 'bm90LXRoZS1jaGFsbGVuZ2U' }).response }), 400, 'passkey-rejected');
    // The flow was spent by the failed try: the right answer to it is refused too.
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: wrongOrigin.flow, response: soft.create(wrongOrigin.options).response }), 400, 'passkey-flow-expired');

    // Bound to the session that asked: another account's session, or another session of the same one, cannot finish it.
    const foreign = await registrationOptions(citra.token);
    const answer = soft.create(foreign.options).response;
    expectProblem(await call('POST', '/api/auth/passkeys', other.token, { flow: foreign.flow, response: answer }), 400, 'passkey-flow-expired');
    const secondSession = (await login(citra.email)).json().token as string;
    expectProblem(await call('POST', '/api/auth/passkeys', secondSession, { flow: foreign.flow, response: answer }), 400, 'passkey-flow-expired');
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: 'made-up-flow', response: answer }), 400, 'passkey-flow-expired');

    const expired = await registrationOptions(citra.token);
    await db().updateTable('webauthn_challenges').set({ expires_at: new Date(Date.now() - 1000) }).where('account_id', '=', citra.id).where('used_at', 'is', null).execute();
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: expired.flow, response: soft.create(expired.options).response }), 400, 'passkey-flow-expired');

    // Malformed answers are refused by the schema.
    const fresh = await registrationOptions(citra.token);
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: fresh.flow, response: { id: 'abc', type: 'public-key' } }), 400);
    expect(await passkeyRows(citra.id)).toEqual([]);

    // The same credential twice (an authenticator that ignores excludeCredentials).
    const first = await registrationOptions(citra.token);
    const made = soft.create(first.options);
    expect((await call('POST', '/api/auth/passkeys', citra.token, { flow: first.flow, response: made.response })).statusCode).toBe(201);
    const again = await registrationOptions(citra.token);
    const replayedCredential = { ...made.response, response: { ...made.response.response, clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: again.options.challenge, origin: 'https://sekat.test', crossOrigin: false })).toString('base64url') } };
    expectProblem(await call('POST', '/api/auth/passkeys', citra.token, { flow: again.flow, response: replayedCredential }), 409, 'passkey-registered');
    expect(await passkeyRows(citra.id)).toHaveLength(1);
  });
});

describe(`a passkey as the second factor (${STORE_LABEL})`, () => {
  async function passwordStep(email: string) {
    const res = await login(email);
    expect(res.statusCode).toBe(202);
    return res.json() as { challenge: string; methods: string[] };
  }
  async function passkeyStep(challenge: string) {
    const res = await call('POST', '/api/auth/login/second-factor/passkey/options', undefined, { challenge });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { flow: string; options: { challenge: string; allowCredentials: { id: string }[] } };
  }

  it('asks for it after the password and signs in with it once', async () => {
    const eka = await register('eka_passkey');
    expect((await login(eka.email)).statusCode).toBe(200);
    const { credential, id } = await addPasskey(eka.token, 'Kunci Eka');

    const step = await passwordStep(eka.email);
    expect(step.methods).toEqual(['passkey', 'recovery-code']);
    // A TOTP code cannot answer for an account without TOTP.
    expectProblem(await call('POST', '/api/auth/login/second-factor', undefined, { challenge: step.challenge, code: '123456' }), 401);
    const { flow, options } = await passkeyStep(step.challenge);
    expect(options.allowCredentials.map((c) => c.id)).toEqual([credential.id.toString('base64url')]);
    const answer = soft.get(credential, options);
    const done = await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: step.challenge, flow, response: answer });
    expect(done.statusCode, done.body).toBe(200);
    expect((await call('GET', '/api/me', done.json().token)).json().handle).toBe('eka_passkey');
    const [row] = await passkeyRows(eka.id);
    expect(Number(row!.counter)).toBe(1);
    expect(row!.last_used_at).not.toBeNull();
    expect((await call('GET', '/api/auth/passkeys', eka.token)).json().items[0]).toMatchObject({ id, lastUsedAt: expect.any(String) });

    // Replaying the same answer, or the spent password step, signs nothing in.
    expectProblem(await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: step.challenge, flow, response: answer }), 401);
    expectProblem(await call('POST', '/api/auth/login/second-factor/passkey/options', undefined, { challenge: step.challenge }), 401);
  });

  it('gives ten recovery codes with the first passkey, so a lost device does not lose the account', async () => {
    const nina = await register('nina_recovery');
    const { flow, options } = await registrationOptions(nina.token);
    const first = await call('POST', '/api/auth/passkeys', nina.token, { flow, response: soft.create(options).response });
    expect(first.statusCode, first.body).toBe(201);
    const codes = first.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    // A second passkey brings no new codes; the first ones still hold.
    const second = await registrationOptions(nina.token);
    const again = await call('POST', '/api/auth/passkeys', nina.token, { flow: second.flow, response: soft.create(second.options).response });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().recoveryCodes).toBeUndefined();
    // The phone is lost: the password, then a recovery code, signs in; that code works once.
    const step = await passwordStep(nina.email);
    expect(step.methods).toContain('recovery-code');
    const done = await call('POST', '/api/auth/login/second-factor', undefined, { challenge: step.challenge, code: codes[0] });
    expect(done.statusCode, done.body).toBe(200);
    const retry = await passwordStep(nina.email);
    expectProblem(await call('POST', '/api/auth/login/second-factor', undefined, { challenge: retry.challenge, code: codes[0] }), 401);
    expect((await call('POST', '/api/auth/login/second-factor', undefined, { challenge: retry.challenge, code: codes[1] })).statusCode).toBe(200);
  });

  it('refuses a wrong origin, an unknown or someone else’s credential, a counter that went back and a foreign flow, changing nothing', async () => {
    const fajar = await register('fajar_passkey');
    const { credential } = await addPasskey(fajar.token);
    const gita = await register('gita_passkey');
    const { credential: gitasKey } = await addPasskey(gita.token);

    // Brings the counter to 5.
    const warm = await passwordStep(fajar.email);
    const warmStep = await passkeyStep(warm.challenge);
    expect((await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: warm.challenge, flow: warmStep.flow, response: soft.get(credential, warmStep.options, { counter: 5 }) })).statusCode).toBe(200);
    const before = await passkeyRows(fajar.id);
    const sessionsBefore = (await db().selectFrom('sessions').select('id').where('account_id', '=', fajar.id).execute()).length;

    const step = await passwordStep(fajar.email);
    const tries: [string, (options: { challenge: string }) => unknown][] = [
      ['wrong origin', (o) => soft.get(credential, o, { origin: 'https://sekat.evil' })],
      ['wrong rp id', (o) => soft.get(credential, o, { rpId: 'evil.test' })],
      ['counter went back', (o) => soft.get(credential, o, { counter: 3 })],
      ['counter stood still', (o) => soft.get(credential, o, { counter: 5 })],
      ['someone else’s credential', (o) => soft.get(gitasKey, o)],
      ['unknown credential', (o) => soft.get({ ...credential, id: Buffer.from('tidak-dikenal-sama-sekali') }, o)],
      ['bad signature', (o) => ({ ...(soft.get(credential, o) as { response: object }), response: { ...(soft.get(credential, o) as { response: object }).response, signature: Buffer.from('bukan tanda tangan').toString('base64url') } })],
    ];
    for (const [what, answer] of tries) {
      const { flow, options } = await passkeyStep(step.challenge);
      const res = await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: step.challenge, flow, response: answer(options) });
      expect(res.statusCode, what).toBe(401);
      expect(res.json().type, what).toBe('https://sekat.id/problems/passkey-rejected');
    }
    // A flow given to Gita's password step does not finish Fajar's.
    const gitaStep = await passwordStep(gita.email);
    const gitaFlow = await passkeyStep(gitaStep.challenge);
    expectProblem(await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: step.challenge, flow: gitaFlow.flow, response: soft.get(credential, gitaFlow.options, { counter: 9 }) }), 401, 'passkey-flow-expired');

    const after = await passkeyRows(fajar.id);
    expect(after.map((r) => [Number(r.counter), String(r.last_used_at)])).toEqual(before.map((r) => [Number(r.counter), String(r.last_used_at)]));
    expect((await db().selectFrom('sessions').select('id').where('account_id', '=', fajar.id).execute()).length).toBe(sessionsBefore);

    // The password step survived the wrong answers: the right one still signs in.
    const { flow, options } = await passkeyStep(step.challenge);
    expect((await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: step.challenge, flow, response: soft.get(credential, options, { counter: 6 }) })).statusCode).toBe(200);
  });

  it('offers both factors to an account with TOTP and a passkey; either answers', async () => {
    const hana = await register('hana_passkey');
    const enrol = (await call('POST', '/api/auth/totp/enrol', hana.token, { password: PASSWORD })).json();
    const totp = new TOTP({ secret: Secret.fromBase32(enrol.secret), digits: 6, period: 30, algorithm: 'SHA1' });
    expect((await call('POST', '/api/auth/totp/confirm', hana.token, { code: totp.generate() })).statusCode).toBe(200);
    const { credential } = await addPasskey(hana.token);
    const step = await passwordStep(hana.email);
    expect(step.methods.sort()).toEqual(['passkey', 'recovery-code', 'totp']);
    const { flow, options } = await passkeyStep(step.challenge);
    expect((await call('POST', '/api/auth/login/second-factor/passkey', undefined, { challenge: step.challenge, flow, response: soft.get(credential, options) })).statusCode).toBe(200);
    // An account with no passkey is told so rather than given options.
    const ika = await register('ika_passkey');
    const ikaEnrol = (await call('POST', '/api/auth/totp/enrol', ika.token, { password: PASSWORD })).json();
    expect((await call('POST', '/api/auth/totp/confirm', ika.token, { code: new TOTP({ secret: Secret.fromBase32(ikaEnrol.secret) }).generate() })).statusCode).toBe(200);
    const ikaStep = await passwordStep(ika.email);
    expect(ikaStep.methods).toEqual(['totp', 'recovery-code']);
    expectProblem(await call('POST', '/api/auth/login/second-factor/passkey/options', undefined, { challenge: ikaStep.challenge }), 400, 'no-passkey');
  });
});

describe(`signing in with a passkey alone (${STORE_LABEL})`, () => {
  async function passwordless() {
    const res = await call('POST', '/api/auth/passkeys/sign-in/options');
    expect(res.statusCode).toBe(200);
    return res.json() as { flow: string; options: { challenge: string; userVerification: string; allowCredentials?: unknown[] } };
  }

  it('signs in with a discoverable passkey whose user was verified, once per challenge', async () => {
    const joko = await register('joko_passkey');
    const { credential } = await addPasskey(joko.token);
    const { flow, options } = await passwordless();
    expect(options.userVerification).toBe('required');
    expect(options.allowCredentials ?? []).toEqual([]);
    const answer = soft.get(credential, options);
    const done = await call('POST', '/api/auth/passkeys/sign-in', undefined, { flow, response: answer });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.headers['set-cookie']).toContain('sid=');
    expect(done.json().user.handle).toBe('joko_passkey');
    expectProblem(await call('POST', '/api/auth/passkeys/sign-in', undefined, { flow, response: answer }), 401, 'passkey-flow-expired');
  });

  it('refuses an unverified user, a wrong user handle, a wrong origin and an unknown credential', async () => {
    const kiki = await register('kiki_passkey');
    const { credential } = await addPasskey(kiki.token);
    const lala = await register('lala_passkey');
    const { credential: lalasKey } = await addPasskey(lala.token);
    const before = await passkeyRows(kiki.id);
    const tries: [string, (o: { challenge: string }) => unknown][] = [
      ['user not verified', (o) => soft.get(credential, o, { userVerified: false })],
      ['another account’s user handle', (o) => soft.get(credential, o, { userHandle: lalasKey.userHandle })],
      ['no user handle', (o) => soft.get(credential, o, { userHandle: null })],
      ['wrong origin', (o) => soft.get(credential, o, { origin: 'http://sekat.test' })],
      ['unknown credential', (o) => soft.get({ ...credential, id: Buffer.from('kunci-yang-tak-pernah-didaftar') }, o)],
    ];
    for (const [what, answer] of tries) {
      const { flow, options } = await passwordless();
      const res = await call('POST', '/api/auth/passkeys/sign-in', undefined, { flow, response: answer(options) });
      expect(res.statusCode, what).toBe(401);
      expect(res.json().type, what).toBe('https://sekat.id/problems/passkey-rejected');
    }
    expectProblem(await call('POST', '/api/auth/passkeys/sign-in', undefined, { flow: 'never-issued', response: soft.get(credential, { challenge: 'abc' }) }), 401, 'passkey-flow-expired');
    expect((await passkeyRows(kiki.id)).map((r) => [Number(r.counter), r.last_used_at])).toEqual(before.map((r) => [Number(r.counter), r.last_used_at]));
  });
});

describe(`passkeys and the person’s data (${STORE_LABEL})`, () => {
  it('are in identity’s part of the export only, and go with the account', async () => {
    const mira = await register('mira_passkey');
    const { credential } = await addPasskey(mira.token, 'Ponsel Mira');
    const credentialId = credential.id.toString('base64url');
    const auth = { authorization: `Bearer ${mira.token}` };
    const created = await t.sekat.app.inject({ method: 'POST', url: '/api/privacy/exports', headers: auth });
    expect(created.statusCode).toBe(202);
    const ready = await waitFor('the export', async () => {
      const status = (await t.sekat.app.inject({ method: 'GET', url: `/api/privacy/exports/${created.json().id}`, headers: auth })).json();
      return status.status === 'ready' ? status : undefined;
    });
    const entries = await zipEntries((await t.sekat.app.inject({ method: 'GET', url: ready.downloadUrl, headers: auth })).rawPayload);
    const identity = JSON.parse(entries['identity.json']!);
    expect(identity.passkeys).toEqual([expect.objectContaining({ name: 'Ponsel Mira', credentialId, transports: ['internal'], signCount: 0, lastUsedAt: null })]);
    // The credential is identity's: no other domain's part of the export, nor its database, holds it.
    for (const [name, text] of Object.entries(entries)) if (name !== 'identity.json') expect(text, name).not.toContain(credentialId);
    for (const domain of ['social', 'commerce', 'bridge'] as const) expect(tablesContaining(await dumpDatabase(t.sekat.stores[domain]), credentialId), domain).toEqual([]);

    expect((await t.sekat.app.inject({ method: 'DELETE', url: '/api/me', headers: auth })).statusCode).toBe(202);
    await waitFor('the erasure', async () => (await passkeyRows(mira.id)).length === 0 && (await db().selectFrom('accounts').select('id').where('id', '=', mira.id).execute()).length === 0);
    expect(tablesContaining(await dumpDatabase(t.sekat.stores.identity), credentialId)).toEqual([]);
  });
});

function zipEntries(buffer: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const entries: Record<string, string> = {};
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            entries[entry.fileName] = Buffer.concat(chunks).toString('utf8');
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}
