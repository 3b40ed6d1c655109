/**
 * Moderation of listings over HTTP: reports on products, shops and reviews that never tell the
 * seller who reported; a delisting and a shop suspension with their statements of reasons; a
 * reversal that puts back exactly what the decision took down. And the line between the sides:
 * neither database holds the other side's pseudonyms from reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from './testkit.js';
import { signInWithTotp } from '../../../test/support/second-factor.js';

let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let buyer: TestUser;
let reporter: TestUser;
let opOne: TestUser;
let opTwo: TestUser;
let shop: { id: string; slug: string };
let productId: string;
let reviewId: string;

const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, who: TestUser | null, payload?: object) =>
  sekat.app.inject({ method, url, headers: who?.headers ?? {}, ...(payload !== undefined ? { payload } : {}) });
const accountOf = async (who: TestUser) => (await inject('GET', '/api/me', who)).json().id as string;

async function registerOperator(email: string, handle: string): Promise<TestUser> {
  const response = await sekat.app.inject({ method: 'POST', url: '/api/auth/register', remoteAddress: `10.77.0.${handle.length}`, payload: { email, password: 'kopi-susu-gula-aren-42', handle, displayName: handle } });
  expect(response.statusCode, response.body).toBe(201);
  // Operators act only in a session signed in with their second factor.
  const token = await signInWithTotp(sekat.app, response.json().token, email, 'kopi-susu-gula-aren-42', `10.77.1.${handle.length}`);
  return { token, headers: { authorization: `Bearer ${token}` } };
}

/** Every row of every table in a database, as text. */
async function everything(store: Database): Promise<string> {
  const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(store);
  const parts: string[] = [];
  for (const { table_name } of rows) {
    const dump = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(store);
    parts.push(...dump.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  config = testConfig({ OPERATOR_EMAILS: 'satu@ops.sekat.id,dua@ops.sekat.id' });
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  seller = await registerUser(sekat.app, 'modjual');
  buyer = await registerUser(sekat.app, 'modbeli');
  reporter = await registerUser(sekat.app, 'modlapor');
  opOne = await registerOperator('satu@ops.sekat.id', 'opsatu');
  opTwo = await registerOperator('dua@ops.sekat.id', 'opdua');
  shop = await openShop(sekat.app, seller);
  productId = (await listProduct(sekat.app, seller, shop.id, [{ stock: 3 }])).id;
  const second = await listProduct(sekat.app, seller, shop.id, [{ stock: 3 }]);
  const placed = (await checkout(sekat.app, buyer, { items: [{ variantId: second.variants[0]!.id, quantity: 1 }] })).json();
  await inject('POST', `/api/commerce/payments/${placed.payment.id}/simulate`, buyer, { outcome: 'paid' });
  await inject('POST', `/api/commerce/orders/${placed.order.id}/ship`, seller, { courier: 'jne_reg', trackingNumber: 'JNE778' });
  await inject('POST', `/api/commerce/orders/${placed.order.id}/courier/simulate`, seller, { stage: 'delivered' });
  await inject('POST', `/api/commerce/orders/${placed.order.id}/complete`, buyer, {});
  const review = await inject('POST', `/api/commerce/orders/${placed.order.id}/reviews`, buyer, { rating: 1, text: 'Penjual ini penipu, transfer ke rekening saya saja' });
  expect(review.statusCode, review.body).toBe(201);
  reviewId = review.json().id;
}, 180_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`commerce moderation (${STORE_LABEL})`, () => {
  it('takes reports on products, shops and reviews, once per person and item, never about your own', async () => {
    const first = await inject('POST', '/api/commerce/reports', reporter, { itemKind: 'product', itemId: productId, reason: 'counterfeit', text: 'Logo merek tiruan' });
    expect(first.statusCode).toBe(201);
    const again = await inject('POST', '/api/commerce/reports', reporter, { itemKind: 'product', itemId: productId, reason: 'prohibited_product' });
    expect(again.json()).toMatchObject({ id: first.json().id, reason: 'prohibited_product', text: '' });
    expect((await inject('POST', '/api/commerce/reports', reporter, { itemKind: 'shop', itemId: shop.id, reason: 'scam' })).statusCode).toBe(201);
    expect((await inject('POST', '/api/commerce/reports', seller, { itemKind: 'review', itemId: reviewId, reason: 'scam' })).statusCode).toBe(201);
    const own = await inject('POST', '/api/commerce/reports', seller, { itemKind: 'product', itemId: productId, reason: 'spam' });
    expect(own.statusCode).toBe(422);
    expect(own.json().detail).toMatch(/own product/);
    expect((await inject('POST', '/api/commerce/reports', buyer, { itemKind: 'review', itemId: reviewId, reason: 'spam' })).statusCode).toBe(422);
    expect((await inject('POST', '/api/commerce/reports', reporter, { itemKind: 'video', itemId: productId, reason: 'spam' })).statusCode).toBe(400);
    expect((await inject('POST', '/api/commerce/reports', reporter, { itemKind: 'shop', itemId: '00000000-0000-7000-8000-000000000000', reason: 'spam' })).statusCode).toBe(404);
    expect((await sql<{ n: number }>`select count(*)::int as n from commerce_reports`.execute(db)).rows[0]!.n).toBe(3);
    const mine = (await inject('GET', '/api/commerce/reports/mine', reporter)).json().items;
    expect(mine.map((r: { item: { kind: string } }) => r.item.kind).sort()).toEqual(['product', 'shop']);
  });

  it('shows the seller what was reported about their items and never who reported', async () => {
    const about = await inject('GET', '/api/commerce/reports/about-me', seller);
    expect(about.statusCode).toBe(200);
    const items = about.json().items as Record<string, unknown>[];
    expect(items.map((r) => (r.item as { kind: string }).kind).sort()).toEqual(['product', 'shop']);
    for (const item of items) expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'item', 'reason', 'status']);
    const reporterSubject = sekat.domains.identity.subjectFor('commerce', await accountOf(reporter));
    expect(about.body).not.toContain(reporterSubject);
    expect(about.body).not.toContain('Logo merek tiruan');
    const statements = (await inject('GET', '/api/commerce/moderation/decisions/mine', seller)).body;
    expect(statements).not.toContain(reporterSubject);
  });

  it('delists a product and suspends a shop, each with a reason; a reversal puts back only what it took down', async () => {
    const decide = (who: TestUser, body: Record<string, unknown>) => inject('POST', '/api/commerce/moderation/decisions', who, body);
    const delist = { itemKind: 'product', itemId: productId, action: 'delist_product', reason: 'counterfeit', rule: 'Kebijakan Produk Terlarang 3: barang palsu; UU 20/2016 tentang Merek', explanation: 'Foto menunjukkan logo merek terdaftar milik pihak lain.' };
    expect((await decide(opOne, { ...delist, explanation: '' })).statusCode).toBe(400);
    expect((await decide(opOne, { ...delist, rule: undefined })).statusCode).toBe(400);
    expect((await decide(seller, delist)).statusCode).toBe(403);
    expect((await inject('GET', `/api/commerce/products/${productId}`, null)).statusCode).toBe(200);
    const delisted = await decide(opOne, delist);
    expect(delisted.statusCode).toBe(201);
    expect((await inject('GET', `/api/commerce/products/${productId}`, null)).statusCode).toBe(404);

    const suspend = await decide(opOne, { itemKind: 'shop', itemId: shop.id, action: 'suspend_shop', reason: 'scam', rule: 'Syarat Penjual 7', explanation: 'Meminta transfer di luar platform.', durationDays: 30 });
    expect(suspend.statusCode).toBe(201);
    const listing = await inject('POST', `/api/commerce/shops/${shop.id}/products`, seller, { title: 'Baru', description: 'x', category: 'fashion', variants: [{ sku: 'NEW-1', name: 'S', priceIdr: 10_000, stock: 1, weightGrams: 100 }] });
    expect(listing.statusCode).toBe(403);
    expect(listing.json().detail).toMatch(/suspended/);
    const live = await sql<{ n: number }>`select count(*)::int as n from products where shop_id = ${shop.id} and removed_at is null`.execute(db);
    expect(live.rows[0]!.n).toBe(0);

    const removeReview = await decide(opTwo, { itemKind: 'review', itemId: reviewId, action: 'remove', reason: 'scam', rule: 'Pedoman Ulasan 2', explanation: 'Ulasan mengajak transaksi di luar platform.' });
    expect(removeReview.statusCode).toBe(201);
    const buyerStatements = (await inject('GET', '/api/commerce/moderation/decisions/mine', buyer)).json().items;
    expect(buyerStatements).toEqual([expect.objectContaining({ action: 'remove', item: expect.objectContaining({ kind: 'review' }) })]);

    const sellerStatements = (await inject('GET', '/api/commerce/moderation/decisions/mine', seller)).json().items as { id: string; action: string }[];
    expect(sellerStatements.map((s) => s.action).sort()).toEqual(['delist_product', 'suspend_shop']);
    const shopDecision = sellerStatements.find((s) => s.action === 'suspend_shop')!;
    const appeal = await inject('POST', `/api/commerce/moderation/decisions/${shopDecision.id}/appeal`, seller, { text: 'Itu akun lain yang menyamar.' });
    expect(appeal.statusCode).toBe(201);
    const pending = (await inject('GET', '/api/commerce/moderation/appeals', opTwo)).json().items as { id: string }[];
    expect((await inject('POST', `/api/commerce/moderation/appeals/${pending[0]!.id}/decision`, opOne, { outcome: 'reversed', explanation: 'ok' })).statusCode).toBe(403);
    const reversed = await inject('POST', `/api/commerce/moderation/appeals/${pending[0]!.id}/decision`, opTwo, { outcome: 'reversed', explanation: 'Bukti penyamaran diterima.' });
    expect(reversed.statusCode).toBe(200);
    // The shop's second product is back; the first stays down under its own delisting.
    const back = await sql<{ id: string }>`select id from products where shop_id = ${shop.id} and removed_at is null`.execute(db);
    expect(back.rows.map((r) => r.id)).not.toContain(productId);
    expect(back.rows).toHaveLength(1);
    expect((await inject('GET', `/api/commerce/products/${productId}`, null)).statusCode).toBe(404);
    expect((await inject('POST', `/api/commerce/shops/${shop.id}/products`, seller, { title: 'Baru', description: 'x', category: 'fashion', variants: [{ sku: 'NEW-2', name: 'S', priceIdr: 10_000, stock: 1, weightGrams: 100 }] })).statusCode).toBe(201);
    const months = (await inject('GET', '/api/commerce/moderation/transparency', null)).json().months;
    expect(months[0]).toMatchObject({ actionsByType: { delist_product: 1, suspend_shop: 1, remove: 1 }, appeals: 1, reversals: 1 });
  });

  it('keeps reports on their side: no social pseudonym in commerce, no commerce pseudonym in social', async () => {
    const sellerAccount = await accountOf(seller);
    const reporterAccount = await accountOf(reporter);
    await inject('GET', '/api/social/me', seller);
    const handle = (await inject('GET', '/api/me', seller)).json().handle as string;
    const socialReport = await inject('POST', '/api/social/reports', reporter, { itemKind: 'profile', itemId: handle, reason: 'spam' });
    expect(socialReport.statusCode).toBe(201);
    const commerceText = await everything(db);
    const socialText = await everything(sekat.stores.social.db);
    for (const account of [sellerAccount, reporterAccount]) {
      const socialSubject = sekat.domains.identity.subjectFor('social', account);
      const commerceSubject = sekat.domains.identity.subjectFor('commerce', account);
      expect(socialText).toContain(socialSubject);
      expect(commerceText).toContain(commerceSubject);
      expect(commerceText).not.toContain(socialSubject);
      expect(socialText).not.toContain(commerceSubject);
      expect(commerceText).not.toContain(account);
      expect(socialText).not.toContain(account);
    }
    expect(socialText).toContain(socialReport.json().id);
    expect(commerceText).not.toContain(socialReport.json().id);
  });

  it('holds a listing that matches a prohibited-item rule for review, and refuses cross-border goods under USD 100', async () => {
    const otherSeller = await registerUser(sekat.app, 'modimpor');
    const otherShop = await openShop(sekat.app, otherSeller);
    const list = (extra: Record<string, unknown>, priceIdr = 250_000) =>
      inject('POST', `/api/commerce/shops/${otherShop.id}/products`, otherSeller, {
        title: 'Kemeja flanel',
        description: 'Katun tebal',
        category: 'fashion',
        variants: [{ sku: `SKU-${Math.random().toString(36).slice(2, 8)}`, name: 'M', priceIdr, stock: 5, weightGrams: 300 }],
        ...extra,
      });
    const held = await list({ title: 'Airsoft murah', description: 'Bisa pakai peluru, mirip Senjata Api asli!' });
    expect(held.statusCode).toBe(202);
    expect(held.json()).toMatchObject({ status: 'held_for_review', rule: { id: 'weapons', description: expect.stringContaining('Firearms') } });
    const heldId = held.json().id as string;
    expect((await inject('GET', `/api/commerce/products/${heldId}`, null)).statusCode).toBe(404);
    expect((await inject('GET', `/api/commerce/products?shop=${otherShop.slug}`, null)).json().items).toEqual([]);
    expect((await list({ category: 'kesehatan', title: 'Vitamin C' })).statusCode).toBe(202);
    expect((await list({ title: 'Kemeja senjata-apik' })).statusCode).toBe(201);

    const queue = (await inject('GET', '/api/commerce/moderation/queue', opOne)).json().items as { item: { id: string }; reasons: string[]; actions: string[] }[];
    expect(queue.find((entry) => entry.item.id === heldId)).toMatchObject({ reasons: ['prohibited_product'], actions: ['delist_product', 'warn'] });
    const about = (await inject('GET', '/api/commerce/reports/about-me', otherSeller)).json().items;
    expect(about).toEqual([]);
    const released = await inject('POST', '/api/commerce/moderation/dismissals', opOne, { itemKind: 'product', itemId: heldId, explanation: 'Airsoft gun berpeluru plastik, bukan senjata api.' });
    expect(released.json()).toEqual({ dismissed: 1 });
    expect((await inject('GET', `/api/commerce/products/${heldId}`, null)).statusCode).toBe(200);

    const before = (await sql<{ n: number }>`select count(*)::int as n from products`.execute(db)).rows[0]!.n;
    const cheap = await list({ crossBorder: true }, 1_599_999);
    expect(cheap.statusCode).toBe(422);
    expect(cheap.json().detail).toMatch(/Permendag 31\/2023/);
    expect(cheap.json().errors['variants.0.priceIdr']).toBeDefined();
    expect((await sql<{ n: number }>`select count(*)::int as n from products`.execute(db)).rows[0]!.n).toBe(before);
    expect((await list({ crossBorder: true }, 1_600_000)).statusCode).toBe(201);
    expect((await list({ crossBorder: false }, 1_599_999)).statusCode).toBe(201);
  });
});
