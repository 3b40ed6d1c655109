/**
 * Following shops and the wishlist (Favorit) over HTTP: by the buyer's commerce pseudonym, listed
 * newest first, idempotent, refused for what does not exist (or is the buyer's own shop) with a
 * problem and nothing written, and exported and erased with the rest of commerce's personal data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import type { CommerceInstance } from './index.js';
import { listProduct, openShop, registerUser, storeSnapshot, type TestUser, exportOf } from './testkit.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let buyer: TestUser;
let shops: { id: string; slug: string }[];
let products: { id: string }[];
const NOWHERE = '01890000-0000-7000-8000-000000000000';

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who?: TestUser) => sekat.app.inject({ method, url, headers: who?.headers ?? {} });

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  seller = await registerUser(sekat.app, 'favpenjual');
  buyer = await registerUser(sekat.app, 'favpembeli');
  shops = [await openShop(sekat.app, seller, { name: 'Toko Satu' }), await openShop(sekat.app, seller, { name: 'Toko Dua' }), await openShop(sekat.app, seller, { name: 'Toko Tiga' })];
  products = [
    await listProduct(sekat.app, seller, shops[0]!.id), await listProduct(sekat.app, seller, shops[1]!.id),
    await listProduct(sekat.app, seller, shops[0]!.id),
  ];
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`following shops (${STORE_LABEL})`, () => {
  it('follows and unfollows, counts followers, and lists followed shops newest first in pages', async () => {
    const anonymous = await call('GET', `/api/commerce/shops/${shops[0]!.id}/follow`);
    expect(anonymous.json()).toEqual({ following: false, followers: 0 });
    for (const shop of shops) {
      const followed = await call('POST', `/api/commerce/shops/${shop.id}/follow`, buyer);
      expect(followed.statusCode, followed.body).toBe(200);
      expect(followed.json()).toEqual({ following: true, followers: 1 });
    }
    // Following again changes nothing.
    expect((await call('POST', `/api/commerce/shops/${shops[0]!.id}/follow`, buyer)).json()).toEqual({ following: true, followers: 1 });
    expect((await call('GET', `/api/commerce/shops/${shops[0]!.id}/follow`, buyer)).json()).toEqual({ following: true, followers: 1 });
    expect((await call('GET', `/api/commerce/shops/${shops[0]!.id}/follow`)).json()).toEqual({ following: false, followers: 1 });

    const first = (await call('GET', '/api/commerce/me/followed-shops?limit=2', buyer)).json();
    expect(first.items.map((s: { name: string }) => s.name)).toEqual(['Toko Tiga', 'Toko Dua']);
    expect(first.items[0]).toMatchObject({ id: shops[2]!.id, slug: shops[2]!.slug, city: 'Jakarta' });
    const second = (await call('GET', `/api/commerce/me/followed-shops?limit=2&cursor=${first.nextCursor}`, buyer)).json();
    expect(second).toEqual({ items: [expect.objectContaining({ name: 'Toko Satu' })], nextCursor: null });

    const unfollowed = await call('DELETE', `/api/commerce/shops/${shops[1]!.id}/follow`, buyer);
    expect(unfollowed.json()).toEqual({ following: false, followers: 0 });
    expect((await call('GET', '/api/commerce/me/followed-shops', buyer)).json().items.map((s: { name: string }) => s.name)).toEqual(['Toko Tiga', 'Toko Satu']);
    expect((await call('GET', '/api/commerce/me/followed-shops', seller)).json().items).toEqual([]);
  });

  it('refuses your own shop, a shop that is not there, a bad id or cursor, and no sign-in, writing nothing', async () => {
    const before = await storeSnapshot(db);
    const own = await call('POST', `/api/commerce/shops/${shops[0]!.id}/follow`, seller);
    expect(own.statusCode).toBe(422);
    expect(own.headers['content-type']).toContain('application/problem+json');
    expect(own.json().errors).toEqual({ shopId: ['is your own shop'] });
    expect((await call('POST', `/api/commerce/shops/${NOWHERE}/follow`, buyer)).statusCode).toBe(404);
    expect((await call('GET', `/api/commerce/shops/${NOWHERE}/follow`, buyer)).statusCode).toBe(404);
    expect((await call('POST', '/api/commerce/shops/not-a-uuid/follow', buyer)).statusCode).toBe(400);
    expect((await call('POST', `/api/commerce/shops/${shops[1]!.id}/follow`)).statusCode).toBe(401);
    expect((await call('GET', '/api/commerce/me/followed-shops')).statusCode).toBe(401);
    const cursor = await call('GET', '/api/commerce/me/followed-shops?cursor=bm9wZQ', buyer);
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().errors.cursor).toBeDefined();
    expect(await storeSnapshot(db)).toBe(before);
  });
});

describe(`wishlist (${STORE_LABEL})`, () => {
  it('saves and unsaves products, says whether one is saved, lists newest first in pages, and drops removed products', async () => {
    expect((await call('GET', `/api/commerce/wishlist/${products[0]!.id}`, buyer)).json()).toEqual({ saved: false });
    for (const product of products) expect((await call('PUT', `/api/commerce/wishlist/${product.id}`, buyer)).json()).toEqual({ saved: true });
    expect((await call('PUT', `/api/commerce/wishlist/${products[0]!.id}`, buyer)).json()).toEqual({ saved: true });
    expect((await call('GET', `/api/commerce/wishlist/${products[0]!.id}`, buyer)).json()).toEqual({ saved: true });
    const first = (await call('GET', '/api/commerce/wishlist?limit=2', buyer)).json();
    expect(first.items.map((p: { id: string }) => p.id)).toEqual([products[2]!.id, products[1]!.id]);
    expect(first.items[0]).toMatchObject({ title: 'Kemeja Batik Parang', shopName: 'Toko Satu', priceMinIdr: 150_000, inStock: true });
    const second = (await call('GET', `/api/commerce/wishlist?limit=2&cursor=${first.nextCursor}`, buyer)).json();
    expect(second.items.map((p: { id: string }) => p.id)).toEqual([products[0]!.id]);
    expect(second.nextCursor).toBeNull();

    expect((await call('DELETE', `/api/commerce/wishlist/${products[1]!.id}`, buyer)).json()).toEqual({ saved: false });
    expect((await sekat.app.inject({ method: 'DELETE', url: `/api/commerce/products/${products[2]!.id}`, headers: seller.headers })).statusCode).toBe(204);
    expect((await call('GET', '/api/commerce/wishlist', buyer)).json().items.map((p: { id: string }) => p.id)).toEqual([products[0]!.id]);
    expect((await call('GET', '/api/commerce/wishlist', seller)).json().items).toEqual([]);
  });

  it('refuses a product that is not there or not for sale, a bad id, and no sign-in, writing nothing', async () => {
    const before = await storeSnapshot(db);
    const missing = await call('PUT', `/api/commerce/wishlist/${NOWHERE}`, buyer);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect((await call('PUT', `/api/commerce/wishlist/${products[2]!.id}`, buyer)).statusCode).toBe(404);
    expect((await call('PUT', '/api/commerce/wishlist/abc', buyer)).statusCode).toBe(400);
    expect((await call('PUT', `/api/commerce/wishlist/${products[1]!.id}`)).statusCode).toBe(401);
    expect((await call('GET', '/api/commerce/wishlist')).statusCode).toBe(401);
    expect(await storeSnapshot(db)).toBe(before);
  });
});

describe(`followed shops and wishlist in privacy requests (${STORE_LABEL})`, () => {
  it('exports them with commerce’s data and erases them', async () => {
    const person = await registerUser(sekat.app, 'favhapus');
    expect((await call('POST', `/api/commerce/shops/${shops[1]!.id}/follow`, person)).statusCode).toBe(200);
    expect((await call('PUT', `/api/commerce/wishlist/${products[1]!.id}`, person)).statusCode).toBe(200);
    const me = (await sekat.app.inject({ url: '/api/me', headers: person.headers })).json() as { id: string };
    const subject = sekat.domains.identity.subjectFor('commerce', me.id);
    const exported = await exportOf(sekat.domains.commerce as CommerceInstance, subject);
    expect(exported.followedShops).toEqual([expect.objectContaining({ shop_id: shops[1]!.id })]);
    expect(exported.wishlist).toEqual([expect.objectContaining({ product_id: products[1]!.id })]);

    await (sekat.domains.commerce as CommerceInstance).port.eraseSubject(subject);
    expect(await db.selectFrom('shop_subscribers').select('shop_id').where('subject', '=', subject).execute()).toEqual([]);
    expect(await db.selectFrom('wishlist_items').select('product_id').where('subject', '=', subject).execute()).toEqual([]);
    // Another buyer's are untouched.
    expect((await call('GET', '/api/commerce/wishlist', buyer)).json().items).toHaveLength(1);
  });
});
