import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import { signToken } from '../../platform/tokens.js';
import type { Database } from '../../platform/db.js';
import { ADDRESS, checkout, listProduct, newKey, openShop, registerUser, storeSnapshot, type TestUser, createPlatformVoucher, exportOf } from './testkit.js';
import { qrisCrcValid } from './payments/qris.js';
import { midtransSignature } from './payments/sandbox.js';
import { expirePayment } from './payments/expire.job.js';
import { sendRefundJob } from './payments/refund.job.js';
import { SandboxProvider } from './payments/sandbox.js';
import pino from 'pino';
import { autoComplete } from './orders/auto-complete.js';
import type { CommerceInstance } from './index.js';
import QRCode from 'qrcode';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

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

const inject = (options: InjectOptions) => sekat.app.inject(options);
const simulate = (user: TestUser, paymentId: string, outcome: 'paid' | 'failed' = 'paid') =>
  inject({ method: 'POST', url: `/api/commerce/payments/${paymentId}/simulate`, headers: user.headers, payload: { outcome } });
const act = (user: TestUser, orderId: string, action: string, payload: Record<string, unknown> = {}) =>
  inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/${action}`, headers: user.headers, payload });

/** Expects a problem response and that the commerce store did not change. */
async function rejects(run: () => Promise<LightMyRequestResponse>, status: number) {
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
    expect((await act(seller, order.id, 'courier/simulate', { stage: 'delivered' })).json()).toEqual({ moved: true });
    expect((await act(buyer, order.id, 'complete')).json().status).toBe('completed');
    const review = await inject({ method: 'POST', url: `/api/commerce/orders/${order.id}/reviews`, headers: buyer.headers, payload: { rating: 5, text: 'Bagus sekali' } });
    expect(review.statusCode, review.body).toBe(201);
    const after = (await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json();
    expect(after.rating).toEqual({ average: 5, count: 1 });
    expect(after.variants[0]).toMatchObject({ stock: 1, available: 1 });
    const detail = (await inject({ method: 'GET', url: `/api/commerce/orders/${order.id}`, headers: buyer.headers })).json();
    expect(detail.events.map((e: { to: string }) => e.to)).toEqual(['awaiting_payment', 'paid', 'shipped', 'delivered', 'completed']);

    const racers = await Promise.all([
      checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }), checkout(sekat.app, other, { items: [{ variantId, quantity: 1 }] }),
    ]);
    expect(racers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const loser = racers.find((r) => r.statusCode === 409)!;
    expect(loser.json().detail).toMatch(/0 available/);
  });
});

describe(`a seller's order list (${STORE_LABEL})`, () => {
  it('narrows by status and by order number, recipient or product; lines carry the cover photo', async () => {
    const shirt = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }], { title: 'Kaus Lurik Cari' });
    const first = (await checkout(sekat.app, buyer, { items: [{ variantId: shirt.variants[0]!.id, quantity: 1 }] })).json();
    const second = (await checkout(sekat.app, buyer, { items: [{ variantId: shirt.variants[0]!.id, quantity: 1 }] })).json();
    await simulate(buyer, second.payment.id);
    const list = async (query: string) =>
      (await inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/orders?limit=100&${query}`, headers: seller.headers })).json().items.map((o: { id: string }) => o.id);

    const paid = await list('status=paid');
    expect(paid).toContain(second.order.id);
    expect(paid).not.toContain(first.order.id);
    expect(await list('status=awaiting_payment&q=lurik%20cari')).toEqual([first.order.id]);
    expect(await list(`q=${first.order.id.slice(-8).toUpperCase()}`)).toEqual([first.order.id]);
    expect(await list('q=%25')).toEqual([]);
    const line = (await inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/orders?q=lurik`, headers: seller.headers })).json().items[0].lines[0];
    expect(line.imageUrl).toBe('https://cdn.example.id/batik.jpg');
    const buyers = (await inject({ method: 'GET', url: '/api/commerce/orders', headers: buyer.headers })).json().items;
    expect(buyers.find((o: { id: string }) => o.id === first.order.id).lines[0].imageUrl).toBe('https://cdn.example.id/batik.jpg');

    await rejects(() => inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/orders?status=lost`, headers: seller.headers }), 400);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/orders?q=`, headers: seller.headers }), 400);
  });
});

describe(`bad input changes nothing (${STORE_LABEL})`, () => {
  let variantId: string;
  let productId: string;
  beforeAll(async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
    variantId = product.variants[0]!.id;
    productId = product.id;
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['over 999', 1000],
    ['fractional', 1.5],
  ])('quantity %s → 400', async (_label, quantity) => {
    const problem = await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity }] }), 400);
    expect(Object.keys(problem.errors ?? {}).join()).toContain('quantity');
    await rejects(() => inject({ method: 'POST', url: '/api/commerce/cart/items', headers: buyer.headers, payload: { variantId, quantity } }), 400);
  });

  it('a cart never asks for more than is available: 409 naming the limit, the cart unchanged', async () => {
    const cartOf = async () => (await inject({ method: 'GET', url: '/api/commerce/cart', headers: other.headers })).json();
    const before = await cartOf();
    const over = await rejects(() => inject({ method: 'POST', url: '/api/commerce/cart/items', headers: other.headers, payload: { variantId, quantity: 6 } }), 409);
    expect(over.errors).toEqual({ quantity: ['only 5 available'] });
    expect(await cartOf()).toEqual(before);
    expect((await inject({ method: 'POST', url: '/api/commerce/cart/items', headers: other.headers, payload: { variantId, quantity: 3 } })).statusCode).toBe(200);
    // 3 in the cart and 3 more would be 6 of 5.
    await rejects(() => inject({ method: 'POST', url: '/api/commerce/cart/items', headers: other.headers, payload: { variantId, quantity: 3 } }), 409);
    await rejects(() => inject({ method: 'PATCH', url: `/api/commerce/cart/items/${variantId}`, headers: other.headers, payload: { quantity: 6 } }), 409);
    const line = (await cartOf()).items.find((i: { variantId: string }) => i.variantId === variantId);
    expect(line.quantity).toBe(3);
    expect((await inject({ method: 'PATCH', url: `/api/commerce/cart/items/${variantId}`, headers: other.headers, payload: { quantity: 5 } })).statusCode).toBe(200);
    expect((await inject({ method: 'DELETE', url: `/api/commerce/cart/items/${variantId}`, headers: other.headers })).statusCode).toBe(200);
  });

  it('unknown or removed variant → 422', async () => {
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId: '01890000-0000-7000-8000-000000000000', quantity: 1 }] }), 422);
    const gone = await listProduct(sekat.app, seller, shop.id, [{ stock: 3 }]);
    expect((await inject({ method: 'DELETE', url: `/api/commerce/products/${gone.id}`, headers: seller.headers })).statusCode).toBe(204);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId: gone.variants[0]!.id, quantity: 1 }] }), 422);
    await rejects(() => inject({ method: 'POST', url: '/api/commerce/cart/items', headers: buyer.headers, payload: { variantId: gone.variants[0]!.id, quantity: 1 } }), 422);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId: 'not-a-uuid', quantity: 1 }] }), 400);
  });

  it('price not an integer, or out of range → 400', async () => {
    for (const priceIdr of [1500.5, 0, -5, 100_000_000_001, 'seribu']) {
      await rejects(
        () => inject({ method: 'POST', url: `/api/commerce/shops/${shop.id}/products`, headers: seller.headers, payload: { title: 'X', description: '', category: 'hobi', variants: [{ sku: 'Z1', name: 'Z', priceIdr, stock: 1, weightGrams: 10 }] } }),
        400,
      );
    }
    await rejects(() => inject({ method: 'PATCH', url: `/api/commerce/products/${productId}`, headers: seller.headers, payload: { variants: [{ id: variantId, priceIdr: 99.9 }] } }), 400);
  });

  it('unknown courier or payment method → 400; GoSend across cities → 422', async () => {
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], courier: 'pos_kilat' }), 400);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], paymentMethod: 'bitcoin' }), 400);
    const problem = await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], courier: 'gosend_instant' }), 422);
    expect(problem.detail).toMatch(/one city/);
  });

  it('COD over Rp 5.000.000 → 422', async () => {
    const pricey = await listProduct(sekat.app, seller, shop.id, [{ stock: 5, priceIdr: 2_600_000 }]);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId: pricey.variants[0]!.id, quantity: 2 }], paymentMethod: 'cod' }), 422);
  });

  it('expired or exhausted voucher → 4xx', async () => {
    const make = (payload: Record<string, unknown>) => inject({ method: 'POST', url: `/api/commerce/shops/${shop.id}/vouchers`, headers: seller.headers, payload });
    const day = 86_400_000;
    expect((await make({ code: 'LAMA01', kind: 'fixed', value: 10_000, startsAt: new Date(Date.now() - 3 * day).toISOString(), endsAt: new Date(Date.now() - day).toISOString(), quota: 5 })).statusCode).toBe(201);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], voucherCode: 'LAMA01' }), 422);
    expect((await make({ code: 'HABIS01', kind: 'percent', value: 10, startsAt: new Date(Date.now() - day).toISOString(), endsAt: new Date(Date.now() + day).toISOString(), quota: 1 })).statusCode).toBe(201);
    const first = await checkout(sekat.app, other, { items: [{ variantId, quantity: 1 }], voucherCode: 'HABIS01' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().order.discountIdr).toBe(15_000);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], voucherCode: 'HABIS01' }), 409);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], voucherCode: 'TIDAKADA' }), 422);
    expect((await make({ code: 'MIN500', kind: 'fixed', value: 50_000, minSpendIdr: 500_000, startsAt: new Date(Date.now() - day).toISOString(), endsAt: new Date(Date.now() + day).toISOString(), quota: 9 })).statusCode).toBe(201);
    const short = await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], voucherCode: 'MIN500' }), 422);
    expect(short.errors.voucherCode).toEqual(['minimum spend not met']);
    await rejects(() => make({ code: 'MUNDUR', kind: 'fixed', value: 1, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() - day).toISOString(), quota: 1 }), 400);
  });

  it('quotes what checkout will charge, voucher included, and the quote takes nothing', async () => {
    const quoter = await registerUser(sekat.app, 'penawar');
    const day = 86_400_000;
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 4, priceIdr: 120_000, weightGrams: 1_500 }]);
    const items = [{ variantId: product.variants[0]!.id, quantity: 2 }];
    const made = await inject({
      method: 'POST',
      url: `/api/commerce/shops/${shop.id}/vouchers`,
      headers: seller.headers,
      payload: { code: 'KIRA10', kind: 'percent', value: 10, maxDiscountIdr: 20_000, minSpendIdr: 100_000, startsAt: new Date(Date.now() - day).toISOString(), endsAt: new Date(Date.now() + day).toISOString(), quota: 3 },
    });
    expect(made.statusCode, made.body).toBe(201);
    const quote = (body: Record<string, unknown>, user: TestUser | null = quoter) =>
      inject({ method: 'POST', url: '/api/commerce/checkout/quote', headers: user?.headers ?? {}, payload: { shippingAddress: ADDRESS, courier: 'jne_reg', ...body } });

    const before = await storeSnapshot(db);
    const quoted = await quote({ items, voucherCode: 'kira10' });
    expect(quoted.statusCode, quoted.body).toBe(200);
    expect(await storeSnapshot(db)).toBe(before);
    const q = quoted.json();
    expect(q).toMatchObject({ subtotalIdr: 240_000, discountIdr: 20_000, orders: [{ shopId: shop.id, subtotalIdr: 240_000, discountIdr: 20_000 }] });
    expect(q.shippingIdr).toBeGreaterThan(0);
    expect(q.totalIdr).toBe(240_000 + q.shippingIdr - 20_000);

    const placed = await checkout(sekat.app, quoter, { items, voucherCode: 'KIRA10' });
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.json().order.totalIdr).toBe(q.totalIdr);
    expect(placed.json().payment.instructions.amountIdr).toBe(q.totalIdr);

    // After using it, the same buyer's quote says so; a voucher that cannot apply changes nothing.
    await rejects(() => quote({ items, voucherCode: 'KIRA10' }), 409);
    await rejects(() => quote({ items: [{ variantId: product.variants[0]!.id, quantity: 1 }], voucherCode: 'TIDAKADA' }), 422);
    await rejects(() => quote({ items, courier: 'gosend_instant' }), 422);
    await rejects(() => quote({ items }, null), 401);
    await rejects(() => quote({ items: [] }), 400);
  });

  it('bad postal code or phone → 400', async () => {
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], shippingAddress: { ...ADDRESS, postalCode: '4011' } }), 400);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], shippingAddress: { ...ADDRESS, phone: '12345' } }), 400);
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }], shippingAddress: { ...ADDRESS, province: 'Atlantis' } }), 400);
  });

  it('missing Idempotency-Key → 400', async () => {
    const problem = await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, null), 400);
    expect(problem.detail).toMatch(/Idempotency-Key/);
  });

  it('forged, replayed or amount-mismatched webhook', async () => {
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    const paymentId = placed.payment.id as string;
    const amount = `${placed.payment.amountIdr}.00`;
    const hook = (body: Record<string, unknown>) => inject({ method: 'POST', url: '/api/commerce/payments/webhooks/sandbox', payload: body });
    const forged = { order_id: paymentId, status_code: '200', gross_amount: amount, transaction_status: 'settlement', signature_key: midtransSignature(paymentId, '200', amount, 'not-the-server-key') };
    await rejects(() => hook(forged), 401);
    await rejects(() => hook({ ...forged, signature_key: 'abc' }), 401);
    const wrongAmount = '1000.00';
    await rejects(
      () => hook({ order_id: paymentId, status_code: '200', gross_amount: wrongAmount, transaction_status: 'settlement', signature_key: midtransSignature(paymentId, '200', wrongAmount, config.secrets.paymentServerKey) }),
      422,
    );
    await rejects(() => inject({ method: 'POST', url: '/api/commerce/payments/webhooks/xendit', payload: forged }), 404);
    // The gateway settles the transaction; its status API says so from now on.
    const gateway = new SandboxProvider(config.secrets.paymentServerKey, db);
    await gateway.simulate(paymentId, placed.payment.amountIdr, 'settlement');
    const good = { order_id: paymentId, status_code: '200', gross_amount: amount, transaction_status: 'settlement', transaction_id: 't-1', signature_key: midtransSignature(paymentId, '200', amount, config.secrets.paymentServerKey) };
    const results = [];
    for (let i = 0; i < 10; i++) results.push((await hook(good)).json());
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect(results.every((r) => r.status === 'paid')).toBe(true);
    const events = await db.selectFrom('order_events').select('to_status').where('order_id', '=', placed.order.id).execute();
    expect(events.map((e) => e.to_status)).toEqual(['awaiting_payment', 'paid']);
    const stored = await db.selectFrom('payment_notifications').select('id').where('payment_id', '=', paymentId).execute();
    expect(stored).toHaveLength(1);
    const before = await storeSnapshot(db);
    expect((await hook(good)).json()).toMatchObject({ applied: false, duplicate: true });
    expect(await storeSnapshot(db)).toBe(before);
    // A late failure notice after payment is recorded but cannot undo the payment.
    const late = { order_id: paymentId, status_code: '202', gross_amount: amount, transaction_status: 'deny', signature_key: midtransSignature(paymentId, '202', amount, config.secrets.paymentServerKey) };
    expect((await hook(late)).json()).toMatchObject({ applied: false, status: 'paid' });
    // The gateway refunds the whole transaction: the paid order is refunded and restocked.
    await gateway.simulate(paymentId, placed.payment.amountIdr, 'refund');
    const refund = { order_id: paymentId, status_code: '200', gross_amount: amount, transaction_status: 'refund', signature_key: midtransSignature(paymentId, '200', amount, config.secrets.paymentServerKey) };
    expect((await hook(refund)).json()).toMatchObject({ applied: true, status: 'refunded' });
    expect((await inject({ method: 'GET', url: `/api/commerce/orders/${placed.order.id}`, headers: buyer.headers })).json().status).toBe('refunded');
    // That refund happened at the gateway: nothing is sent back to it.
    expect(await db.selectFrom('refunds').select('id').where('order_id', '=', placed.order.id).execute()).toEqual([]);
  });

  it('transition not allowed → 409', async () => {
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    await rejects(() => act(seller, placed.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE999999' }), 409);
    await rejects(() => act(buyer, placed.order.id, 'complete'), 409);
    await rejects(() => act(seller, placed.order.id, 'courier/simulate', { stage: 'delivered' }), 409);
    await rejects(() => act(seller, placed.order.id, 'ship', { courier: 'pos_kilat' }), 400);
    await rejects(() => act(buyer, placed.order.id, 'returns', {}), 400);
  });

  it("another user's order, cart item or shop → 404/403", async () => {
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/orders/${placed.order.id}`, headers: other.headers }), 404);
    await rejects(() => act(other, placed.order.id, 'cancel'), 404);
    await rejects(() => simulate(other, placed.payment.id), 404);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/payments/${placed.payment.id}`, headers: other.headers }), 404);
    await rejects(() => act(buyer, placed.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE999999' }), 403);
    await rejects(() => inject({ method: 'PATCH', url: `/api/commerce/cart/items/${variantId}`, headers: other.headers, payload: { quantity: 2 } }), 404);
    await rejects(() => inject({ method: 'PATCH', url: `/api/commerce/products/${productId}`, headers: other.headers, payload: { title: 'Dibajak' } }), 403);
    await rejects(() => inject({ method: 'PUT', url: `/api/commerce/variants/${variantId}/stock`, headers: other.headers, payload: { stock: 0 } }), 403);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/orders`, headers: other.headers }), 403);
    await rejects(() => inject({ method: 'PUT', url: `/api/commerce/shops/${shop.id}/affiliate`, headers: other.headers, payload: { commissionPercent: 10 } }), 403);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/shops/${shop.id}/products`, headers: other.headers, payload: { title: 'X', description: '', category: 'hobi', variants: [{ sku: 'Q1', name: 'Q', priceIdr: 1000, stock: 1, weightGrams: 10 }] } }), 403);
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/cart' }), 401);
  });

  it('commission over 50 %, stock below reserved, review rules', async () => {
    await rejects(() => inject({ method: 'PUT', url: `/api/commerce/shops/${shop.id}/affiliate`, headers: seller.headers, payload: { commissionPercent: 51 } }), 400);
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 3 }]);
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 2 }] })).json();
    await rejects(() => inject({ method: 'PUT', url: `/api/commerce/variants/${product.variants[0]!.id}/stock`, headers: seller.headers, payload: { stock: 1 } }), 409);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${placed.order.id}/reviews`, headers: buyer.headers, payload: { rating: 5, text: 'cepat' } }), 409);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${placed.order.id}/reviews`, headers: buyer.headers, payload: { rating: 6, text: 'x' } }), 400);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${placed.order.id}/reviews`, headers: buyer.headers, payload: { rating: 4, text: 'x'.repeat(2001) } }), 400);
  });
});

describe(`checkout features (${STORE_LABEL})`, () => {
  it('Idempotency-Key: same key and body replays; different body is 422; concurrent duplicates make one order', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10 }]);
    const variantId = product.variants[0]!.id;
    const key = newKey();
    const first = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, key);
    expect(first.statusCode).toBe(201);
    const again = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const problem = await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 2 }] }, key), 422);
    expect(problem.detail).toMatch(/different request/);
    // The same key from another buyer is another key.
    expect((await checkout(sekat.app, other, { items: [{ variantId, quantity: 1 }] }, key)).statusCode).toBe(201);

    const racingKey = newKey();
    const racing = await Promise.all(Array.from({ length: 5 }, () => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, racingKey)));
    for (const r of racing) expect([201, 409]).toContain(r.statusCode);
    const ids = new Set(racing.filter((r) => r.statusCode === 201).map((r) => r.json().order.id));
    expect(ids.size).toBe(1);
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().variants[0].available).toBe(7);

    // A failed checkout stores nothing: retrying the key after restock succeeds.
    const scarce = await listProduct(sekat.app, seller, shop.id, [{ stock: 1 }]);
    const retryKey = newKey();
    await rejects(() => checkout(sekat.app, buyer, { items: [{ variantId: scarce.variants[0]!.id, quantity: 2 }] }, retryKey), 409);
    await inject({ method: 'PUT', url: `/api/commerce/variants/${scarce.variants[0]!.id}/stock`, headers: seller.headers, payload: { stock: 2 } });
    expect((await checkout(sekat.app, buyer, { items: [{ variantId: scarce.variants[0]!.id, quantity: 2 }] }, retryKey)).statusCode).toBe(201);
  });

  it('QRIS carries an EMVCo payload with a valid CRC and a QR image; e-wallets give instructions', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
    const qris = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }], paymentMethod: 'qris' })).json();
    expect(qris.payment.instructions.qrisPayload).toMatch(/^000201010212/);
    expect(qrisCrcValid(qris.payment.instructions.qrisPayload)).toBe(true);
    expect(qris.payment.instructions.qrisPayload).toContain(`54${String(qris.payment.amountIdr.toString().length).padStart(2, '0')}${qris.payment.amountIdr}`);
    expect(qris.payment.instructions.qrImageDataUrl).toMatch(/^data:image\/png;base64,/);
    const minutes = (Date.parse(qris.payment.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);
    const gopay = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }], paymentMethod: 'gopay' })).json();
    expect(gopay.payment.instructions).toMatchObject({ kind: 'ewallet', wallet: 'gopay' });
  });

  it('COD confirms without prepayment and is paid on delivery', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
    const cod = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 2 }], paymentMethod: 'cod' })).json();
    expect(cod.order.status).toBe('confirmed');
    expect(cod.payment.status).toBe('cod_pending');
    await rejects(() => simulate(buyer, cod.payment.id), 409);
    await act(seller, cod.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE123456' });
    await act(seller, cod.order.id, 'courier/simulate', { stage: 'delivered' });
    expect((await inject({ method: 'GET', url: `/api/commerce/payments/${cod.payment.id}`, headers: buyer.headers })).json().status).toBe('paid');
  });

  it('a cart with two shops makes one order per shop under one payment, with a platform voucher shared', async () => {
    const seller2 = await registerUser(sekat.app, 'seller2');
    const shop2 = await openShop(sekat.app, seller2, { city: 'Surabaya' });
    const a = await listProduct(sekat.app, seller, shop.id, [{ stock: 5, priceIdr: 100_000 }]);
    const b = await listProduct(sekat.app, seller2, shop2.id, [{ stock: 5, priceIdr: 300_000 }]);
    await createPlatformVoucher(sekat.stores.commerce.db, { code: 'SEKAT10', kind: 'percent', value: 10, maxDiscountIdr: 30_000, startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString(), quota: 100 });
    const cartBuyer = await registerUser(sekat.app, 'cartbuyer');
    for (const v of [a.variants[0]!.id, b.variants[0]!.id]) {
      expect((await inject({ method: 'POST', url: '/api/commerce/cart/items', headers: cartBuyer.headers, payload: { variantId: v, quantity: 1 } })).statusCode).toBe(200);
    }
    const cart = (await inject({ method: 'GET', url: '/api/commerce/cart', headers: cartBuyer.headers })).json();
    expect(cart.subtotalIdr).toBe(400_000);
    const quoted = (await inject({ method: 'POST', url: '/api/commerce/checkout/quote', headers: cartBuyer.headers, payload: { shippingAddress: ADDRESS, courier: 'jne_reg', voucherCode: 'SEKAT10' } })).json();
    const placed = await checkout(sekat.app, cartBuyer, { voucherCode: 'SEKAT10' });
    expect(placed.statusCode, placed.body).toBe(201);
    const { orders, payment } = placed.json();
    expect(orders).toHaveLength(2);
    // The quote of the cart said per shop what the orders now are.
    expect(quoted.orders.map((o: { shopId: string; totalIdr: number; discountIdr: number }) => [o.shopId, o.totalIdr, o.discountIdr])).toEqual(
      orders.map((o: { shopId: string; totalIdr: number; discountIdr: number }) => [o.shopId, o.totalIdr, o.discountIdr]),
    );
    expect(orders.reduce((sum: number, o: { discountIdr: number }) => sum + o.discountIdr, 0)).toBe(30_000);
    expect(payment.amountIdr).toBe(orders.reduce((sum: number, o: { totalIdr: number }) => sum + o.totalIdr, 0));
    expect((await inject({ method: 'GET', url: '/api/commerce/cart', headers: cartBuyer.headers })).json().items).toHaveLength(0);
    await simulate(cartBuyer, payment.id);
    const seen = (await inject({ method: 'GET', url: `/api/commerce/shops/${shop2.id}/orders`, headers: seller2.headers })).json();
    expect(seen.items.map((o: { status: string }) => o.status)).toEqual(['paid']);
    await rejects(() => checkout(sekat.app, cartBuyer, {}), 422);
  });

  it('buyer cancels before payment, seller cancels a paid order (refund), returns within 2 days', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
    const variantId = product.variants[0]!.id;
    const available = async () => (await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().variants[0];

    const one = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 2 }] })).json();
    const cancelled = await inject({ method: 'POST', url: `/api/commerce/orders/${one.order.id}/cancel`, headers: buyer.headers });
    expect(cancelled.json(), cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(await available()).toMatchObject({ stock: 5, available: 5 });

    const two = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 2 }] })).json();
    await simulate(buyer, two.payment.id);
    await rejects(() => act(buyer, two.order.id, 'cancel'), 409);
    expect((await act(seller, two.order.id, 'cancel', { reason: 'stok rusak' })).json().status).toBe('refunded');
    expect(await available()).toMatchObject({ stock: 5, available: 5 });
    // The money goes back through the gateway: requested with the cancel, sent by the job.
    const requested = await db.selectFrom('refunds').selectAll().where('order_id', '=', two.order.id).executeTakeFirstOrThrow();
    expect(requested).toMatchObject({ payment_id: two.payment.id, amount_idr: two.order.totalIdr, reason: 'stok rusak', status: 'requested' });
    const runner = sekat.deps.commerce.jobs;
    for (let job = await runner.claim(); job; job = await runner.claim()) await runner.run(job);
    const sent = await db.selectFrom('refunds').selectAll().where('order_id', '=', two.order.id).executeTakeFirstOrThrow();
    expect(sent).toMatchObject({ status: 'sent', provider_reference: expect.stringMatching(/^sandbox-refund-[0-9a-f]{16}$/) });
    expect(sent.sent_at).not.toBeNull();
    const payment = await db.selectFrom('payments').select(['status', 'refunded_idr']).where('id', '=', two.payment.id).executeTakeFirstOrThrow();
    expect(payment).toMatchObject({ status: 'paid', refunded_idr: two.order.totalIdr });
    // Buyer and seller both see where the money is.
    for (const user of [buyer, seller]) {
      const detail = (await inject({ method: 'GET', url: `/api/commerce/orders/${two.order.id}`, headers: user.headers })).json();
      expect(detail.refund).toMatchObject({ amountIdr: two.order.totalIdr, status: 'sent', sentAt: expect.any(String) });
    }
    expect((await inject({ method: 'GET', url: `/api/commerce/orders/${one.order.id}`, headers: buyer.headers })).json().refund).toBeNull();

    const three = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    await simulate(buyer, three.payment.id);
    await act(seller, three.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE777777' });
    await act(seller, three.order.id, 'courier/simulate', { stage: 'delivered' });
    // Returns have their own flow (returns.http.test.ts); here only how they meet the order.
    const asked = await act(buyer, three.order.id, 'returns', { reasonCode: 'changed_mind', text: 'ukuran salah' });
    expect(asked.statusCode, asked.body).toBe(201);
    expect((await inject({ method: 'GET', url: `/api/commerce/orders/${three.order.id}`, headers: buyer.headers })).json().status).toBe('return_requested');
    expect((await act(seller, three.order.id, 'return/refuse', { reason: 'sudah dipakai' })).json().state).toBe('refused');
    await rejects(() => act(buyer, three.order.id, 'returns', { reasonCode: 'changed_mind', text: 'lagi' }), 409);

    const four = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    await simulate(buyer, four.payment.id);
    await act(seller, four.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE888888' });
    await act(seller, four.order.id, 'courier/simulate', { stage: 'delivered' });
    await db.updateTable('orders').set({ delivered_at: new Date(Date.now() - 6 * 86_400_000 - 60_000) }).where('id', '=', four.order.id).execute();
    await rejects(() => act(buyer, four.order.id, 'returns', { reasonCode: 'changed_mind', text: 'telat' }), 422);
    // Completion waits a day past the return window: 7 days after delivery.
    expect(await autoComplete(db, four.order.id)).toBe(false);
    expect(await autoComplete(db, four.order.id, new Date(Date.now() + 86_400_000))).toBe(true);
    expect((await inject({ method: 'GET', url: `/api/commerce/orders/${four.order.id}`, headers: buyer.headers })).json().status).toBe('completed');
    const five = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    await simulate(buyer, five.payment.id);
    await act(seller, five.order.id, 'ship', { courier: 'sicepat_reg', trackingNumber: 'SCP999999' });
    await act(seller, five.order.id, 'courier/simulate', { stage: 'delivered' });
    await act(buyer, five.order.id, 'returns', { reasonCode: 'changed_mind', text: 'tidak jadi' });
    await rejects(() => act(buyer, five.order.id, 'return/accept'), 403);
    expect((await act(seller, five.order.id, 'return/accept')).json().state).toBe('accepted');
    expect((await act(buyer, five.order.id, 'return/ship')).json().state).toBe('shipped');
    expect((await act(buyer, five.order.id, 'return/courier/simulate', { stage: 'delivered' })).statusCode).toBe(200);
    const approved = (await inject({ method: 'GET', url: `/api/commerce/orders/${five.order.id}`, headers: buyer.headers })).json();
    expect(approved.status).toBe('refunded');
    expect(approved.courier).toBe('sicepat_reg');
    expect(approved.events.map((e: { action: string }) => e.action)).toEqual(['place', 'pay', 'ship', 'deliver', 'request_return', 'refund_return']);
    const refundedPayment = await db.selectFrom('payments').select(['refunded_idr']).where('id', '=', five.payment.id).executeTakeFirstOrThrow();
    expect(refundedPayment.refunded_idr).toBe(five.order.totalIdr);

    const jobs = await db.selectFrom('jobs').select('type').where('type', '=', 'commerce.order.auto-complete').execute();
    expect(jobs.length).toBeGreaterThan(0);
  });

  it('keeps a refund the gateway could not take for a retry, and marks one it refused as failed', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 2 }]);
    const variantId = product.variants[0]!.id;
    const sandbox = new SandboxProvider(config.secrets.paymentServerKey, db);
    const gateway = (answer: Awaited<ReturnType<SandboxProvider['refund']>>) =>
      Object.assign(Object.create(sandbox) as SandboxProvider, { refund: async () => answer });
    const refundOf = async (orderId: string) => db.selectFrom('refunds').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).json();
    await simulate(buyer, placed.payment.id);
    await act(seller, placed.order.id, 'cancel', { reason: 'toko tutup sementara' });
    const job = { id: 'test', type: 'commerce.refund.send', payload: { refundId: (await refundOf(placed.order.id)).id }, attempts: 1, maxAttempts: 20 };
    const log = pino({ level: 'silent' });

    await expect(sendRefundJob(db, gateway({ ok: false, retryable: true, reason: 'gateway timeout' }), log)(job)).rejects.toThrow(/gateway timeout/);
    expect(await refundOf(placed.order.id)).toMatchObject({ status: 'requested', last_error: 'gateway timeout', provider_reference: null });
    await sendRefundJob(db, gateway({ ok: false, retryable: false, reason: 'refund window closed' }), log)(job);
    expect(await refundOf(placed.order.id)).toMatchObject({ status: 'failed', last_error: 'refund window closed' });
    // A failed refund is not sent again by a stray retry.
    await sendRefundJob(db, sandbox, log)(job);
    expect(await refundOf(placed.order.id)).toMatchObject({ status: 'failed', provider_reference: null });
  });

  it('unpaid payments expire through the job and release their stock; failed payments release too', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 3 }]);
    const variantId = product.variants[0]!.id;
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 3 }] })).json();
    const job = await db.selectFrom('jobs').select(['run_at']).where('dedupe_key', '=', `expire:${placed.payment.id}`).executeTakeFirstOrThrow();
    expect(Math.abs(new Date(job.run_at).getTime() - Date.parse(placed.payment.expiresAt))).toBeLessThan(1000);
    expect(await expirePayment(db, placed.payment.id)).toBe(false);
    expect(await expirePayment(db, placed.payment.id, new Date(Date.now() + 25 * 3600_000))).toBe(true);
    expect((await inject({ method: 'GET', url: `/api/commerce/orders/${placed.order.id}`, headers: buyer.headers })).json().status).toBe('expired');
    expect((await simulate(buyer, placed.payment.id)).json()).toMatchObject({ applied: false, status: 'expired' });
    const failed = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 3 }] })).json();
    expect((await simulate(buyer, failed.payment.id, 'failed')).json()).toMatchObject({ applied: true, status: 'failed' });
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().variants[0].available).toBe(3);

    // Through the platform job runner, as a running server does it.
    const viaJob = (await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 3 }], paymentMethod: 'qris' })).json();
    const past = new Date(Date.now() - 1000);
    await db.updateTable('payments').set({ expires_at: past }).where('id', '=', viaJob.payment.id).execute();
    await db.updateTable('jobs').set({ run_at: past }).where('dedupe_key', '=', `expire:${viaJob.payment.id}`).execute();
    const runner = sekat.deps.commerce.jobs;
    for (let job = await runner.claim(); job; job = await runner.claim()) await runner.run(job);
    const expiredJob = await db.selectFrom('jobs').select('status').where('dedupe_key', '=', `expire:${viaJob.payment.id}`).executeTakeFirstOrThrow();
    expect(expiredJob.status).toBe('done');
    expect((await inject({ method: 'GET', url: `/api/commerce/orders/${viaJob.order.id}`, headers: buyer.headers })).json().status).toBe('expired');
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().variants[0].available).toBe(3);
  });

  it('publishes product.upserted and product.removed with growing versions', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 1 }]);
    await inject({ method: 'PATCH', url: `/api/commerce/products/${product.id}`, headers: seller.headers, payload: { title: 'Kemeja Batik Kawung' } });
    await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] });
    await inject({ method: 'DELETE', url: `/api/commerce/products/${product.id}`, headers: seller.headers });
    const rows = await db.selectFrom('outbox').select(['topic', 'payload']).where('key', '=', product.id).orderBy('seq').execute();
    expect(rows.map((r) => r.topic)).toEqual(['product.upserted', 'product.upserted', 'product.upserted', 'product.removed']);
    const payloads = rows.map((r) => r.payload as { version: number; inStock?: boolean; title?: string });
    expect(payloads.map((p) => p.version)).toEqual([...payloads.map((p) => p.version)].sort((x, y) => x - y));
    expect(payloads[1]).toMatchObject({ title: 'Kemeja Batik Kawung', inStock: true, priceMinIdr: 150_000, shopName: 'Toko Batik' });
    expect(payloads[2]).toMatchObject({ inStock: false });
  });

  it('search filters by category and shop and sorts by price', async () => {
    const shop3 = await openShop(sekat.app, seller, { name: 'Dapur Nusantara', city: 'Yogyakarta' });
    const rendang = await listProduct(sekat.app, seller, shop3.id, [{ stock: 5, priceIdr: 50_000 }], { title: 'Rendang Daging Sapi', description: 'Rendang kering khas Padang', category: 'makanan' });
    await listProduct(sekat.app, seller, shop3.id, [{ stock: 5, priceIdr: 20_000 }], { title: 'Sambal Roa', description: 'Sambal ikan roa Manado', category: 'makanan' });
    const byCategory = (await inject({ method: 'GET', url: `/api/commerce/products?category=makanan&shop=${shop3.slug}&sort=price_asc` })).json();
    expect(byCategory.items.map((p: { title: string }) => p.title)).toEqual(['Sambal Roa', 'Rendang Daging Sapi']);
    const typo = (await inject({ method: 'GET', url: '/api/commerce/products?q=rendan' })).json();
    expect(typo.items[0].title).toBe('Rendang Daging Sapi');
    const paged = (await inject({ method: 'GET', url: `/api/commerce/products?shop=${shop3.id}&limit=1` })).json();
    expect(paged.nextCursor).toBeTruthy();
    const next = (await inject({ method: 'GET', url: `/api/commerce/products?shop=${shop3.id}&limit=1&cursor=${paged.nextCursor}` })).json();
    expect(next.items[0].id).not.toBe(paged.items[0].id);
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/products?cursor=%%%' }), 400);
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/products?category=senjata' }), 400);
    const fakeId = '-'.repeat(36);
    expect((await inject({ method: 'GET', url: `/api/commerce/products?shop=${fakeId}` })).json().items).toEqual([]);
    const forged = Buffer.from(JSON.stringify({ c: new Date().toISOString(), i: fakeId })).toString('base64url');
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/orders?cursor=${forged}`, headers: buyer.headers }), 400);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/products/${rendang.id}/reviews?cursor=${Buffer.from(JSON.stringify({ i: fakeId })).toString('base64url')}` }), 400);
  });
});

describe(`search pages (${STORE_LABEL})`, () => {
  it('pages by keyset in every sort: nothing repeats or goes missing when a product is listed between pages', async () => {
    const shop4 = await openShop(sekat.app, seller, { name: 'Kain Tenun Sumba', city: 'Kupang' });
    const prices = [90_000, 40_000, 40_000, 120_000, 65_000];
    for (const [i, priceIdr] of prices.entries()) {
      await listProduct(sekat.app, seller, shop4.id, [{ stock: 3, priceIdr }], { title: `Tenun Ikat ${i}`, description: 'Kain tenun ikat Sumba', category: 'fashion' });
    }
    const all = async (sort: string, q = '', between?: () => Promise<unknown>) => {
      const seen: { id: string; title: string; priceMinIdr: number }[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const page: { items: typeof seen; nextCursor: string | null } = (await inject({ method: 'GET', url: `/api/commerce/products?shop=${shop4.id}&limit=2&sort=${sort}&q=${encodeURIComponent(q)}&cursor=${cursor}` })).json();
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (between && seen.length === 2) await between();
      }
      return seen;
    };
    const ascending = await all('price_asc');
    expect(ascending.map((p) => p.priceMinIdr)).toEqual([40_000, 40_000, 65_000, 90_000, 120_000]);
    expect((await all('price_desc')).map((p) => p.priceMinIdr)).toEqual([120_000, 90_000, 65_000, 40_000, 40_000]);
    const relevant = await all('relevance', 'tenun ikat');
    expect(new Set(relevant.map((p) => p.id)).size).toBe(5);
    // A product listed after the first page is newer than everything on it: the next pages go on
    // where the first stopped (an offset would have shown its last item again).
    const newest = await all('newest', '', () => listProduct(sekat.app, seller, shop4.id, [{ stock: 1 }], { title: 'Tenun Ikat Baru', category: 'fashion' }));
    expect(newest.map((p) => p.title)).toEqual(['Tenun Ikat 4', 'Tenun Ikat 3', 'Tenun Ikat 2', 'Tenun Ikat 1', 'Tenun Ikat 0']);
    // A cursor belongs to its sort.
    const first = (await inject({ method: 'GET', url: `/api/commerce/products?shop=${shop4.id}&limit=2&sort=price_asc` })).json();
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/products?shop=${shop4.id}&limit=2&sort=newest&cursor=${first.nextCursor}` }), 400);
  });
});

describe(`product images (${STORE_LABEL})`, () => {
  it('stores an uploaded image under DATA_DIR/media/commerce as a JPEG and serves it; refuses non-owners and fake images', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 1 }]);
    const png = await QRCode.toBuffer('sekat');
    const upload = (user: TestUser, body: Buffer, type = 'image/png') =>
      inject({ method: 'POST', url: `/api/commerce/products/${product.id}/images`, headers: { ...user.headers, 'content-type': type }, payload: body });
    const added = await upload(seller, png);
    expect(added.statusCode, added.body).toBe(201);
    const url = added.json().imageUrls.at(-1) as string;
    // Re-encoded as a JPEG (with no metadata: test/privacy/picture-metadata.test.ts).
    expect(url).toMatch(/^\/api\/commerce\/media\/[0-9a-f-]{36}\.jpg$/);
    const served = await inject({ method: 'GET', url });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    expect(served.rawPayload.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    await rejects(() => upload(other, png), 403);
    await rejects(() => upload(seller, Buffer.from('<svg onload=alert(1)>'), 'image/png'), 415);
    await rejects(() => upload(seller, png, 'image/jpeg'), 415);
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/media/..%2Fsecrets.json' }), 400);
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/media/01890000-0000-7000-8000-000000000000.png' }), 404);
  });

  it('keeps only real pictures, and lets the owner alone reorder and remove them', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 1 }]);
    const [first, second] = [await QRCode.toBuffer('satu'), await QRCode.toBuffer('dua')];
    const upload = (body: Buffer, type = 'image/png') =>
      inject({ method: 'POST', url: `/api/commerce/products/${product.id}/images`, headers: { ...seller.headers, 'content-type': type }, payload: body });
    const media = path.join(config.dataDir, 'media', 'commerce');
    const files = async () => (await readdir(media).catch(() => [])).filter((f) => f !== 'incoming').sort();
    const filesBefore = await files();
    const initialUrls = (await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().imageUrls as string[];
    // A PNG signature in front of something else is not a picture; nothing is kept, not even in incoming/.
    const forged = Buffer.concat([first.subarray(0, 16), Buffer.from('<script>alert(1)</script>'.repeat(20))]);
    await rejects(() => upload(forged), 415);
    await rejects(() => upload(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64)]), 'image/jpeg'), 415);
    expect(await files()).toEqual(filesBefore);
    expect(await readdir(path.join(media, 'incoming')).catch(() => [])).toEqual([]);

    expect((await upload(first)).statusCode).toBe(201);
    const all = (await upload(second)).json().imageUrls as string[];
    expect(all).toHaveLength(initialUrls.length + 2);
    const both = all.slice(-2);
    const patch = (user: TestUser, imageUrls: unknown) => inject({ method: 'PATCH', url: `/api/commerce/products/${product.id}`, headers: user.headers, payload: { imageUrls } });
    await rejects(() => patch(other, [both[1]]), 403);
    await rejects(() => patch(seller, [both[1], '/api/commerce/media/../../secrets.json']), 400);
    await rejects(() => patch(seller, Array.from({ length: 11 }, () => both[0])), 400);
    await rejects(() => inject({ method: 'PATCH', url: `/api/commerce/products/01890000-0000-7000-8000-000000000000`, headers: seller.headers, payload: { imageUrls: [] } }), 404);
    // The second becomes the cover, then the first is removed.
    const reordered = await patch(seller, [both[1], both[0]]);
    expect(reordered.statusCode, reordered.body).toBe(200);
    expect(reordered.json().imageUrls).toEqual([both[1], both[0]]);
    expect((await patch(seller, [both[1]])).json().imageUrls).toEqual([both[1]]);
    const listed = (await inject({ method: 'GET', url: `/api/commerce/products?shop=${shop.id}&limit=100` })).json().items as { id: string; imageUrl: string | null }[];
    expect(listed.find((p) => p.id === product.id)?.imageUrl).toBe(both[1]);

    await rejects(() => inject({ method: 'DELETE', url: `/api/commerce/products/${product.id}`, headers: other.headers }), 403);
    expect((await inject({ method: 'DELETE', url: `/api/commerce/products/${product.id}`, headers: seller.headers })).statusCode).toBe(204);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/products/${product.id}` }), 404);
    await rejects(() => inject({ method: 'DELETE', url: `/api/commerce/products/${product.id}`, headers: seller.headers }), 404);
  });

  it('describes every commerce route in the OpenAPI document', async () => {
    const doc = (await inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/commerce/'));
    for (const path of ['/api/commerce/checkout', '/api/commerce/payments/webhooks/{provider}', '/api/commerce/products/{id}', '/api/commerce/orders/{id}/ship']) {
      expect(paths).toContain(path);
    }
    for (const path of paths) for (const op of Object.values(doc.paths[path]) as { tags: string[] }[]) expect(op.tags[0]).toBe('commerce');
  });

  it('keeps the last checkout address for its buyer only, follows a new one, and forgets it on request', async () => {
    const buyerOf = await registerUser(sekat.app, 'addressbuyer');
    const saved = () => inject({ method: 'GET', url: '/api/commerce/addresses/saved', headers: buyerOf.headers });
    expect((await saved()).json()).toEqual({ address: null });
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
    const buy = (shippingAddress: typeof ADDRESS) =>
      checkout(sekat.app, buyerOf, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }], shippingAddress, courier: 'jne_reg', paymentMethod: 'va_bca' });
    expect((await buy(ADDRESS)).statusCode).toBe(201);
    expect((await saved()).json().address).toEqual({ ...ADDRESS, phone: '+6281234567890' });
    expect((await buy(ADDRESS)).statusCode).toBe(201);
    const moved = { ...ADDRESS, line1: 'Jl. Asia Afrika No. 8', postalCode: '40112' };
    expect((await buy(moved)).statusCode).toBe(201);
    expect((await saved()).json().address).toMatchObject({ line1: 'Jl. Asia Afrika No. 8', postalCode: '40112' });
    // Nobody else sees it, and signed out there is nothing to see.
    expect((await inject({ method: 'GET', url: '/api/commerce/addresses/saved', headers: other.headers })).json().address?.line1).not.toBe(moved.line1);
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/addresses/saved' }), 401);
    await rejects(() => inject({ method: 'DELETE', url: '/api/commerce/addresses/saved' }), 401);
    expect((await inject({ method: 'DELETE', url: '/api/commerce/addresses/saved', headers: buyerOf.headers })).statusCode).toBe(204);
    expect((await saved()).json()).toEqual({ address: null });
  });

  it('checkout options refuse bad addresses and unknown variants', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 1 }]);
    const v = product.variants[0]!.id;
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/checkout/options?variantIds=${v}&city=Bandung&province=Jawa%20Barat&postalCode=123` }), 400);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/checkout/options?variantIds=nope&city=Bandung&province=Jawa%20Barat&postalCode=40111` }), 400);
    await rejects(() => inject({ method: 'GET', url: `/api/commerce/checkout/options?variantIds=01890000-0000-7000-8000-000000000000&city=Bandung&province=Jawa%20Barat&postalCode=40111` }), 422);
    const local = (await inject({ method: 'GET', url: `/api/commerce/checkout/options?variantIds=${v}&city=Jakarta&province=DKI%20Jakarta&postalCode=10110` })).json();
    expect(local.couriers.map((c: { code: string }) => c.code)).toContain('gosend_instant');
    expect(local.paymentMethods.map((m: { code: string }) => m.code)).toEqual(['va_bca', 'va_bni', 'va_bri', 'va_mandiri', 'va_permata', 'qris', 'gopay', 'ovo', 'dana', 'shopeepay', 'cod']);
  });
});

describe(`affiliates and privacy (${STORE_LABEL})`, () => {
  it('an attributed line earns pending commission at payment, confirmed at completion, reversed on refund; no buyer data', async () => {
    const creator = await registerUser(sekat.app, 'creator');
    const { affiliateId } = (await inject({ method: 'POST', url: '/api/commerce/affiliates', headers: creator.headers })).json();
    expect((await inject({ method: 'POST', url: '/api/commerce/affiliates', headers: creator.headers })).json().affiliateId).toBe(affiliateId);
    await inject({ method: 'PUT', url: `/api/commerce/shops/${shop.id}/affiliate`, headers: seller.headers, payload: { commissionPercent: 10 } });
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5, priceIdr: 200_000 }]);
    const token = (pid = product.id, key = config.secrets.attributionKey) =>
      signToken(key, { v: 1, aff: affiliateId, vid: 'video-1', pid, exp: Math.floor(Date.now() / 1000) + 3600, n: Math.random().toString(36) });
    const buy = async (attributionToken: string) =>
      (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1, attributionToken }] })).json();

    const kept = await buy(token());
    const refunded = await buy(token());
    const forged = await buy(token(product.id, 'x'.repeat(40)));
    const wrongProduct = await buy(token('01890000-0000-7000-8000-000000000000'));
    for (const placed of [kept, refunded, forged, wrongProduct]) await simulate(buyer, placed.payment.id);
    let mine = (await inject({ method: 'GET', url: '/api/commerce/affiliates/me/commissions', headers: creator.headers })).json();
    expect(mine.items).toHaveLength(2);
    expect(mine.totals).toEqual({ pendingIdr: 40_000, confirmedIdr: 0, reversedIdr: 0 });
    expect(JSON.stringify(mine)).not.toMatch(/buyer|recipient|phone|orderId|Siti/);
    const firstPage = (await inject({ method: 'GET', url: '/api/commerce/affiliates/me/commissions?limit=1', headers: creator.headers })).json();
    const secondPage = (await inject({ method: 'GET', url: `/api/commerce/affiliates/me/commissions?limit=1&cursor=${firstPage.nextCursor}`, headers: creator.headers })).json();
    expect([...firstPage.items, ...secondPage.items].map((c: { id: string }) => c.id).sort()).toEqual(mine.items.map((c: { id: string }) => c.id).sort());
    expect(secondPage.nextCursor).toBeNull();
    const orders: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { items: { id: string }[]; nextCursor: string | null } = (await inject({ method: 'GET', url: `/api/commerce/orders?limit=3${cursor ? `&cursor=${cursor}` : ''}`, headers: buyer.headers })).json();
      orders.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    }
    const all = await db.selectFrom('orders').select('id').where('buyer_subject', '=', (await db.selectFrom('orders').select('buyer_subject').where('id', '=', kept.order.id).executeTakeFirstOrThrow()).buyer_subject).execute();
    expect(new Set(orders).size).toBe(orders.length);
    expect(orders.sort()).toEqual(all.map((o) => o.id as string).sort());

    await act(seller, kept.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE010101' });
    await act(seller, kept.order.id, 'courier/simulate', { stage: 'delivered' });
    await act(buyer, kept.order.id, 'complete');
    await act(seller, refunded.order.id, 'cancel');
    mine = (await inject({ method: 'GET', url: '/api/commerce/affiliates/me/commissions', headers: creator.headers })).json();
    expect(mine.totals).toEqual({ pendingIdr: 0, confirmedIdr: 20_000, reversedIdr: 20_000 });
    await rejects(() => inject({ method: 'GET', url: '/api/commerce/affiliates/me/commissions', headers: other.headers }), 404);
  });

  it('exports everything about a subject and erases it: cart and address go, closed orders are minimised, open ones on close', async () => {
    const leaver = await registerUser(sekat.app, 'leaver');
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
    const variantId = product.variants[0]!.id;
    const closed = (await checkout(sekat.app, leaver, { items: [{ variantId, quantity: 1 }] })).json();
    await act(leaver, closed.order.id, 'cancel');
    const open = (await checkout(sekat.app, leaver, { items: [{ variantId, quantity: 1 }] })).json();
    await simulate(leaver, open.payment.id);
    await inject({ method: 'POST', url: '/api/commerce/cart/items', headers: leaver.headers, payload: { variantId, quantity: 1 } });
    const subject = (await db.selectFrom('orders').select('buyer_subject').where('id', '=', open.order.id).executeTakeFirstOrThrow()).buyer_subject as string;
    const commerceDomain = sekat.domains.commerce as CommerceInstance;
    const exported = await exportOf(commerceDomain, subject);
    expect(exported.orders).toHaveLength(2);
    expect(exported.cart).toHaveLength(1);
    expect(exported.addresses).toMatchObject([{ phone: '+6281234567890' }]);
    expect(JSON.stringify(exported)).not.toMatch(/@example\.id/);

    expect(await commerceDomain.port.eraseSubject(subject)).toEqual({ closedOrdersMinimised: 1, openOrdersPending: 1, shopsClosed: 0 });
    const closedRow = await db.selectFrom('orders').selectAll().where('id', '=', closed.order.id).executeTakeFirstOrThrow();
    expect(closedRow).toMatchObject({ buyer_subject: null, recipient: '[dihapus]', phone: '[dihapus]', line1: '[dihapus]', total_idr: closed.order.totalIdr });
    expect(await db.selectFrom('cart_items').select('variant_id').where('subject', '=', subject).execute()).toHaveLength(0);
    expect(await db.selectFrom('addresses').select('subject').where('subject', '=', subject).execute()).toHaveLength(0);
    await act(seller, open.order.id, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE020202' });
    await act(seller, open.order.id, 'courier/simulate', { stage: 'delivered' });
    await db.updateTable('orders').set({ delivered_at: new Date(Date.now() - 8 * 86_400_000) }).where('id', '=', open.order.id).execute();
    await autoComplete(db, open.order.id);
    const openRow = await db.selectFrom('orders').selectAll().where('id', '=', open.order.id).executeTakeFirstOrThrow();
    expect(openRow).toMatchObject({ status: 'completed', buyer_subject: null, phone: '[dihapus]' });
    const after = await exportOf(commerceDomain, subject);
    expect(after.orders).toHaveLength(0);
    expect(after.payments).toHaveLength(0);
    expect(after.cart).toHaveLength(0);
  });
});

describe(`an erased seller (${STORE_LABEL})`, () => {
  it('closes their shops: products leave sale with a product.removed event, the shop keeps no owner, buyers keep their orders', async () => {
    const leaving = await registerUser(sekat.app, 'tokotutup');
    const theirShop = await openShop(sekat.app, leaving);
    const product = await listProduct(sekat.app, leaving, theirShop.id, [{ stock: 3 }]);
    const buyer = await registerUser(sekat.app, 'pembelisetia');
    const bought = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] })).json();
    await inject({ method: 'POST', url: '/api/commerce/cart/items', headers: buyer.headers, payload: { variantId: product.variants[0]!.id, quantity: 1 } });
    const owner = (await db.selectFrom('shops').select('owner_subject').where('id', '=', theirShop.id).executeTakeFirstOrThrow()).owner_subject as string;

    const erased = await (sekat.domains.commerce as CommerceInstance).port.eraseSubject(owner);
    expect(erased).toEqual({ closedOrdersMinimised: 0, openOrdersPending: 0, shopsClosed: 1 });
    expect((await db.selectFrom('shops').select('owner_subject').where('id', '=', theirShop.id).executeTakeFirstOrThrow()).owner_subject).toBeNull();
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).statusCode).toBe(404);
    const removed = await db.selectFrom('outbox').select(['topic', 'payload']).where('topic', '=', 'product.removed').execute();
    expect(removed.some((e) => (e.payload as { id: string }).id === product.id)).toBe(true);
    expect((await inject({ method: 'GET', url: '/api/commerce/cart', headers: buyer.headers })).json().items).toEqual([]);
    const order = await inject({ method: 'GET', url: `/api/commerce/orders/${bought.order.id}`, headers: buyer.headers });
    expect(order.statusCode).toBe(200);
    // Nobody can act for the shop any more.
    await rejects(() => inject({ method: 'PUT', url: `/api/commerce/shops/${theirShop.id}/affiliate`, headers: leaving.headers, payload: { commissionPercent: 5 } }), 403);
  });
});

describe(`events reach the bus (${STORE_LABEL})`, () => {
  it('relays product.upserted right after the request that wrote it', async () => {
    const seen: { topic: string; payload: { id: string; version: number } }[] = [];
    sekat.bus.subscribe('commerce-test', ['product.upserted', 'product.removed'], async (event) => {
      seen.push(event as never);
    });
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 2 }]);
    for (let i = 0; i < 50 && !seen.some((e) => e.payload.id === product.id); i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.find((e) => e.payload.id === product.id)).toMatchObject({ topic: 'product.upserted', payload: { id: product.id, inStock: true } });
  });
});
