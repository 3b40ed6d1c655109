import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { checkout, exportOf, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from '../testkit.js';
import { allocationEndJob } from './allocations.js';
import { flashEndJob } from './flash.js';

let config: Config;
let sekat: Sekat;
let seller: TestUser;
let shop: { id: string };
let creator: TestUser;
let creatorId: string;
let otherCreator: TestUser;

const inject = (options: InjectOptions) => sekat.app.inject(options);
const db = () => sekat.stores.commerce.db;

async function enrol(user: TestUser): Promise<string> {
  const response = await inject({ method: 'POST', url: '/api/commerce/affiliates', headers: user.headers });
  return (response.json() as { affiliateId: string }).affiliateId;
}

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  seller = await registerUser(sekat.app, 'allocseller');
  shop = await openShop(sekat.app, seller);
  creator = await registerUser(sekat.app, 'alloccreator');
  creatorId = await enrol(creator);
  otherCreator = await registerUser(sekat.app, 'allocother');
  await enrol(otherCreator);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const give = (variantId: string, extra: Record<string, unknown> = {}, owner = seller, shopId = shop.id) =>
  inject({ method: 'POST', url: `/api/commerce/shops/${shopId}/allocations`, headers: owner.headers, payload: { variantId, affiliateId: creatorId, units: 10, ...extra } });
const startFlash = (allocationId: string, extra: Record<string, unknown> = {}, who = creator) =>
  inject({
    method: 'POST',
    url: `/api/commerce/allocations/${allocationId}/flash-deals`,
    headers: who.headers,
    payload: { dealPriceIdr: 99_000, allocation: 4, perBuyerLimit: 2, durationMinutes: 5, countdownSeconds: 10, ...extra },
  });
const variantRow = (id: string) => db().selectFrom('variants').select(['stock', 'reserved', 'sold']).where('id', '=', id).executeTakeFirstOrThrow() as Promise<{ stock: number; reserved: number; sold: number }>;
const allocationOf = async (id: string, who = seller) =>
  ((await inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/allocations`, headers: who.headers })).json() as { items: { id: string; remaining: number; state: string; returned: number | null; inDeals: number; sold: number }[] }).items.find(
    (a) => a.id === id,
  )!;

async function openNow(dealId: string) {
  await sql`update flash_deals set announce_at = now() - interval '20 seconds', starts_at = now() - interval '1 second' where id = ${dealId}`.execute(db());
}
async function runOut(dealId: string) {
  await sql`update flash_deals set announce_at = now() - interval '10 minutes', starts_at = now() - interval '9 minutes', ends_at = now() - interval '1 second' where id = ${dealId}`.execute(db());
  await flashEndJob(db())({ payload: { dealId } });
}

describe(`creator stock allocations (${STORE_LABEL})`, () => {
  it('refuses bad allocations with the field (400), strangers (403/404), and changes nothing', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const otherSeller = await registerUser(sekat.app, 'allocseller2');
    const otherShop = await openShop(sekat.app, otherSeller);
    const foreign = await listProduct(sekat.app, otherSeller, otherShop.id, [{ stock: 10 }]);
    const before = await storeSnapshot(db());
    const cases: [Record<string, unknown>, string][] = [
      [{ units: 11 }, 'units'],
      [{ units: 0 }, 'units'],
      [{ affiliateId: 'aff_nobody' }, 'affiliateId'],
      [{ variantId: foreign.variants[0]!.id }, 'variantId'],
      [{ floorPriceIdr: 150_000 }, 'floorPriceIdr'],
      [{ endsAt: new Date(Date.now() - 1000).toISOString() }, 'endsAt'],
    ];
    for (const [extra, field] of cases) {
      const response = await give(variantId, extra);
      expect(response.statusCode, JSON.stringify(extra)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(Object.keys(response.json().errors ?? {}).some((k) => k.includes(field)), `${field}: ${response.body}`).toBe(true);
    }
    expect((await give(variantId, {}, otherSeller)).statusCode).toBe(403);
    expect((await give(variantId, {}, creator)).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: `/api/commerce/shops/${shop.id}/allocations`, headers: creator.headers })).statusCode).toBe(403);
    expect(await storeSnapshot(db())).toBe(before);
    expect(Number((await sql<{ n: number }>`select count(*)::int as n from creator_allocations`.execute(db())).rows[0]!.n)).toBe(0);
  });

  it('sets units aside from stock, lists them to both sides, and a revoke gives back what is unused, once', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10 }]);
    const variantId = product.variants[0]!.id;
    const created = await give(variantId, { units: 6, floorPriceIdr: 90_000 });
    expect(created.statusCode).toBe(201);
    const allocation = created.json() as { id: string; remaining: number; affiliateId: string; state: string };
    expect(allocation).toMatchObject({ remaining: 6, affiliateId: creatorId, state: 'open' });
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 6 });
    // Normal checkout cannot sell the allocated units: 4 are left for everyone else.
    const buyer = await registerUser(sekat.app, 'allocbuyer');
    expect((await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 5 }] })).statusCode).toBe(409);

    const mine = (await inject({ method: 'GET', url: '/api/commerce/affiliates/me/allocations', headers: creator.headers })).json() as { items: { id: string }[] };
    expect(mine.items.map((a) => a.id)).toContain(allocation.id);
    const theirs = (await inject({ method: 'GET', url: '/api/commerce/affiliates/me/allocations', headers: otherCreator.headers })).json() as { items: { id: string }[] };
    expect(theirs.items.map((a) => a.id)).not.toContain(allocation.id);
    // The creator's export holds the stock given to them; the other creator's does not.
    const accountOf = async (who: TestUser) => (await inject({ method: 'GET', url: '/api/me', headers: who.headers })).json() as { id: string };
    const subjectOf = async (who: TestUser) => sekat.domains.identity.subjectFor('commerce', (await accountOf(who)).id);
    const exported = await exportOf(sekat.domains.commerce, await subjectOf(creator));
    expect(exported.creatorAllocations.find((a) => a.id === allocation.id)).toMatchObject({ units: 6 });
    const otherExport = await exportOf(sekat.domains.commerce, await subjectOf(otherCreator));
    expect(otherExport.creatorAllocations.map((a) => a.id)).not.toContain(allocation.id);

    // Nobody but the owner revokes: 404, nothing changes.
    for (const who of [creator, otherCreator]) expect((await inject({ method: 'POST', url: `/api/commerce/allocations/${allocation.id}/revoke`, headers: who.headers })).statusCode).toBe(404);
    expect(await variantRow(variantId)).toMatchObject({ reserved: 6 });

    const revoked = await inject({ method: 'POST', url: `/api/commerce/allocations/${allocation.id}/revoke`, headers: seller.headers });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ state: 'ended', remaining: 0, returned: 6 });
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 0 });
    expect((await inject({ method: 'POST', url: `/api/commerce/allocations/${allocation.id}/revoke`, headers: seller.headers })).json()).toMatchObject({ returned: 6 });
    expect(await variantRow(variantId)).toMatchObject({ reserved: 0 });
    // An ended allocation starts no deal.
    expect((await startFlash(allocation.id)).statusCode).toBe(409);
  });

  it('the creator starts a flash deal only within what is left, above the floor and under the 30-day lowest; nobody else can', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 20, priceIdr: 150_000 }, { stock: 20 }]);
    const variant = product.variants[0]!;
    const unallocated = product.variants[1]!;
    const allocation = (await give(variant.id, { units: 8, floorPriceIdr: 80_000 })).json() as { id: string };
    const before = await storeSnapshot(db());
    const deals = async () => Number((await sql<{ n: number }>`select count(*)::int as n from flash_deals`.execute(db())).rows[0]!.n);
    const dealsBefore = await deals();

    expect((await startFlash(allocation.id, {}, otherCreator)).statusCode).toBe(404);
    expect((await startFlash(allocation.id, {}, seller)).statusCode).toBe(404);
    expect((await startFlash('01890000-0000-7000-8000-000000000000')).statusCode).toBe(404);
    // A variant without an allocation: the seller's own route is the shop owner's only.
    const direct = await inject({
      method: 'POST',
      url: `/api/commerce/shops/${shop.id}/flash-deals`,
      headers: creator.headers,
      payload: { variantId: unallocated.id, dealPriceIdr: 99_000, allocation: 1, perBuyerLimit: 1, durationMinutes: 5, countdownSeconds: 10 },
    });
    expect(direct.statusCode).toBe(403);

    const over = await startFlash(allocation.id, { allocation: 9 });
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ remaining: 8 });
    expect(over.json().errors.allocation[0]).toContain('8');
    for (const [extra, field] of [
      [{ dealPriceIdr: 150_000 }, 'dealPriceIdr'],
      [{ dealPriceIdr: 79_999 }, 'dealPriceIdr'],
      [{ durationMinutes: 21 }, 'durationMinutes'],
      [{ perBuyerLimit: 5, allocation: 4 }, 'perBuyerLimit'],
    ] as [Record<string, unknown>, string][]) {
      const response = await startFlash(allocation.id, extra);
      expect(response.statusCode, JSON.stringify(extra)).toBe(400);
      expect(Object.keys(response.json().errors ?? {}).some((k) => k.includes(field)), response.body).toBe(true);
    }
    expect(await storeSnapshot(db())).toBe(before);
    expect(await deals()).toBe(dealsBefore);

    const started = await startFlash(allocation.id, { allocation: 5, dealPriceIdr: 80_000 });
    expect(started.statusCode).toBe(201);
    const deal = started.json() as { id: string; allocationId: string; allocation: number; dealPriceIdr: number };
    expect(deal).toMatchObject({ allocationId: allocation.id, allocation: 5, dealPriceIdr: 80_000 });
    expect(await allocationOf(allocation.id)).toMatchObject({ remaining: 3, inDeals: 5 });
    // Units moved from the allocation to the deal; both were already out of available stock.
    expect(await variantRow(variant.id)).toMatchObject({ stock: 20, reserved: 8 });
    const second = await startFlash(allocation.id, { allocation: 4, startsAt: new Date(Date.now() + 10 * 60_000).toISOString() });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ remaining: 3 });

    // Two sold at the creator's price, the rest comes back to the allocation at the end.
    await openNow(deal.id);
    const buyer = await registerUser(sekat.app, 'allocbuyer2');
    const bought = await checkout(sekat.app, buyer, { items: [{ variantId: variant.id, quantity: 2 }] });
    expect(bought.statusCode).toBe(201);
    expect(bought.json().order.totalIdr).toBeGreaterThanOrEqual(160_000);
    expect(bought.json().order.lines[0].unitPriceIdr ?? bought.json().order.lines[0].priceIdr).toBe(80_000);
    await runOut(deal.id);
    expect(await allocationOf(allocation.id)).toMatchObject({ remaining: 6, inDeals: 0, sold: 2, state: 'open' });
    expect(await variantRow(variant.id)).toMatchObject({ reserved: 8 });

    // The allocation's end (its job) gives the 6 left back to stock; the order's 2 stay reserved.
    await sql`update creator_allocations set ends_at = now() - interval '1 second' where id = ${allocation.id}`.execute(db());
    await allocationEndJob(db())({ payload: { allocationId: allocation.id } });
    expect(await allocationOf(allocation.id)).toMatchObject({ remaining: 0, state: 'ended', returned: 6 });
    expect(await variantRow(variant.id)).toMatchObject({ stock: 20, reserved: 2 });
  });

  it('a revoke while a deal runs takes back the unused part; the deal’s unsold units go to stock when it ends', async () => {
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10 }]);
    const variantId = product.variants[0]!.id;
    const allocation = (await give(variantId, { units: 7 })).json() as { id: string };
    const deal = (await startFlash(allocation.id, { allocation: 3 })).json() as { id: string };
    expect((await inject({ method: 'POST', url: `/api/commerce/allocations/${allocation.id}/revoke`, headers: seller.headers })).json()).toMatchObject({ returned: 4, inDeals: 3 });
    expect(await variantRow(variantId)).toMatchObject({ reserved: 3 });
    // The other creator cannot end it; the creator who started it can.
    expect((await inject({ method: 'POST', url: `/api/commerce/flash-deals/${deal.id}/end`, headers: otherCreator.headers })).statusCode).toBe(403);
    const ended = await inject({ method: 'POST', url: `/api/commerce/flash-deals/${deal.id}/end`, headers: creator.headers });
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toMatchObject({ state: 'ended', returned: 3 });
    expect(await variantRow(variantId)).toMatchObject({ stock: 10, reserved: 0 });
  });

  it('many concurrent buyers on a creator’s flash deal never oversell it, and stock adds up', async () => {
    // All the stock is allocated: once the deal sells out, nothing is left at the normal price either.
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 30, priceIdr: 150_000 }]);
    const variantId = product.variants[0]!.id;
    const allocation = (await give(variantId, { units: 30 })).json() as { id: string };
    const deal = (await startFlash(allocation.id, { allocation: 12, perBuyerLimit: 3 })).json() as { id: string };
    await openNow(deal.id);
    const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => registerUser(sekat.app, `allocrush${i}`)));
    const attempts = buyers.flatMap((buyer) => Array.from({ length: 10 }, () => buyer));
    const responses = await Promise.all(attempts.map((buyer) => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })));
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c >= 500)).toEqual([]);
    expect(codes.filter((c) => c === 201)).toHaveLength(12);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    const lines = (await sql<{ n: number }>`select coalesce(sum(quantity), 0)::int as n from order_lines where flash_deal_id = ${deal.id}`.execute(db())).rows[0]!.n;
    expect(Number(lines)).toBe(12);
    const perBuyer = await sql<{ n: number }>`select sum(l.quantity)::int as n from order_lines l join orders o on o.id = l.order_id where l.flash_deal_id = ${deal.id} group by o.buyer_subject`.execute(db());
    expect(Math.max(...perBuyer.rows.map((r) => Number(r.n)))).toBeLessThanOrEqual(3);
    expect(await allocationOf(allocation.id)).toMatchObject({ remaining: 18, inDeals: 0, sold: 12 });
    // 30 allocated units stay out of normal stock: 18 unused + 12 in open orders.
    expect(await variantRow(variantId)).toMatchObject({ stock: 30, reserved: 30 });
    await runOut(deal.id);
    expect(await variantRow(variantId)).toMatchObject({ reserved: 30 });
    expect((await inject({ method: 'POST', url: `/api/commerce/allocations/${allocation.id}/revoke`, headers: seller.headers })).json()).toMatchObject({ returned: 18 });
    expect(await variantRow(variantId)).toMatchObject({ stock: 30, reserved: 12 });
  });

  it('a revoke and the deal’s end at the same moment count every unit once', async () => {
    for (let round = 0; round < 5; round++) {
      const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 20 }]);
      const variantId = product.variants[0]!.id;
      const allocation = (await give(variantId, { units: 9 })).json() as { id: string };
      const deal = (await startFlash(allocation.id, { allocation: 5 })).json() as { id: string };
      await openNow(deal.id);
      const buyer = await registerUser(sekat.app, `allocrace${round}`);
      expect((await checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] })).statusCode).toBe(201);
      const [revoked, ended] = await Promise.all([
        inject({ method: 'POST', url: `/api/commerce/allocations/${allocation.id}/revoke`, headers: seller.headers }),
        inject({ method: 'POST', url: `/api/commerce/flash-deals/${deal.id}/end`, headers: creator.headers }),
      ]);
      expect([revoked.statusCode, ended.statusCode]).toEqual([200, 200]);
      // 4 unused came back at the revoke, 4 unsold at the deal's end (to stock, whichever came first); 1 is in an open order.
      expect(await variantRow(variantId)).toMatchObject({ stock: 20, reserved: 1 });
      const final = await allocationOf(allocation.id);
      expect(final).toMatchObject({ state: 'ended', remaining: 0, inDeals: 0, sold: 1 });
      expect([4, 8]).toContain(final.returned);
    }
  });
});
