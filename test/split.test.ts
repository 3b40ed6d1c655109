import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DOMAINS } from '../src/platform/config.js';
import { databaseName, dropPostgresDatabase } from '../src/platform/db.js';
import { startSplit, type Split } from '../src/server/split.js';
import { freePort } from './support/process.js';

const DATABASE_URL = process.env.DATABASE_URL;
const NATS_URL = process.env.NATS_URL;

/**
 * The split as `npm run start:split` runs it: identity, two social processes, commerce, bridge and
 * the gateway, each its own process on PostgreSQL and NATS. Social going down leaves commerce alone.
 */
describe.skipIf(!DATABASE_URL || !NATS_URL)('Sekat split into processes, on PostgreSQL and NATS', () => {
  const prefix = `sekat_x${randomBytes(5).toString('hex')}`;
  const stream = `SEKATSPLIT_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-split-'));
  const lines: string[] = [];
  let split: Split | undefined;

  afterAll(async () => {
    await split?.close();
    for (const domain of DOMAINS) await dropPostgresDatabase(DATABASE_URL!, databaseName(prefix, domain));
    const nc = await connect({ servers: NATS_URL! });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves through the gateway, fails over when a social process is killed, and checkout goes on with every social process stopped', { timeout: 300_000 }, async () => {
    const basePort = 20_000 + Math.floor(Math.random() * 20_000);
    split = await startSplit({
      databaseUrl: DATABASE_URL!,
      databasePrefix: prefix,
      natsUrl: NATS_URL!,
      natsStream: stream,
      dataDir,
      gatewayPort: await freePort(),
      basePort,
      socialProcesses: 2,
      logLevel: 'warn',
      extraEnv: { REQUIRE_VERIFIED_EMAIL: 'false' },
      write: (line) => lines.push(line),
    });
    const api = `${split.gatewayUrl}/api`;
    const call = async (method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${api}${url}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads whatever JSON each part answered
      return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as Record<string, any> };
    };
    const register = async (handle: string) => {
      const res = await call('POST', '/auth/register', undefined, { email: `${handle}@contoh.id`, password: 'sambal-matah-pedas', handle, displayName: handle });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.token as string;
    };

    const seller = await register(`penjual_${randomBytes(3).toString('hex')}`);
    const buyer = await register(`pembeli_${randomBytes(3).toString('hex')}`);
    expect((await call('GET', '/me', seller)).status).toBe(200);
    expect((await call('GET', '/social/feed/for-you', buyer)).status).toBe(200);
    const shop = await call('POST', '/commerce/shops', seller, { name: 'Toko Terpisah', slug: `pisah-${randomBytes(3).toString('hex')}`, city: 'Bandung', province: 'Jawa Barat' });
    expect(shop.status, JSON.stringify(shop.body)).toBe(201);
    const product = await call('POST', `/commerce/shops/${shop.body.id}/products`, seller, {
      title: 'Kemeja Batik Parang',
      description: 'Kemeja batik lengan panjang',
      category: 'fashion',
      imageUrls: ['https://cdn.example.id/batik.jpg'],
      variants: [{ sku: 'BTK-1', name: 'Ukuran M', priceIdr: 150_000, stock: 5, weightGrams: 400 }],
    });
    expect(product.status, JSON.stringify(product.body)).toBe(201);
    // The web app comes from the gateway too.
    const page = await fetch(`${split.gatewayUrl}/`);
    expect([200, 404]).toContain(page.status);

    // kill -9 one of the two social processes while requests go on: the gateway moves to the other.
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      if (i === 10) split.processes.find((p) => p.name === 'social-1')!.child.kill('SIGKILL');
      statuses.push((await call('GET', '/social/feed/for-you', buyer)).status);
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    await split.stop(['social-1', 'social-2']);
    const began = Date.now();
    const down = await call('GET', '/social/feed/for-you', buyer);
    expect(Date.now() - began).toBeLessThan(3000);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect(down.body).toMatchObject({ status: 503 });

    expect((await call('GET', `/commerce/products/${product.body.id}`)).status).toBe(200);
    const placed = await call(
      'POST',
      '/commerce/checkout',
      buyer,
      {
        items: [{ variantId: product.body.variants[0].id, quantity: 1 }],
        shippingAddress: { recipient: 'Siti Rahma', phone: '0812-3456-7890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' },
        courier: 'jne_reg',
        paymentMethod: 'va_bca',
      },
      { 'idempotency-key': `split-${randomBytes(4).toString('hex')}` },
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const paid = await call('POST', `/commerce/payments/${placed.body.payment.id}/simulate`, buyer, { outcome: 'paid' });
    expect(paid.status, JSON.stringify(paid.body)).toBeLessThan(300);
    const order = await call('GET', `/commerce/orders/${placed.body.order.id}`, buyer);
    expect(order.body.status).toBe('paid');
    // Every process wrote its lines under its own name.
    expect(lines.some((line) => line.startsWith('[social-1]'))).toBe(true);
  });
});
