import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { sql } from 'kysely';
import type { Database } from '../../platform/db.js';
import type { Config } from '../../platform/config.js';
import { disposeTestConfig, testConfig } from '../../platform/testing.js';
import { openCommerceHarness, type CommerceHarness } from './harness.js';
import type { CommerceInstance } from './index.js';
import type { PrivacyService } from './privacy.js';
import { createVoucher, type VoucherInput } from './checkout/vouchers.js';
import { registerUser as registerPerson, type TestUser as KitUser } from '../../../test/support/kit.js';

/** Test helpers for commerce's HTTP tests; they take the app, so they need no composition root. */
/** What commerce's helpers need of a person: the kit's user has it, and so do operators signed in by hand. */
export type TestUser = Pick<KitUser, 'token' | 'headers'>;
export { waitFor } from '../../../test/support/kit.js';

/** Commerce's tests name the person by a label (seller, buyer, …); handle and email are made from it. */
export function registerUser(app: FastifyInstance, label = 'user'): Promise<KitUser> {
  return registerPerson(app, { label, displayName: label, password: 'kopi-susu-gula-aren-42' });
}

export const ADDRESS = {
  recipient: 'Siti Rahma',
  phone: '0812-3456-7890',
  line1: 'Jl. Merdeka No. 10',
  city: 'Bandung',
  province: 'Jawa Barat',
  postalCode: '40111',
};

export async function openShop(app: FastifyInstance, owner: TestUser, overrides: Record<string, unknown> = {}) {
  const slug = `toko-${Math.random().toString(36).slice(2, 10)}`;
  const response = await app.inject({
    method: 'POST',
    url: '/api/commerce/shops',
    headers: owner.headers,
    payload: { name: 'Toko Batik', slug, city: 'Jakarta', description: 'Batik tulis', ...overrides },
  });
  if (response.statusCode !== 201) throw new Error(`shop failed: ${response.body}`);
  return response.json() as { id: string; slug: string; name: string };
}

export async function listProduct(
  app: FastifyInstance, owner: TestUser, shopId: string, variants: { stock: number; priceIdr?: number; weightGrams?: number }[] = [{ stock: 10 }],
  extra: Record<string, unknown> = {},
) {
  const response = await app.inject({
    method: 'POST',
    url: `/api/commerce/shops/${shopId}/products`,
    headers: owner.headers,
    payload: {
      title: 'Kemeja Batik Parang',
      description: 'Kemeja batik lengan panjang, katun primisima',
      category: 'fashion',
      imageUrls: ['https://cdn.example.id/batik.jpg'],
      variants: variants.map((v, i) => ({ sku: `BTK-${i}-${Math.random().toString(36).slice(2, 7)}`, name: `Ukuran ${['S', 'M', 'L', 'XL'][i % 4]}`, priceIdr: v.priceIdr ?? 150_000, stock: v.stock, weightGrams: v.weightGrams ?? 400 })),
      ...extra,
    },
  });
  if (response.statusCode !== 201) throw new Error(`product failed: ${response.body}`);
  return response.json() as { id: string; variants: { id: string; available: number; priceIdr: number }[] };
}

/** The sandbox courier carries a shipped order's parcel to `stage` (delivered by default), through its webhooks. */
export async function courierMoves(app: FastifyInstance, user: TestUser, orderId: string, stage = 'delivered') {
  const response = await app.inject({ method: 'POST', url: `/api/commerce/orders/${orderId}/courier/simulate`, headers: user.headers, payload: { stage } });
  if (response.statusCode !== 200) throw new Error(`courier failed: ${response.body}`);
  return response;
}

let keyCounter = 0;
export const newKey = () => `key-${Date.now()}-${++keyCounter}`;

export function checkout(app: FastifyInstance, buyer: TestUser, body: Record<string, unknown>, key: string | null = newKey()) {
  return app.inject({
    method: 'POST',
    url: '/api/commerce/checkout',
    headers: { ...buyer.headers, ...(key === null ? {} : { 'idempotency-key': key }) },
    payload: { shippingAddress: ADDRESS, courier: 'jne_reg', paymentMethod: 'va_bca', ...body },
  });
}

/** A fingerprint of everything a rejected request must leave alone. */
export async function storeSnapshot(db: Database): Promise<string> {
  const tables = ['shops', 'products', 'variants', 'stock_audit', 'cart_items', 'addresses', 'shop_subscribers', 'wishlist_items', 'vouchers', 'voucher_redemptions', 'idempotency_keys', 'payments', 'payment_notifications', 'orders', 'order_lines', 'reservations', 'order_events', 'shipments', 'shipment_events', 'reviews', 'affiliates', 'commissions', 'ledger_postings', 'ledger_lines', 'ledger_settlements', 'bank_accounts', 'payouts', 'outbox'];
  const counts: Record<string, unknown> = {};
  for (const table of tables) {
    counts[table] = (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db)).rows[0]?.n;
  }
  const state = await sql`select
      (select coalesce(sum(stock), 0)::bigint from variants) as stock, (select coalesce(sum(reserved), 0)::bigint from variants) as reserved,
      (select coalesce(sum(sold), 0)::bigint from variants) as sold, (select coalesce(sum(used), 0)::bigint from vouchers) as used,
      (select string_agg(status, ',' order by id) from orders) as orders, (select string_agg(status, ',' order by id) from payments) as payments,
      (select string_agg(price_idr::text || title, ',' order by v.id) from variants v join products p on p.id = v.product_id) as prices`.execute(db);
  return JSON.stringify({ counts, state: state.rows[0] });
}

/** Commerce's part of a person's export, as the bridge asks for it (the port), read as commerce's privacy export. */
export async function exportOf(commerce: CommerceInstance, subject: string) {
  return (await commerce.port.exportSubject(subject)).data as Awaited<ReturnType<PrivacyService['exportSubject']>>;
}

/** A platform voucher (no shop), written straight to commerce's store as the operator's route would. */
export function createPlatformVoucher(db: Database, input: VoucherInput): ReturnType<typeof createVoucher> {
  return createVoucher(db, null, input);
}

/**
 * Commerce's services on a fresh store of their own for one test file's model tests: opened before
 * its tests (handed to `opened`), closed and dropped after.
 */
export function useCommerceHarness(opened: (harness: CommerceHarness) => void): void {
  let config: Config | undefined;
  let harness: CommerceHarness | undefined;
  beforeAll(async () => {
    config = testConfig();
    harness = await openCommerceHarness(config);
    opened(harness);
  });
  afterAll(async () => {
    await harness?.close();
    if (config) await disposeTestConfig(config);
  });
}
