/**
 * Buyer–seller chat over HTTP: a conversation between a buyer's commerce pseudonym and a shop
 * (the seller sees "Pembeli #XXXX", never the buyer's account or handle); text, product and order
 * cards and photos; live delivery over Server-Sent Events from Sekat's own pages only; unread
 * counts and read markers; blocks, the flood limit, the response rate; reports that operators
 * decide and the seller never learns the source of; the export and the erasure; and the line:
 * social's database holds nothing of chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import type { CommerceInstance } from './index.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser, exportOf } from './testkit.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';
import { readServerEvents } from '../../../test/support/sse.js';

const run = promisify(execFile);
let config: Config;
let sekat: Sekat;
let db: Database;
let base: string;
let seller: TestUser;
let buyer: TestUser;
let stranger: TestUser;
let operator: TestUser;
let shop: { id: string; slug: string };
let otherShop: { id: string };
let productId: string;
let otherProductId: string;
let orderId: string;
let strangerOrderId: string;
let conversationId: string;
let png: Buffer;
const NOWHERE = '01890000-0000-7000-8000-000000000000';
const BUYER_HANDLE_PREFIX = 'chatbeli';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const inject = (method: Method, url: string, who: TestUser | null, payload?: object | Buffer | string, type?: string) =>
  sekat.app.inject({ method, url, headers: { ...(who?.headers ?? {}), ...(type ? { 'content-type': type } : {}) }, ...(payload !== undefined ? { payload } : {}) });
const send = (who: TestUser | null, body: object, id = conversationId) => inject('POST', `/api/commerce/chat/conversations/${id}/messages`, who, body);
const accountOf = async (who: TestUser) => (await inject('GET', '/api/me', who)).json() as { id: string; handle: string };
const commerceSubject = async (who: TestUser) => sekat.domains.identity.subjectFor('commerce', (await accountOf(who)).id);
const count = async (table: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db)).rows[0]!.n;
const chatPhotos = () => {
  const folder = path.join(config.dataDir, 'media', 'commerce', 'chat');
  return existsSync(folder) ? readdirSync(folder) : [];
};

interface Stream {
  events: { event: string; data: Record<string, unknown> }[];
  next(event: string, match?: (data: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  close(): void;
}

/** Opens the live stream as a browser on Sekat's own page would (or with the headers given). */
async function openStream(who: TestUser, headers: Record<string, string> = {}): Promise<Stream> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/commerce/chat/events`, { headers: { ...who.headers, accept: 'text/event-stream', ...headers }, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const waiting: { event: string; match: (data: Record<string, unknown>) => boolean; resolve: (data: Record<string, unknown>) => void; from: number }[] = [];
  const settle = () => {
    for (const w of [...waiting]) {
      const found = events.slice(w.from).find((e) => e.event === w.event && w.match(e.data));
      if (found) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(found.data);
      }
    }
  };
  const events: Stream['events'] = readServerEvents(response, settle);
  return {
    events,
    next: (event, match = () => true) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} event; got ${JSON.stringify(events)}`)), 5000);
        waiting.push({ event, match, resolve: (d) => (clearTimeout(timer), resolve(d)), from: 0 });
        settle();
      }),
    close: () => controller.abort(),
  };
}

async function placeOrder(who: TestUser, variantId: string): Promise<string> {
  const placed = await checkout(sekat.app, who, { items: [{ variantId, quantity: 1 }] });
  expect(placed.statusCode, placed.body).toBe(201);
  return placed.json().order.id;
}

beforeAll(async () => {
  config = testConfig({ OPERATOR_EMAILS: 'chat@ops.sekat.id' });
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  seller = await registerUser(sekat.app, 'chatjual');
  buyer = await registerUser(sekat.app, BUYER_HANDLE_PREFIX);
  stranger = await registerUser(sekat.app, 'chatlain');
  const op = await sekat.app.inject({ method: 'POST', url: '/api/auth/register', remoteAddress: '10.88.0.1', payload: { email: 'chat@ops.sekat.id', password: 'kopi-susu-gula-aren-42', handle: 'opchat', displayName: 'Op' } });
  // Operators act only in a session signed in with their second factor.
  const opToken = await signInWithTotp(sekat.app, op.json().token, 'chat@ops.sekat.id', 'kopi-susu-gula-aren-42', '10.88.0.2');
  operator = { token: opToken, headers: { authorization: `Bearer ${opToken}` } };
  shop = await openShop(sekat.app, seller, { name: 'Toko Obrolan' });
  otherShop = await openShop(sekat.app, stranger, { name: 'Toko Lain' });
  const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 5 }]);
  productId = product.id;
  otherProductId = (await listProduct(sekat.app, stranger, otherShop.id)).id;
  orderId = await placeOrder(buyer, product.variants[0]!.id);
  strangerOrderId = await placeOrder(stranger, product.variants[0]!.id);
  const file = path.join(config.dataDir, 'chat.png');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', file]);
  png = readFileSync(file);
}, 180_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`buyer–seller chat (${STORE_LABEL})`, () => {
  it('opens one conversation per buyer and shop, and refuses your own shop, a missing shop, a bad id and no sign-in, writing nothing', async () => {
    const before = await storeSnapshot(db);
    const chats = await count('chat_conversations');
    const own = await inject('POST', '/api/commerce/chat/conversations', seller, { shopId: shop.id });
    expect(own.statusCode).toBe(422);
    expect(own.headers['content-type']).toContain('application/problem+json');
    expect(own.json().errors).toEqual({ shopId: ['is your own shop'] });
    expect((await inject('POST', '/api/commerce/chat/conversations', buyer, { shopId: NOWHERE })).statusCode).toBe(404);
    expect((await inject('POST', '/api/commerce/chat/conversations', buyer, { shopId: 'toko' })).statusCode).toBe(400);
    expect((await inject('POST', '/api/commerce/chat/conversations', null, { shopId: shop.id })).statusCode).toBe(401);
    expect(await count('chat_conversations')).toBe(chats);
    expect(await storeSnapshot(db)).toBe(before);

    const opened = await inject('POST', '/api/commerce/chat/conversations', buyer, { shopId: shop.id });
    expect(opened.statusCode, opened.body).toBe(201);
    conversationId = opened.json().id;
    expect(opened.json()).toMatchObject({ you: 'buyer', shop: { id: shop.id, name: 'Toko Obrolan' }, unread: 0, blocked: false, lastMessage: null });
    expect(opened.json().buyer.label).toMatch(/^Pembeli #[A-Z2-9]{4}$/);
    const again = await inject('POST', '/api/commerce/chat/conversations', buyer, { shopId: shop.id });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(conversationId);
    // An empty conversation is in nobody's inbox yet.
    expect((await inject('GET', `/api/commerce/shops/${shop.id}/chat/conversations`, seller)).json().items).toEqual([]);
  });

  it('delivers text, product and order cards live to the other side; the seller sees only "Pembeli #…"', async () => {
    const sellerStream = await openStream(seller);
    const buyerStream = await openStream(buyer);
    expect((await sellerStream.next('hello')).unread).toMatchObject({ total: 0 });

    const hello = await send(buyer, { text: '  Halo kak, ukuran M masih ada?  ' });
    expect(hello.statusCode, hello.body).toBe(201);
    expect(hello.json()).toMatchObject({ from: 'buyer', mine: true, kind: 'text', text: 'Halo kak, ukuran M masih ada?', removed: false });
    const live = await sellerStream.next('message');
    expect(live).toMatchObject({ conversationId, message: { id: hello.json().id, from: 'buyer', mine: false, text: 'Halo kak, ukuran M masih ada?' } });

    const card = await send(buyer, { productId });
    expect(card.statusCode, card.body).toBe(201);
    expect(card.json().product).toMatchObject({ id: productId, title: 'Kemeja Batik Parang', priceMinIdr: 150_000 });
    const orderCard = await send(buyer, { orderId });
    expect(orderCard.statusCode, orderCard.body).toBe(201);
    expect(orderCard.json().order).toMatchObject({ id: orderId, status: 'awaiting_payment', items: 1, firstItem: 'Kemeja Batik Parang' });
    // The buyer's own view carries no recipient; the shop's, whose order it is, does.
    expect(orderCard.json().order.recipient).toBeUndefined();
    const sellerOrderCard = await sellerStream.next('message', (d) => (d.message as { kind: string }).kind === 'order');
    expect((sellerOrderCard.message as { order: { recipient: string } }).order.recipient).toBe('Siti Rahma');

    const reply = await send(seller, { text: 'Masih kak, silakan dipesan 🙏' });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({ from: 'shop', mine: true });
    expect(await buyerStream.next('message', (d) => (d.message as { from: string }).from === 'shop')).toMatchObject({ conversationId, message: { text: 'Masih kak, silakan dipesan 🙏', mine: false } });

    const inbox = await inject('GET', `/api/commerce/shops/${shop.id}/chat/conversations`, seller);
    expect(inbox.statusCode).toBe(200);
    expect(inbox.json().items).toHaveLength(1);
    expect(inbox.json().items[0]).toMatchObject({ id: conversationId, you: 'shop', lastMessage: { from: 'shop' } });
    const thread = await inject('GET', `/api/commerce/chat/conversations/${conversationId}/messages`, seller);
    expect(thread.json().items.map((m: { kind: string }) => m.kind)).toEqual(['text', 'order', 'product', 'text']);
    // Nothing the seller reads names the buyer: no account id, no handle, no commerce subject.
    const { id: accountId, handle } = await accountOf(buyer);
    const subject = await commerceSubject(buyer);
    for (const body of [inbox.body, thread.body, JSON.stringify(sellerStream.events)]) {
      expect(body).not.toContain(accountId);
      expect(body).not.toContain(handle);
      expect(body).not.toContain(subject);
      expect(body).not.toContain(BUYER_HANDLE_PREFIX);
    }
    // The event for a future notifier names ids only.
    const outbox = await sql<{ payload: Record<string, unknown> }>`select payload from outbox where topic = 'chat.message' order by id`.execute(db);
    expect(outbox.rows).toHaveLength(4);
    expect(Object.keys(outbox.rows[0]!.payload).sort()).toEqual(['conversationId', 'from', 'kind', 'messageId', 'shopId']);
    expect(JSON.stringify(outbox.rows)).not.toContain('Halo');
    sellerStream.close();
    buyerStream.close();
  });

  it('counts unread per conversation and in all, and moves read markers forward only, telling the other side', async () => {
    const buyerStream = await openStream(buyer);
    const unread = (await inject('GET', '/api/commerce/chat/unread', seller)).json();
    expect(unread).toEqual({ total: 0, asBuyer: 0, shops: [], conversations: [] });
    // The buyer has not read the shop's reply yet (writing reads only what came before).
    expect((await inject('GET', '/api/commerce/chat/unread', buyer)).json()).toEqual({ total: 1, asBuyer: 1, shops: [], conversations: [{ id: conversationId, unread: 1 }] });
    expect((await inject('GET', '/api/commerce/chat/conversations', buyer)).json().items[0]).toMatchObject({ id: conversationId, unread: 1, lastMessage: { from: 'shop' } });

    const first = (await send(buyer, { text: 'Bisa kirim hari ini?' })).json();
    const second = (await send(buyer, { text: 'Pakai JNE ya' })).json();
    expect((await inject('GET', '/api/commerce/chat/unread', seller)).json()).toEqual({ total: 2, asBuyer: 0, shops: [{ shopId: shop.id, unread: 2 }], conversations: [{ id: conversationId, unread: 2 }] });
    expect((await inject('GET', `/api/commerce/chat/conversations/${conversationId}`, seller)).json().unread).toBe(2);

    const partly = await inject('POST', `/api/commerce/chat/conversations/${conversationId}/read`, seller, { upTo: first.id });
    expect(partly.json()).toEqual({ readUpTo: first.id });
    expect((await inject('GET', '/api/commerce/chat/unread', seller)).json().total).toBe(1);
    expect(await buyerStream.next('read')).toMatchObject({ conversationId, by: 'shop', upTo: first.id });
    const all = await inject('POST', `/api/commerce/chat/conversations/${conversationId}/read`, seller, {});
    expect(all.json()).toEqual({ readUpTo: second.id });
    // A marker never moves back.
    expect((await inject('POST', `/api/commerce/chat/conversations/${conversationId}/read`, seller, { upTo: first.id })).json()).toEqual({ readUpTo: second.id });
    expect((await inject('GET', '/api/commerce/chat/unread', seller)).json().total).toBe(0);
    expect((await inject('GET', `/api/commerce/chat/conversations/${conversationId}`, buyer)).json().otherReadUpTo).toBe(second.id);
    expect((await inject('POST', `/api/commerce/chat/conversations/${conversationId}/read`, seller, { upTo: NOWHERE })).statusCode).toBe(422);
    buyerStream.close();
  });

  it('refuses a message over 1,000 characters, an empty one, two kinds at once, another shop’s product and someone else’s order, writing nothing', async () => {
    const before = await storeSnapshot(db);
    const messages = await count('chat_messages');
    const long = await send(buyer, { text: 'a'.repeat(1001) });
    expect(long.statusCode).toBe(400);
    expect(long.headers['content-type']).toContain('application/problem+json');
    expect(long.json().errors).toEqual({ text: ['must be at most 1000 characters'] });
    // 1,000 emoji are 1,000 characters (2,000 UTF-16 units), and allowed.
    expect((await send(buyer, { text: '😀'.repeat(1001) })).statusCode).toBe(400);
    expect((await send(buyer, { text: '   ' })).statusCode).toBe(400);
    expect((await send(buyer, { text: 'hai', productId })).statusCode).toBe(400);
    expect((await send(buyer, {})).statusCode).toBe(400);
    expect((await send(buyer, { text: 'a\u202Eb' })).statusCode).toBe(400);
    expect((await send(buyer, { productId: otherProductId })).statusCode).toBe(422);
    const foreignOrder = await send(buyer, { orderId: strangerOrderId });
    expect(foreignOrder.statusCode).toBe(422);
    expect(foreignOrder.json().errors).toEqual({ orderId: ['is not an order of this buyer with this shop'] });
    expect((await send(stranger, { text: 'Saya bukan di sini' })).statusCode).toBe(404);
    expect((await send(null, { text: 'hai' })).statusCode).toBe(401);
    expect((await send(buyer, { text: 'hai' }, NOWHERE)).statusCode).toBe(404);
    expect((await inject('GET', `/api/commerce/chat/conversations/${conversationId}/messages`, stranger)).statusCode).toBe(404);
    expect((await inject('GET', `/api/commerce/chat/conversations/${conversationId}/messages?cursor=bm9wZQ`, buyer)).statusCode).toBe(400);
    expect(await count('chat_messages')).toBe(messages);
    expect(await storeSnapshot(db)).toBe(before);
    expect((await send(buyer, { text: '😀'.repeat(1000) })).statusCode).toBe(201);
  });

  it('takes photos as re-encoded JPEGs seen by the two sides only, and refuses what is not a picture with 415', async () => {
    const files = chatPhotos().length;
    const messages = await count('chat_messages');
    for (const [body, type] of [['bukan foto', 'image/png'], ['halo', 'text/plain'], [Buffer.from('GIF89a....'), 'image/gif']] as const) {
      const refused = await inject('POST', `/api/commerce/chat/conversations/${conversationId}/photos`, buyer, body, type);
      expect(refused.statusCode, `${type}: ${refused.body}`).toBe(415);
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
    expect(chatPhotos()).toHaveLength(files);
    expect(await count('chat_messages')).toBe(messages);

    const sent = await inject('POST', `/api/commerce/chat/conversations/${conversationId}/photos`, buyer, png, 'image/png');
    expect(sent.statusCode, sent.body).toBe(201);
    expect(sent.json()).toMatchObject({ kind: 'photo', from: 'buyer' });
    const url = sent.json().photoUrl as string;
    const seen = await inject('GET', url, seller);
    expect(seen.statusCode).toBe(200);
    expect(seen.headers['content-type']).toBe('image/jpeg');
    expect(seen.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect((await inject('GET', url, stranger)).statusCode).toBe(404);
    expect((await inject('GET', url, null)).statusCode).toBe(401);
  });

  it('opens the stream only from Sekat’s own pages: another origin gets 403 even with the session', async () => {
    for (const headers of [{ origin: 'https://jahat.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }] as Record<string, string>[]) {
      const response = await fetch(`${base}/api/commerce/chat/events`, { headers: { ...buyer.headers, ...headers } });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      await response.body?.cancel();
    }
    const anonymous = await fetch(`${base}/api/commerce/chat/events`);
    expect(anonymous.status).toBe(401);
    // Only an EventSource's request opens the stream; a plain call gets a problem, not a hung connection.
    const plain = await sekat.app.inject({ url: '/api/commerce/chat/events', headers: buyer.headers });
    expect(plain.statusCode).toBe(406);
    expect(plain.headers['content-type']).toContain('application/problem+json');
    const own = await openStream(buyer, { origin: base, 'sec-fetch-site': 'same-origin' });
    expect((await own.next('hello')).unread).toBeDefined();
    own.close();
  });

  it('lets the shop block a buyer: their messages get 403 naming the rule and nothing is written, until unblocked', async () => {
    expect((await inject('PUT', `/api/commerce/chat/conversations/${conversationId}/block`, buyer)).statusCode).toBe(403);
    expect((await inject('PUT', `/api/commerce/chat/conversations/${conversationId}/block`, stranger)).statusCode).toBe(404);
    const blocked = await inject('PUT', `/api/commerce/chat/conversations/${conversationId}/block`, seller);
    expect(blocked.statusCode, blocked.body).toBe(200);
    expect(blocked.json().blocked).toBe(true);
    const messages = await count('chat_messages');
    const refused = await send(buyer, { text: 'Kok diblokir?' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ type: 'https://sekat.id/problems/chat-blocked', status: 403 });
    expect(refused.json().detail).toMatch(/chat-blocked/);
    expect((await inject('POST', `/api/commerce/chat/conversations/${conversationId}/photos`, buyer, png, 'image/png')).statusCode).toBe(403);
    expect(await count('chat_messages')).toBe(messages);
    // The buyer still reads the history; the shop may still write.
    expect((await inject('GET', `/api/commerce/chat/conversations/${conversationId}/messages`, buyer)).statusCode).toBe(200);
    expect((await send(seller, { text: 'Mohon sopan ya kak' })).statusCode).toBe(201);
    const unblocked = await inject('DELETE', `/api/commerce/chat/conversations/${conversationId}/block`, seller);
    expect(unblocked.json().blocked).toBe(false);
    expect((await send(buyer, { text: 'Maaf kak' })).statusCode).toBe(201);
  });

  it('stops a flood: the 11th message in 10 seconds from one sender gets 429 with Retry-After', async () => {
    const flooder = await registerUser(sekat.app, 'chatbanjir');
    const opened = (await inject('POST', '/api/commerce/chat/conversations', flooder, { shopId: shop.id })).json();
    for (let i = 0; i < 10; i++) expect((await send(flooder, { text: `pesan ${i}` }, opened.id)).statusCode).toBe(201);
    const messages = await count('chat_messages');
    const flood = await send(flooder, { text: 'pesan 10' }, opened.id);
    expect(flood.statusCode).toBe(429);
    expect(flood.json().type).toBe('https://sekat.id/problems/chat-flood');
    expect(Number(flood.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await count('chat_messages')).toBe(messages);
    // The limit is per sender: the shop answers this buyer freely.
    expect((await send(seller, { text: 'Sabar kak' }, opened.id)).statusCode).toBe(201);
  });

  it('says the shop’s response rate: buyer-opened conversations of 30 days answered within 12 hours', async () => {
    // Answered so far: the first buyer (replied at once) and the flooder (replied at once).
    expect((await inject('GET', `/api/commerce/shops/${shop.id}/chat/response-rate`, null)).json()).toMatchObject({ conversations: 2, answeredWithin12h: 2, responseRatePercent: 100 });
    const late = await registerUser(sekat.app, 'chatlambat');
    const ignored = await registerUser(sekat.app, 'chatdiabai');
    const fresh = await registerUser(sekat.app, 'chatbaru');
    for (const [who, hoursAgo, replyAfter] of [[late, 30, 13], [ignored, 20, null], [fresh, 1, null]] as const) {
      const c = (await inject('POST', '/api/commerce/chat/conversations', who, { shopId: shop.id })).json();
      const asked = (await send(who, { text: 'Halo?' }, c.id)).json();
      await sql`update chat_messages set created_at = now() - make_interval(hours => ${hoursAgo}) where id = ${asked.id}`.execute(db);
      if (replyAfter !== null) {
        const answer = (await send(seller, { text: 'Maaf telat' }, c.id)).json();
        await sql`update chat_messages set created_at = now() - make_interval(hours => ${hoursAgo - replyAfter}) where id = ${answer.id}`.execute(db);
      }
    }
    // Late (13 h) and ignored (20 h) count against it; the fresh one is still inside its 12 hours.
    expect((await inject('GET', `/api/commerce/shops/${shop.id}/chat/response-rate`, null)).json()).toEqual({ conversations: 4, answeredWithin12h: 2, responseRatePercent: 50, windowDays: 30, withinHours: 12 });
    expect((await inject('GET', `/api/commerce/shops/${otherShop.id}/chat/response-rate`, null)).json().responseRatePercent).toBeNull();
    expect((await inject('GET', `/api/commerce/shops/${NOWHERE}/chat/response-rate`, null)).statusCode).toBe(404);
  });

  it('takes a report on a message from the other side only, hides it from the sender, and lets an operator remove the message', async () => {
    const rude = (await send(seller, { text: 'Dasar pembeli bawel, transfer saja ke rekening pribadi' })).json();
    const report = (who: TestUser) => inject('POST', '/api/commerce/reports', who, { itemKind: 'chat_message', itemId: rude.id, reason: 'scam', text: 'Minta transfer di luar' });
    expect((await report(stranger)).statusCode).toBe(404);
    expect((await report(seller)).statusCode).toBe(422);
    const filed = await report(buyer);
    expect(filed.statusCode, filed.body).toBe(201);
    expect(filed.json()).toMatchObject({ item: { kind: 'chat_message', id: rude.id }, status: 'open' });
    // The seller is not told of the report: in a chat of two it would name the reporter.
    expect((await inject('GET', '/api/commerce/reports/about-me', seller)).json().items.filter((r: { item: { kind: string } }) => r.item.kind === 'chat_message')).toEqual([]);
    const queue = (await inject('GET', '/api/commerce/moderation/queue', operator)).json().items as { item: { kind: string; id: string; label: string }; actions: string[] }[];
    const queued = queue.find((q) => q.item.id === rude.id);
    expect(queued).toMatchObject({ item: { kind: 'chat_message', label: expect.stringContaining('transfer saja') }, actions: ['remove', 'warn'] });

    const buyerStream = await openStream(buyer);
    const decided = await inject('POST', '/api/commerce/moderation/decisions', operator, { itemKind: 'chat_message', itemId: rude.id, action: 'remove', reason: 'scam', rule: 'Pedoman Chat 4: transaksi di luar platform', explanation: 'Pesan meminta transfer ke rekening pribadi.' });
    expect(decided.statusCode, decided.body).toBe(201);
    expect(await buyerStream.next('removed')).toEqual({ type: 'removed', conversationId, messageId: rude.id });
    buyerStream.close();
    const thread = (await inject('GET', `/api/commerce/chat/conversations/${conversationId}/messages`, buyer)).json().items as { id: string; text: string; removed: boolean }[];
    expect(thread.find((m) => m.id === rude.id)).toMatchObject({ removed: true, text: '' });
    expect((await inject('GET', '/api/commerce/reports/mine', buyer)).json().items).toEqual([expect.objectContaining({ item: expect.objectContaining({ id: rude.id }), status: 'actioned' })]);
    // The seller reads the statement of reasons; nothing in it names who reported.
    const statements = await inject('GET', '/api/commerce/moderation/decisions/mine', seller);
    expect(statements.json().items).toEqual([expect.objectContaining({ action: 'remove', item: expect.objectContaining({ kind: 'chat_message' }) })]);
    expect(statements.body).not.toContain(await commerceSubject(buyer));
    expect(statements.body).not.toContain('Minta transfer di luar');
    // A removed message cannot be reported again by the parties.
    expect((await report(buyer)).statusCode).toBe(404);
  });
});

describe(`chat in privacy requests (${STORE_LABEL})`, () => {
  it('exports the buyer’s conversations and erases their messages and photos; the shop keeps its side under the label', async () => {
    const subject = await commerceSubject(buyer);
    const commerce = sekat.domains.commerce as CommerceInstance;
    const exported = await exportOf(commerce, subject);
    expect(exported.chat.conversations).toEqual([expect.objectContaining({ id: conversationId, shop_id: shop.id })]);
    const texts = exported.chat.messages.map((m) => (m as { text: string }).text);
    expect(texts).toContain('Halo kak, ukuran M masih ada?');
    expect(texts).toContain('Masih kak, silakan dipesan 🙏');
    const sellerExport = await exportOf(commerce, await commerceSubject(seller));
    expect(sellerExport.chat.shopMessages.map((m) => (m as { text: string }).text)).toContain('Masih kak, silakan dipesan 🙏');
    expect(JSON.stringify(sellerExport.chat)).not.toContain('Halo kak');
    const photosBefore = chatPhotos().length;
    expect(photosBefore).toBeGreaterThan(0);

    await commerce.port.eraseSubject(subject);
    expect(await db.selectFrom('chat_conversations').select('id').where('buyer_subject', '=', subject).execute()).toEqual([]);
    expect((await sql<{ n: number }>`select count(*)::int as n from chat_messages where conversation_id = ${conversationId} and sender = 'buyer'`.execute(db)).rows[0]!.n).toBe(0);
    expect(chatPhotos().length).toBe(photosBefore - 1);
    const thread = (await inject('GET', `/api/commerce/chat/conversations/${conversationId}/messages`, seller)).json().items as { from: string; text: string }[];
    expect(thread.length).toBeGreaterThan(0);
    expect(thread.every((m) => m.from === 'shop')).toBe(true);
    expect((await send(seller, { text: 'Halo?' })).statusCode).toBe(409);
    expect((await inject('GET', `/api/commerce/chat/conversations/${conversationId}`, buyer)).statusCode).toBe(404);
    expect((await exportOf(commerce, subject)).chat.messages).toEqual([]);
  });

  it('keeps chat on the commerce side: social’s database holds no chat table and no word of a message', async () => {
    const social = sekat.stores.social.db;
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(social);
    expect(tables.rows.filter((t) => t.table_name.includes('chat_'))).toEqual([]);
    expect(tables.rows.length).toBeGreaterThan(0);
    const words = ['Masih kak, silakan dipesan', 'Pembeli #', 'Mohon sopan ya kak', 'Sabar kak'];
    for (const { table_name } of tables.rows) {
      const dump = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(social);
      for (const { row } of dump.rows) for (const word of words) expect(row, table_name).not.toContain(word);
    }
    // The same words are in commerce's, so the search could have found them.
    expect((await sql<{ n: number }>`select count(*)::int as n from chat_messages where text like 'Mohon sopan%'`.execute(db)).rows[0]!.n).toBe(1);
  });
});
