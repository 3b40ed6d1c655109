/**
 * Variants after a product is listed: the owner adds one (a new SKU in the shop) and removes one,
 * except while orders still need it — units reserved by an unpaid order, or sold in an order not
 * yet finished — and never the last one. Every refusal is a problem that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from './testkit.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let buyer: TestUser;
let other: TestUser;
let shopId: string;

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  [seller, buyer, other] = await Promise.all([registerUser(sekat.app, 'varjual'), registerUser(sekat.app, 'varbeli'), registerUser(sekat.app, 'varlain')]);
  shopId = (await openShop(sekat.app, seller)).id;
}, 300_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const addVariant = (who: TestUser | null, productId: string, payload: Record<string, unknown>) =>
  sekat.app.inject({ method: 'POST', url: `/api/commerce/products/${productId}/variants`, headers: who?.headers ?? {}, payload });
const removeVariant = (who: TestUser | null, variantId: string) => sekat.app.inject({ method: 'DELETE', url: `/api/commerce/variants/${variantId}`, headers: who?.headers ?? {} });
const productOf = async (id: string) => (await sekat.app.inject({ url: `/api/commerce/products/${id}` })).json() as { variants: { id: string; sku: string; name: string }[]; priceMinIdr: number };

async function rejects(run: () => Promise<LightMyRequestResponse>, status: number) {
  const before = await storeSnapshot(db);
  const response = await run();
  expect(response.statusCode, response.body).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  expect(await storeSnapshot(db)).toBe(before);
  return response.json() as { detail: string; errors?: Record<string, string[]> };
}

describe(`variants after listing (${STORE_LABEL})`, () => {
  it('adds a variant with a new SKU, refusing bad input, a taken SKU and strangers', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 3 }]);
    const sku = `BTK-XL-${Date.now().toString(36)}`;
    const good = { sku, name: 'Ukuran XL', priceIdr: 90_000, stock: 4, weightGrams: 450 };
    await rejects(() => addVariant(null, product.id, good), 401);
    await rejects(() => addVariant(other, product.id, good), 403);
    await rejects(() => addVariant(seller, '01890000-0000-7000-8000-000000000000', good), 404);
    await rejects(() => addVariant(seller, product.id, { ...good, priceIdr: 0 }), 400);
    await rejects(() => addVariant(seller, product.id, { ...good, sku: '   ' }), 400);
    const added = await addVariant(seller, product.id, good);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().variants.map((v: { sku: string }) => v.sku)).toContain(sku);
    // The product's price range follows its new variant.
    expect((await productOf(product.id)).priceMinIdr).toBe(90_000);
    const taken = await rejects(() => addVariant(seller, product.id, good), 409);
    expect(taken.errors?.sku).toBeDefined();
  });

  it('removes a variant no order needs; refuses while an order reserves it or is open, and the last one', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 5 }, { stock: 5 }, { stock: 5 }]);
    const [kept, ordered, free] = product.variants.map((v) => v.id) as [string, string, string];
    await rejects(() => removeVariant(other, free), 403);
    await rejects(() => removeVariant(null, free), 401);
    await rejects(() => removeVariant(seller, '01890000-0000-7000-8000-000000000000'), 404);

    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId: ordered, quantity: 1 }] })).json();
    const reserved = await rejects(() => removeVariant(seller, ordered), 409);
    expect(reserved.detail).toMatch(/reserved by orders awaiting payment/);
    await sekat.app.inject({ method: 'POST', url: `/api/commerce/payments/${placed.payment.id}/simulate`, headers: buyer.headers, payload: { outcome: 'paid' } });
    const open = await rejects(() => removeVariant(seller, ordered), 409);
    expect(open.detail).toMatch(/open orders include this variant/);

    const removed = await removeVariant(seller, free);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().variants.map((v: { id: string }) => v.id)).toEqual(expect.not.arrayContaining([free]));
    await rejects(() => removeVariant(seller, free), 404);
    // Nobody can put a removed variant in a cart any more.
    const cart = await sekat.app.inject({ method: 'POST', url: '/api/commerce/cart/items', headers: buyer.headers, payload: { variantId: free, quantity: 1 } });
    expect(cart.statusCode).toBeGreaterThanOrEqual(400);
    expect(cart.statusCode).toBeLessThan(500);

    // Once the order is finished the variant can go; the last one stays.
    for (const [who, action, body] of [[seller, 'ship', { courier: 'jne_reg', trackingNumber: 'JNE900' }], [seller, 'courier/simulate', { stage: 'delivered' }], [buyer, 'complete', {}]] as const) {
      const step = await sekat.app.inject({ method: 'POST', url: `/api/commerce/orders/${placed.order.id}/${action}`, headers: who.headers, payload: body });
      expect(step.statusCode, step.body).toBe(200);
    }
    expect((await removeVariant(seller, ordered)).statusCode).toBe(200);
    const last = await rejects(() => removeVariant(seller, kept), 409);
    expect(last.detail).toMatch(/at least one variant/);
    expect((await productOf(product.id)).variants.map((v) => v.id)).toEqual([kept]);
  });
});
