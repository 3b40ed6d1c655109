/**
 * The privacy line, proved: a full journey (follow, watch, tap, buy with attribution, pay,
 * complete, review) with marker values, then every table of every database is dumped and
 * searched. Each assertion names a thing that must not cross, so each can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import yauzl from 'yauzl';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { makeClip, multipart } from '../../src/domains/social/testkit.js';
import { readFileSync } from 'node:fs';
import { signToken } from '../../src/platform/tokens.js';
import { dumpDatabase, tablesContaining, filesContaining, register, waitFor, type Person } from './support.js';

const BUYER = {
  email: 'ratna.markerbuyer@contoh.id',
  handle: 'ratna_marker',
  displayName: 'Ratna Penanda',
  recipient: 'Ratna Penerima Unik',
  phone: '0812-9876-5432',
  phoneNormalised: '+6281298765432',
  line1: 'Jl. Penanda Rahasia No. 77',
};

/** A second address of the buyer's, in their address book only. */
const OFFICE_LINE = 'Jl. Kantor Penanda No. 9';

let config: Config;
let sekat: Sekat;
let seller: Person;
let creator: Person;
let buyer: Person;
let other: Person;
let productId: string;
let variantId: string;
let videoId: string;
let orderId: string;
let attributionToken: string;
let secondBuyer: Person;
const other_buyer = () => secondBuyer;

const api = (method: string, url: string, who?: Person, payload?: unknown, headers: Record<string, string> = {}) =>
  sekat.app.inject({ method: method as 'GET', url, headers: { ...(who?.headers ?? {}), ...headers }, payload: payload as object });

const subjectsOf = (person: Person) => ({
  social: sekat.domains.identity.subjectFor('social', person.id),
  commerce: sekat.domains.identity.subjectFor('commerce', person.id),
  bridge: sekat.domains.identity.subjectFor('bridge', person.id),
});

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config);

  seller = await register(sekat.app, 'seller.marker@contoh.id', 'toko_marker', 'Penjual Penanda');
  creator = await register(sekat.app, 'creator.marker@contoh.id', 'kreator_marker', 'Kreator Penanda');
  buyer = await register(sekat.app, BUYER.email, BUYER.handle, BUYER.displayName);
  other = await register(sekat.app, 'other.marker@contoh.id', 'lain_marker', 'Orang Lain');
  secondBuyer = await register(sekat.app, 'budi.buyer@contoh.id', 'budi_buyer', 'Budi');

  const shop = (await api('POST', '/api/commerce/shops', seller, { name: 'Toko Penanda', slug: 'toko-penanda', city: 'Jakarta Selatan', description: 'Batik' })).json();
  const product = await api('POST', `/api/commerce/shops/${shop.id}/products`, seller, {
    title: 'Kemeja Batik Penanda',
    description: 'Katun',
    category: 'fashion',
    variants: [{ sku: 'KMJ-M', name: 'M', priceIdr: 185_000, stock: 20, weightGrams: 400 }],
  });
  expect(product.statusCode).toBe(201);
  productId = product.json().id;
  variantId = product.json().variants[0].id;
  expect((await api('PUT', `/api/commerce/shops/${shop.id}/affiliate`, seller, { commissionPercent: 10 })).statusCode).toBe(200);

  const clip = await makeClip({ width: 180, height: 320, seconds: 2 });
  const form = multipart({ caption: 'Batik keren #batik' }, { name: 'clip.mp4', content: readFileSync(clip) });
  const upload = await sekat.app.inject({ method: 'POST', url: '/api/social/videos', payload: form.payload, headers: { ...form.headers, ...creator.headers } });
  expect(upload.statusCode).toBe(202);
  videoId = upload.json().id;
  await waitFor('the video to be ready', async () => (await api('GET', `/api/social/videos/${videoId}`, creator)).json().status === 'ready', 90_000);
}, 180_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`the bridge and the privacy line (${STORE_LABEL})`, () => {
  it('tags only after the creator enrols and links, and never more than allowed', async () => {
    await waitFor('the product card projection', async () => {
      const rows = await sekat.stores.social.db.selectFrom('product_cards').select('product_id').where('product_id', '=', productId).execute();
      return rows.length > 0;
    });
    const tag = () => api('POST', `/api/social/videos/${videoId}/product-tags`, creator, { productId });
    const notLinked = await tag();
    expect(notLinked.statusCode).toBe(403);
    expect((await api('POST', '/api/creator/affiliate-link', creator)).statusCode).toBe(409);
    const enrol = await api('POST', '/api/commerce/affiliates', creator);
    expect(enrol.statusCode).toBe(200);
    const link = await api('POST', '/api/creator/affiliate-link', creator);
    expect(link.statusCode).toBe(200);
    expect(link.json().affiliateId).toBe(enrol.json().affiliateId);
    const tagged = await tag();
    expect(tagged.statusCode).toBe(201);
    expect(tagged.json().productTags).toEqual([expect.objectContaining({ productId, title: 'Kemeja Batik Penanda', priceMinIdr: 185_000, inStock: true, shopName: 'Toko Penanda' })]);
    // Someone else's video, an unknown product: refused, nothing written.
    expect((await api('POST', `/api/social/videos/${videoId}/product-tags`, other, { productId })).statusCode).toBe(404);
    expect((await api('POST', `/api/social/videos/${videoId}/product-tags`, creator, { productId: '00000000-0000-7000-8000-000000000000' })).statusCode).toBe(404);
    const video = (await api('GET', `/api/social/videos/${videoId}`)).json();
    expect(video.productTags.map((t: { productId: string }) => t.productId)).toEqual([productId]);
  });

  it('linking is a first use: a creator who has not posted or followed yet gets their profile and the link', async () => {
    const fresh = await register(sekat.app, 'baru.kreator@contoh.id', 'kreator_baru', 'Kreator Baru');
    const social = subjectsOf(fresh).social;
    expect(await sekat.stores.social.db.selectFrom('profiles').select('subject').where('subject', '=', social).execute()).toEqual([]);
    const enrol = await api('POST', '/api/commerce/affiliates', fresh);
    const link = await api('POST', '/api/creator/affiliate-link', fresh);
    expect(link.statusCode, link.body).toBe(200);
    expect(link.json().affiliateId).toBe(enrol.json().affiliateId);
    expect((await api('GET', '/api/social/users/kreator_baru')).json()).toMatchObject({ handle: 'kreator_baru', displayName: 'Kreator Baru' });
    const consents = (await api('GET', '/api/privacy/consents', fresh)).json().items;
    expect(consents.find((c: { purpose: string }) => c.purpose === 'creator_affiliate').granted).toBe(true);
  });

  it('a viewer taps and buys; the token names the affiliate, the video and the product, never the viewer', async () => {
    expect((await api('POST', `/api/social/users/kreator_marker/follow`, buyer)).statusCode).toBeLessThan(300);
    expect((await api('POST', '/api/social/events', buyer, { events: [{ type: 'view', videoId, watchedMs: 2000, completed: true }] })).statusCode).toBe(202);
    const open = await api('POST', `/api/social/videos/${videoId}/product-tags/${productId}/open`, buyer);
    expect(open.statusCode).toBe(200);
    attributionToken = open.json().attributionToken;
    const claims = JSON.parse(Buffer.from(attributionToken.split('.')[0]!, 'base64url').toString());
    expect(Object.keys(claims).sort()).toEqual(['aff', 'exp', 'n', 'pid', 'v', 'vid']);
    expect(claims).toMatchObject({ vid: videoId, pid: productId });
    const viewer = subjectsOf(buyer);
    for (const secret of [viewer.social, viewer.commerce, viewer.bridge, buyer.id, BUYER.handle, BUYER.email]) {
      expect(JSON.stringify(claims)).not.toContain(secret);
    }
    // The same tap signed in or not gives the same kind of token; taps are counted, not recorded.
    const anonymous = await api('POST', `/api/social/videos/${videoId}/product-tags/${productId}/open`);
    expect(anonymous.statusCode).toBe(200);
    const taps = await sekat.stores.social.db.selectFrom('tag_taps').selectAll().execute();
    expect(taps).toEqual([expect.objectContaining({ video_id: videoId, taps: 2 })]);
    expect(Object.keys(taps[0]!).sort()).toEqual(['day', 'taps', 'video_id']);

    const checkout = await api(
      'POST',
      '/api/commerce/checkout',
      buyer,
      {
        items: [{ variantId, quantity: 1, attributionToken }],
        shippingAddress: { recipient: BUYER.recipient, phone: BUYER.phone, line1: BUYER.line1, city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' },
        courier: 'jne_reg',
        paymentMethod: 'va_bca',
      },
      { 'idempotency-key': 'journey-1' },
    );
    expect(checkout.statusCode).toBe(201);
    orderId = checkout.json().order.id;
    const paymentId = checkout.json().payment.id;
    expect((await api('POST', `/api/commerce/payments/${paymentId}/simulate`, buyer, { outcome: 'paid' })).statusCode).toBeLessThan(300);
    expect((await api('POST', `/api/commerce/orders/${orderId}/ship`, seller, { courier: 'jne_reg', trackingNumber: 'JNE12345678' })).statusCode).toBe(200);
    expect((await api('POST', `/api/commerce/orders/${orderId}/courier/simulate`, seller, { stage: 'delivered' })).statusCode).toBe(200);
    expect((await api('POST', `/api/commerce/orders/${orderId}/complete`, buyer)).statusCode).toBe(200);
    expect((await api('POST', `/api/commerce/orders/${orderId}/reviews`, buyer, { rating: 5, text: 'Bagus sekali' })).statusCode).toBe(201);
    // Following the shop, Favorit and the address book are commerce facts that never reach social.
    const shopId = (await api('GET', '/api/commerce/shops/toko-penanda')).json().id;
    expect((await api('POST', `/api/commerce/shops/${shopId}/follow`, buyer)).statusCode).toBe(200);
    expect((await api('PUT', `/api/commerce/wishlist/${productId}`, buyer)).statusCode).toBe(200);
    const office = { label: 'Kantor', recipient: BUYER.recipient, phone: BUYER.phone, line1: OFFICE_LINE, city: 'Jakarta Selatan', province: 'DKI Jakarta', postalCode: '12190' };
    expect((await api('POST', '/api/commerce/addresses', buyer, office)).statusCode).toBe(201);

    const commissions = await api('GET', '/api/commerce/affiliates/me/commissions', creator);
    expect(commissions.statusCode).toBe(200);
    expect(commissions.json().items).toEqual([expect.objectContaining({ productId, amountIdr: 18_500, state: 'confirmed' })]);
    const listing = commissions.body;
    for (const secret of [BUYER.recipient, BUYER.line1, BUYER.handle, BUYER.email, viewer.commerce, viewer.social]) expect(listing).not.toContain(secret);
  });

  it('a tampered, expired or borrowed token earns nothing, and the purchase still goes through', async () => {
    const other = (await api('POST', `/api/commerce/shops/${(await api('GET', '/api/commerce/shops/toko-penanda')).json().id}/products`, seller, {
      title: 'Selendang Penanda',
      description: 'Sutra',
      category: 'fashion',
      variants: [{ sku: 'SLD-1', name: 'Satu ukuran', priceIdr: 90_000, stock: 5, weightGrams: 200 }],
    })).json();
    const [body, mac] = attributionToken.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const expired = signToken(config.secrets.attributionKey, { ...claims, exp: Math.floor(Date.now() / 1000) - 1 });
    const tampered = `${Buffer.from(JSON.stringify({ ...claims, pid: other.id })).toString('base64url')}.${mac}`;
    const cases: [string, string, string][] = [
      ['expired', expired, variantId],
      ['tampered', tampered, other.variants[0].id],
      ['for another product', attributionToken, other.variants[0].id],
      ['garbage', 'not-a-token', variantId],
    ];
    for (const [label, token, variant] of cases) {
      const res = await api(
        'POST',
        '/api/commerce/checkout',
        other_buyer(),
        { items: [{ variantId: variant, quantity: 1, attributionToken: token }], shippingAddress: { recipient: 'Budi', phone: '081311112222', line1: 'Jl. Lain 1', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' }, courier: 'jne_reg', paymentMethod: 'va_bca' },
        { 'idempotency-key': `bad-token-${label.replace(/ /g, '-')}` },
      );
      expect(res.statusCode, `${label}: ${res.body}`).toBe(201);
      const lines = await sekat.stores.commerce.db.selectFrom('order_lines').select(['affiliate_id']).where('order_id', '=', res.json().order.id).execute();
      expect(lines.map((l) => l.affiliate_id), label).toEqual([null]);
    }
  });

  it('refuses a sixth tag on one video', async () => {
    const shopId = (await api('GET', '/api/commerce/shops/toko-penanda')).json().id;
    const extra: string[] = [];
    for (let i = 0; i < 5; i++) {
      const made = await api('POST', `/api/commerce/shops/${shopId}/products`, seller, {
        title: `Produk ${i}`, description: '', category: 'hobi', variants: [{ sku: `EXTRA-${i}`, name: 'x', priceIdr: 1000, stock: 1, weightGrams: 10 }],
      });
      extra.push(made.json().id);
    }
    await waitFor('the new product cards', async () => {
      const rows = await sekat.stores.social.db.selectFrom('product_cards').select('product_id').where('product_id', 'in', extra).execute();
      return rows.length === extra.length;
    });
    const statuses: number[] = [];
    for (const id of extra) statuses.push((await api('POST', `/api/social/videos/${videoId}/product-tags`, creator, { productId: id })).statusCode);
    expect(statuses).toEqual([201, 201, 201, 201, 409]);
    const tags = await sekat.stores.social.db.selectFrom('video_product_tags').select('product_id').where('video_id', '=', videoId).execute();
    expect(tags).toHaveLength(5);
    await api('DELETE', `/api/social/videos/${videoId}/product-tags/${extra[3]}`, creator);
  });

  it('creator analytics shows views and taps and withholds orders below five', async () => {
    const res = await api('GET', '/api/creator/analytics', creator);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const item = body.items.find((i: { videoId: string }) => i.videoId === videoId);
    expect(item).toMatchObject({ views: 1, taps: 2, attributedOrders: '< 5', revenueIdr: null, commissionIdr: null });
    for (const secret of [BUYER.recipient, BUYER.handle, BUYER.email, subjectsOf(buyer).commerce, orderId]) expect(res.body).not.toContain(secret);
  });

  it('no database holds what belongs to the other side', async () => {
    const buyerSubjects = subjectsOf(buyer);
    const creatorSubjects = subjectsOf(creator);
    const social = await dumpDatabase(sekat.stores.social);
    const commerce = await dumpDatabase(sekat.stores.commerce);
    const identity = await dumpDatabase(sekat.stores.identity);
    const bridge = await dumpDatabase(sekat.stores.bridge);
    // Social: no commerce subject, order id, address, phone or buyer name.
    const secrets = [
      buyerSubjects.commerce, creatorSubjects.commerce, orderId, BUYER.line1, OFFICE_LINE,
      BUYER.phoneNormalised, BUYER.phone, BUYER.recipient, BUYER.email, buyer.id,
    ];
    for (const secret of secrets) {
      expect(tablesContaining(social, secret), `social holds ${secret}`).toEqual([]);
    }
    // Commerce: no social subject, handle, email, watch event or follow.
    for (const secret of [buyerSubjects.social, creatorSubjects.social, BUYER.handle, 'kreator_marker', BUYER.email, 'creator.marker@contoh.id', buyer.id, creator.id, buyerSubjects.bridge]) {
      expect(tablesContaining(commerce, secret), `commerce holds ${secret}`).toEqual([]);
    }
    expect(Object.keys(commerce).filter((t) => /watch|follow|like|comment/.test(t))).toEqual([]);
    // Identity knows accounts, not what anyone watched or bought.
    for (const secret of [videoId, orderId, productId, BUYER.line1]) expect(tablesContaining(identity, secret), `identity holds ${secret}`).toEqual([]);
    // The bridge keeps consents and links, not addresses, orders or watch history.
    for (const secret of [BUYER.line1, BUYER.phoneNormalised, BUYER.email, orderId]) expect(tablesContaining(bridge, secret), `bridge holds ${secret}`).toEqual([]);
  });

  it('purchase categories reach social only under consent, and revoking deletes them', async () => {
    const social = subjectsOf(buyer).social;
    const categories = () => sekat.stores.social.db.selectFrom('viewer_purchase_categories').select('category').where('subject', '=', social).execute();
    expect(await categories()).toEqual([]);
    expect((await api('PUT', '/api/privacy/consents/nope', buyer, { granted: true })).statusCode).toBe(404);
    const granted = await api('PUT', '/api/privacy/consents/personalize_feed_with_purchases', buyer, { granted: true });
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toMatchObject({ purpose: 'personalize_feed_with_purchases', granted: true, version: 1 });
    expect(await categories()).toEqual([{ category: 'fashion' }]);
    const revoked = await api('PUT', '/api/privacy/consents/personalize_feed_with_purchases', buyer, { granted: false });
    expect(revoked.json().history.map((h: { granted: boolean }) => h.granted)).toEqual([false, true]);
    expect(await categories()).toEqual([]);
    const links = await sekat.stores.bridge.db.selectFrom('personalization_links').selectAll().execute();
    expect(links).toEqual([]);
  });

  it('unlinking stops new attribution', async () => {
    expect((await api('DELETE', '/api/creator/affiliate-link', creator)).statusCode).toBe(204);
    const open = await api('POST', `/api/social/videos/${videoId}/product-tags/${productId}/open`);
    expect(open.json().attributionToken).toBeNull();
    expect((await api('POST', '/api/creator/affiliate-link', creator)).statusCode).toBe(200);
  });

  it('exports a complete zip to its owner only', async () => {
    const created = await api('POST', '/api/privacy/exports', buyer);
    expect(created.statusCode).toBe(202);
    const id = created.json().id;
    expect((await api('GET', `/api/privacy/exports/${id}`, other)).statusCode).toBe(404);
    const ready = await waitFor('the export', async () => {
      const status = (await api('GET', `/api/privacy/exports/${id}`, buyer)).json();
      return status.status === 'ready' ? status : undefined;
    });
    expect((await api('GET', `/api/privacy/exports/${id}/download`, other)).statusCode).toBe(404);
    expect((await api('GET', `/api/privacy/exports/${id}/download?token=forged.token`)).statusCode).toBe(404);
    const download = await api('GET', ready.downloadUrl);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/zip');
    const entries = await zipEntries(download.rawPayload);
    expect(Object.keys(entries).sort()).toEqual(['BACA-SAYA.txt', 'bridge.json', 'commerce.json', 'identity.json', 'social.json']);
    expect(entries['BACA-SAYA.txt']).toContain('DATA ANDA DI SEKAT');
    expect(JSON.parse(entries['identity.json']!).account.email).toBe(BUYER.email);
    expect(entries['commerce.json']).toContain(BUYER.line1);
    const commerceJson = JSON.parse(entries['commerce.json']!);
    expect(commerceJson.addresses.map((a: { line1: string }) => a.line1).sort()).toEqual([BUYER.line1, OFFICE_LINE].sort());
    expect(commerceJson.followedShops).toHaveLength(1);
    expect(commerceJson.wishlist).toEqual([expect.objectContaining({ product_id: productId })]);
    expect(JSON.parse(entries['social.json']!).watchHistory).toHaveLength(1);
    expect(JSON.parse(entries['bridge.json']!).consents.length).toBe(2);
    // The creator's export carries their video files.
    const creatorExport = (await api('POST', '/api/privacy/exports', creator)).json().id;
    const creatorReady = await waitFor('the creator export', async () => {
      const status = (await api('GET', `/api/privacy/exports/${creatorExport}`, creator)).json();
      return status.status === 'ready' ? status : undefined;
    });
    const creatorZip = await zipEntries((await api('GET', creatorReady.downloadUrl)).rawPayload);
    expect(Object.keys(creatorZip).some((name) => name.startsWith(`social/files/${videoId}/`) && name.endsWith('.m3u8'))).toBe(true);
  });

  it('erases the account everywhere; sign-in is refused at once; asking twice is the same', async () => {
    const buyerSubjects = subjectsOf(buyer);
    const first = await api('DELETE', '/api/me', buyer);
    expect(first.statusCode).toBe(202);
    const login = await sekat.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: BUYER.email, password: 'jembatan-sempit-sekali' }, remoteAddress: '10.78.0.1' });
    expect(login.statusCode).toBe(401);
    expect((await api('GET', '/api/me', buyer)).statusCode).toBe(401);
    const second = await api('DELETE', '/api/me', buyer);
    expect([202, 401]).toContain(second.statusCode);
    if (second.statusCode === 202) expect(second.json().id).toBe(first.json().id);
    await waitFor('the erasure', async () => {
      const row = await sekat.stores.bridge.db.selectFrom('privacy_requests').select('status').where('id', '=', first.json().id).executeTakeFirst();
      return row?.status === 'done';
    }, 60_000);
    const markers = [
      BUYER.email, BUYER.handle, BUYER.displayName, BUYER.recipient, BUYER.line1, OFFICE_LINE, BUYER.phone, BUYER.phoneNormalised,
      buyer.id, buyerSubjects.social, buyerSubjects.commerce, buyerSubjects.bridge,
    ];
    for (const domain of ['identity', 'social', 'commerce', 'bridge'] as const) {
      const dump = await dumpDatabase(sekat.stores[domain]);
      for (const marker of markers) expect(tablesContaining(dump, marker), `${domain} still holds ${marker}`).toEqual([]);
    }
    for (const marker of [BUYER.email, BUYER.handle, BUYER.recipient, BUYER.line1]) {
      expect(filesContaining(path.join(config.dataDir, 'media'), marker)).toEqual([]);
      expect(filesContaining(path.join(config.dataDir, 'exports'), marker)).toEqual([]);
    }
    // The order stays for the tax records, minimised and detached.
    const order = await sekat.stores.commerce.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
    expect(order.buyer_subject).toBeNull();
    expect(order.total_idr).toBeGreaterThan(0);
  });
});

function zipEntries(buffer: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries: Record<string, string> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries[entry.fileName] = Buffer.concat(chunks).toString('utf8');
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}
