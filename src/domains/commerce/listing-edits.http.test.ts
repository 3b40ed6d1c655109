/**
 * The listing rules after an edit, as at listing time: a title, description or category that
 * matches a prohibited-item rule takes the product down and holds it for an operator; a price
 * under the cross-border minimum is refused and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { listProduct, openShop, registerUser, storeSnapshot, type TestUser } from './testkit.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let operator: TestUser;
let shop: { id: string; slug: string };

const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, who: TestUser | null, payload?: object) =>
  sekat.app.inject({ method, url, headers: who?.headers ?? {}, ...(payload !== undefined ? { payload } : {}) });

beforeAll(async () => {
  config = testConfig({ OPERATOR_EMAILS: 'edit@ops.sekat.id' });
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  seller = await registerUser(sekat.app, 'editjual');
  const registered = await sekat.app.inject({ method: 'POST', url: '/api/auth/register', remoteAddress: '10.78.0.1', payload: { email: 'edit@ops.sekat.id', password: 'kopi-susu-gula-aren-42', handle: 'opedit', displayName: 'opedit' } });
  expect(registered.statusCode, registered.body).toBe(201);
  // Operators act only in a session signed in with their second factor.
  const opToken = await signInWithTotp(sekat.app, registered.json().token, 'edit@ops.sekat.id', 'kopi-susu-gula-aren-42', '10.78.0.2');
  operator = { token: opToken, headers: { authorization: `Bearer ${opToken}` } } as TestUser;
  shop = await openShop(sekat.app, seller);
}, 180_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`listing rules on edit (${STORE_LABEL})`, () => {
  it('holds a product for review when an edited title matches a prohibited-item rule', async () => {
    const product = await listProduct(sekat.app, seller, shop.id);
    const edited = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { title: 'Pistol mainan', description: 'Mirip senjata api asli' });
    expect(edited.statusCode, edited.body).toBe(202);
    expect(edited.json()).toMatchObject({ id: product.id, status: 'held_for_review', rule: { id: 'weapons' } });
    expect((await inject('GET', `/api/commerce/products/${product.id}`, null)).statusCode).toBe(404);
    const queue = (await inject('GET', '/api/commerce/moderation/queue', operator)).json().items as { item: { id: string; label: string }; reasons: string[] }[];
    expect(queue.find((entry) => entry.item.id === product.id)).toMatchObject({ reasons: ['prohibited_product'], item: { label: 'Pistol mainan' } });
    // Released by an operator, it is live again with the edit.
    const released = await inject('POST', '/api/commerce/moderation/dismissals', operator, { itemKind: 'product', itemId: product.id, explanation: 'Mainan plastik, bukan senjata.' });
    expect(released.json()).toEqual({ dismissed: 1 });
    expect((await inject('GET', `/api/commerce/products/${product.id}`, null)).json()).toMatchObject({ title: 'Pistol mainan' });
  });

  it('holds a product whose category is changed to one the rules hold, and not for an edit of other fields', async () => {
    const product = await listProduct(sekat.app, seller, shop.id);
    const photos = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { imageUrls: ['https://cdn.example.id/lain.jpg'] });
    expect(photos.statusCode).toBe(200);
    const moved = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { category: 'kesehatan' });
    expect(moved.statusCode, moved.body).toBe(202);
    expect(moved.json().rule.id).toBe('drugs-and-medicines');
    // A held product is not the seller's to edit until an operator decides.
    expect((await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { category: 'fashion' })).statusCode).toBe(404);
  });

  it('leaves a clean edit live', async () => {
    const product = await listProduct(sekat.app, seller, shop.id);
    const edited = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { title: 'Kemeja Batik Kawung', description: 'Katun halus' });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().title).toBe('Kemeja Batik Kawung');
  });

  it('refuses a cross-border price edit under the minimum and changes nothing', async () => {
    const product = await listProduct(
      sekat.app, seller, shop.id, [{ stock: 4, priceIdr: 2_000_000 }, { stock: 4, priceIdr: 1_700_000 }], { crossBorder: true },
    );
    const before = await storeSnapshot(db);
    const cheap = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { title: 'Jam tangan impor', variants: [{ id: product.variants[0]!.id, priceIdr: 1_599_999 }] });
    expect(cheap.statusCode, cheap.body).toBe(422);
    expect(cheap.json().detail).toMatch(/Permendag 31\/2023/);
    expect(cheap.json().errors['variants.0.priceIdr']).toBeDefined();
    expect(await storeSnapshot(db)).toBe(before);
    const variant = await inject('POST', `/api/commerce/products/${product.id}/variants`, seller, { sku: 'IMP-MURAH', name: 'Murah', priceIdr: 100_000, stock: 1, weightGrams: 100 });
    expect(variant.statusCode, variant.body).toBe(422);
    expect(variant.json().errors.priceIdr).toBeDefined();
    expect(await storeSnapshot(db)).toBe(before);
    const fine = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { variants: [{ id: product.variants[0]!.id, priceIdr: 1_600_000 }] });
    expect(fine.statusCode, fine.body).toBe(200);
  });

  it('lets a price under the cross-border minimum stand on a domestic listing', async () => {
    const product = await listProduct(sekat.app, seller, shop.id);
    const edited = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { variants: [{ id: product.variants[0]!.id, priceIdr: 10_000 }] });
    expect(edited.statusCode).toBe(200);
  });
});
