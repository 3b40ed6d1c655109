/**
 * Review photos and the shop's reply over HTTP: the reviewer adds up to five photos, each checked to
 * be a picture by content and re-encoded (no metadata); the shop replies once and may edit it;
 * everyone else is refused with a problem and nothing changes; photos leave with the export and go
 * with the erasure while the review stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSekat, type Sekat } from '../../server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../platform/testing.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db.js';
import type { CommerceInstance } from './index.js';
import { checkout, listProduct, openShop, registerUser, storeSnapshot, type TestUser } from './testkit.js';

const run = promisify(execFile);
let config: Config;
let sekat: Sekat;
let db: Database;
let seller: TestUser;
let buyer: TestUser;
let other: TestUser;
let productId: string;
let reviewId: string;
let png: Buffer;

const inject = (method: 'GET' | 'POST' | 'PUT', url: string, who: TestUser | null, payload?: object | Buffer | string, type?: string) =>
  sekat.app.inject({ method, url, headers: { ...(who?.headers ?? {}), ...(type ? { 'content-type': type } : {}) }, ...(payload !== undefined ? { payload } : {}) });
const photo = (who: TestUser | null, body: Buffer | string, type = 'image/png', id = reviewId) => inject('POST', `/api/commerce/reviews/${id}/photos`, who, body, type);
const reviews = async () => (await inject('GET', `/api/commerce/products/${productId}/reviews`, null)).json().items as { id: string; photoUrls: string[]; reply: { text: string; at: string } | null }[];
const photosDir = () => path.join(config.dataDir, 'media', 'commerce', 'reviews');
const photoFiles = () => (existsSync(photosDir()) ? readdirSync(photosDir()).sort() : []);

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  db = sekat.stores.commerce.db;
  seller = await registerUser(sekat.app, 'ulasjual');
  buyer = await registerUser(sekat.app, 'ulasbeli');
  other = await registerUser(sekat.app, 'ulaslain');
  const shop = await openShop(sekat.app, seller);
  const product = await listProduct(sekat.app, seller, shop.id, [{ stock: 3 }]);
  productId = product.id;
  const placed = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] })).json();
  await inject('POST', `/api/commerce/payments/${placed.payment.id}/simulate`, buyer, { outcome: 'paid' });
  await inject('POST', `/api/commerce/orders/${placed.order.id}/ship`, seller, { courier: 'jne_reg', trackingNumber: 'JNE777' });
  await inject('POST', `/api/commerce/orders/${placed.order.id}/courier/simulate`, seller, { stage: 'delivered' });
  await inject('POST', `/api/commerce/orders/${placed.order.id}/complete`, buyer, {});
  const review = await inject('POST', `/api/commerce/orders/${placed.order.id}/reviews`, buyer, { rating: 4, text: 'Jahitan rapi' });
  expect(review.statusCode, review.body).toBe(201);
  reviewId = review.json().id;
  const file = path.join(config.dataDir, 'ulasan.jpg');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=1920x1080', '-frames:v', '1', '-metadata', 'comment=Rumah saya', file]);
  png = readFileSync(file);
}, 180_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`review photos (${STORE_LABEL})`, () => {
  it('refuses what is not a picture, someone else’s review and no sign-in, writing nothing', async () => {
    const before = await storeSnapshot(db);
    const files = photoFiles();
    for (const [who, body, type, status] of [
      [buyer, 'bukan foto', 'image/png', 415],
      [buyer, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('#EXTM3U\nhttp://contoh.id/x\n')]), 'image/png', 415],
      [buyer, 'halo', 'text/plain', 415],
      [other, png, 'image/jpeg', 404],
      [null, png, 'image/jpeg', 401],
    ] as const) {
      const response = await photo(who, body, type);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await photo(buyer, png, 'image/jpeg', '01890000-0000-7000-8000-000000000000')).statusCode).toBe(404);
    expect((await inject('GET', '/api/commerce/review-photos/01890000-0000-7000-8000-000000000000.jpg', null)).statusCode).toBe(404);
    expect((await inject('GET', '/api/commerce/review-photos/..%2F..%2Fsecrets.json', null)).statusCode).toBe(400);
    expect(await storeSnapshot(db)).toBe(before);
    expect(photoFiles()).toEqual(files);
  });

  it('adds photos to the reviewer’s own review, scaled to 1280 px and without metadata, five at most', async () => {
    const added = await photo(buyer, png, 'image/jpeg');
    expect(added.statusCode, added.body).toBe(201);
    const [url] = added.json().photoUrls as string[];
    expect(url).toMatch(/^\/api\/commerce\/review-photos\/[0-9a-f-]{36}\.jpg$/);
    const served = await inject('GET', url!, null);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', path.join(photosDir(), path.basename(url!))]);
    expect(JSON.parse(stdout).streams).toMatchObject([{ codec_name: 'mjpeg', width: 1280, height: 720 }]);
    expect(served.rawPayload.includes('Rumah saya')).toBe(false);
    for (let i = 1; i < 5; i++) expect((await photo(buyer, png, 'image/jpeg')).statusCode).toBe(201);
    expect((await reviews())[0]!.photoUrls).toHaveLength(5);
    const sixth = await photo(buyer, png, 'image/jpeg');
    expect(sixth.statusCode).toBe(422);
    expect(sixth.json().errors).toEqual({ file: ['at most 5 photos'] });
    expect(photoFiles()).toHaveLength(5);
  });
});

describe(`the shop's reply (${STORE_LABEL})`, () => {
  it('lets the shop reply once, edit it, and shows it with the review', async () => {
    const first = await inject('PUT', `/api/commerce/reviews/${reviewId}/reply`, seller, { text: '  Terima kasih, Kak!  ' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().reply).toMatchObject({ text: 'Terima kasih, Kak!' });
    const edited = await inject('PUT', `/api/commerce/reviews/${reviewId}/reply`, seller, { text: 'Terima kasih, ditunggu pesanan berikutnya.' });
    expect(edited.json().reply.text).toBe('Terima kasih, ditunggu pesanan berikutnya.');
    const [shown] = await reviews();
    expect(shown).toMatchObject({ id: reviewId, reply: { text: 'Terima kasih, ditunggu pesanan berikutnya.' } });
  });

  it('refuses the buyer, anyone else, an empty or too long reply, and a review that is not there, writing nothing', async () => {
    const before = await storeSnapshot(db);
    const shown = await reviews();
    const refuse = async (who: TestUser | null, payload: object, status: number, id = reviewId) => {
      const response = await inject('PUT', `/api/commerce/reviews/${id}/reply`, who, payload);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      return response.json();
    };
    await refuse(buyer, { text: 'Saya balas sendiri' }, 403);
    await refuse(other, { text: 'Iklan' }, 403);
    await refuse(null, { text: 'x' }, 401);
    expect((await refuse(seller, { text: '   ' }, 400)).errors).toEqual({ text: ['must not be empty'] });
    await refuse(seller, { text: 'x'.repeat(1001) }, 400);
    await refuse(seller, { text: 'x' }, 404, '01890000-0000-7000-8000-000000000000');
    expect(await storeSnapshot(db)).toBe(before);
    expect(await reviews()).toEqual(shown);
  });
});

describe(`review photos in privacy requests (${STORE_LABEL})`, () => {
  it('exports the photos with the review and erases them, keeping the review detached', async () => {
    const me = (await sekat.app.inject({ url: '/api/me', headers: buyer.headers })).json() as { id: string };
    const subject = sekat.domains.identity.subjectFor('commerce', me.id);
    const exported = await (sekat.domains.commerce as CommerceInstance).port.exportSubject(subject);
    expect(exported.files).toHaveLength(5);
    expect(exported.files![0]!.name).toMatch(/^reviews\/[0-9a-f-]{36}\.jpg$/);
    await (sekat.domains.commerce as CommerceInstance).port.eraseSubject(subject);
    expect(photoFiles()).toEqual([]);
    const [kept] = await reviews();
    expect(kept).toMatchObject({ id: reviewId, photoUrls: [], reply: { text: 'Terima kasih, ditunggu pesanan berikutnya.' } });
  });
});
