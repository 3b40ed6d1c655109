/**
 * Returns with evidence over HTTP (#18 item 4): the buyer asks within 6 days of delivery with a
 * reason and photos; the seller accepts, refuses or offers part of the money; the sandbox courier
 * carries the parcel back and its webhook refunds the order; refused returns go to operators.
 * Every timer runs on a fake clock at the deadline it recorded; every bad input gets its problem
 * and changes nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import type { Job } from '../../platform/jobs.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from './testkit.js';
import type { CommerceInstance } from './index.js';
import { RETURN_DEADLINE_JOB, RETURN_TIMERS, type ReturnDeadline } from './returns/returns.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';

const run = promisify(execFile);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let config: Config;
let sekat: Sekat;
let db: Database;
let commerce: CommerceInstance;
let seller: TestUser;
let buyer: TestUser;
let stranger: TestUser;
let operator: TestUser;
let shop: { id: string };
let png: Buffer;
let jpeg: Buffer;

const inject = (method: 'GET' | 'POST', url: string, who: TestUser | null, payload?: object | Buffer | string, type?: string) =>
  sekat.app.inject({ method, url, headers: { ...(who?.headers ?? {}), ...(type ? { 'content-type': type } : {}) }, ...(payload !== undefined ? { payload } : {}) });
const step = (who: TestUser | null, orderId: string, path: string, payload: object = {}) => inject('POST', `/api/commerce/orders/${orderId}/${path}`, who, payload);
const ask = (who: TestUser | null, orderId: string, payload: object) => inject('POST', `/api/commerce/orders/${orderId}/returns`, who, payload);
const upload = (who: TestUser | null, body: Buffer | string, type = 'image/png') => inject('POST', '/api/commerce/returns/photos', who, body, type);
const viewOf = async (who: TestUser, orderId: string) => (await inject('GET', `/api/commerce/orders/${orderId}/return`, who)).json();
const orderOf = async (who: TestUser, orderId: string) => (await inject('GET', `/api/commerce/orders/${orderId}`, who)).json();
const photosDir = () => path.join(config.dataDir, 'media', 'commerce', 'returns');
const photoFiles = () => (existsSync(photosDir()) ? readdirSync(photosDir()).sort() : []);

function ok(response: LightMyRequestResponse, status = 200) {
  expect(response.statusCode, response.body).toBe(status);
  return response.json();
}

/** Everything a refused request must leave alone: the commerce store and the returns' own tables. */
async function snapshot(): Promise<string> {
  const returns = await sql`select
      (select count(*)::int from returns) as returns, (select count(*)::int from return_events) as events,
      (select count(*)::int from return_evidence) as evidence, (select count(*)::int from jobs) as jobs,
      (select count(*)::int from refunds) as refunds,
      (select string_agg(state || coalesce(offer_idr::text, ''), ',' order by id) from returns) as states,
      (select string_agg(coalesce(return_id::text, '-'), ',' order by id) from return_evidence) as claimed`.execute(db);
  return (await storeSnapshot(db)) + JSON.stringify(returns.rows[0]) + photoFiles().join(',');
}

async function rejects(send: () => Promise<LightMyRequestResponse>, status: number, slug?: string) {
  const before = await snapshot();
  const response = await send();
  expect(response.statusCode, response.body).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  if (slug) expect(response.json().type).toBe(`https://sekat.id/problems/${slug}`);
  expect(await snapshot()).toBe(before);
  return response.json();
}

/** A paid order of one unit, carried to the buyer by the sandbox courier (unless told to stop short). */
async function deliveredOrder(who: TestUser = buyer, { deliver = true, priceIdr = 200_000 } = {}) {
  const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 4, priceIdr }]);
  const placed = ok(await checkout(sekat.app, who, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] }), 201);
  ok(await inject('POST', `/api/commerce/payments/${placed.payment.id}/simulate`, who, { outcome: 'paid' }));
  if (deliver) {
    ok(await step(seller, placed.order.id, 'ship', { courier: 'jne_reg' }));
    ok(await step(seller, placed.order.id, 'courier/simulate', { stage: 'delivered' }));
  }
  return {
    orderId: placed.order.id as string, totalIdr: placed.order.totalIdr as number, paymentId: placed.payment.id as string,
    variantId: product.variants[0]!.id,
  };
}

const stockOf = async (variantId: string) => (await db.selectFrom('variants').select(['stock', 'sold']).where('id', '=', variantId).executeTakeFirstOrThrow()) as { stock: number; sold: number };
const ledgerOf = async (orderId: string) =>
  (await sql<{ kind: string; account: string; amount_idr: string }>`select p.kind, l.account, l.amount_idr::text from ledger_lines l join ledger_postings p on p.id = l.posting_id
    where p.order_id = ${orderId} order by l.id`.execute(db)).rows.map((r) => ({ kind: r.kind, account: r.account, amount: Number(r.amount_idr) }));

/** The deadline job a return's latest step enqueued, as the runner would hand it over. */
async function latestTimer(orderId: string): Promise<{ job: Job<ReturnDeadline>; runAt: Date }> {
  const row = (await sql<{ id: string; type: string; payload: ReturnDeadline; run_at: Date; max_attempts: number }>`select j.id, j.type, j.payload, j.run_at, j.max_attempts from jobs j
    join returns r on r.id::text = j.payload->>'returnId' where j.type = ${RETURN_DEADLINE_JOB} and r.order_id = ${orderId} order by j.run_at desc, j.id desc limit 1`.execute(db)).rows[0];
  expect(row).toBeDefined();
  return { job: { id: row!.id, type: row!.type, payload: row!.payload, attempts: 1, maxAttempts: row!.max_attempts }, runAt: new Date(row!.run_at) };
}

/** Runs the latest timer of a return on a fake clock: a minute early it refuses and changes nothing; at its deadline it acts. */
async function timerFires(orderId: string, expectedAfterMs: number, from: Date) {
  const { job, runAt } = await latestTimer(orderId);
  expect(Math.abs(runAt.getTime() - (from.getTime() + expectedAfterMs))).toBeLessThan(60_000);
  const before = await snapshot();
  await expect(commerce.returnTimer(() => new Date(runAt.getTime() - 60_000))(job)).rejects.toThrow(/not due/);
  expect(await snapshot()).toBe(before);
  await commerce.returnTimer(() => runAt)(job);
  return runAt;
}

async function photoId(who: TestUser, bytes: Buffer = png, type = 'image/png'): Promise<string> {
  return ok(await upload(who, bytes, type), 201).photoId;
}

beforeAll(async () => {
  config = testConfig({ OPERATOR_EMAILS: 'retur@ops.sekat.id' });
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  commerce = sekat.domains.commerce as CommerceInstance;
  [seller, buyer, stranger] = [await registerUser(sekat.app, 'returjual'), await registerUser(sekat.app, 'returbeli'), await registerUser(sekat.app, 'returlain')];
  const op = await sekat.app.inject({ method: 'POST', url: '/api/auth/register', remoteAddress: '10.89.0.1', payload: { email: 'retur@ops.sekat.id', password: 'kopi-susu-gula-aren-42', handle: 'opretur', displayName: 'Op' } });
  expect(op.statusCode, op.body).toBe(201);
  const opToken = await signInWithTotp(sekat.app, op.json().token, 'retur@ops.sekat.id', 'kopi-susu-gula-aren-42', '10.89.0.2');
  operator = { token: opToken, headers: { authorization: `Bearer ${opToken}` } };
  shop = await openShop(sekat.app, seller, { name: 'Toko Retur' });
  const pngFile = path.join(config.dataDir, 'rusak.png');
  const jpegFile = path.join(config.dataDir, 'rusak.jpg');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', pngFile]);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=800x600', '-frames:v', '1', '-metadata', 'comment=Rumah saya', jpegFile]);
  png = readFileSync(pngFile);
  jpeg = readFileSync(jpegFile);
}, 180_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`returns with evidence (${STORE_LABEL})`, () => {
  it('carries a damaged item back with its photo: seller accepts, the courier brings it to the shop, the order is refunded and restocked', async () => {
    const { orderId, totalIdr, paymentId, variantId } = await deliveredOrder();
    const photo = await photoId(buyer, jpeg, 'image/jpeg');
    const asked = ok(await ask(buyer, orderId, { reasonCode: 'damaged', text: 'Kancingnya pecah', photoIds: [photo] }), 201);
    expect(asked).toMatchObject({ state: 'requested', reasonCode: 'damaged', reasonText: 'Kancingnya pecah', orderStatus: 'return_requested', buyer: { label: expect.stringMatching(/^Pembeli #[0-9A-F]{6}$/) } });
    expect(asked.evidence).toEqual([{ party: 'buyer', kind: 'photo', url: expect.stringMatching(/^\/api\/commerce\/returns\/photos\/[0-9a-f-]{36}\.jpg$/), at: expect.any(String) }]);
    expect(new Date(asked.deadlineAt).getTime() - new Date(asked.requestedAt).getTime()).toBeGreaterThan(RETURN_TIMERS.sellerAnswer - 60_000);

    // The photo was re-encoded (no metadata) and is seen by the buyer, the seller and operators only.
    const url = asked.evidence[0].url as string;
    for (const who of [buyer, seller, operator]) {
      const got = await inject('GET', url, who);
      expect(got.statusCode).toBe(200);
      expect(got.headers['content-type']).toBe('image/jpeg');
      expect(got.rawPayload.includes(Buffer.from('Rumah saya'))).toBe(false);
    }
    expect((await inject('GET', url, stranger)).statusCode).toBe(404);
    expect((await inject('GET', url, null)).statusCode).toBe(401);

    // The seller sees the same return, the buyer only by a tag: nothing of their account or social profile.
    const seen = await viewOf(seller, orderId);
    expect(seen.buyer).toEqual(asked.buyer);
    expect(JSON.stringify(seen)).not.toMatch(/returbeli|@example\.id/);

    const accepted = ok(await step(seller, orderId, 'return/accept'));
    expect(accepted.state).toBe('accepted');
    // The buyer hears of the seller's answer in their commerce inbox; the seller, who gave it, does not.
    const inbox = async (who: TestUser) => ok(await inject('GET', '/api/commerce/notifications?limit=50', who)).items as { kind: string; target: { id: string }; data: { returnState?: string } }[];
    expect((await inbox(buyer)).filter((n) => n.target.id === orderId && n.kind === 'order_return').map((n) => n.data.returnState)).toContain('accepted');
    expect((await inbox(seller)).some((n) => n.target.id === orderId && n.data.returnState === 'accepted')).toBe(false);
    const shipped = ok(await step(buyer, orderId, 'return/ship'));
    expect(shipped).toMatchObject({ state: 'shipped', shipment: { provider: 'biteship', courier: 'jne_reg', status: 'booked' } });
    // The return AWB is a second booking of the order, apart from the first parcel.
    const order = await orderOf(buyer, orderId);
    expect(shipped.shipment.waybill).not.toBe(order.shipment.waybill);
    expect(order.shipment.status).toBe('delivered');

    ok(await step(buyer, orderId, 'return/courier/simulate', { stage: 'in_transit' }));
    expect((await viewOf(buyer, orderId)).state).toBe('shipped');
    ok(await step(buyer, orderId, 'return/courier/simulate', { stage: 'delivered' }));
    const done = await viewOf(buyer, orderId);
    expect(done).toMatchObject({ state: 'refunded', refundIdr: totalIdr, orderStatus: 'refunded', deadlineAt: null, shipment: { status: 'delivered' } });
    expect(done.events.map((e: { action: string; actor: string }) => `${e.action}:${e.actor}`)).toEqual(['request:buyer', 'accept:seller', 'ship:buyer', 'arrive:provider']);
    expect(done.shipment.events.map((e: { status: string }) => e.status)).toEqual(['booked', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered']);
    const after = await orderOf(seller, orderId);
    expect(after.events.map((e: { action: string }) => e.action)).toEqual(['place', 'pay', 'ship', 'deliver', 'request_return', 'refund_return']);
    expect(after.refund).toMatchObject({ amountIdr: totalIdr, status: 'requested' });
    expect(await stockOf(variantId)).toEqual({ stock: 4, sold: 0 });
    expect((await db.selectFrom('payments').select('refunded_idr').where('id', '=', paymentId).executeTakeFirstOrThrow()).refunded_idr).toBe(totalIdr);
    expect(await ledgerOf(orderId)).toEqual([
      { kind: 'order_escrow', account: 'platform_gateway', amount: -totalIdr },
      { kind: 'order_escrow', account: 'shop_escrow', amount: totalIdr },
      { kind: 'order_refund', account: 'shop_escrow', amount: -totalIdr },
      { kind: 'order_refund', account: 'platform_buyer_refunds', amount: totalIdr },
    ]);
    // The webhook told again changes nothing.
    const waybill = done.shipment.waybill;
    const tracking = (await db.selectFrom('shipments').select('tracking_id').where('waybill_id', '=', waybill).executeTakeFirstOrThrow()).tracking_id as string;
    const again = await sekat.app.inject({
      method: 'POST',
      url: '/api/commerce/shipping/webhooks/biteship',
      headers: { 'content-type': 'application/json', [commerce.courierSandbox!.webhookHeader]: commerce.courierSandbox!.webhookSecret },
      payload: JSON.stringify({ event: 'order.status', courier_tracking_id: tracking, status: 'delivered' }),
    });
    expect(again.statusCode).toBe(200);
    expect((await viewOf(buyer, orderId)).events).toHaveLength(4);
  });

  it('runs its timers: silence accepts at 48 h, a return not sent in 5 days is cancelled and the order completes', async () => {
    const { orderId, variantId } = await deliveredOrder();
    const asked = ok(await ask(buyer, orderId, { reasonCode: 'changed_mind', text: '' }), 201);
    const acceptedAt = await timerFires(orderId, RETURN_TIMERS.sellerAnswer, new Date(asked.requestedAt));
    const accepted = await viewOf(buyer, orderId);
    expect(accepted.state).toBe('accepted');
    expect(accepted.events.at(-1)).toMatchObject({ action: 'auto_accept', actor: 'system', deadlineAt: new Date(acceptedAt.getTime() + RETURN_TIMERS.shipBack).toISOString() });
    // The same job run again (a retry) does nothing more.
    const { job } = await latestTimer(orderId);
    await timerFires(orderId, RETURN_TIMERS.shipBack, acceptedAt);
    const before = await snapshot();
    await commerce.returnTimer(() => new Date(acceptedAt.getTime() + 30 * DAY))(job);
    expect(await snapshot()).toBe(before);
    const cancelled = await viewOf(buyer, orderId);
    expect(cancelled).toMatchObject({ state: 'cancelled', orderStatus: 'completed' });
    expect(cancelled.events.map((e: { action: string }) => e.action)).toEqual(['request', 'auto_accept', 'ship_lapsed']);
    // Completed: the money settles to the shop, nothing went back on the shelf.
    expect((await ledgerOf(orderId)).map((l) => l.kind)).toContain('order_settlement');
    expect(await stockOf(variantId)).toEqual({ stock: 3, sold: 1 });
    await rejects(() => step(buyer, orderId, 'return/ship'), 409, 'transition-not-allowed');
  });

  it('refunds 14 days after the return left when the courier never reports it at the shop', async () => {
    const { orderId, totalIdr, variantId } = await deliveredOrder();
    ok(await ask(buyer, orderId, { reasonCode: 'wrong_item', text: 'Warna salah', photoIds: [await photoId(buyer)] }), 201);
    ok(await step(seller, orderId, 'return/accept'));
    const shipped = ok(await step(buyer, orderId, 'return/ship', { courier: 'sicepat_reg' }));
    expect(shipped.shipment.courier).toBe('sicepat_reg');
    const shippedAt = new Date(shipped.events.at(-1).at);
    await timerFires(orderId, RETURN_TIMERS.refundAfterShipped, shippedAt);
    const refunded = await viewOf(buyer, orderId);
    expect(refunded).toMatchObject({ state: 'refunded', orderStatus: 'refunded', refundIdr: totalIdr });
    expect(refunded.events.at(-1)).toMatchObject({ action: 'refund_due', actor: 'system' });
    // The goods are not back at the shop yet: not restocked.
    expect(await stockOf(variantId)).toEqual({ stock: 3, sold: 1 });
    // The parcel arriving late refunds nothing twice.
    ok(await step(buyer, orderId, 'return/courier/simulate', { stage: 'delivered' }));
    expect(await db.selectFrom('refunds').select('amount_idr').where('order_id', '=', orderId).execute()).toHaveLength(1);
  });

  it('settles with a partial refund the buyer accepts: ledger lines out of escrow, the rest settles, the order completes', async () => {
    const { orderId, totalIdr, paymentId, variantId } = await deliveredOrder(buyer, { priceIdr: 300_000 });
    ok(await ask(buyer, orderId, { reasonCode: 'missing_parts', text: 'Sabuknya tidak ada', photoIds: [await photoId(buyer)] }), 201);
    await rejects(() => step(seller, orderId, 'return/offer', { amountIdr: totalIdr }), 422, 'partial-refund-too-large');
    await rejects(() => step(buyer, orderId, 'return/offer', { amountIdr: 50_000 }), 403);
    await rejects(() => step(seller, orderId, 'return/offer', { amountIdr: 0 }), 400);
    const offered = ok(await step(seller, orderId, 'return/offer', { amountIdr: 50_000, note: 'Sabuk kami kirim terpisah' }));
    expect(offered).toMatchObject({ state: 'offered', offerIdr: 50_000 });
    await rejects(() => step(seller, orderId, 'return/offer/accept'), 403);
    const settled = ok(await step(buyer, orderId, 'return/offer/accept'));
    expect(settled).toMatchObject({ state: 'partially_refunded', refundIdr: 50_000, orderStatus: 'completed' });
    const lines = await ledgerOf(orderId);
    expect(lines.filter((l) => l.kind === 'order_partial_refund')).toEqual([
      { kind: 'order_partial_refund', account: 'shop_escrow', amount: -50_000 },
      { kind: 'order_partial_refund', account: 'platform_buyer_refunds', amount: 50_000 },
    ]);
    // What settles is what is left in escrow; the platform's fee is on the goods money kept.
    const settlement = lines.filter((l) => l.kind === 'order_settlement');
    expect(settlement.find((l) => l.account === 'shop_pending' && l.amount > 0)!.amount).toBe(totalIdr - 50_000);
    const fee = Math.floor(((300_000 - 50_000) * 500) / 10_000);
    expect(settlement.find((l) => l.account === 'platform_fee_income')!.amount).toBe(fee);
    const escrow = lines.filter((l) => l.account === 'shop_escrow').reduce((sum, l) => sum + l.amount, 0);
    expect(escrow).toBe(0);
    const unbalanced = await sql`select posting_id from ledger_lines group by posting_id having sum(amount_idr) <> 0`.execute(db);
    expect(unbalanced.rows).toEqual([]);
    expect(await db.selectFrom('refunds').select(['amount_idr', 'status']).where('order_id', '=', orderId).execute()).toEqual([{ amount_idr: 50_000, status: 'requested' }]);
    expect((await db.selectFrom('payments').select('refunded_idr').where('id', '=', paymentId).executeTakeFirstOrThrow()).refunded_idr).toBe(50_000);
    expect(await stockOf(variantId)).toEqual({ stock: 3, sold: 1 });
  });

  it('takes a refused return to operators, who see both sides’ evidence and decide (TOTP sessions only)', async () => {
    const { orderId, totalIdr } = await deliveredOrder();
    ok(await ask(buyer, orderId, { reasonCode: 'not_as_described', text: 'Bukan katun', photoIds: [await photoId(buyer), await photoId(buyer, jpeg, 'image/jpeg')] }), 201);
    await rejects(() => step(buyer, orderId, 'return/escalate'), 409, 'transition-not-allowed');
    await rejects(() => step(seller, orderId, 'return/refuse', {}), 400);
    const refused = ok(await step(seller, orderId, 'return/refuse', { reason: 'Bahan sesuai deskripsi' }));
    expect(refused).toMatchObject({ state: 'refused', sellerReason: 'Bahan sesuai deskripsi' });
    expect(new Date(refused.deadlineAt).getTime() - new Date(refused.events.at(-1).at).getTime()).toBeGreaterThan(RETURN_TIMERS.escalate - 60_000);
    await rejects(() => step(seller, orderId, 'return/escalate'), 403);
    ok(await step(buyer, orderId, 'return/escalate', { note: 'Label bilang katun' }));
    const sellerPhoto = await photoId(seller);
    // A photo is sent only by who uploaded it.
    const strangersPhoto = await photoId(stranger);
    await rejects(() => step(seller, orderId, 'return/response', { text: 'Ini label kami', photoIds: [strangersPhoto] }), 422);
    const responded = ok(await step(seller, orderId, 'return/response', { text: 'Ini label kami', photoIds: [sellerPhoto] }));
    expect(responded).toMatchObject({ state: 'escalated', sellerResponse: 'Ini label kami' });
    expect(responded.evidence.map((e: { party: string }) => e.party)).toEqual(['buyer', 'buyer', 'seller']);

    // Operators only, and only with their second factor.
    for (const who of [buyer, seller]) await rejects(() => inject('GET', '/api/commerce/operator/returns', who), 403);
    const queue = ok(await inject('GET', '/api/commerce/operator/returns', operator));
    const item = queue.items.find((r: { orderId: string }) => r.orderId === orderId);
    expect(item).toMatchObject({ state: 'escalated', reasonText: 'Bukan katun', sellerReason: 'Bahan sesuai deskripsi', sellerResponse: 'Ini label kami' });
    expect(item.evidence).toHaveLength(3);
    expect((await inject('GET', item.evidence[2].url, operator)).statusCode).toBe(200);
    await rejects(() => inject('POST', `/api/commerce/operator/returns/${item.id}/decision`, seller, { outcome: 'refund', statement: 'x' }), 403);
    await rejects(() => inject('POST', `/api/commerce/operator/returns/${item.id}/decision`, operator, { outcome: 'partial_refund', statement: 'Sebagian' }), 422);
    await rejects(() => inject('POST', `/api/commerce/operator/returns/${item.id}/decision`, operator, { outcome: 'partial_refund', amountIdr: totalIdr + 1, statement: 'Sebagian' }), 422, 'partial-refund-too-large');
    const decided = ok(await inject('POST', `/api/commerce/operator/returns/${item.id}/decision`, operator, { outcome: 'refund', statement: 'Label menyebut katun; barang poliester.' }));
    expect(decided).toMatchObject({ state: 'refunded', orderStatus: 'refunded', refundIdr: totalIdr });
    expect(decided.events.at(-1)).toMatchObject({ action: 'decide_refund', actor: 'operator', note: 'Label menyebut katun; barang poliester.' });
    expect((await orderOf(buyer, orderId)).events.at(-1)).toMatchObject({ action: 'refund_return', actor: 'operator' });
    await rejects(() => inject('POST', `/api/commerce/operator/returns/${item.id}/decision`, operator, { outcome: 'reject', statement: 'lagi' }), 409, 'transition-not-allowed');
    expect((await inject('GET', '/api/commerce/operator/returns', operator)).json().items.some((r: { orderId: string }) => r.orderId === orderId)).toBe(false);
  });

  it('lets an operator reject, or grant part, of a declined offer; an offer unanswered lapses and an unescalated refusal stands', async () => {
    // Declined offer → escalated → operator grants part of the money.
    const one = await deliveredOrder();
    ok(await ask(buyer, one.orderId, { reasonCode: 'changed_mind', text: 'Tidak cocok' }), 201);
    ok(await step(seller, one.orderId, 'return/offer', { amountIdr: 20_000 }));
    await rejects(() => step(seller, one.orderId, 'return/offer/decline'), 403);
    expect(ok(await step(buyer, one.orderId, 'return/offer/decline')).state).toBe('declined');
    ok(await step(buyer, one.orderId, 'return/escalate'));
    const id = (await viewOf(buyer, one.orderId)).id;
    const part = ok(await inject('POST', `/api/commerce/operator/returns/${id}/decision`, operator, { outcome: 'partial_refund', amountIdr: 40_000, statement: 'Setengah ongkos' }));
    expect(part).toMatchObject({ state: 'partially_refunded', refundIdr: 40_000, orderStatus: 'completed' });
    expect((await ledgerOf(one.orderId)).filter((l) => l.kind === 'order_partial_refund').map((l) => l.amount)).toEqual([-40_000, 40_000]);

    // Escalated → operator rejects: the order completes and the shop is paid in full.
    const two = await deliveredOrder();
    ok(await ask(buyer, two.orderId, { reasonCode: 'changed_mind', text: '' }), 201);
    ok(await step(seller, two.orderId, 'return/refuse', { reason: 'Sudah dipakai' }));
    ok(await step(buyer, two.orderId, 'return/escalate'));
    const rejected = ok(await inject('POST', `/api/commerce/operator/returns/${(await viewOf(buyer, two.orderId)).id}/decision`, operator, { outcome: 'reject', statement: 'Bekas pakai terlihat di foto penjual.' }));
    expect(rejected).toMatchObject({ state: 'closed', orderStatus: 'completed', refundIdr: null });
    expect(await db.selectFrom('refunds').select('id').where('order_id', '=', two.orderId).execute()).toEqual([]);

    // An offer the buyer never answers lapses at 48 h; the refusal that follows stands after 3 days.
    const three = await deliveredOrder();
    ok(await ask(buyer, three.orderId, { reasonCode: 'changed_mind', text: '' }), 201);
    const offered = ok(await step(seller, three.orderId, 'return/offer', { amountIdr: 10_000 }));
    const lapsedAt = await timerFires(three.orderId, RETURN_TIMERS.buyerAnswer, new Date(offered.events.at(-1).at));
    expect((await viewOf(buyer, three.orderId)).state).toBe('declined');
    await timerFires(three.orderId, RETURN_TIMERS.escalate, lapsedAt);
    const closed = await viewOf(seller, three.orderId);
    expect(closed).toMatchObject({ state: 'closed', orderStatus: 'completed' });
    expect(closed.events.map((e: { action: string }) => e.action)).toEqual(['request', 'offer', 'offer_lapsed', 'escalation_lapsed']);
    await rejects(() => step(buyer, three.orderId, 'return/escalate'), 409);
  });

  it('refuses every bad request with a problem naming the rule, and changes nothing', async () => {
    const { orderId } = await deliveredOrder();
    // Not a picture, whatever it claims: 415, nothing stored.
    await rejects(() => upload(buyer, Buffer.from('%PDF-1.4 bukan foto'), 'image/png'), 415);
    await rejects(() => upload(buyer, png, 'application/pdf'), 415);
    await rejects(() => upload(buyer, Buffer.concat([png.subarray(0, 40), Buffer.alloc(200)]), 'image/png'), 415);
    await rejects(() => upload(null, png), 401);
    // The reason needs a photo.
    const missing = await rejects(() => ask(buyer, orderId, { reasonCode: 'damaged', text: 'Pecah' }), 422, 'return-evidence-required');
    expect(missing.detail).toMatch(/at least one photo/);
    await rejects(() => ask(buyer, orderId, { reasonCode: 'broken', text: 'x' }), 400);
    await rejects(() => ask(buyer, orderId, { reasonCode: 'damaged', text: 'x', photoIds: ['not-a-uuid'] }), 400);
    // Someone else's (or no) photo.
    const theirs = await photoId(stranger);
    await rejects(() => ask(buyer, orderId, { reasonCode: 'damaged', text: 'Pecah', photoIds: [theirs] }), 422);
    // Wrong actor: the seller 403, a stranger 404.
    await rejects(() => ask(seller, orderId, { reasonCode: 'changed_mind', text: '' }), 403);
    await rejects(() => ask(stranger, orderId, { reasonCode: 'changed_mind', text: '' }), 404);
    await rejects(() => ask(null, orderId, { reasonCode: 'changed_mind', text: '' }), 401);
    await rejects(() => ask(buyer, '01890000-0000-7000-8000-000000000000', { reasonCode: 'changed_mind', text: '' }), 404);
    // No return yet.
    await rejects(() => step(seller, orderId, 'return/accept'), 404);
    expect((await inject('GET', `/api/commerce/orders/${orderId}/return`, buyer)).statusCode).toBe(404);

    // Undelivered orders (paid, shipped) cannot be returned.
    const paid = await deliveredOrder(buyer, { deliver: false });
    await rejects(() => ask(buyer, paid.orderId, { reasonCode: 'changed_mind', text: '' }), 409, 'return-not-delivered');
    ok(await step(seller, paid.orderId, 'ship', { courier: 'jne_reg' }));
    await rejects(() => ask(buyer, paid.orderId, { reasonCode: 'changed_mind', text: '' }), 409, 'return-not-delivered');

    // Outside the 6-day window.
    const late = await deliveredOrder();
    await db.updateTable('orders').set({ delivered_at: new Date(Date.now() - 6 * DAY - 60_000) }).where('id', '=', late.orderId).execute();
    const closedWindow = await rejects(() => ask(buyer, late.orderId, { reasonCode: 'changed_mind', text: '' }), 422, 'return-window-closed');
    expect(closedWindow.detail).toMatch(/within 6 days of delivery/);
    await db.updateTable('orders').set({ delivered_at: new Date(Date.now() - 6 * DAY + 60 * 60_000) }).where('id', '=', late.orderId).execute();
    ok(await ask(buyer, late.orderId, { reasonCode: 'changed_mind', text: '' }), 201);

    // Twice: 409; the photo already sent cannot be sent again.
    const photo = await photoId(buyer);
    ok(await ask(buyer, orderId, { reasonCode: 'damaged', text: 'Pecah', photoIds: [photo] }), 201);
    await rejects(() => ask(buyer, orderId, { reasonCode: 'damaged', text: 'Pecah', photoIds: [photo] }), 409, 'return-exists');
    await rejects(() => ask(buyer, late.orderId, { reasonCode: 'changed_mind', text: '' }), 409, 'return-exists');
    // Steps by the wrong side, out of turn, or twice.
    await rejects(() => step(buyer, orderId, 'return/accept'), 403);
    await rejects(() => step(stranger, orderId, 'return/accept'), 404);
    await rejects(() => step(buyer, orderId, 'return/ship'), 409, 'transition-not-allowed');
    await rejects(() => step(buyer, orderId, 'return/offer/accept'), 409, 'transition-not-allowed');
    await rejects(() => step(buyer, orderId, 'return/courier/simulate', { stage: 'delivered' }), 409, 'not-shipped');
    ok(await step(seller, orderId, 'return/accept'));
    await rejects(() => step(seller, orderId, 'return/accept'), 409, 'transition-not-allowed');
    await rejects(() => step(seller, orderId, 'return/refuse', { reason: 'telat' }), 409, 'transition-not-allowed');
    await rejects(() => step(seller, orderId, 'return/ship'), 403);
    // The order cannot be completed by hand or move otherwise while its return is open.
    await rejects(() => step(buyer, orderId, 'complete'), 409);
    // The operator queue holds no return that was not escalated.
    const openId = (await viewOf(buyer, orderId)).id as string;
    await rejects(() => inject('POST', `/api/commerce/operator/returns/${openId}/decision`, operator, { outcome: 'reject', statement: 'x' }), 409, 'transition-not-allowed');
    await rejects(() => inject('POST', '/api/commerce/operator/returns/01890000-0000-7000-8000-000000000000/decision', operator, { outcome: 'reject', statement: 'x' }), 404);
  });

  it('takes one short video as evidence: probed as the container it claims, remuxed without its metadata', async () => {
    const { orderId } = await deliveredOrder();
    const make = async (name: string, args: string[]) => {
      const file = path.join(config.dataDir, name);
      await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', ...args, file]);
      return readFileSync(file);
    };
    const mp4 = await make('retak.mp4', ['testsrc=duration=2:size=320x240:rate=15', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-metadata', 'location=-6.2088+106.8456/', '-metadata', 'title=Rumah saya']);
    const webm = await make('retak.webm', ['testsrc=duration=1:size=160x120:rate=10', '-c:v', 'libvpx', '-b:v', '200k']);
    const long = await make('panjang.mp4', ['testsrc=duration=31:size=64x48:rate=5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']);
    const video = (who: TestUser | null, body: Buffer | string, type: string) => inject('POST', '/api/commerce/returns/videos', who, body, type);
    // The container it claims, and no other: a WebM sent as MP4 (and the reverse), or not a video at all.
    await rejects(() => video(buyer, webm, 'video/mp4'), 415);
    await rejects(() => video(buyer, mp4, 'video/webm'), 415);
    await rejects(() => video(buyer, Buffer.concat([mp4.subarray(0, 12), Buffer.alloc(4000)]), 'video/mp4'), 415);
    await rejects(() => video(buyer, 'bukan video', 'video/mp4'), 415);
    await rejects(() => video(buyer, mp4, 'video/quicktime'), 415);
    await rejects(() => video(buyer, long, 'video/mp4'), 422);
    const sent = ok(await video(buyer, mp4, 'video/mp4'), 201);
    expect(sent.url).toMatch(/\.mp4$/);
    const stored = path.join(photosDir(), sent.url.split('/').at(-1));
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_entries', 'format_tags:stream=codec_name', stored]);
    expect(stdout).not.toMatch(/106\.8456|Rumah saya/);
    expect(stdout).toContain('h264');
    const second = ok(await video(buyer, webm, 'video/webm'), 201);
    // One video per side (a request names at most one), by its id.
    await rejects(() => ask(buyer, orderId, { reasonCode: 'changed_mind', text: '', videoId: 'nope' }), 400);
    const asked = ok(await ask(buyer, orderId, { reasonCode: 'damaged', text: 'Retak', photoIds: [await photoId(buyer)], videoId: sent.videoId }), 201);
    expect(asked.evidence.map((e: { kind: string }) => e.kind).sort()).toEqual(['photo', 'video']);
    const clip = asked.evidence.find((e: { kind: string }) => e.kind === 'video').url as string;
    const got = await inject('GET', clip, seller);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('video/mp4');
    expect((await inject('GET', clip, stranger)).statusCode).toBe(404);
    // A photo id is not a video id, nor the reverse.
    const photoOnly = await photoId(seller);
    await rejects(() => step(seller, orderId, 'return/response', { text: 'Lihat', videoId: photoOnly }), 422);
    await rejects(() => step(seller, orderId, 'return/response', { text: 'Lihat', photoIds: [second.videoId] }), 422);
  });

  it('deletes evidence uploaded and never sent after a day, and keeps what was sent', async () => {
    const { orderId } = await deliveredOrder();
    const kept = await photoId(buyer);
    ok(await ask(buyer, orderId, { reasonCode: 'damaged', text: 'Pecah', photoIds: [kept] }), 201);
    const stray = ok(await upload(buyer, png), 201);
    const strayFile = stray.url.split('/').at(-1) as string;
    expect(photoFiles()).toContain(strayFile);
    expect(await commerce.purgeUnsentReturnEvidence(new Date(Date.now() + 23 * HOUR))).toBe(0);
    expect(await commerce.purgeUnsentReturnEvidence(new Date(Date.now() + 25 * HOUR))).toBeGreaterThanOrEqual(1);
    expect(photoFiles()).not.toContain(strayFile);
    expect(await db.selectFrom('return_evidence').select('id').where('id', '=', stray.photoId).execute()).toEqual([]);
    expect(await db.selectFrom('return_evidence').select('id').where('id', '=', kept).execute()).toHaveLength(1);
    expect((await inject('GET', (await viewOf(buyer, orderId)).evidence[0].url, seller)).statusCode).toBe(200);
  });

  it('exports the buyer’s returns with their photos, and erasure minimises them', async () => {
    const leaving = await registerUser(sekat.app, 'returpergi');
    const { orderId } = await deliveredOrder(leaving);
    const photo = await photoId(leaving);
    const unsent = ok(await upload(leaving, jpeg, 'image/jpeg'), 201);
    ok(await ask(leaving, orderId, { reasonCode: 'damaged', text: 'Retak di sudut, rumah saya di Jl. Mawar', photoIds: [photo] }), 201);
    ok(await step(seller, orderId, 'return/refuse', { reason: 'Retak karena dipakai' }));
    await timerFires(orderId, RETURN_TIMERS.escalate, new Date((await viewOf(leaving, orderId)).events.at(-1).at));
    const subject = (await db.selectFrom('orders').select('buyer_subject').where('id', '=', orderId).executeTakeFirstOrThrow()).buyer_subject as string;
    const exported = await commerce.port.exportSubject(subject);
    const data = exported.data as unknown as {
      returns: { returns: { order_id: string; reason_text: string }[]; returnEvents: unknown[]; returnEvidence: { file: string }[] },
    };
    expect(data.returns.returns).toMatchObject([{ order_id: orderId, reason_text: 'Retak di sudut, rumah saya di Jl. Mawar' }]);
    expect(data.returns.returnEvents.length).toBeGreaterThanOrEqual(3);
    expect(data.returns.returnEvidence).toHaveLength(2);
    const files = (exported.files ?? []).filter((f) => f.name.startsWith('returns/'));
    expect(files).toHaveLength(2);
    for (const f of files) expect(existsSync(f.path)).toBe(true);

    await commerce.port.eraseSubject(subject);
    const row = await db.selectFrom('returns').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ buyer_subject: null, reason_text: '[dihapus]', state: 'closed', seller_reason: 'Retak karena dipakai' });
    expect(await db.selectFrom('return_evidence').select('id').where('return_id', '=', row.id).where('party', '=', 'buyer').execute()).toEqual([]);
    for (const f of files) expect(existsSync(f.path)).toBe(false);
    expect(photoFiles()).not.toContain(unsent.url.split('/').at(-1));
    const buyerNotes = await db.selectFrom('return_events').select('note').where('return_id', '=', row.id).where('actor', '=', 'buyer').execute();
    expect(buyerNotes.every((e) => e.note === null)).toBe(true);
    const after = (await commerce.port.exportSubject(subject)).data as unknown as { returns: { returns: unknown[]; returnEvidence: unknown[] } };
    expect(after.returns).toMatchObject({ returns: [], returnEvidence: [] });
  });
});
