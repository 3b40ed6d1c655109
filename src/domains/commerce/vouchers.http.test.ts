/**
 * Platform vouchers over HTTP: only the platform's operators (OPERATOR_EMAILS) create or list
 * them; any buyer can use one in any shop. Commerce hears only "operator or not", never an email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { ADDRESS, checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from './testkit.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let operator: TestUser;
let someone: TestUser;

const voucher = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  kind: 'percent',
  value: 10,
  maxDiscountIdr: 20_000,
  minSpendIdr: 50_000,
  startsAt: new Date(Date.now() - 60_000).toISOString(),
  endsAt: new Date(Date.now() + 86_400_000).toISOString(),
  quota: 100,
  ...extra,
});

beforeAll(async () => {
  config = testConfig({ OPERATOR_EMAILS: 'Operasional@Sekat.id, lain@sekat.id' });
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  const registered = await sekat.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    remoteAddress: '10.99.0.1',
    payload: { email: 'operasional@sekat.id', password: 'kopi-susu-gula-aren-42', handle: 'operasional', displayName: 'Tim Sekat' },
  });
  expect(registered.statusCode).toBe(201);
  // Operators act only in a session signed in with their second factor.
  const token = await signInWithTotp(sekat.app, registered.json().token, 'operasional@sekat.id', 'kopi-susu-gula-aren-42');
  operator = { token, headers: { authorization: `Bearer ${token}` } };
  someone = await registerUser(sekat.app, 'penjual');
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`platform vouchers (${STORE_LABEL})`, () => {
  it('only operators create and list them; the store is unchanged otherwise', async () => {
    const post = (headers: Record<string, string>, payload: Record<string, unknown>) => sekat.app.inject({ method: 'POST', url: '/api/commerce/vouchers', headers, payload });
    expect((await post({}, voucher('HARBOLNAS'))).statusCode).toBe(401);
    const refused = await post(someone.headers, voucher('HARBOLNAS'));
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(await db.selectFrom('vouchers').select('id').execute()).toEqual([]);
    expect((await post(operator.headers, voucher('PERSEN', { value: 150 }))).statusCode).toBe(400);
    expect((await post(operator.headers, voucher('SALAH', { endsAt: new Date(Date.now() - 120_000).toISOString() }))).statusCode).toBe(400);

    const created = await post(operator.headers, voucher('harbolnas'));
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ code: 'HARBOLNAS', shopId: null, kind: 'percent', value: 10, used: 0 });
    expect((await post(operator.headers, voucher('HARBOLNAS'))).statusCode).toBe(409);

    expect((await sekat.app.inject({ url: '/api/commerce/vouchers', headers: someone.headers })).statusCode).toBe(403);
    const listed = await sekat.app.inject({ url: '/api/commerce/vouchers', headers: operator.headers });
    expect(listed.json().items.map((v: { code: string }) => v.code)).toEqual(['HARBOLNAS']);
  });

  it('marks the operators’ accounts with the role operator, and no one else’s', async () => {
    expect((await sekat.app.inject({ url: '/api/me', headers: operator.headers })).json().roles).toEqual(['user', 'operator']);
    expect((await sekat.app.inject({ url: '/api/me', headers: someone.headers })).json().roles).toEqual(['user']);
  });

  it('lists a shop’s own vouchers with their use to its owner only', async () => {
    const owner = await registerUser(sekat.app, 'pemilik');
    const shop = await openShop(sekat.app, owner);
    const list = (headers: Record<string, string>, shopId = shop.id) => sekat.app.inject({ url: `/api/commerce/shops/${shopId}/vouchers`, headers });
    expect((await list(owner.headers)).json()).toEqual({ items: [] });
    const made = await sekat.app.inject({ method: 'POST', url: `/api/commerce/shops/${shop.id}/vouchers`, headers: owner.headers, payload: voucher('tokobaru', { kind: 'fixed', value: 15_000 }) });
    expect(made.statusCode, made.body).toBe(201);
    expect((await list(owner.headers)).json().items).toMatchObject([{ code: 'TOKOBARU', shopId: shop.id, kind: 'fixed', value: 15_000, quota: 100, used: 0 }]);
    // Platform vouchers are not the shop's; another user gets 403, a shop that is not there 404.
    expect((await list(owner.headers)).json().items.map((v: { code: string }) => v.code)).not.toContain('HARBOLNAS');
    expect((await list(someone.headers)).statusCode).toBe(403);
    expect((await list({})).statusCode).toBe(401);
    expect((await list(owner.headers, '01890000-0000-7000-8000-000000000000')).statusCode).toBe(404);
  });

  it('takes a platform voucher at checkout in any shop, capped, once per buyer', async () => {
    const shop = await openShop(sekat.app, someone);
    const product = await listProduct(sekat.app, someone, shop.id, [{ stock: 5, priceIdr: 300_000 }]);
    const buyer = await registerUser(sekat.app, 'pembeli');
    const placed = await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }], voucherCode: 'HARBOLNAS' });
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.json().order.discountIdr).toBe(20_000);
    const again = await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }], voucherCode: 'HARBOLNAS' });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    const listed = await sekat.app.inject({ url: '/api/commerce/vouchers', headers: operator.headers });
    expect(listed.json().items[0]).toMatchObject({ code: 'HARBOLNAS', used: 1 });
  });

  it('Gratis Ongkir takes up to its value off shipping, the same in the quote and at checkout, per shop', async () => {
    const seller = await registerUser(sekat.app, 'ongkir');
    const jakarta = await openShop(sekat.app, seller);
    const surabaya = await openShop(sekat.app, seller, { city: 'Surabaya' });
    const a = await listProduct(sekat.app, seller, jakarta.id, [{ stock: 5, priceIdr: 100_000, weightGrams: 3_000 }]);
    const b = await listProduct(sekat.app, seller, surabaya.id, [{ stock: 5, priceIdr: 60_000, weightGrams: 3_000 }]);
    const items = [{ variantId: a.variants[0]!.id, quantity: 1 }, { variantId: b.variants[0]!.id, quantity: 1 }];
    const free = (code: string, value: number, extra: Record<string, unknown> = {}) => voucher(code, { kind: 'shipping', value, minSpendIdr: 0, maxDiscountIdr: undefined, ...extra });
    const buyer = await registerUser(sekat.app, 'ongkirbeli');
    const quote = (voucherCode?: string) =>
      sekat.app.inject({ method: 'POST', url: '/api/commerce/checkout/quote', headers: buyer.headers, payload: { items, shippingAddress: ADDRESS, courier: 'jne_reg', ...(voucherCode ? { voucherCode } : {}) } });
    const plain = (await quote()).json();
    const [shipA, shipB] = plain.orders.map((o: { shippingIdr: number }) => o.shippingIdr) as [number, number];
    expect(shipA).toBeGreaterThan(0);
    expect(shipB).toBeGreaterThan(0);
    expect(plain.shippingDiscountIdr).toBe(0);

    // A platform voucher covers the shipping of every parcel, up to its value in all.
    const cap = Math.floor((shipA + shipB) / 2);
    expect((await sekat.app.inject({ method: 'POST', url: '/api/commerce/vouchers', headers: operator.headers, payload: free('ONGKIRSEMUA', cap) })).statusCode).toBe(201);
    const quoted = (await quote('ongkirsemua')).json();
    expect(quoted).toMatchObject({
      subtotalIdr: 160_000, shippingIdr: shipA + shipB, discountIdr: 0, shippingDiscountIdr: cap, totalIdr: 160_000 + shipA + shipB - cap,
    });
    for (const order of quoted.orders) expect(order.shippingDiscountIdr).toBeLessThanOrEqual(order.shippingIdr);
    const placed = await checkout(sekat.app, buyer, { items, voucherCode: 'ONGKIRSEMUA' });
    expect(placed.statusCode, placed.body).toBe(201);
    const orders = placed.json().orders as { shopId: string; totalIdr: number; shippingDiscountIdr: number; discountIdr: number }[];
    expect(orders.map((o) => [o.shopId, o.totalIdr, o.shippingDiscountIdr, o.discountIdr])).toEqual(
      quoted.orders.map((o: { shopId: string; totalIdr: number; shippingDiscountIdr: number }) => [o.shopId, o.totalIdr, o.shippingDiscountIdr, 0]),
    );
    expect(placed.json().payment.amountIdr).toBe(quoted.totalIdr);

    // A shop's free shipping applies to its own parcel only, and never takes more than the shipping.
    const other = await registerUser(sekat.app, 'ongkirlain');
    const made = await sekat.app.inject({ method: 'POST', url: `/api/commerce/shops/${surabaya.id}/vouchers`, headers: seller.headers, payload: free('ONGKIRSBY', 10_000_000) });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ kind: 'shipping', value: 10_000_000, maxDiscountIdr: null });
    const own = await checkout(sekat.app, other, { items, voucherCode: 'ONGKIRSBY' });
    expect(own.statusCode, own.body).toBe(201);
    const byShop = Object.fromEntries((own.json().orders as { shopId: string; shippingIdr: number; shippingDiscountIdr: number }[]).map((o) => [o.shopId, o]));
    expect(byShop[surabaya.id]).toMatchObject({ shippingIdr: shipB, shippingDiscountIdr: shipB });
    expect(byShop[jakarta.id]).toMatchObject({ shippingIdr: shipA, shippingDiscountIdr: 0 });
  });

  it('refuses a free-shipping voucher with a separate cap, or any unknown kind, and writes nothing', async () => {
    const before = await storeSnapshot(db);
    const bad = await sekat.app.inject({ method: 'POST', url: '/api/commerce/vouchers', headers: operator.headers, payload: voucher('ONGKIRCAP', { kind: 'shipping', value: 20_000 }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors.maxDiscountIdr).toBeDefined();
    expect((await sekat.app.inject({ method: 'POST', url: '/api/commerce/vouchers', headers: operator.headers, payload: voucher('ONGKIRX', { kind: 'ongkir' }) })).statusCode).toBe(400);
    expect(await storeSnapshot(db)).toBe(before);
  });
});
