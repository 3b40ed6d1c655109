/**
 * Going live (a new live and its stream key, or a new key) waits for a verified email; social
 * hears only identity's yes or no. Watching lives does not.
 */
import { describe, expect, it } from 'vitest';
import { STORE_LABEL } from '../../../platform/testing.js';
import { useSekat } from '../../../../test/support/sekat.js';

const PASSWORD = 'nasi-goreng-kambing-7';
const t = useSekat({ background: false, env: { REQUIRE_VERIFIED_EMAIL: 'true' } });

let ips = 0;
const api = (method: 'GET' | 'POST', url: string, token?: string, payload?: Record<string, unknown>) =>
  t.sekat.app.inject({ method, url, payload, headers: token ? { authorization: `Bearer ${token}` } : {}, remoteAddress: `10.6.0.${ips++ % 250}` });
const setVerified = (email: string, verified: boolean) =>
  t.sekat.stores.identity.db.updateTable('accounts').set({ email_verified_at: verified ? new Date() : null }).where('email', '=', email).execute();
async function signIn(email: string): Promise<string> {
  const res = await api('POST', '/api/auth/login', undefined, { email, password: PASSWORD });
  expect(res.statusCode).toBe(200);
  return res.json().token;
}
const livesCount = async () => Number((await t.sekat.stores.social.db.selectFrom('lives').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe(`going live needs a verified email (${STORE_LABEL})`, () => {
  it('refuses a new live and a new stream key until the address is confirmed', async () => {
    const email = 'host.verif@example.id';
    const registered = await api('POST', '/api/auth/register', undefined, { email, password: PASSWORD, handle: 'host_verif', displayName: 'Host' });
    expect(registered.statusCode).toBe(201);
    const unverified = registered.json().token as string;

    const refused = await api('POST', '/api/social/lives', unverified, { title: 'Live batik' });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().type).toBe('https://sekat.id/problems/email-not-verified');
    expect(refused.json().detail).toContain('before going live');
    expect(await livesCount()).toBe(0);
    // Watching needs nothing.
    expect((await api('GET', '/api/social/lives', unverified)).statusCode).toBe(200);

    await setVerified(email, true);
    const verified = await signIn(email);
    const created = await api('POST', '/api/social/lives', verified, { title: 'Live batik' });
    expect(created.statusCode, created.body).toBe(201);
    const { live, streamKey } = created.json();
    expect(await livesCount()).toBe(1);

    // The address is no longer confirmed (a fresh session reads it so): no new key, the old one stays.
    await setVerified(email, false);
    const again = await signIn(email);
    const key = await api('POST', `/api/social/lives/${live.id}/key`, again);
    expect(key.statusCode).toBe(403);
    expect(key.json().type).toBe('https://sekat.id/problems/email-not-verified');
    await setVerified(email, true);
    const rotated = await api('POST', `/api/social/lives/${live.id}/key`, await signIn(email));
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().streamKey).not.toBe(streamKey);
  });
});
