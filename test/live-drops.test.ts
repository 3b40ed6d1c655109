/**
 * Live shopping across the line: the host drops a shop voucher and starts a flash-sale countdown
 * in the room (commerce answers the public facts through the bridge; social keeps only those),
 * viewers tap the live's products (an attribution token naming the live, never the viewer), and
 * after the live the creator sees its figures, with order figures withheld below five buyers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../src/platform/testing.js';
import type { Config } from '../src/platform/config.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../src/domains/commerce/testkit.js';

let config: Config;
let sekat: Sekat;
let base: string;
let seller: TestUser;
let creator: TestUser;
let stranger: TestUser;
let shop: { id: string };
let strangerShop: { id: string };
let product: { id: string; variants: { id: string }[] };
let hidden: { id: string; variants: { id: string }[] };

const api = (method: string, url: string, who?: TestUser, payload?: unknown) =>
  sekat.app.inject({ method: method as 'GET', url, headers: who?.headers ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) });

function room(liveId: string, who?: TestUser) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/social/lives/${liveId}/room`, { headers: who?.headers ?? {} });
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  const next = async (type: string, after = 0) => {
    const until = Date.now() + 10_000;
    for (;;) {
      const found = messages.slice(after).find((m) => m.type === type);
      if (found) return found;
      if (Date.now() > until) throw new Error(`no ${type}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { ws, messages, next };
}

const waitCard = async (productId: string) => {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const row = await sekat.stores.social.db.selectFrom('product_cards').select('product_id').where('product_id', '=', productId).executeTakeFirst();
    if (row) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no product card');
};

const voucher = (shopId: string, who: TestUser, code: string) =>
  api('POST', `/api/commerce/shops/${shopId}/vouchers`, who, { code, kind: 'fixed', value: 10_000, minSpendIdr: 50_000, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), quota: 100 });

beforeAll(async () => {
  config = testConfig({ RTMP_PORT: 'off' });
  sekat = await buildSekat(config);
  base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  seller = await registerUser(sekat.app, 'liveseller');
  creator = await registerUser(sekat.app, 'livecreator');
  stranger = await registerUser(sekat.app, 'livestranger');
  shop = await openShop(sekat.app, seller);
  strangerShop = await openShop(sekat.app, stranger);
  product = await listProduct(sekat.app, seller, shop.id, [{ stock: 50, priceIdr: 150_000 }]);
  hidden = await listProduct(sekat.app, seller, shop.id, [{ stock: 5, priceIdr: 150_000 }], { title: 'Tidak di live' });
  expect((await api('PUT', `/api/commerce/shops/${shop.id}/affiliate`, seller, { commissionPercent: 10 })).statusCode).toBe(200);
  await waitCard(product.id);
  await waitCard(hidden.id);
}, 120_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`voucher drops and flash-sale countdowns in a live (${STORE_LABEL})`, () => {
  let liveId: string;

  it('drops a voucher of the host’s shop and a flash deal’s countdown to every viewer, stamped with server time', async () => {
    const created = await api('POST', '/api/social/lives', seller, { title: 'Live Promo', productIds: [product.id] });
    expect(created.statusCode, created.body).toBe(201);
    liveId = created.json().live.id;
    expect((await voucher(shop.id, seller, 'LIVEHEMAT')).statusCode).toBe(201);
    expect((await voucher(strangerShop.id, stranger, 'ORANGLAIN')).statusCode).toBe(201);
    const deal = await api('POST', `/api/commerce/shops/${shop.id}/flash-deals`, seller, { variantId: product.variants[0]!.id, dealPriceIdr: 99_000, allocation: 5, perBuyerLimit: 2, durationMinutes: 5, countdownSeconds: 30 });
    expect(deal.statusCode, deal.body).toBe(201);
    const dealId = deal.json().id as string;
    const otherDeal = await api('POST', `/api/commerce/shops/${shop.id}/flash-deals`, seller, { variantId: hidden.variants[0]!.id, dealPriceIdr: 99_000, allocation: 2, perBuyerLimit: 1, durationMinutes: 5, countdownSeconds: 30 });
    expect(otherDeal.statusCode, otherDeal.body).toBe(201);

    const viewers = [room(liveId), room(liveId, stranger)];
    for (const v of viewers) await v.next('hello');

    // Bad drops: a 4xx naming the field, nothing kept, nothing sent.
    const dropsKept = async () => (await sekat.stores.social.db.selectFrom('live_drops').select('id').execute()).length;
    const bad: [TestUser, unknown, number, string?][] = [
      [seller, { voucherCode: 'ORANGLAIN' }, 400, 'voucherCode'],
      [seller, { voucherCode: 'TIDAKADA' }, 400, 'voucherCode'],
      [seller, { flashDealId: otherDeal.json().id }, 400, 'flashDealId'],
      [seller, { flashDealId: '00000000-0000-7000-8000-000000000000' }, 400, 'flashDealId'],
      [seller, {}, 400, 'voucherCode'],
      [seller, { voucherCode: 'LIVEHEMAT', flashDealId: dealId }, 400, 'voucherCode'],
      [stranger, { voucherCode: 'ORANGLAIN' }, 404],
    ];
    for (const [who, body, status, field] of bad) {
      const res = await api('POST', `/api/social/lives/${liveId}/drops`, who, body);
      expect(res.statusCode, `${JSON.stringify(body)} → ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      if (field) expect(Object.keys(res.json().errors ?? {})).toContain(field);
    }
    expect((await api('POST', `/api/social/lives/${liveId}/drops`, undefined, { voucherCode: 'LIVEHEMAT' })).statusCode).toBe(401);
    expect(await dropsKept()).toBe(0);

    const before = Date.now();
    const dropped = await api('POST', `/api/social/lives/${liveId}/drops`, seller, { voucherCode: 'livehemat' });
    expect(dropped.statusCode, dropped.body).toBe(201);
    expect(dropped.json()).toMatchObject({ kind: 'voucher', offer: { code: 'LIVEHEMAT', value: 10_000, minSpendIdr: 50_000, shopId: shop.id } });
    const flash = await api('POST', `/api/social/lives/${liveId}/drops`, seller, { flashDealId: dealId });
    expect(flash.statusCode, flash.body).toBe(201);
    expect(flash.json()).toMatchObject({ kind: 'flash', offer: { productId: product.id, dealPriceIdr: 99_000, normalPriceIdr: 150_000, allocation: 5, perBuyerLimit: 2 } });
    // The countdown runs to the deal's start: the same instant for every viewer.
    expect(Date.parse(flash.json().startsAt)).toBeGreaterThan(before + 20_000);
    for (const v of viewers) {
      const voucherMessage = (await v.next('drop')) as { drop: { kind: string }; at: string };
      expect(voucherMessage.drop.kind).toBe('voucher');
      expect(Date.parse(voucherMessage.at)).toBeGreaterThanOrEqual(before - 1000);
      const flashMessage = v.messages.filter((m) => m.type === 'drop')[1] ?? (await new Promise((r) => setTimeout(r, 500)), v.messages.filter((m) => m.type === 'drop')[1]);
      expect((flashMessage as { drop: { startsAt: string } }).drop.startsAt).toBe(flash.json().startsAt);
    }
    // The same offer twice is refused; a late viewer hears both in hello; the REST read has the server time.
    expect((await api('POST', `/api/social/lives/${liveId}/drops`, seller, { voucherCode: 'LIVEHEMAT' })).statusCode).toBe(409);
    const late = room(liveId);
    const hello = (await late.next('hello')) as { drops: { kind: string }[] };
    expect(hello.drops.map((d) => d.kind)).toEqual(['voucher', 'flash']);
    const read = (await api('GET', `/api/social/lives/${liveId}/drops`)).json();
    expect(read.items).toHaveLength(2);
    expect(Math.abs(Date.parse(read.serverTime) - Date.now())).toBeLessThan(5_000);

    // Social kept the public facts only: no buyer, no commerce subject, nothing but the offer.
    const kept = await sekat.stores.social.db.selectFrom('live_drops').selectAll().execute();
    expect(Object.keys(kept[0]!).sort()).toEqual(['created_at', 'ends_at', 'id', 'kind', 'live_id', 'offer_id', 'offer_json', 'starts_at']);
    const voucherFacts = JSON.parse(kept.find((k) => k.kind === 'voucher')!.offer_json) as Record<string, unknown>;
    expect(Object.keys(voucherFacts).sort()).toEqual(['code', 'endsAt', 'id', 'kind', 'maxDiscountIdr', 'minSpendIdr', 'shopId', 'startsAt', 'value', 'voucherKind']);

    // The host takes the voucher back; viewers hear it.
    const withdrawn = await api('DELETE', `/api/social/lives/${liveId}/drops/${dropped.json().id}`, seller);
    expect(withdrawn.statusCode).toBe(204);
    await viewers[0]!.next('undrop');
    expect((await api('DELETE', `/api/social/lives/${liveId}/drops/${dropped.json().id}`, seller)).statusCode).toBe(404);
    for (const v of [...viewers, late]) v.ws.close();
  });

  it('refuses a drop into an ended live', async () => {
    expect((await api('POST', `/api/social/lives/${liveId}/end`, seller)).statusCode).toBe(200);
    expect((await api('POST', `/api/social/lives/${liveId}/drops`, seller, { voucherCode: 'LIVEHEMAT' })).statusCode).toBe(409);
  });
});

describe(`a live's figures for its creator (${STORE_LABEL})`, () => {
  it('counts taps, attributes orders to the live, and withholds order figures below five buyers', async () => {
    expect((await api('POST', '/api/commerce/affiliates', creator)).statusCode).toBeLessThan(300);
    expect((await api('POST', '/api/creator/affiliate-link', creator)).statusCode).toBe(200);
    const created = await api('POST', '/api/social/lives', creator, { title: 'Live Afiliasi', productIds: [product.id] });
    expect(created.statusCode, created.body).toBe(201);
    const liveId = created.json().live.id as string;

    // A tap gives a token naming the live and the product, never the viewer; a product not shown is 404.
    expect((await api('POST', `/api/social/lives/${liveId}/products/${hidden.id}/open`)).statusCode).toBe(404);
    const buyers = await Promise.all(Array.from({ length: 5 }, (_, i) => registerUser(sekat.app, `livebuyer${i}`)));
    const buy = async (buyer: TestUser) => {
      const open = await api('POST', `/api/social/lives/${liveId}/products/${product.id}/open`, buyer);
      expect(open.statusCode, open.body).toBe(200);
      const token = open.json().attributionToken as string;
      const claims = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
      expect(Object.keys(claims).sort()).toEqual(['aff', 'exp', 'n', 'pid', 'v', 'vid']);
      expect(claims).toMatchObject({ vid: liveId, pid: product.id });
      const order = await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1, attributionToken: token }] });
      expect(order.statusCode, order.body).toBe(201);
      const paid = await api('POST', `/api/commerce/payments/${order.json().payment.id}/simulate`, buyer, { outcome: 'paid' });
      expect(paid.statusCode).toBeLessThan(300);
    };

    // Someone else's live has no figures for them.
    expect((await api('GET', `/api/creator/lives/${liveId}/analytics`, seller)).statusCode).toBe(404);
    expect((await api('GET', `/api/social/lives/${liveId}/stats`, seller)).statusCode).toBe(404);
    expect((await api('GET', `/api/creator/lives/${liveId}/analytics`)).statusCode).toBe(401);

    // Viewers in the room are counted; taps too.
    const watchers = [room(liveId), room(liveId), room(liveId)];
    for (const w of watchers) await w.next('hello');
    watchers[0]!.ws.send(JSON.stringify({ type: 'like', count: 3 }));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    for (const b of buyers.slice(0, 4)) await buy(b);
    const four = (await api('GET', `/api/creator/lives/${liveId}/analytics`, creator)).json();
    expect(four).toMatchObject({ liveId, linked: true, productTaps: 4, peakViewers: 3, totalViewers: 3, likes: 3, comments: 0, attributedOrders: '< 5', revenueIdr: null, commissionIdr: null, minimumBuyersShown: 5 });

    await buy(buyers[4]!);
    // The host's own tap is not counted.
    expect((await api('POST', `/api/social/lives/${liveId}/products/${product.id}/open`, creator)).statusCode).toBe(200);
    const five = (await api('GET', `/api/creator/lives/${liveId}/analytics`, creator)).json();
    expect(five).toMatchObject({ productTaps: 5, attributedOrders: 5, revenueIdr: 5 * 150_000 });
    expect(five.commissionIdr).toBeGreaterThan(0);
    const social = (await api('GET', `/api/social/lives/${liveId}/stats`, creator)).json();
    expect(social).toMatchObject({ productTaps: 5, peakViewers: 3 });
    // Nothing in the figures names a buyer.
    expect(Object.keys(five).sort()).toEqual(['attributedOrders', 'comments', 'commissionIdr', 'endedAt', 'likes', 'linked', 'liveId', 'minimumBuyersShown', 'peakViewers', 'productTaps', 'revenueIdr', 'startedAt', 'status', 'title', 'totalViewers'].sort());
    for (const w of watchers) w.ws.close();
  }, 120_000);
});
