/**
 * The address book over HTTP: several addresses, one default, add / edit / delete / set default,
 * each buyer's own; checkout records the address it shipped to; bad input gets a problem with its
 * fields and writes nothing; the book leaves with commerce's export and erasure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import type { Database } from '../../../platform/db.js';
import type { CommerceInstance } from '../index.js';
import { ADDRESS, checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser, exportOf } from '../testkit.js';
import { MAX_ADDRESSES } from './address.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let buyer: TestUser;
let other: TestUser;
const NOWHERE = '01890000-0000-7000-8000-000000000000';
const OFFICE = { label: 'Kantor', recipient: 'Siti Rahma', phone: '021 5550 1234', line1: 'Jl. Sudirman Kav. 52', city: 'Jakarta Selatan', province: 'dki jakarta', postalCode: '12190' };

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who: TestUser | null, payload?: object) =>
  sekat.app.inject({ method, url, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });
const book = async (who: TestUser) => (await call('GET', '/api/commerce/addresses', who)).json().items as { id: string; label: string; line1: string; isDefault: boolean; phone: string; province: string }[];

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  buyer = await registerUser(sekat.app, 'alamat');
  other = await registerUser(sekat.app, 'alamatlain');
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`address book (${STORE_LABEL})`, () => {
  it('adds, edits, sets the default and deletes, normalising what it keeps', async () => {
    expect(await book(buyer)).toEqual([]);
    const home = await call('POST', '/api/commerce/addresses', buyer, { ...ADDRESS, label: 'Rumah' });
    expect(home.statusCode, home.body).toBe(201);
    expect(home.json()).toMatchObject({ label: 'Rumah', phone: '+6281234567890', isDefault: true, lastUsedAt: null });
    const office = await call('POST', '/api/commerce/addresses', buyer, OFFICE);
    expect(office.statusCode, office.body).toBe(201);
    expect(office.json()).toMatchObject({ label: 'Kantor', province: 'DKI Jakarta', phone: '+62215550 1234'.replace(' ', ''), isDefault: false });
    expect((await book(buyer)).map((a) => [a.label, a.isDefault])).toEqual([['Rumah', true], ['Kantor', false]]);

    const made = await call('PUT', `/api/commerce/addresses/${office.json().id}/default`, buyer);
    expect(made.json()).toMatchObject({ label: 'Kantor', isDefault: true });
    expect((await book(buyer)).map((a) => [a.label, a.isDefault])).toEqual([['Kantor', true], ['Rumah', false]]);
    expect((await call('GET', '/api/commerce/addresses/saved', buyer)).json().address).toMatchObject({ line1: OFFICE.line1 });

    const edited = await call('PUT', `/api/commerce/addresses/${home.json().id}`, buyer, { ...ADDRESS, label: 'Rumah Ibu', line1: 'Jl. Braga No. 3' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ label: 'Rumah Ibu', line1: 'Jl. Braga No. 3', isDefault: false });

    // Deleting the default leaves the other as the default; orders are not touched.
    expect((await call('DELETE', `/api/commerce/addresses/${office.json().id}`, buyer)).statusCode).toBe(204);
    expect((await book(buyer)).map((a) => [a.label, a.isDefault])).toEqual([['Rumah Ibu', true]]);
    expect(await book(other)).toEqual([]);
  });

  it('checkout records the address it shipped to, once per place, and the default stays the chosen one', async () => {
    const seller = await registerUser(sekat.app, 'alamatjual');
    const shop = await openShop(sekat.app, seller);
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 9 }]);
    const shopper = await registerUser(sekat.app, 'alamatbeli');
    const buy = (shippingAddress: object) => checkout(sekat.app, shopper, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }], shippingAddress });
    expect((await buy(ADDRESS)).statusCode).toBe(201);
    expect((await buy({ ...ADDRESS, phone: '+62 812 3456 7890' })).statusCode).toBe(201);
    expect((await book(shopper)).map((a) => [a.line1, a.isDefault])).toEqual([[ADDRESS.line1, true]]);
    const chosen = (await call('POST', '/api/commerce/addresses', shopper, { ...OFFICE, isDefault: true })).json();
    expect((await buy({ ...ADDRESS, line1: 'Jl. Cihampelas 1' })).statusCode).toBe(201);
    const after = await book(shopper);
    expect(after.map((a) => a.line1)).toEqual([OFFICE.line1, 'Jl. Cihampelas 1', ADDRESS.line1]);
    expect(after[0]).toMatchObject({ id: chosen.id, isDefault: true });
  });

  it('refuses bad input, the same place twice, another buyer’s address, and a full book, writing nothing', async () => {
    const [entry] = await book(buyer);
    const before = await storeSnapshot(db);
    const bad = await call('POST', '/api/commerce/addresses', buyer, { ...ADDRESS, phone: '12345', province: 'Atlantis', postalCode: '4011' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(Object.keys(bad.json().errors).sort()).toEqual(['phone', 'postalCode', 'province']);
    expect((await call('POST', '/api/commerce/addresses', buyer, { ...ADDRESS, recipient: '' })).statusCode).toBe(400);
    expect((await call('POST', '/api/commerce/addresses', buyer, { ...ADDRESS, recipient: '   ' })).json().errors).toEqual({ recipient: ['must not be empty'] });
    expect((await call('PUT', `/api/commerce/addresses/${entry!.id}`, buyer, { ...ADDRESS, city: ' ' })).json().errors).toEqual({ city: ['must not be empty'] });
    const twice = await call('POST', '/api/commerce/addresses', buyer, { ...ADDRESS, line1: 'Jl. Braga No. 3', label: 'Lagi' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().errors).toEqual({ line1: ['is already in your address book'] });
    for (const method of ['PUT', 'DELETE'] as const) {
      expect((await call(method, `/api/commerce/addresses/${entry!.id}`, other, method === 'PUT' ? ADDRESS : undefined)).statusCode).toBe(404);
      expect((await call(method, `/api/commerce/addresses/${NOWHERE}`, buyer, method === 'PUT' ? ADDRESS : undefined)).statusCode).toBe(404);
    }
    expect((await call('PUT', `/api/commerce/addresses/${entry!.id}/default`, other)).statusCode).toBe(404);
    expect((await call('PUT', '/api/commerce/addresses/nope/default', buyer)).statusCode).toBe(400);
    expect((await call('GET', '/api/commerce/addresses', null)).statusCode).toBe(401);
    expect((await call('POST', '/api/commerce/addresses', null, ADDRESS)).statusCode).toBe(401);
    expect(await storeSnapshot(db)).toBe(before);
    expect((await book(buyer)).map((a) => a.id)).toEqual([entry!.id]);

    const full = await registerUser(sekat.app, 'alamatpenuh');
    for (let i = 0; i < MAX_ADDRESSES; i++) {
      expect((await call('POST', '/api/commerce/addresses', full, { ...ADDRESS, line1: `Jl. Nomor ${i}` })).statusCode).toBe(201);
    }
    const beforeFull = await storeSnapshot(db);
    const tooMany = await call('POST', '/api/commerce/addresses', full, { ...ADDRESS, line1: 'Jl. Satu Lagi' });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().errors).toEqual({ addresses: [`at most ${MAX_ADDRESSES}`] });
    expect(await storeSnapshot(db)).toBe(beforeFull);
  });

  it('goes out with commerce’s export and is erased with it', async () => {
    const me = (await sekat.app.inject({ url: '/api/me', headers: buyer.headers })).json() as { id: string };
    const subject = sekat.domains.identity.subjectFor('commerce', me.id);
    const privacy = sekat.domains.commerce as CommerceInstance;
    expect((await exportOf(privacy, subject)).addresses).toMatchObject([{ label: 'Rumah Ibu', line1: 'Jl. Braga No. 3' }]);
    await privacy.port.eraseSubject(subject);
    expect(await db.selectFrom('addresses').select('id').where('subject', '=', subject).execute()).toEqual([]);
    expect(await book(other)).toEqual([]);
  });
});
