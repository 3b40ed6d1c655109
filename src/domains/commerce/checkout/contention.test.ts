import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../testkit.js';

let config: Config;
let sekat: Sekat;

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
});

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`contention over HTTP (${STORE_LABEL})`, () => {
  it('200 concurrent buyers for 10 units: exactly 10 orders, 190 × 409, no 5xx', async () => {
    const seller = await registerUser(sekat.app, 'seller');
    const shop = await openShop(sekat.app, seller);
    const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 10 }]);
    const variantId = product.variants[0]!.id;
    // 20 accounts (argon2 makes each registration ~100 ms), each sending 10 checkouts with their
    // own Idempotency-Keys: 200 distinct concurrent purchases.
    const buyers: TestUser[] = await Promise.all(Array.from({ length: 20 }, (_, i) => registerUser(sekat.app, `racer${i}`)));
    const attempts = buyers.flatMap((buyer, b) => Array.from({ length: 10 }, (_, k) => ({ buyer, key: `race-${b}-${k}` })));
    const responses = await Promise.all(attempts.map(({ buyer, key }) => checkout(sekat.app, buyer, { items: [{ variantId, quantity: 1 }] }, key)));
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c >= 500)).toEqual([]);
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c === 409)).toHaveLength(190);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().type).toMatch(/out-of-stock$/);

    const db = sekat.stores.commerce.db;
    const orders = await db.selectFrom('order_lines').select('order_id').where('variant_id', '=', variantId).execute();
    expect(orders).toHaveLength(10);
    const variant = await db.selectFrom('variants').select(['stock', 'reserved']).where('id', '=', variantId).executeTakeFirstOrThrow();
    expect(variant).toEqual({ stock: 10, reserved: 10 });
  });
});
