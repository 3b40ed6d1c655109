import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import type { Database } from '../../../platform/db.js';
import { checkout, courierMoves, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from '../testkit.js';
import type { CommerceInstance } from '../index.js';
import { dispatchDeadline } from '../orders/transition.js';
import { ShipmentService } from './shipments.js';
import { advances } from './courier.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let buyer: TestUser;
let other: TestUser;
let shop: { id: string };
let courier: NonNullable<CommerceInstance['courierSandbox']>;

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  courier = (sekat.domains.commerce as CommerceInstance).courierSandbox!;
  [seller, buyer, other] = await Promise.all([registerUser(sekat.app, 'seller'), registerUser(sekat.app, 'buyer'), registerUser(sekat.app, 'other')]);
  shop = await openShop(sekat.app, seller);
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const inject = (options: InjectOptions) => sekat.app.inject(options);
const order = async (user: TestUser, id: string) => (await inject({ method: 'GET', url: `/api/commerce/orders/${id}`, headers: user.headers })).json();
const webhook = (body: unknown, headers: Record<string, string> = { [courier.webhookHeader]: courier.webhookSecret }) =>
  inject({ method: 'POST', url: '/api/commerce/shipping/webhooks/biteship', headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

async function paidOrder(stock = 5) {
  const product = await listProduct(sekat.app, seller, shop.id, [{ stock }]);
  const placed = await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] });
  expect(placed.statusCode, placed.body).toBe(201);
  const { order: o, payment } = placed.json();
  expect((await inject({ method: 'POST', url: `/api/commerce/payments/${payment.id}/simulate`, headers: buyer.headers, payload: { outcome: 'paid' } })).statusCode).toBe(200);
  return { orderId: o.id as string, product };
}

async function rejects(run: () => Promise<LightMyRequestResponse>, status: number) {
  const before = await storeSnapshot(db);
  const response = await run();
  expect(response.statusCode, response.body).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/problem+json');
  expect(await storeSnapshot(db)).toBe(before);
  return response.json();
}

describe(`courier tracking (${STORE_LABEL})`, () => {
  it('books the courier on ship, and its tracking carries the order to delivered with a timeline the buyer sees', async () => {
    const { orderId } = await paidOrder();
    const shipped = await inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: {} });
    expect(shipped.statusCode, shipped.body).toBe(200);
    const o = shipped.json();
    expect(o.status).toBe('shipped');
    expect(o.trackingNumber).toMatch(/^JNE\d{8}[0-9A-F]{4}$/);
    expect(o.shipment).toMatchObject({ provider: 'biteship', courier: 'jne_reg', waybill: o.trackingNumber, status: 'booked' });
    expect([...courier.orders.values()].filter((b) => b.referenceId === orderId)).toHaveLength(1);

    await courierMoves(sekat.app, seller, orderId, 'out_for_delivery');
    let seen = await order(buyer, orderId);
    expect(seen.status).toBe('shipped');
    expect(seen.shipment.status).toBe('out_for_delivery');
    expect(seen.shipment.events.map((e: { status: string }) => e.status)).toEqual(['booked', 'picked_up', 'in_transit', 'out_for_delivery']);

    await courierMoves(sekat.app, buyer, orderId, 'delivered');
    seen = await order(buyer, orderId);
    expect(seen.status).toBe('delivered');
    expect(seen.deliveredAt).not.toBeNull();
    expect(seen.shipment.events.at(-1)).toMatchObject({ status: 'delivered', providerStatus: 'delivered', note: 'Paket diterima' });
    expect(seen.events.at(-1)).toMatchObject({ action: 'deliver', actor: 'provider' });
    // The seller sees the same timeline.
    expect((await order(seller, orderId)).shipment.status).toBe('delivered');
  });

  it('lets no seller mark delivery by hand', async () => {
    const { orderId } = await paidOrder();
    await inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: {} });
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/deliver`, headers: seller.headers, payload: {} }), 404);
    expect((await order(seller, orderId)).status).toBe('shipped');
  });

  it('refuses forged, replayed and out-of-order webhooks without changing anything', async () => {
    const { orderId } = await paidOrder();
    const o = (await inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: {} })).json();
    const trackingId = [...courier.orders.values()].find((b) => b.referenceId === orderId)!.trackingId;
    const claim = { event: 'order.status', courier_tracking_id: trackingId, courier_waybill_id: o.trackingNumber, status: 'delivered' };
    // No secret, a wrong one: 401.
    await rejects(() => webhook(claim, {}), 401);
    await rejects(() => webhook(claim, { [courier.webhookHeader]: 'x'.repeat(courier.webhookSecret.length) }), 401);
    // The right secret but a claim the courier's tracking does not bear out: nothing moves.
    const told = await webhook(claim);
    expect(told.statusCode, told.body).toBe(200);
    expect((await order(buyer, orderId)).status).toBe('shipped');
    // Broken bodies and unknown parcels.
    await rejects(() => webhook('{not json'), 400);
    await rejects(() => webhook({ event: 'order.status' }), 400);
    await rejects(() => webhook({ ...claim, courier_tracking_id: 'nope' }), 404);
    await rejects(() => webhook(`{"event":"order.status","pad":"${'x'.repeat(20_000)}"}`), 413);
    // Other events are taken and ignored.
    expect((await webhook({ event: 'order.price', courier_tracking_id: trackingId })).json()).toEqual({ applied: false });

    await courierMoves(sekat.app, seller, orderId, 'delivered');
    const before = await storeSnapshot(db);
    // A replay of every webhook, in any order, changes nothing more.
    for (const status of ['picked', 'dropping_off', 'delivered', 'picked']) expect((await webhook({ ...claim, status })).json()).toEqual({ applied: false });
    expect(await storeSnapshot(db)).toBe(before);
    expect((await order(buyer, orderId)).status).toBe('delivered');
  });

  it('refunds and restocks a parcel the courier brings back', async () => {
    const { orderId, product } = await paidOrder(3);
    await inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: {} });
    await courierMoves(sekat.app, seller, orderId, 'out_for_delivery');
    await courierMoves(sekat.app, seller, orderId, 'returned');
    const seen = await order(buyer, orderId);
    expect(seen.status).toBe('refunded');
    expect(seen.refund).toMatchObject({ status: 'requested' });
    expect(seen.shipment.events.map((e: { status: string }) => e.status).slice(-2)).toEqual(['returning', 'returned']);
    expect((await inject({ method: 'GET', url: `/api/commerce/products/${product.id}` })).json().variants[0].available).toBe(3);
    // Delivered cannot follow a return.
    expect((await inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/courier/simulate`, headers: seller.headers, payload: { stage: 'delivered' } })).statusCode).toBe(409);
  });

  it('lets only the seller ship, and only an order that may ship; strangers see nothing', async () => {
    const { orderId } = await paidOrder();
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: buyer.headers, payload: {} }), 403);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: other.headers, payload: {} }), 404);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/courier/simulate`, headers: other.headers, payload: { stage: 'delivered' } }), 404);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/courier/simulate`, headers: seller.headers, payload: { stage: 'delivered' } }), 409);
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: { courier: 'pos_kilat' } }), 400);
    expect((await inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: {} })).statusCode).toBe(200);
    // Shipping twice books nothing new.
    await rejects(() => inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/ship`, headers: seller.headers, payload: {} }), 409);
    expect([...courier.orders.values()].filter((b) => b.referenceId === orderId)).toHaveLength(1);
  });

  it('cancels and refunds an order not shipped by the end of its third working day', async () => {
    const { orderId } = await paidOrder();
    const paidAt = new Date((await order(seller, orderId)).paidAt);
    const shipments = new ShipmentService(db, courier as never, pino({ level: 'silent' }));
    const job = { id: 'j', type: 'commerce.order.dispatch-deadline', payload: { orderId }, attempts: 1, maxAttempts: 5 };
    // Early: the job fails so the runner tries again, and the order stays.
    await expect(shipments.dispatchJob(() => new Date(paidAt.getTime() + 60_000))(job)).rejects.toThrow(/not due/);
    expect((await order(seller, orderId)).status).toBe('paid');
    await shipments.dispatchJob(() => new Date(dispatchDeadline(paidAt).getTime() + 1))(job);
    const seen = await order(buyer, orderId);
    expect(seen.status).toBe('refunded');
    expect(seen.events.at(-1)).toMatchObject({ action: 'seller_cancel', actor: 'system', reason: 'not shipped within 3 working days' });
    expect(seen.refund).toMatchObject({ status: 'requested' });
    // A shipped order is left alone.
    const shipped = await paidOrder();
    await inject({ method: 'POST', url: `/api/commerce/orders/${shipped.orderId}/ship`, headers: seller.headers, payload: {} });
    await shipments.dispatchJob(() => new Date(Date.now() + 30 * 86_400_000))({ ...job, payload: { orderId: shipped.orderId } });
    expect((await order(seller, shipped.orderId)).status).toBe('shipped');
  });
});

describe('dispatch deadline and stages', () => {
  it('counts three working days in WIB, skipping weekends', () => {
    // Thursday 2026-12-03 10:00 WIB → Tuesday 2026-12-08 end of day WIB.
    expect(dispatchDeadline(new Date('2026-12-03T03:00:00Z')).toISOString()).toBe('2026-12-08T17:00:00.000Z');
    // Friday 23:30 WIB is still Friday: Monday, Tuesday, Wednesday.
    expect(dispatchDeadline(new Date('2026-12-04T16:30:00Z')).toISOString()).toBe('2026-12-09T17:00:00.000Z');
    // Saturday 00:30 WIB counts from Saturday: Monday, Tuesday, Wednesday.
    expect(dispatchDeadline(new Date('2026-12-04T17:30:00Z')).toISOString()).toBe('2026-12-09T17:00:00.000Z');
  });

  it('moves stages forward only, and never from delivered into a return', () => {
    expect(advances('booked', 'picked_up')).toBe(true);
    expect(advances('out_for_delivery', 'picked_up')).toBe(false);
    expect(advances('delivered', 'returned')).toBe(false);
    expect(advances('returning', 'delivered')).toBe(false);
    expect(advances('returning', 'returned')).toBe(true);
    expect(advances('out_for_delivery', 'returning')).toBe(true);
  });
});
