import { afterAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DOMAINS } from '../src/platform/config.js';
import { databaseName, dropPostgresDatabase } from '../src/platform/db.js';
import { exited, freePort, startServer } from './support/process.js';

const DATABASE_URL = process.env.DATABASE_URL;
const NATS_URL = process.env.NATS_URL;

/**
 * Sekat as several processes: two servers started at the same moment on one set of PostgreSQL
 * databases (and, when NATS_URL is set, one JetStream stream) — what README's "Scaling out" says.
 */
describe.skipIf(!DATABASE_URL)('two processes on one PostgreSQL', () => {
  const prefix = `sekat_s${randomBytes(5).toString('hex')}`;
  const stream = `SEKATSCALE_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-scale-'));
  const children: ChildProcess[] = [];

  afterAll(async () => {
    await Promise.all(children.map(async (child) => {
      const stop = exited(child);
      child.kill('SIGTERM');
      await stop;
    }));
    for (const domain of DOMAINS) await dropPostgresDatabase(DATABASE_URL!, databaseName(prefix, domain));
    if (NATS_URL) {
      const nc = await connect({ servers: NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('start at once, and a shop opened through one sells through the other', { timeout: 240_000 }, async () => {
    const env = { DATABASE_URL: DATABASE_URL!, DATABASE_PREFIX: prefix, DATA_DIR: dataDir, NATS_URL: NATS_URL ?? '', NATS_STREAM: stream, REQUIRE_VERIFIED_EMAIL: 'false' };
    const ports = [await freePort(), await freePort()];
    // Both create the same databases, extensions and tables at the same moment.
    children.push(...(await Promise.all(ports.map((port) => startServer(env, port)))));
    const [one, two] = ports.map((port) => `http://127.0.0.1:${port}/api`);
    const call = async (url: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const register = async (url: string, handle: string) =>
      (await call(`${url}/auth/register`, undefined, { email: `${handle}@contoh.id`, password: 'sambal-matah-pedas', handle, displayName: handle })).body.token as string;

    const seller = await register(one!, 'penjual_satu');
    const shop = await call(`${one}/commerce/shops`, seller, { name: 'Toko Dua Proses', slug: `dua-${randomBytes(3).toString('hex')}`, city: 'Bandung', province: 'Jawa Barat' });
    expect(shop.status).toBe(201);
    const product = await call(`${one}/commerce/shops/${shop.body.id}/products`, seller, {
      title: 'Kopi Aceh Gayo',
      description: 'Arabika 250 g',
      category: 'makanan',
      variants: [{ sku: 'GAYO-250', name: '250 g', priceIdr: 85_000, stock: 1, weightGrams: 250 }],
    });
    expect(product.status).toBe(201);

    // The seller's session works on the other process; so does a buyer's, both ways.
    expect((await call(`${two}/me`, seller)).status).toBe(200);
    const buyers = [await register(two!, 'pembeli_dua'), await register(one!, 'pembeli_satu')];
    const order = (token: string, key: string) =>
      call(`${key === 'a' ? two : one}/commerce/checkout`, token, {
        items: [{ variantId: product.body.variants[0].id, quantity: 1 }],
        shippingAddress: { recipient: 'Dewi', phone: '081234567890', line1: 'Jl. Braga 1', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' },
        courier: 'jne_reg',
        paymentMethod: 'qris',
      }, { 'Idempotency-Key': key });
    // One unit, two buyers on two processes at once: one order, one clear 409.
    const results = await Promise.all([order(buyers[0]!, 'a'), order(buyers[1]!, 'b')]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);

    // The product's card reaches social (through the bus the two share) and shows sold out.
    const social = new pg.Client({ connectionString: Object.assign(new URL(DATABASE_URL!), { pathname: `/${databaseName(prefix, 'social')}` }).toString() });
    await social.connect();
    try {
      const deadline = Date.now() + 20_000;
      let card: { title: string; in_stock: boolean } | undefined;
      while (Date.now() < deadline) {
        card = (await social.query('select title, in_stock from product_cards where product_id = $1', [product.body.id])).rows[0];
        if (card && !card.in_stock) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(card).toEqual({ title: 'Kopi Aceh Gayo', in_stock: false });
    } finally {
      await social.end();
    }
  });
});
