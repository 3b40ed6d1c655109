/**
 * After and around a flash deal's window: the cart prices a deal variant at the deal only inside
 * the window, and a flash order that expires unpaid after the deal ended gives its units to normal
 * stock (not back to the closed deal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../testkit.js';
import { expirePayment } from '../payments/expire.job.js';
import { flashEndJob } from './flash.js';

let config: Config;
let sekat: Sekat;
let seller: TestUser;
let shop: { id: string };

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  seller = await registerUser(sekat.app, 'afterseller');
  shop = await openShop(sekat.app, seller);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const db = () => sekat.stores.commerce.db;
const inject = (options: InjectOptions) => sekat.app.inject(options);
const variantRow = (id: string) => db().selectFrom('variants').select(['stock', 'reserved', 'sold']).where('id', '=', id).executeTakeFirstOrThrow();
const newDeal = (variantId: string, extra: Record<string, unknown> = {}) =>
  inject({ method: 'POST', url: `/api/commerce/shops/${shop.id}/flash-deals`, headers: seller.headers, payload: { variantId, dealPriceIdr: 90_000, allocation: 4, perBuyerLimit: 2, durationMinutes: 5, countdownSeconds: 10, ...extra } });
const openNow = (dealId: string) => sql`update flash_deals set announce_at = now() - interval '20 seconds', starts_at = now() - interval '1 second' where id = ${dealId}`.execute(db());
const runOut = async (dealId: string) => {
  await sql`update flash_deals set announce_at = now() - interval '10 minutes', starts_at = now() - interval '9 minutes', ends_at = now() - interval '1 second' where id = ${dealId}`.execute(db());
};
const endJob = (dealId: string) => flashEndJob(db())({ payload: { dealId } });
const cartLine = async (buyer: TestUser) => (await inject({ method: 'GET', url: '/api/commerce/cart', headers: buyer.headers })).json().items[0] as { unitPriceIdr: number; normalPriceIdr: number; lineTotalIdr: number; flashDealEndsAt: string | null };

describe(`around a flash deal's window (${STORE_LABEL})`, () => {
  it('the cart shows the normal price before and after the window, the deal price inside it', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const buyer = await registerUser(sekat.app, 'cartbuyer');
    expect((await inject({ method: 'POST', url: '/api/commerce/cart/items', headers: buyer.headers, payload: { variantId, quantity: 2 } })).statusCode).toBeLessThan(300);
    const deal = await newDeal(variantId);
    expect(deal.statusCode, deal.body).toBe(201);
    const dealId = deal.json().id as string;

    // Announced, not open: the normal price.
    expect(await cartLine(buyer)).toMatchObject({ unitPriceIdr: 150_000, normalPriceIdr: 150_000, lineTotalIdr: 300_000, flashDealEndsAt: null });
    // Inside the window: the deal price, as checkout would charge.
    await openNow(dealId);
    const inside = await cartLine(buyer);
    expect(inside).toMatchObject({ unitPriceIdr: 90_000, normalPriceIdr: 150_000, lineTotalIdr: 180_000 });
    expect(inside.flashDealEndsAt).toEqual(expect.any(String));
    const charged = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 2 }] });
    expect(charged.statusCode, charged.body).toBe(201);
    expect(charged.json().order.lines[0].unitPriceIdr).toBe(90_000);
    // After the window (the end job not yet run): the normal price again.
    const later = await registerUser(sekat.app, 'latebuyer');
    expect((await inject({ method: 'POST', url: '/api/commerce/cart/items', headers: later.headers, payload: { variantId, quantity: 1 } })).statusCode).toBeLessThan(300);
    expect((await cartLine(later)).unitPriceIdr).toBe(90_000);
    await runOut(dealId);
    expect(await cartLine(later)).toMatchObject({ unitPriceIdr: 150_000, lineTotalIdr: 150_000, flashDealEndsAt: null });
  });

  it('a flash order expiring unpaid after the deal ended returns its units to normal stock, once', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const deal = (await newDeal(variantId, { allocation: 6 })).json() as { id: string };
    await openNow(deal.id);
    const buyer = await registerUser(sekat.app, 'expirybuyer');
    const order = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 2 }] });
    expect(order.statusCode, order.body).toBe(201);
    expect(order.json().order.lines[0].unitPriceIdr).toBe(90_000);
    // 4 left in the deal + 2 held by the unpaid order.
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 6 });

    // The deal ends: what it did not sell goes back.
    await runOut(deal.id);
    await endJob(deal.id);
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 2 });
    // Then the order's payment expires: its 2 units are normal stock now, not the closed deal's.
    const paymentId = order.json().payment.id as string;
    await sql`update payments set expires_at = now() - interval '1 second' where id = ${paymentId}`.execute(db());
    expect(await expirePayment(db(), paymentId)).toBe(true);
    expect(await expirePayment(db(), paymentId)).toBe(false);
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 0, sold: 0 });
    const closed = await db().selectFrom('flash_deals').select(['remaining', 'returned', 'ended_at']).where('id', '=', deal.id).executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ remaining: 0, returned: 4 });
    expect(closed.ended_at).not.toBeNull();
    // Anyone buys them at the normal price.
    const next = await registerUser(sekat.app, 'normalbuyer');
    const normal = await checkout(sekat.app, next, { items: [{ variantId, quantity: 10 }] });
    expect(normal.statusCode, normal.body).toBe(201);
    expect(normal.json().order.lines[0].unitPriceIdr).toBe(150_000);
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 10 });
  });
});
