/**
 * Platform vouchers over HTTP: only the platform's operators (OPERATOR_EMAILS) create or list
 * them; any buyer can use one in any shop. Commerce hears only "operator or not", never an email.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from './testkit.js';

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
  operator = { token: registered.json().token, headers: { authorization: `Bearer ${registered.json().token}` } };
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
});
