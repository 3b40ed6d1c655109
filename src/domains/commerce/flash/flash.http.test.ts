import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { signToken } from '../../../platform/tokens.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from '../testkit.js';
import { flashEndJob } from './flash.js';
import type { CommerceInstance } from '../index.js';

let config: Config;
let sekat: Sekat;
let seller: TestUser;
let shop: { id: string; slug: string };

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  seller = await registerUser(sekat.app, 'flashseller');
  shop = await openShop(sekat.app, seller);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const db = () => sekat.stores.commerce.db;
const inject = (options: InjectOptions) => sekat.app.inject(options);

const dealBody = (variantId: string, extra: Record<string, unknown> = {}) => ({
  variantId,
  dealPriceIdr: 99_000,
  allocation: 5,
  perBuyerLimit: 2,
  durationMinutes: 5,
  countdownSeconds: 10,
  ...extra,
});

async function createDeal(variantId: string, extra: Record<string, unknown> = {}, owner = seller, shopId = shop.id) {
  return inject({ method: 'POST', url: `/api/commerce/shops/${shopId}/flash-deals`, headers: owner.headers, payload: dealBody(variantId, extra) });
}

/** Moves a deal's window so it is live now (the countdown is at least 10 s; tests do not wait it out). */
async function openNow(dealId: string) {
  await sql`update flash_deals set announce_at = now() - interval '20 seconds', starts_at = now() - interval '1 second' where id = ${dealId}`.execute(db());
}

/** Moves a deal's window into the past, as if its time had run out (its end job is then due). */
async function runOut(dealId: string) {
  await sql`update flash_deals set announce_at = now() - interval '10 minutes', starts_at = now() - interval '9 minutes', ends_at = now() - interval '1 second' where id = ${dealId}`.execute(db());
  await sql`update jobs set run_at = now() - interval '1 second' where dedupe_key = ${`flash-end:${dealId}`}`.execute(db());
}

const variantRow = (id: string) => db().selectFrom('variants').select(['stock', 'reserved', 'sold']).where('id', '=', id).executeTakeFirstOrThrow();

describe(`flash deal set-up (${STORE_LABEL})`, () => {
  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    // Raised to 200 000 today: the 30-day lowest is still 150 000.
    expect((await inject({ method: 'PATCH', url: `/api/commerce/products/${product.id}`, headers: seller.headers, payload: { variants: [{ id: variantId, priceIdr: 200_000 }] } })).statusCode).toBe(200);
    const otherShop = await openShop(sekat.app, seller);
    const stranger = await registerUser(sekat.app, 'stranger');
    const before = await storeSnapshot(db());
    const cases: [Record<string, unknown>, string][] = [
      [{ dealPriceIdr: 150_000 }, 'dealPriceIdr'],
      [{ dealPriceIdr: 180_000 }, 'dealPriceIdr'],
      [{ allocation: 11 }, 'allocation'],
      [{ startsAt: new Date(Date.now() - 60_000).toISOString() }, 'startsAt'],
      [{ startsAt: new Date(Date.now() + 3_000).toISOString(), countdownSeconds: 60 }, 'startsAt'],
      [{ durationMinutes: 0 }, 'durationMinutes'],
      [{ durationMinutes: 21 }, 'durationMinutes'],
      [{ countdownSeconds: 9 }, 'countdownSeconds'],
      [{ countdownSeconds: 301 }, 'countdownSeconds'],
      [{ perBuyerLimit: 0 }, 'perBuyerLimit'],
      [{ perBuyerLimit: 6 }, 'perBuyerLimit'],
      [{ variantId: '01890000-0000-7000-8000-000000000000' }, 'variantId'],
    ];
    for (const [extra, field] of cases) {
      const response = await createDeal(variantId, extra);
      expect(response.statusCode, JSON.stringify(extra)).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Object.keys(response.json().errors ?? {}), JSON.stringify(extra)).toContain(field);
    }
    expect((await createDeal(variantId, { dealPriceIdr: 150_000 })).json().errors.dealPriceIdr[0]).toMatch(/150000/);
    expect((await createDeal(variantId, {}, stranger)).statusCode).toBe(403);
    expect((await createDeal(variantId, {}, seller, otherShop.id)).statusCode).toBe(400);
    expect(await storeSnapshot(db())).toBe(before);
    expect((await db().selectFrom('flash_deals').select('id').where('variant_id', '=', variantId).execute()).length).toBe(0);

    // 149 999 is below the lowest: it is set, and its allocation is held from normal stock.
    const ok = await createDeal(variantId, { dealPriceIdr: 149_999 });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ dealPriceIdr: 149_999, normalPriceIdr: 200_000, allocation: 5, remaining: 5, state: 'upcoming' });
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 5 });
    // A second deal over the same time is refused; the seller cannot cut stock below what is held.
    expect((await createDeal(variantId, { dealPriceIdr: 149_000, allocation: 1, perBuyerLimit: 1 })).statusCode).toBe(409);
    expect((await inject({ method: 'PUT', url: `/api/commerce/variants/${variantId}/stock`, headers: seller.headers, payload: { stock: 4 } })).statusCode).toBe(409);
  });

  it('counts every price of the last 30 days, and the one in effect 30 days ago, but nothing older', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 100_000 }]);
    const variantId = product.variants[0]!.id;
    // The price history as if: 50 000 forty days ago, 80 000 from 35 days ago, 100 000 today.
    await sql`update variant_price_history set at = now() - interval '40 days', price_idr = 50000 where variant_id = ${variantId}`.execute(db());
    await sql`insert into variant_price_history (variant_id, price_idr, at) values (${variantId}, 80000, now() - interval '35 days')`.execute(db());
    await sql`insert into variant_price_history (variant_id, price_idr, at) values (${variantId}, 100000, now() - interval '1 day')`.execute(db());
    expect((await createDeal(variantId, { dealPriceIdr: 80_000 })).json().errors.dealPriceIdr[0]).toMatch(/80000/);
    expect((await createDeal(variantId, { dealPriceIdr: 79_999 })).statusCode).toBe(201);
    const history = await db().selectFrom('variant_price_history').select('price_idr').where('variant_id', '=', variantId).execute();
    expect(history).toHaveLength(3);
  });

  it('records every price change of a variant with its time', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 1, priceIdr: 10_000 }]);
    const variantId = product.variants[0]!.id;
    for (const priceIdr of [12_000, 12_000, 9_000]) {
      await inject({ method: 'PATCH', url: `/api/commerce/products/${product.id}`, headers: seller.headers, payload: { variants: [{ id: variantId, priceIdr }] } });
    }
    await inject({ method: 'PUT', url: `/api/commerce/variants/${variantId}/stock`, headers: seller.headers, payload: { stock: 3 } });
    const history = await db().selectFrom('variant_price_history').select(['price_idr', 'at']).where('variant_id', '=', variantId).orderBy('id').execute();
    expect(history.map((h) => Number(h.price_idr))).toEqual([10_000, 12_000, 9_000]);
    expect(history.every((h) => h.at instanceof Date)).toBe(true);
  });
});

describe(`flash deal checkout (${STORE_LABEL})`, () => {
  it('20 units, 500 concurrent buyers: exactly 20 orders at the deal price, per-buyer limits held, no 5xx', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 20, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const deal = (await createDeal(variantId, { allocation: 20, perBuyerLimit: 2, dealPriceIdr: 49_000 })).json();
    await openNow(deal.id);
    // 25 accounts, each sending 20 checkouts with their own Idempotency-Keys: 500 purchases at once.
    const buyers = await Promise.all(Array.from({ length: 25 }, (_, i) => registerUser(sekat.app, `stampede${i}`)));
    const attempts = buyers.flatMap((buyer, b) => Array.from({ length: 20 }, (_, k) => ({ buyer, key: `flash-${b}-${k}` })));
    const responses = await Promise.all(attempts.map(({ buyer, key }) => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, key)));
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c >= 500)).toEqual([]);
    expect(codes.filter((c) => c === 201)).toHaveLength(20);
    expect(codes.filter((c) => c === 409)).toHaveLength(480);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().type).toMatch(/(flash-limit|flash-sold-out|out-of-stock)$/);
    for (const r of responses.filter((x) => x.statusCode === 201)) expect(r.json().order.lines[0]).toMatchObject({ unitPriceIdr: 49_000, quantity: 1 });

    const lines = await db().selectFrom('order_lines').select(['order_id', 'unit_price_idr', 'flash_deal_id']).where('variant_id', '=', variantId).execute();
    expect(lines).toHaveLength(20);
    expect(lines.every((l) => l.flash_deal_id === deal.id && Number(l.unit_price_idr) === 49_000)).toBe(true);
    const perBuyer = await sql<{ n: number }>`select count(*)::int as n from orders o join order_lines l on l.order_id = o.id where l.variant_id = ${variantId} group by o.buyer_subject`.execute(db());
    expect(Math.max(...perBuyer.rows.map((r) => r.n))).toBeLessThanOrEqual(2);
    const counted = await db().selectFrom('flash_deal_buyers').select(sql<number>`sum(quantity)::int`.as('n')).where('deal_id', '=', deal.id).executeTakeFirstOrThrow();
    expect(counted.n).toBe(20);
    expect(await variantRow(variantId)).toEqual({ stock: 20, reserved: 20, sold: 0 });
    expect((await db().selectFrom('flash_deals').select('remaining').where('id', '=', deal.id).executeTakeFirstOrThrow()).remaining).toBe(0);
  });

  it('over the per-buyer limit gets 409 naming the limit; the deal price only inside its window; attribution kept', async () => {
    await inject({ method: 'PUT', url: `/api/commerce/shops/${shop.id}/affiliate`, headers: seller.headers, payload: { commissionPercent: 10 } });
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const deal = (await createDeal(variantId, { allocation: 6, perBuyerLimit: 2, dealPriceIdr: 90_000 })).json();
    const buyer = await registerUser(sekat.app, 'limited');

    // Before the start: the normal price, from the 4 units not held by the deal.
    const early = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] });
    expect(early.statusCode).toBe(201);
    expect(early.json().order.lines[0].unitPriceIdr).toBe(150_000);

    await openNow(deal.id);
    const publicRead = (await inject({ method: 'GET', url: `/api/commerce/products/${product.id}/flash-deals` })).json();
    expect(publicRead.items).toHaveLength(1);
    expect(publicRead.items[0]).toMatchObject({ id: deal.id, state: 'live', remaining: 6, dealPriceIdr: 90_000, normalPriceIdr: 150_000 });
    expect(Math.abs(Date.parse(publicRead.serverTime) - Date.now())).toBeLessThan(5_000);

    const creator = await registerUser(sekat.app, 'flashcreator');
    const { affiliateId } = (await inject({ method: 'POST', url: '/api/commerce/affiliates', headers: creator.headers })).json();
    const attributionToken = signToken(config.secrets.attributionKey, { v: 1, aff: affiliateId, vid: 'live-1', pid: product.id, exp: Math.floor(Date.now() / 1000) + 3600, n: 'x' });
    const first = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 2, attributionToken }] });
    expect(first.statusCode).toBe(201);
    expect(first.json().order.lines[0]).toMatchObject({ unitPriceIdr: 90_000, quantity: 2 });
    const line = await db().selectFrom('order_lines').select(['affiliate_id', 'video_id', 'commission_percent']).where('order_id', '=', first.json().order.id).executeTakeFirstOrThrow();
    expect(line).toEqual({ affiliate_id: affiliateId, video_id: 'live-1', commission_percent: 10 });

    // What anyone reads of the deal tells counts, never who bought.
    const [taker] = (await db().selectFrom('flash_deal_buyers').select(['subject', 'quantity']).where('deal_id', '=', deal.id).execute()) as { subject: string; quantity: number }[];
    expect(taker!.quantity).toBe(2);
    const afterSale = await inject({ method: 'GET', url: `/api/commerce/products/${product.id}/flash-deals` });
    expect(afterSale.json().items[0]).toMatchObject({ remaining: 4, sold: 2 });
    expect(afterSale.body).not.toContain(taker!.subject);

    const before = await storeSnapshot(db());
    const over = await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] });
    expect(over.statusCode).toBe(409);
    expect(over.json().type).toMatch(/flash-limit$/);
    expect(over.json().detail).toMatch(/2 per buyer/);
    expect(over.json().errors[`items.${variantId}.quantity`][0]).toMatch(/limit is 2/);
    // Three at once in one checkout is over the limit too, for a buyer who has none yet.
    const other = await registerUser(sekat.app, 'greedy');
    const greedy = await checkout(sekat.app, other, { items: [{ variantId, quantity: 3 }] });
    expect(greedy.statusCode).toBe(409);
    expect(greedy.json().errors[`items.${variantId}.quantity`][0]).toMatch(/limit is 2/);
    expect(await storeSnapshot(db())).toBe(before);

    // After the end: normal price again, and what the deal did not sell is normal stock.
    await runOut(deal.id);
    const late = await checkout(sekat.app, other, { items: [{ variantId, quantity: 3 }] });
    expect(late.statusCode).toBe(201);
    expect(late.json().order.lines[0].unitPriceIdr).toBe(150_000);

    // Erasure takes the buyer's per-deal count with the rest of their commerce data.
    await (sekat.domains.commerce as CommerceInstance).port.eraseSubject(taker!.subject);
    expect(await db().selectFrom('flash_deal_buyers').select('subject').where('subject', '=', taker!.subject).execute()).toEqual([]);
  });
});

describe(`flash deal end (${STORE_LABEL})`, () => {
  it('the end job gives back what is left, once; ending early does the same; only the owner ends', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const deal = (await createDeal(variantId, { allocation: 8, perBuyerLimit: 3, dealPriceIdr: 90_000 })).json();
    await openNow(deal.id);
    const buyer = await registerUser(sekat.app, 'endbuyer');
    expect((await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 3 }] })).statusCode).toBe(201);
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 8 });
    const job = { id: 'x', type: 'commerce.flash.end', payload: { dealId: deal.id }, attempts: 1, maxAttempts: 5 };
    // Not due yet: the job refuses to end it early (it is retried later) and nothing moves.
    await expect(flashEndJob(db())(job)).rejects.toThrow(/not due/);
    await runOut(deal.id);
    await flashEndJob(db())(job);
    await flashEndJob(db())(job);
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 3 });
    const ended = await db().selectFrom('flash_deals').select(['remaining', 'returned', 'ended_at']).where('id', '=', deal.id).executeTakeFirstOrThrow();
    expect(ended).toMatchObject({ remaining: 0, returned: 5 });
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}/flash-deals` })).json().items).toEqual([]);

    const second = (await createDeal(variantId, { allocation: 4, perBuyerLimit: 1, dealPriceIdr: 80_000 })).json();
    expect(await variantRow(variantId)).toMatchObject({ reserved: 7 });
    const stranger = await registerUser(sekat.app, 'notowner');
    expect((await inject({ method: 'POST', url: `/api/commerce/flash-deals/${second.id}/end`, headers: stranger.headers })).statusCode).toBe(403);
    const early = await inject({ method: 'POST', url: `/api/commerce/flash-deals/${second.id}/end`, headers: seller.headers });
    expect(early.statusCode).toBe(200);
    expect(early.json()).toMatchObject({ state: 'ended', returned: 4, sold: 0 });
    expect((await inject({ method: 'POST', url: `/api/commerce/flash-deals/${second.id}/end`, headers: seller.headers })).json().returned).toBe(4);
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 3 });
    const list = (await inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/flash-deals`, headers: seller.headers })).json();
    expect(list.items.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining([deal.id, second.id]));
    expect((await inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/flash-deals`, headers: stranger.headers })).statusCode).toBe(403);
    const shopDeals = (await inject({ method: 'GET', url: `/api/commerce/flash-deals?shopId=${shop.id}` })).json();
    expect(shopDeals.serverTime).toEqual(expect.any(String));
    expect(shopDeals.items.map((d: { id: string }) => d.id)).not.toEqual(expect.arrayContaining([deal.id]));
    expect(shopDeals.items.map((d: { id: string }) => d.id)).not.toEqual(expect.arrayContaining([second.id]));
    expect((await inject({ method: 'GET', url: '/api/commerce/flash-deals' })).statusCode).toBe(400);
  });

  it('the end job survives a restart: a new process finds it due and returns the leftover', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 6, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const deal = (await createDeal(variantId, { allocation: 6, perBuyerLimit: 1, dealPriceIdr: 90_000 })).json();
    await runOut(deal.id);
    await sekat.close();
    sekat = await buildSekat(config, { background: true });
    await expect.poll(async () => (await variantRow(variantId)).reserved, { timeout: 15_000 }).toBe(0);
    expect((await db().selectFrom('flash_deals').select('returned').where('id', '=', deal.id).executeTakeFirstOrThrow()).returned).toBe(6);
    // The new process asks for its upload folder in the background (tus's FileStore); an fs call
    // queued after that one lets it finish before the folder is cleaned up.
    await mkdir(path.join(config.dataDir, 'media', 'uploads'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
});
