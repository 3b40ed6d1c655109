import { beforeAll, describe, expect, it } from 'vitest';
import { STORE_LABEL } from '../src/platform/testing.js';
import { seedReadyVideo } from '../src/domains/social/testkit.js';
import { useSekat } from './support/sekat.js';

// Behind one proxy, so the origin check can be shown to use the forwarded proto and host.
const t = useSekat({ background: false, env: { TRUST_PROXY: 'true' } });

const CSV = ['product_ref,title,description,category,image_urls,external_url,sku,variant_name,price_idr,stock,weight_grams', 'a,Kaos Polos,,fashion,,,KP-1,S,50000,10,200'].join('\n');
/** inject's default Host is localhost:80, so the app's own pages are at http://localhost. */
const OWN = { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' };
const EVIL = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' };

let victim: { token: string; accountId: string };
let creator: { token: string; handle: string };
let videoId: string;
let shopId: string;
let address = 0;

async function register(handle: string) {
  const res = await t.sekat.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { email: `${handle}@contoh.id`, password: 'lintas-situs-ditolak-1', handle, displayName: handle },
    remoteAddress: `10.60.0.${++address}`,
  });
  expect(res.statusCode).toBe(201);
  return { token: res.json().token as string, accountId: res.json().user.id as string, handle };
}

const asVictim = (method: string, url: string, headers: Record<string, string>, payload?: string) =>
  t.sekat.app.inject({ method: method as 'POST', url, headers, cookies: { sid: victim.token }, ...(payload === undefined ? {} : { payload }) });

/** What each action changes, read back to show a refused one changed nothing. */
async function state() {
  const bearer = { authorization: `Bearer ${victim.token}` };
  const profile = (await t.sekat.app.inject({ url: `/api/social/users/${creator.handle}` })).json();
  const video = (await t.sekat.app.inject({ url: `/api/social/videos/${videoId}`, headers: bearer })).json();
  const exports = (await t.sekat.app.inject({ url: '/api/privacy/exports', headers: bearer })).json();
  const products = (await t.sekat.app.inject({ url: `/api/commerce/products?shop=${shopId}` })).json();
  const affiliates = await t.sekat.stores.commerce.db.selectFrom('affiliates').select('id').execute();
  const signedIn = (await t.sekat.app.inject({ url: '/api/me', cookies: { sid: victim.token } })).statusCode;
  return {
    followers: profile.counts.followers, likes: video.counts.likes, shares: video.counts.shares,
    exports: exports.items.length, products: products.items.length, affiliates: affiliates.length, signedIn,
  };
}

const ACTIONS: { name: string; method: string; url: () => string; body?: string; type?: string }[] = [
  { name: 'follow', method: 'POST', url: () => `/api/social/users/${creator.handle}/follow` },
  { name: 'like', method: 'POST', url: () => `/api/social/videos/${videoId}/like` },
  { name: 'share', method: 'POST', url: () => `/api/social/videos/${videoId}/share` },
  { name: 'export', method: 'POST', url: () => '/api/privacy/exports' },
  { name: 'affiliate enrol', method: 'POST', url: () => '/api/commerce/affiliates' },
  { name: 'catalog CSV import', method: 'POST', url: () => `/api/commerce/shops/${shopId}/import`, body: CSV, type: 'text/csv' },
  { name: 'logout', method: 'POST', url: () => '/api/auth/logout' },
];

beforeAll(async () => {
  victim = await register('korban');
  creator = await register('kreator');
  // A social profile is made on first use.
  await t.sekat.app.inject({ url: '/api/social/me', headers: { authorization: `Bearer ${creator.token}` } });
  const subject = t.sekat.domains.identity.subjectFor('social', (await register('kreator_video')).accountId);
  videoId = await seedReadyVideo(t.sekat.domains.social, { subject, handle: 'kreator_video' }, 'Batik #batik');
  const shop = await t.sekat.app.inject({
    method: 'POST',
    url: '/api/commerce/shops',
    headers: { authorization: `Bearer ${victim.token}` },
    payload: { name: 'Toko Korban', slug: 'toko-korban', city: 'Bandung' },
  });
  shopId = shop.json().id;
});

describe(`cross-site requests with the session cookie (${STORE_LABEL})`, () => {
  it('refuses each state-changing action from another site, sent as text/plain, and changes nothing', async () => {
    const before = await state();
    for (const action of ACTIONS) {
      const res = await asVictim(action.method, action.url(), EVIL, action.body ?? 'x=1');
      expect(res.statusCode, action.name).toBe(403);
      expect(res.headers['content-type'], action.name).toContain('application/problem+json');
    }
    expect(await state()).toEqual(before);
  });

  it('refuses another origin (even a same-site one on another port) whatever the content type, and a form content type from the own origin', async () => {
    const before = await state();
    const follow = `/api/social/users/${creator.handle}/follow`;
    const json = { 'content-type': 'application/json' };
    for (const headers of [
      { ...json, origin: 'http://evil.example' },
      { ...json, origin: 'http://localhost:3001', 'sec-fetch-site': 'same-site' },
      { ...json, 'sec-fetch-site': 'cross-site' },
      { ...json, origin: 'null' },
      { ...OWN, 'content-type': 'text/plain' },
      { ...OWN, 'content-type': 'application/x-www-form-urlencoded' },
    ]) {
      expect((await asVictim('POST', follow, headers, '{}')).statusCode, JSON.stringify(headers)).toBe(403);
    }
    // A body with no content type at all is not taken either.
    expect((await asVictim('POST', follow, { origin: 'http://localhost' }, 'x')).statusCode).toBe(403);
    expect(await state()).toEqual(before);
  });

  it('takes the same requests from its own pages', async () => {
    const codes: Record<string, number> = {};
    // Logout last: the state read back needs the session.
    for (const action of [...ACTIONS.filter((a) => a.name !== 'logout'), ...ACTIONS.filter((a) => a.name === 'logout')]) {
      if (action.name === 'logout') expect(await state()).toMatchObject({ followers: 1, likes: 1, shares: 1, exports: 1, products: 1, affiliates: 1, signedIn: 200 });
      // The web app sends JSON, the CSV as text/csv, and no content type when there is no body.
      const headers = { ...OWN, ...(action.type ? { 'content-type': action.type } : {}) };
      codes[action.name] = (await asVictim(action.method, action.url(), headers, action.body)).statusCode;
    }
    expect(codes).toEqual({ follow: 200, like: 200, share: 200, export: 202, 'affiliate enrol': 200, 'catalog CSV import': 201, logout: 204 });
    expect((await t.sekat.app.inject({ url: '/api/me', cookies: { sid: victim.token } })).statusCode).toBe(401);
  });

  it('knows its own origin behind the trusted proxy, and takes Origin alone (no Sec-Fetch-Site) when it matches', async () => {
    const other = await register('korban_dua');
    const unfollow = `/api/social/users/${creator.handle}/follow`;
    const send = (headers: Record<string, string>) =>
      t.sekat.app.inject({ method: 'POST', url: unfollow, headers: { 'content-type': 'application/json', ...headers }, cookies: { sid: other.token }, payload: '{}' });
    expect((await send({ origin: 'https://sekat.example' })).statusCode).toBe(403);
    expect((await send({ origin: 'https://sekat.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sekat.example' })).statusCode).toBe(200);
    expect((await send({ origin: 'http://localhost' })).statusCode).toBe(200);
  });

  it('leaves bearer-token and cookie-less requests alone: API clients, payment webhooks, tus uploads', async () => {
    const other = await register('klien_api');
    const bearer = await t.sekat.app.inject({
      method: 'POST',
      url: `/api/social/videos/${videoId}/like`,
      headers: { authorization: `Bearer ${other.token}`, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(bearer.statusCode).toBe(200);
    const webhook = await t.sekat.app.inject({
      method: 'POST',
      url: '/api/commerce/payments/webhooks/sandbox',
      headers: { 'content-type': 'application/json' },
      payload: { order_id: 'x', status_code: '200', gross_amount: '1000.00', transaction_status: 'settlement', signature_key: 'f'.repeat(128) },
    });
    // The signature is checked (401), not the origin.
    expect(webhook.statusCode).toBe(401);
    // tus from the web app: a creation POST with no body, then a chunk as application/offset+octet-stream.
    const cookie = { sid: other.token };
    const created = await t.sekat.app.inject({ method: 'POST', url: '/api/social/uploads', headers: { ...OWN, 'tus-resumable': '1.0.0', 'upload-length': '10' }, cookies: cookie });
    expect(created.statusCode).toBe(201);
    const chunk = await t.sekat.app.inject({
      method: 'PATCH',
      url: `/api/social/uploads/${String(created.headers.location).split('/').pop()}`,
      headers: { ...OWN, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      cookies: cookie,
      payload: Buffer.from('12345'),
    });
    expect(chunk.statusCode).toBe(204);
    expect(chunk.headers['upload-offset']).toBe('5');
  });
});
