/**
 * An erasure can wait for open orders: the person keeps their sign-in to pay, track or cancel
 * what is still open, and the erasure starts by itself once commerce reports nothing open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { checkout, listProduct, openShop } from '../../src/domains/commerce/testkit.js';
import { register, waitFor, type Person } from './support.js';

let config: Config;
let sekat: Sekat;
let seller: Person;
let buyer: Person;
const api = (method: string, url: string, who?: Person) => sekat.app.inject({ method: method as 'GET', url, headers: who?.headers ?? {} });
const asCommerce = (p: Person) => ({ token: p.token, headers: p.headers });

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config);
  seller = await register(sekat.app, 'penjual.tunggu@contoh.id', 'penjual_tunggu', 'Penjual');
  buyer = await register(sekat.app, 'pembeli.tunggu@contoh.id', 'pembeli_tunggu', 'Pembeli Tunggu');
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`erasure that waits for open orders (${STORE_LABEL})`, () => {
  it('says what is open, keeps the sign-in while orders are open, and erases once they have closed', async () => {
    const shop = await openShop(sekat.app, asCommerce(seller));
    const product = await listProduct(sekat.app, asCommerce(seller), shop.id, [{ stock: 2 }]);
    const placed = (await checkout(sekat.app, asCommerce(buyer), { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] })).json();

    expect((await api('GET', '/api/privacy/erasure', buyer)).json()).toEqual({ openOrders: { asBuyer: 1, asSeller: 0 }, pending: null });
    expect((await api('GET', '/api/privacy/erasure', seller)).json().openOrders).toEqual({ asBuyer: 0, asSeller: 1 });
    expect((await api('GET', '/api/privacy/erasure')).statusCode).toBe(401);
    expect((await api('DELETE', '/api/me?afterOpenOrders=perhaps', buyer)).statusCode).toBe(400);

    const asked = await api('DELETE', '/api/me?afterOpenOrders=true', buyer);
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toMatchObject({ status: 'pending', waitingForOrders: true });
    const requestId = asked.json().id;
    // The job has looked and put itself off: nothing is erased and the buyer is still signed in.
    await waitFor('the erasure to put itself off', async () => {
      const queued = await sql<{ n: string }>`select count(*) as n from jobs where type = 'privacy.erase' and status = 'queued' and run_at > now()`.execute(sekat.stores.bridge.db);
      return Number(queued.rows[0]?.n) === 1;
    });
    expect((await api('GET', '/api/me', buyer)).statusCode).toBe(200);
    expect((await api('GET', '/api/privacy/erasure', buyer)).json().pending).toEqual({ id: requestId, waitingForOrders: true });
    // Asking again is the same request.
    expect((await api('DELETE', '/api/me', buyer)).json()).toMatchObject({ id: requestId, waitingForOrders: true });

    expect((await sekat.app.inject({ method: 'POST', url: `/api/commerce/orders/${placed.order.id}/cancel`, headers: buyer.headers, payload: {} })).statusCode).toBe(200);
    expect((await api('GET', '/api/privacy/erasure', buyer)).json().openOrders).toEqual({ asBuyer: 0, asSeller: 0 });
    // Its next look (brought forward here instead of waiting a quarter of an hour) finds nothing open.
    await sql`update jobs set run_at = now() where type = 'privacy.erase' and status = 'queued'`.execute(sekat.stores.bridge.db);
    sekat.deps.bridge.jobs.kick();
    await waitFor('the erasure', async () => {
      const row = await sekat.stores.bridge.db.selectFrom('privacy_requests').select('status').where('id', '=', requestId).executeTakeFirst();
      return row?.status === 'done';
    });
    expect((await api('GET', '/api/me', buyer)).statusCode).toBe(401);
    const order = await sekat.stores.commerce.db.selectFrom('orders').select(['buyer_subject', 'recipient']).where('id', '=', placed.order.id).executeTakeFirstOrThrow();
    expect(order.buyer_subject).toBeNull();
    expect(order.recipient).not.toBe('Siti Rahma');
  });

  it('lets the person call off an erasure while it waits, and then erases nothing', async () => {
    const waiter = await register(sekat.app, 'pembeli.batal@contoh.id', 'pembeli_batal', 'Pembeli Batal');
    const shop = await openShop(sekat.app, asCommerce(seller));
    const product = await listProduct(sekat.app, asCommerce(seller), shop.id, [{ stock: 2 }]);
    const placed = (await checkout(sekat.app, asCommerce(waiter), { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] })).json();
    expect((await api('DELETE', '/api/privacy/erasure', waiter)).statusCode).toBe(404);
    expect((await api('DELETE', '/api/privacy/erasure')).statusCode).toBe(401);

    const asked = await api('DELETE', '/api/me?afterOpenOrders=true', waiter);
    expect(asked.json()).toMatchObject({ waitingForOrders: true });
    const requestId = asked.json().id as string;
    const cancelled = await api('DELETE', '/api/privacy/erasure', waiter);
    expect(cancelled.statusCode, cancelled.body).toBe(204);
    expect((await api('GET', '/api/privacy/erasure', waiter)).json()).toEqual({ openOrders: { asBuyer: 1, asSeller: 0 }, pending: null });
    expect((await api('DELETE', '/api/privacy/erasure', waiter)).statusCode).toBe(404);
    const bridge = sekat.stores.bridge.db;
    expect(await bridge.selectFrom('privacy_requests').select('id').where('id', '=', requestId).execute()).toEqual([]);
    const looks = await sql<{ n: string }>`select count(*) as n from jobs where type = 'privacy.erase' and status = 'queued' and payload->>'requestId' = ${requestId}`.execute(bridge);
    expect(Number(looks.rows[0]?.n)).toBe(0);

    // The orders close and every job there is runs: the person is still there, order and all.
    expect((await sekat.app.inject({ method: 'POST', url: `/api/commerce/orders/${placed.order.id}/cancel`, headers: waiter.headers, payload: {} })).statusCode).toBe(200);
    await sql`update jobs set run_at = now() where status = 'queued'`.execute(bridge);
    sekat.deps.bridge.jobs.kick();
    await waitFor('the bridge jobs to settle', async () => {
      const busy = await sql<{ n: string }>`select count(*) as n from jobs where type = 'privacy.erase' and status in ('queued', 'running') and run_at <= now()`.execute(bridge);
      return Number(busy.rows[0]?.n) === 0;
    });
    expect((await api('GET', '/api/me', waiter)).statusCode).toBe(200);
    const order = await sekat.stores.commerce.db.selectFrom('orders').select(['buyer_subject']).where('id', '=', placed.order.id).executeTakeFirstOrThrow();
    expect(order.buyer_subject).not.toBeNull();
    // An erasure can still be asked for afterwards.
    const again = await api('DELETE', '/api/me?afterOpenOrders=true', waiter);
    expect(again.statusCode).toBe(202);
    expect(again.json().id).not.toBe(requestId);
    // Nothing is open any more, so this one runs to its end (and no job is left running as the stores close).
    await waitFor('the new erasure', async () => {
      const row = await bridge.selectFrom('privacy_requests').select('status').where('id', '=', again.json().id).executeTakeFirst();
      return row?.status === 'done';
    });
    expect((await api('GET', '/api/me', waiter)).statusCode).toBe(401);
  });
});
