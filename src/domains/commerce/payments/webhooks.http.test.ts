import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import type { Database } from '../../../platform/db.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from '../testkit.js';
import { midtransSignature, SandboxProvider } from './sandbox.js';
import { expirePayment } from './expire.job.js';
import { sendRefundJob } from './refund.job.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let gateway: SandboxProvider;
let seller: TestUser;
let buyer: TestUser;
let variants: string[];

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  // The gateway's side of the sandbox: its simulator moves a transaction, its status API reports it.
  gateway = new SandboxProvider(config.secrets.paymentServerKey, db);
  [seller, buyer] = await Promise.all([registerUser(sekat.app, 'seller'), registerUser(sekat.app, 'buyer')]);
  const shops = [await openShop(sekat.app, seller), await openShop(sekat.app, seller, { city: 'Surabaya' })];
  variants = [];
  for (const shop of shops) variants.push((await listProduct(sekat.app, seller, shop.id, [{ stock: 50 }])).variants[0]!.id);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const hook = (payload: Record<string, unknown> | string) =>
  sekat.app.inject({ method: 'POST', url: '/api/commerce/payments/webhooks/sandbox', headers: { 'content-type': 'application/json' }, payload });
const buy = async (shops = 1) => {
  const placed = await checkout(sekat.app, buyer, { items: variants.slice(0, shops).map((variantId) => ({ variantId, quantity: 1 })) });
  expect(placed.statusCode, placed.body).toBe(201);
  return placed.json() as { order: { id: string; totalIdr: number }; orders: { id: string; totalIdr: number }[]; payment: { id: string; amountIdr: number } };
};
const orderOf = async (orderId: string) => (await sekat.app.inject({ url: `/api/commerce/orders/${orderId}`, headers: buyer.headers })).json();
const signedFor = (paymentId: string, amountIdr: number, statusCode: string, transactionStatus: string) => {
  const grossAmount = `${amountIdr}.00`;
  return {
    order_id: paymentId,
    status_code: statusCode,
    gross_amount: grossAmount,
    transaction_status: transactionStatus,
    signature_key: midtransSignature(paymentId, statusCode, grossAmount, config.secrets.paymentServerKey),
  };
};
/** Everything a repeated notification must leave alone, the money going back included. */
const moneySnapshot = async () =>
  (await storeSnapshot(db)) +
  JSON.stringify(
    (
      await sql`select (select count(*)::int from late_payments) as late, (select count(*)::int from refunds) as refunds,
        (select count(*)::int from jobs) as jobs, (select string_agg(status || amount_idr, ',' order by id) from refunds) as refund_states`.execute(db)
    ).rows,
  );

async function rejects(run: () => Promise<LightMyRequestResponse>, status: number) {
  const before = await moneySnapshot();
  const response = await run();
  expect(response.statusCode, response.body).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  expect(await moneySnapshot()).toBe(before);
  return response.json();
}

describe(`payment webhooks (${STORE_LABEL})`, () => {
  it('verifies Midtrans signatures, binds each status to its signed code and reports what the gateway holds', async () => {
    const provider = new SandboxProvider('k'.repeat(40), db);
    const id = '01890000-0000-7000-8000-000000000001';
    const signed = await provider.simulate(id, 10_000, 'settlement');
    expect(signed.signature_key).toBe(midtransSignature(id, '200', '10000.00', 'k'.repeat(40)));
    const ok = provider.verifyNotification(signed);
    expect(ok.ok && ok.notification).toMatchObject({ paymentId: id, grossAmountIdr: 10_000 });
    expect(await provider.status(id)).toMatchObject({ paymentId: id, grossAmountIdr: 10_000, outcome: 'paid' });
    expect(provider.verifyNotification({ ...signed, gross_amount: '10001.00' })).toEqual({ ok: false, reason: 'signature' });
    expect(provider.verifyNotification({ ...signed, signature_key: 42 })).toEqual({ ok: false, reason: 'malformed' });
    // A 200 signature does not make an expiry: Midtrans signs an expire with 202 (or 407).
    expect(provider.verifyNotification({ ...signed, transaction_status: 'expire' })).toEqual({ ok: false, reason: 'status' });
    const expire = await provider.simulate(id, 10_000, 'expire');
    expect(expire.status_code).toBe('202');
    expect(provider.verifyNotification(expire).ok).toBe(true);
    expect(await provider.status(id)).toMatchObject({ outcome: 'released', releasedAs: 'expired' });
    expect(await provider.status('01890000-0000-7000-8000-000000000002')).toBeUndefined();
  });

  it('refuses a settlement signed for another status code, and moves money only on what the gateway confirms', async () => {
    const placed = await buy();
    const { id: paymentId, amountIdr } = placed.payment;
    for (const code of ['202', '407', '201']) {
      const problem = await rejects(() => hook(signedFor(paymentId, amountIdr, code, 'settlement')), 400);
      expect(problem.errors).toHaveProperty('transaction_status');
    }
    // Rightly signed, but the gateway has no such transaction yet: nothing happens.
    await rejects(() => hook(signedFor(paymentId, amountIdr, '200', 'settlement')), 422);
    // The gateway says the transaction still waits for the buyer: the settlement is not applied.
    await gateway.simulate(paymentId, amountIdr, 'pending');
    expect((await hook(signedFor(paymentId, amountIdr, '200', 'settlement'))).json()).toMatchObject({ applied: false, status: 'pending' });
    expect((await orderOf(placed.order.id)).status).toBe('awaiting_payment');
    // Once the gateway settles it, the same notification pays the order.
    await gateway.simulate(paymentId, amountIdr, 'settlement');
    expect((await hook(signedFor(paymentId, amountIdr, '200', 'settlement'))).json()).toMatchObject({ applied: true, status: 'paid' });
    // The settlement's signature reused for a refund the gateway never made changes nothing.
    const before = await moneySnapshot();
    expect((await hook(signedFor(paymentId, amountIdr, '200', 'refund'))).json()).toMatchObject({ applied: false, duplicate: true, status: 'paid' });
    expect(await moneySnapshot()).toBe(before);
    expect((await orderOf(placed.order.id)).status).toBe('paid');
  });

  it('records money that arrives after the payment closed and refunds every order of it, once', async () => {
    for (const closedBy of ['our deadline', 'the gateway'] as const) {
      const placed = await buy(closedBy === 'the gateway' ? 2 : 1);
      const { id: paymentId, amountIdr } = placed.payment;
      if (closedBy === 'our deadline') expect(await expirePayment(db, paymentId, new Date(Date.now() + 48 * 3600_000))).toBe(true);
      else expect((await hook(await gateway.simulate(paymentId, amountIdr, 'expire'))).json()).toMatchObject({ applied: true, status: 'expired' });

      const settlement = await gateway.simulate(paymentId, amountIdr, 'settlement');
      const answer = await hook(settlement);
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.json()).toMatchObject({ applied: false, latePayment: true, status: 'expired' });
      const late = await db.selectFrom('late_payments').selectAll().where('payment_id', '=', paymentId).executeTakeFirstOrThrow();
      expect(Number(late.amount_idr)).toBe(amountIdr);
      const refunds = await db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('order_id').execute();
      expect(refunds.map((r) => [r.order_id, Number(r.amount_idr), r.status, r.reason])).toEqual(
        [...placed.orders].sort((a, b) => a.id.localeCompare(b.id)).map((o) => [o.id, o.totalIdr, 'requested', 'late payment']),
      );
      expect(refunds.reduce((sum, r) => sum + Number(r.amount_idr), 0)).toBe(amountIdr);

      // The refund job sends each one to the gateway.
      for (const refund of refunds) {
        await sendRefundJob(db, gateway, pino({ level: 'silent' }))({ id: 'test', type: 'commerce.refund.send', payload: { refundId: refund.id }, attempts: 1, maxAttempts: 20 });
      }
      for (const order of placed.orders) {
        const detail = await orderOf(order.id);
        expect(detail.status).toBe('expired');
        expect(detail.latePayment).toEqual({ amountIdr, receivedAt: expect.any(String) });
        expect(detail.refund).toMatchObject({ amountIdr: order.totalIdr, status: 'sent', sentAt: expect.any(String) });
      }

      // The gateway delivering it again, or the buyer pressing pay again, changes nothing more.
      const before = await moneySnapshot();
      expect((await hook(settlement)).json()).toMatchObject({ applied: false, duplicate: true, latePayment: false, status: 'expired' });
      const again = await sekat.app.inject({ method: 'POST', url: `/api/commerce/payments/${paymentId}/simulate`, headers: buyer.headers, payload: { outcome: 'paid' } });
      expect(again.json()).toMatchObject({ applied: false, status: 'expired' });
      expect(await moneySnapshot()).toBe(before);
      expect((await orderOf(placed.order.id)).status).toBe('expired');
    }
  });

  it('keeps only the verified fields of a notification, and refuses an oversized one with 413', async () => {
    const placed = await buy();
    const { id: paymentId, amountIdr } = placed.payment;
    const settlement = await gateway.simulate(paymentId, amountIdr, 'settlement');
    await rejects(() => hook({ ...settlement, padding: 'x'.repeat(900_000) }), 413);
    const padded = await hook({ ...settlement, padding: 'y'.repeat(12_000), va_numbers: [{ bank: 'bca', va_number: 'z'.repeat(100) }] });
    expect(padded.json()).toMatchObject({ applied: true, status: 'paid' });
    const [stored] = await db.selectFrom('payment_notifications').select('body').where('payment_id', '=', paymentId).execute();
    const body = JSON.stringify(stored!.body);
    expect(body).not.toContain('yyyy');
    expect(body).not.toContain('zzzz');
    expect(body.length).toBeLessThan(1000);
    expect(typeof stored!.body === 'string' ? JSON.parse(stored!.body) : stored!.body).toEqual({
      notification: { order_id: paymentId, status_code: '200', gross_amount: `${amountIdr}.00`, transaction_status: 'settlement' },
      gateway: { order_id: paymentId, status_code: '200', gross_amount: `${amountIdr}.00`, transaction_status: 'settlement', transaction_id: `sandbox-${paymentId}`, fraud_status: 'accept' },
    });
  });
});
