/**
 * Commerce notifications over HTTP: written with the order move, chat message or payout that
 * causes them (buyer and seller each hear what the other did), pushed live over SSE, counted
 * exactly, marked read by id or all, muted per kind; bad input gets its problem and changes
 * nothing; the export carries them and erasure takes them; and the line: commerce's inbox holds
 * nothing social, social's nothing of commerce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { checkout, courierMoves, listProduct, openShop, registerUser, type TestUser, exportOf } from './testkit.js';
import { readServerEvents } from '../../../test/support/sse.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let base: string;
let seller: TestUser;
let buyer: TestUser;
let stranger: TestUser;
let shop: { id: string; slug: string };
let variantId: string;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const inject = (method: Method, url: string, who: TestUser | null, payload?: object) =>
  sekat.app.inject({ method, url, headers: who?.headers ?? {}, ...(payload !== undefined ? { payload } : {}) });
interface Item {
  id: string;
  kind: string;
  unread: boolean;
  count: number;
  target: { type: string; id: string };
  data: Record<string, unknown>;
}
const inbox = async (who: TestUser, query = '') => {
  const response = await inject('GET', `/api/commerce/notifications${query}`, who);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { items: Item[]; nextCursor: string | null };
};
const unread = async (who: TestUser) => (await inject('GET', '/api/commerce/notifications/unread-count', who)).json().unread as number;
const rows = async () => (await sql<{ n: number }>`select count(*)::int as n from commerce_notifications`.execute(db)).rows[0]!.n;
const everything = async () => JSON.stringify((await sql`select * from commerce_notifications order by id`.execute(db)).rows);

async function placeAndPay(who: TestUser): Promise<string> {
  const placed = await checkout(sekat.app, who, { items: [{ variantId, quantity: 1 }] });
  expect(placed.statusCode, placed.body).toBe(201);
  const { order, payment } = placed.json();
  const paid = await inject('POST', `/api/commerce/payments/${payment.id}/simulate`, who, { outcome: 'paid' });
  expect(paid.statusCode, paid.body).toBe(200);
  return order.id as string;
}
const ship = (orderId: string) => inject('POST', `/api/commerce/orders/${orderId}/ship`, seller, { courier: 'jne_reg' });

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): { status: number } }, status: number) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  expect(response.json().status).toBe(status);
}

/** Reads an SSE stream the way an EventSource on Sekat's own page would. */
async function openStream(who: TestUser, url: string) {
  const controller = new AbortController();
  const response = await fetch(`${base}${url}`, { headers: { ...who.headers, accept: 'text/event-stream' }, signal: controller.signal });
  expect(response.status).toBe(200);
  const events = readServerEvents(response);
  return { events, close: () => controller.abort() };
}

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  [seller, buyer, stranger] = await Promise.all([registerUser(sekat.app, 'notijual'), registerUser(sekat.app, 'notibeli'), registerUser(sekat.app, 'notilain')]);
  shop = await openShop(sekat.app, seller, { name: 'Toko Kabar' });
  variantId = (await listProduct(sekat.app, seller, shop.id, [{ stock: 20 }])).variants[0]!.id;
}, 120_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`commerce notifications (${STORE_LABEL})`, () => {
  it('tells the buyer and the seller of each order move, in the same transaction, with exact unread counts', async () => {
    expect(await unread(buyer)).toBe(0);
    const orderId = await placeAndPay(buyer);
    expect((await inbox(buyer)).items.map((i) => [i.kind, i.target])).toEqual([['order_paid', { type: 'order', id: orderId }]]);
    expect((await inbox(seller)).items.map((i) => [i.kind, i.target])).toEqual([['order_new', { type: 'seller_order', id: orderId }]]);
    expect((await inbox(buyer)).items[0]!.data).toMatchObject({ status: 'paid', shopName: 'Toko Kabar' });

    expect((await ship(orderId)).statusCode).toBe(200);
    await courierMoves(sekat.app, seller, orderId, 'out_for_delivery');
    await courierMoves(sekat.app, seller, orderId, 'delivered');
    expect((await inbox(buyer)).items.map((i) => i.kind)).toEqual(['order_delivered', 'order_out_for_delivery', 'order_shipped', 'order_paid']);
    expect(await unread(buyer)).toBe(4);
    // The seller shipped: they are not told what they did.
    expect((await inbox(seller)).items.map((i) => i.kind)).toEqual(['order_new']);
    expect(await unread(seller)).toBe(1);

    // A return: asked by the buyer, the seller hears it; accepted by the seller, the buyer hears that;
    // the parcel back at the shop refunds the order, and both hear of the refund.
    const asked = await inject('POST', `/api/commerce/orders/${orderId}/returns`, buyer, { reasonCode: 'changed_mind', text: 'Ukurannya tidak cocok', photoIds: [] });
    expect(asked.statusCode, asked.body).toBe(201);
    expect((await inbox(seller)).items[0]!.kind).toBe('order_return');
    expect((await inject('POST', `/api/commerce/orders/${orderId}/return/accept`, seller, {})).statusCode).toBe(200);
    expect((await inbox(buyer)).items[0]).toMatchObject({ kind: 'order_return', data: { returnState: 'accepted' } });
    expect(await unread(buyer)).toBe(5);
    expect((await inject('POST', `/api/commerce/orders/${orderId}/return/ship`, buyer, {})).statusCode).toBe(200);
    expect((await inject('POST', `/api/commerce/orders/${orderId}/return/courier/simulate`, buyer, { stage: 'delivered' })).statusCode).toBe(200);
    expect((await inbox(buyer)).items.map((i) => i.kind)).toContain('order_refunded');
    expect((await inbox(seller)).items.map((i) => i.kind)).toContain('order_refunded');
  });

  it('a seller cancelling a paid order tells the buyer of the refund; a move the machine refuses writes nothing', async () => {
    const orderId = await placeAndPay(buyer);
    const before = await rows();
    expect((await inject('POST', `/api/commerce/orders/${orderId}/complete`, buyer, {})).statusCode).toBe(409);
    expect(await rows()).toBe(before);
    expect((await inject('POST', `/api/commerce/orders/${orderId}/cancel`, seller, { reason: 'Stok habis' })).statusCode).toBeLessThan(300);
    expect((await inbox(buyer)).items[0]).toMatchObject({ kind: 'order_refunded', target: { type: 'order', id: orderId } });
  });

  it('coalesces a conversation’s chat messages into one item for the other side', async () => {
    const opened = await inject('POST', '/api/commerce/chat/conversations', buyer, { shopId: shop.id });
    const conversationId = opened.json().id as string;
    const before = await unread(seller);
    for (const text of ['Halo', 'Masih ada?', 'Kirim hari ini?']) expect((await inject('POST', `/api/commerce/chat/conversations/${conversationId}/messages`, buyer, { text })).statusCode).toBe(201);
    const chat = (await inbox(seller)).items[0]!;
    expect(chat).toMatchObject({ kind: 'chat_message', count: 3, unread: true, target: { type: 'seller_chat', id: conversationId } });
    expect(String(chat.data.buyer)).toMatch(/^Pembeli #/);
    expect(await unread(seller)).toBe(before + 1);
    // Marking the item read marks the group; a later message starts a new unread item.
    expect((await inject('POST', '/api/commerce/notifications/read', seller, { ids: [chat.id] })).json()).toEqual({ marked: 3, unread: before });
    await inject('POST', `/api/commerce/chat/conversations/${conversationId}/messages`, buyer, { text: 'Ditunggu' });
    const [fresh, old] = (await inbox(seller)).items;
    expect(fresh).toMatchObject({ kind: 'chat_message', count: 1, unread: true });
    expect(old).toMatchObject({ kind: 'chat_message', count: 3, unread: false });
    expect((await inject('POST', `/api/commerce/chat/conversations/${conversationId}/messages`, seller, { text: 'Ada kak' })).statusCode).toBe(201);
    expect((await inbox(buyer)).items[0]).toMatchObject({ kind: 'chat_message', target: { type: 'chat', id: conversationId }, data: { shopName: 'Toko Kabar' } });
  });

  it('pushes a notification over SSE as the seller ships, and opens only from Sekat’s own pages', async () => {
    const orderId = await placeAndPay(buyer);
    const stream = await openStream(buyer, '/api/commerce/notifications/stream');
    try {
      await expect.poll(() => stream.events.find((e) => e.event === 'hello')?.data.unread).toBe(await unread(buyer));
      const started = Date.now();
      expect((await ship(orderId)).statusCode).toBe(200);
      await expect.poll(() => stream.events.find((e) => e.event === 'notification' && e.data.kind === 'order_shipped'), { timeout: 3000, interval: 20 }).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(2000);
      await expect.poll(() => stream.events.filter((e) => e.event === 'unread').at(-1)?.data.unread).toBe(await unread(buyer));
      // Nobody else's stream hears it.
    } finally {
      stream.close();
    }
    const cross = await sekat.app.inject({ method: 'GET', url: '/api/commerce/notifications/stream', headers: { ...buyer.headers, accept: 'text/event-stream', origin: 'https://evil.example' } });
    expectProblem(cross, 403);
    const site = await sekat.app.inject({ method: 'GET', url: '/api/commerce/notifications/stream', headers: { ...buyer.headers, accept: 'text/event-stream', 'sec-fetch-site': 'cross-site' } });
    expectProblem(site, 403);
    expectProblem(await sekat.app.inject({ method: 'GET', url: '/api/commerce/notifications/stream', headers: buyer.headers }), 406);
    expectProblem(await sekat.app.inject({ method: 'GET', url: '/api/commerce/notifications/stream', headers: { accept: 'text/event-stream' } }), 401);
  });

  it('pages with a cursor; a bad cursor, foreign or malformed ids and a bad body get a problem and change nothing', async () => {
    const first = await inbox(buyer, '?limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await inbox(buyer, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items[0]!.id < first.items[1]!.id || Number(second.items[0]!.id) < Number(first.items[1]!.id)).toBe(true);
    expect(new Set([...first.items, ...second.items].map((i) => i.id)).size).toBe(4);

    const snapshot = await everything();
    expectProblem(await inject('GET', '/api/commerce/notifications?cursor=bm90LWEtY3Vyc29y', buyer), 400);
    expectProblem(await inject('GET', `/api/commerce/notifications?cursor=${Buffer.from(JSON.stringify({ id: "1'; drop table notifications" })).toString('base64url')}`, buyer), 400);
    const sellerItem = (await inbox(seller)).items.find((i) => i.unread)!;
    const buyerItem = (await inbox(buyer)).items.find((i) => i.unread)!;
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { ids: [sellerItem.id] }), 404);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { ids: [buyerItem.id, sellerItem.id] }), 404);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { ids: ['999999999999'] }), 404);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { ids: ['abc'] }), 400);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { ids: [] }), 400);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, {}), 400);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { ids: [buyerItem.id], all: true }), 400);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', buyer, { all: false }), 400);
    expectProblem(await inject('POST', '/api/commerce/notifications/read', null, { all: true }), 401);
    expectProblem(await inject('PUT', '/api/commerce/notifications/preferences', buyer, { items: [{ kind: 'like', muted: true }] }), 400);
    expect(await everything()).toBe(snapshot);

    const all = await inject('POST', '/api/commerce/notifications/read', buyer, { all: true });
    expect(all.json().unread).toBe(0);
    expect(await unread(buyer)).toBe(0);
    expect((await inbox(buyer)).items.every((i) => !i.unread)).toBe(true);
    expect(await unread(seller)).toBeGreaterThan(0);
  });

  it('a muted kind is not stored; unmuting brings the next one', async () => {
    const prefs = (await inject('GET', '/api/commerce/notifications/preferences', buyer)).json();
    expect(prefs.items).toContainEqual({ kind: 'order_shipped', muted: false });
    const muted = await inject('PUT', '/api/commerce/notifications/preferences', buyer, { items: [{ kind: 'order_shipped', muted: true }] });
    expect(muted.json().items).toContainEqual({ kind: 'order_shipped', muted: true });
    const orderId = await placeAndPay(buyer);
    expect((await ship(orderId)).statusCode).toBe(200);
    expect((await inbox(buyer)).items.filter((i) => i.target.id === orderId).map((i) => i.kind)).toEqual(['order_paid']);
    await inject('PUT', '/api/commerce/notifications/preferences', buyer, { items: [{ kind: 'order_shipped', muted: false }] });
    const next = await placeAndPay(buyer);
    await ship(next);
    expect((await inbox(buyer)).items.filter((i) => i.target.id === next).map((i) => i.kind)).toEqual(['order_shipped', 'order_paid']);
  });

  it('holds no social subject or handle; social holds none of these notifications', async () => {
    const me = (await inject('GET', '/api/me', buyer)).json() as { id: string; handle: string };
    const socialSubject = await sekat.domains.identity.subjectFor('social', me.id);
    const commerceSubject = await sekat.domains.identity.subjectFor('commerce', me.id);
    const stored = await everything();
    expect(stored).toContain(commerceSubject);
    expect(stored).not.toContain(socialSubject);
    expect(stored).not.toContain(me.handle);
    expect(stored).not.toContain(me.id);
    const social = sekat.stores.social.db;
    // Neither store holds the other's inbox table.
    const tables = async (store: Database) => (await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = 'public'
      and table_name in ('commerce_notifications', 'commerce_notification_preferences', 'social_notifications', 'social_notification_preferences')`.execute(store)).rows.map((r) => r.t).sort();
    expect(await tables(db)).toEqual(['commerce_notification_preferences', 'commerce_notifications']);
    expect(await tables(social)).toEqual(['social_notification_preferences', 'social_notifications']);
    const socialRows = JSON.stringify((await sql`select * from social_notifications`.execute(social)).rows);
    expect(socialRows).not.toContain(commerceSubject);
    expect(socialRows).not.toContain('order_');
    expect(socialRows).not.toContain(shop.id);
  });

  it('exports the inbox and the muted kinds, and erasure takes them', async () => {
    const me = (await inject('GET', '/api/me', stranger)).json() as { id: string };
    const subject = await sekat.domains.identity.subjectFor('commerce', me.id);
    await inject('PUT', '/api/commerce/notifications/preferences', stranger, { items: [{ kind: 'chat_message', muted: true }] });
    const commerce = sekat.domains.commerce;
    const orderId = await placeAndPay(stranger);
    const exported = await exportOf(commerce, subject);
    expect(exported.notifications.map((n) => (n as { kind: string }).kind)).toEqual(['order_paid']);
    expect(exported.notificationPreferences).toMatchObject([{ kind: 'chat_message', muted: true }]);
    await commerce.port.eraseSubject(subject);
    expect((await sql<{ n: number }>`select count(*)::int as n from commerce_notifications where recipient = ${subject}`.execute(db)).rows[0]!.n).toBe(0);
    expect((await sql<{ n: number }>`select count(*)::int as n from commerce_notification_preferences where subject = ${subject}`.execute(db)).rows[0]!.n).toBe(0);
    // The seller keeps their own notice of the order.
    expect((await inbox(seller)).items.some((i) => i.target.id === orderId)).toBe(true);
  });
});
