import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { signToken } from '../../platform/tokens.js';
import type { Database } from '../../platform/db.js';
import { ADDRESS, checkout, listProduct, newKey, openShop, registerUser, storeSnapshot, type TestUser } from './testkit.js';
import { qrisCrcValid } from './payments/qris.js';
import { midtransSignature } from './payments/sandbox.js';
import { expirePayment } from './payments/expire.job.js';
import { autoComplete } from './orders/auto-complete.job.js';
import type { CommerceInstance } from './index.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let buyer: TestUser;
let other: TestUser;
let shop: { id: string; slug: string };

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  [seller, buyer, other] = await Promise.all([registerUser(sekat.app, 'seller'), registerUser(sekat.app, 'buyer'), registerUser(sekat.app, 'other')]);
  shop = await openShop(sekat.app, seller);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const inject = (options: Parameters<Sekat['app']['inject']>[0]) => sekat.app.inject(options);
const simulate = (user: TestUser, paymentId: string, outcome: 'paid' | 'failed' = 'paid') =>
  inject({ method: 'POST', url: `/api/commerce/payments/${paymentId}/simulate`, headers: user.headers, payload: { outcome } });
const act = (user: TestUser, orderId: string, action: string, payload: Record<string, unknown> = {}) =>
  inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/${action}`, headers: user.headers, payload });

/** Expects a problem response and that the commerce store did not change. */
async function rejects(run: () => Promise<{ statusCode: number; headers: Record<string, unknown>; json: () => any }>, status: number) {
  const before = await storeSnapshot(db);
  const response = await run();
  expect(response.statusCode, JSON.stringify(response.json())).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  expect(response.json().status).toBe(status);
  expect(await storeSnapshot(db)).toBe(before);
  return response.json();
}

describe(`commerce over HTTP (${STORE_LABEL})`, () => {
  it('sells end to end: shop, product, VA BCA + JNE, sandbox payment, ship, deliver, complete, review; the last unit races', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 2 }]);
    const variantId = product.variants[0]!.id;
    const found = await inject({ method: 'GET', url: '/api/commerce/products?q=batik' });
    expect(found.json().items.map((p: { id: string }) => p.id)).toContain(product.id);

    const options = await inject({ method: 'GET', url: `/api/commerce/checkout/options?variantIds=${variantId}&city=Bandung&province=Jawa%20Barat&postalCode=40111` });
    expect(options.statusCode).toBe(200);
    const jne = options.json().couriers.find((c: { code: string }) => c.code === 'jne_reg');
    expect(jne.priceIdr).toBeGreaterThan(0);
    expect(options.json().couriers.some((c: { code: string }) => c.code === 'gosend_instant')).toBe(false);

    const placed = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] });
    expect(placed.statusCode, placed.body).toBe(201);
    const { order, payment } = placed.json();
    expect(order.status).toBe('awaiting_payment');
    expect(order.totalIdr).toBe(150_000 + jne.priceIdr);
    expect(order.shippingAddress.phone).toBe('+6281234567890');
    expect(payment.instructions.vaNumber).toMatch(/^12345\d{11}$/);
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().variants[0].available).toBe(1);

    const paid = await simulate(buyer, payment.id);
    expect(paid.json()).toMatchObject({ status: 'paid', applied: true });
    expect((await act(seller, order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE0012345' })).json().status).toBe('shipped');
    expect((await act(seller, order.id, 'deliver')).json().status).toBe('delivered');
    expect((await act(buyer, order.id, 'complete')).json().status).toBe('completed');
    const review = await inject({ method: 'POST', url: `/api/commerce/orders/${order.id}/reviews`, headers: buyer.headers, payload: { rating: 5, text: 'Bagus sekali' } });
    expect(review.statusCode, review.body).toBe(201);
    const after = (await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json();
    expect(after.rating).toEqual({ average: 5, count: 1 });
    expect(after.variants[0]).toMatchObject({ stock: 1, available: 1 });
    const detail = (await inject({ method: 'GET', url: `/api/commerce/orders/${order.id}`, headers: buyer.headers })).json();
    expect(detail.events.map((e: { to: string }) => e.to)).toEqual(['awaiting_payment', 'paid', 'shipped', 'delivered', 'completed']);

    const racers = await Promise.all([checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }), checkout(sekat.app, other, { items: [{ variantId, quantity: 1 }] })]);
    expect(racers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const loser = racers.find((r) => r.statusCode === 409)!;
    expect(loser.json().detail).toMatch(/0 available/);
  });
});
