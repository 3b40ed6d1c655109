import { beforeAll, describe, expect, it } from 'vitest';
import { STORE_LABEL } from '../src/platform/testing.js';
import { multipart, seedReadyVideo } from '../src/domains/social/testkit.js';
import { useSekat } from './support/sekat.js';

/** The same rule for each kind of text on every route that takes it (issue 12, hole 11). */
const t = useSekat({ background: false });

const ZWSP = '\u200b';
const RLO = '\u202e';
const UUID = '01a21300-0000-7000-8000-000000000000';
const ADDRESS = { recipient: 'Siti Rahma', phone: '081234567890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' };

let auth: { authorization: string };
let handle: string;
let videoId: string;
let shopId: string;
let productId: string;
let address = 0;

async function register(body: Record<string, string>) {
  return t.sekat.app.inject({ method: 'POST', url: '/api/auth/register', payload: body, remoteAddress: `10.70.0.${++address}` });
}

beforeAll(async () => {
  const res = await register({ email: 'teks@contoh.id', password: 'satu-aturan-teks-1', handle: 'penulis', displayName: 'Penulis' });
  auth = { authorization: `Bearer ${res.json().token}` };
  handle = 'penulis';
  await t.sekat.app.inject({ url: '/api/social/me', headers: auth });
  videoId = await seedReadyVideo(t.sekat.domains.social, { subject: t.sekat.domains.identity.subjectFor('social', res.json().user.id), handle }, 'Awal');
  shopId = (await t.sekat.app.inject({ method: 'POST', url: '/api/commerce/shops', headers: auth, payload: { name: 'Toko Teks', slug: 'toko-teks', city: 'Bandung' } })).json().id;
  const product = await t.sekat.app.inject({
    method: 'POST',
    url: `/api/commerce/shops/${shopId}/products`,
    headers: auth,
    payload: { title: 'Kaos', description: 'Katun', category: 'fashion', variants: [{ sku: 'K-1', name: 'M', priceIdr: 50_000, stock: 1, weightGrams: 200 }] },
  });
  productId = product.json().id;
});

type Case = { route: string; field: string; send: (value: string) => Promise<{ statusCode: number; json(): { errors?: Record<string, string[]> } }> };

const json = (method: string, url: () => string, body: (value: string) => object) => (value: string) =>
  t.sekat.app.inject({ method: method as 'POST', url: url(), headers: auth, payload: body(value) });

const product = (over: object) => ({ title: 'Kaos', description: 'Katun', category: 'fashion', variants: [{ sku: 'K-2', name: 'L', priceIdr: 50_000, stock: 1, weightGrams: 200 }], ...over });

const CASES: Record<'display name' | 'handle' | 'email' | 'title' | 'free text', Case[]> = {
  'display name': [
    { route: 'POST /api/auth/register', field: 'displayName', send: (v) => register({ email: `n${address}@contoh.id`, password: 'satu-aturan-teks-1', handle: `nama${address}`, displayName: v }) },
    { route: 'PATCH /api/social/users/:handle', field: 'displayName', send: json('PATCH', () => `/api/social/users/${handle}`, (v) => ({ displayName: v })) },
    { route: 'POST /api/commerce/checkout/quote', field: 'shippingAddress.recipient', send: json('POST', () => '/api/commerce/checkout/quote', (v) => ({ items: [{ variantId: UUID, quantity: 1 }], shippingAddress: { ...ADDRESS, recipient: v }, courier: 'jne_reg' })) },
  ],
  handle: [{ route: 'POST /api/auth/register', field: 'handle', send: (v) => register({ email: `h${address}@contoh.id`, password: 'satu-aturan-teks-1', handle: v, displayName: 'Nama' }) }],
  email: [{ route: 'POST /api/auth/register', field: 'email', send: (v) => register({ email: v, password: 'satu-aturan-teks-1', handle: `surel${address}`, displayName: 'Nama' }) }],
  title: [
    { route: 'POST /api/commerce/shops', field: 'name', send: json('POST', () => '/api/commerce/shops', (v) => ({ name: v, slug: `toko-${address++}`, city: 'Bandung' })) },
    { route: 'POST /api/commerce/shops', field: 'city', send: json('POST', () => '/api/commerce/shops', (v) => ({ name: 'Toko', slug: `toko-${address++}`, city: v })) },
    { route: 'POST /api/commerce/shops/:shopId/products', field: 'title', send: json('POST', () => `/api/commerce/shops/${shopId}/products`, (v) => product({ title: v })) },
    { route: 'POST /api/commerce/shops/:shopId/products', field: 'variants.0.name', send: json('POST', () => `/api/commerce/shops/${shopId}/products`, (v) => product({ variants: [{ sku: 'K-3', name: v, priceIdr: 1000, stock: 1, weightGrams: 1 }] })) },
    { route: 'PATCH /api/commerce/products/:id', field: 'title', send: json('PATCH', () => `/api/commerce/products/${productId}`, (v) => ({ title: v })) },
    { route: 'POST /api/commerce/checkout/quote', field: 'shippingAddress.line1', send: json('POST', () => '/api/commerce/checkout/quote', (v) => ({ items: [{ variantId: UUID, quantity: 1 }], shippingAddress: { ...ADDRESS, line1: v }, courier: 'jne_reg' })) },
  ],
  'free text': [
    { route: 'PATCH /api/social/users/:handle', field: 'bio', send: json('PATCH', () => `/api/social/users/${handle}`, (v) => ({ bio: v })) },
    { route: 'POST /api/social/videos/:id/comments', field: 'text', send: json('POST', () => `/api/social/videos/${videoId}/comments`, (v) => ({ text: v })) },
    { route: 'PATCH /api/social/videos/:id', field: 'caption', send: json('PATCH', () => `/api/social/videos/${videoId}`, (v) => ({ caption: v })) },
    {
      route: 'POST /api/social/videos (multipart)',
      field: 'caption',
      send: (v) => {
        const form = multipart({ caption: v }, { name: 'clip.mp4', content: Buffer.from('not a video') });
        return t.sekat.app.inject({ method: 'POST', url: '/api/social/videos', headers: { ...auth, ...form.headers }, payload: form.payload });
      },
    },
    {
      route: 'POST /api/social/uploads (tus metadata)',
      field: 'caption',
      send: (v) =>
        t.sekat.app.inject({ method: 'POST', url: '/api/social/uploads', headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-length': '10', 'upload-metadata': `caption ${Buffer.from(v).toString('base64')}` } }),
    },
    { route: 'POST /api/commerce/shops', field: 'description', send: json('POST', () => '/api/commerce/shops', (v) => ({ name: 'Toko', slug: `toko-${address++}`, city: 'Bandung', description: v })) },
    { route: 'POST /api/commerce/shops/:shopId/products', field: 'description', send: json('POST', () => `/api/commerce/shops/${shopId}/products`, (v) => product({ description: v })) },
    { route: 'PATCH /api/commerce/products/:id', field: 'description', send: json('PATCH', () => `/api/commerce/products/${productId}`, (v) => ({ description: v })) },
    { route: 'POST /api/commerce/orders/:id/reviews', field: 'text', send: json('POST', () => `/api/commerce/orders/${UUID}/reviews`, (v) => ({ rating: 5, text: v })) },
    { route: 'POST /api/commerce/orders/:id/returns', field: 'text', send: json('POST', () => `/api/commerce/orders/${UUID}/returns`, (v) => ({ reasonCode: 'changed_mind', text: v })) },
    { route: 'POST /api/commerce/orders/:id/return/refuse', field: 'reason', send: json('POST', () => `/api/commerce/orders/${UUID}/return/refuse`, (v) => ({ reason: v })) },
  ],
};

const BAD: Record<keyof typeof CASES, string[]> = {
  'display name': [`Ad${ZWSP}min`, `${RLO}nimda`],
  handle: [`sari${ZWSP}`, `sari${RLO}`],
  email: [`sari${ZWSP}@contoh.id`, `sari@contoh${RLO}.id`],
  title: [`Kaos${ZWSP}`, `Kaos${RLO}4pm.exe`],
  'free text': [`komentar${ZWSP}`, `arah ${RLO}terbalik`],
};

describe(`one text rule per kind of field (${STORE_LABEL})`, () => {
  for (const [kind, cases] of Object.entries(CASES) as [keyof typeof CASES, Case[]][]) {
    it.each(cases)(`${kind}: $route refuses a zero-width space and a direction override in $field`, async ({ field, send }) => {
      for (const value of BAD[kind]) {
        const res = await send(value);
        expect(res.statusCode, JSON.stringify(value)).toBe(400);
        expect(Object.keys(res.json().errors ?? {}), JSON.stringify(value)).toContain(field);
      }
    });
  }

  it('changes nothing when it refuses, and takes emoji, line breaks and padding that the rules allow', async () => {
    const before = (await t.sekat.app.inject({ url: `/api/social/users/${handle}` })).json();
    expect((await json('PATCH', () => `/api/social/users/${handle}`, () => ({ displayName: `X${RLO}`, bio: 'ok' }))('')).statusCode).toBe(400);
    expect((await t.sekat.app.inject({ url: `/api/social/users/${handle}` })).json()).toEqual(before);
    const ok = await json('PATCH', () => `/api/social/users/${handle}`, () => ({ displayName: 'Rina 🙂', bio: 'Baris satu\nbaris dua 👩‍💻' }))('');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ displayName: 'Rina 🙂', bio: 'Baris satu\nbaris dua 👩‍💻' });
    expect((await register({ email: ' Rina@Contoh.ID ', password: 'satu-aturan-teks-1', handle: 'Rina.K', displayName: ' Rina 🙂 ' })).statusCode).toBe(201);
  });

  it('holds the same rules for a CSV import, row by row, and imports nothing', async () => {
    const header = 'product_ref,title,description,category,image_urls,external_url,sku,variant_name,price_idr,stock,weight_grams';
    const csv = [header, `a,Kaos${RLO},,fashion,,,C-1,S,50000,10,200`, `b,Topi,Topi${ZWSP},fashion,,,C-2,M${ZWSP},50000,10,200`].join('\n');
    const res = await t.sekat.app.inject({ method: 'POST', url: `/api/commerce/shops/${shopId}/import`, headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().errors).sort()).toEqual(['rows.2.title', 'rows.3.description', 'rows.3.variant_name']);
    expect((await t.sekat.app.inject({ url: `/api/commerce/products?shop=${shopId}` })).json().items).toHaveLength(1);
  });
});
