/**
 * Every picture people upload is written anew on the server with no metadata: a phone photo's EXIF
 * carries the GPS position it was taken at (for a seller, often their home), the camera and its
 * owner; XMP repeats it, an ICC profile and a comment can name a person. Product photos, review
 * photos and avatars are uploaded as a JPEG carrying all of these, and what is stored and served is
 * checked segment by segment. Product photos also leave the disk when they leave the product.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { stripJpegMetadata } from '../../src/platform/pictures.js';
import { checkout, listProduct, openShop, registerUser, type TestUser } from '../../src/domains/commerce/testkit.js';

const run = promisify(execFile);
let config: Config;
let sekat: Sekat;
let seller: TestUser;
let buyer: TestUser;
let shopId: string;
let plain: Buffer;
let located: Buffer;

const SECRET_COMMENT = 'Rumah penjual Jl. Melati 5';
const SECRET_XMP = 'exif:GPSLatitude="6,12.3456S"';

const segment = (marker: number, payload: Buffer) => {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
};

/** An EXIF block as a phone writes it: Orientation 6 (turn right) and a GPS position south of the equator. */
function exifWithGps(): Buffer {
  const tiff = Buffer.alloc(92);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(2, 8); // IFD0: Orientation, GPS pointer
  tiff.writeUInt16LE(0x0112, 10); tiff.writeUInt16LE(3, 12); tiff.writeUInt32LE(1, 14); tiff.writeUInt16LE(6, 18);
  tiff.writeUInt16LE(0x8825, 22); tiff.writeUInt16LE(4, 24); tiff.writeUInt32LE(1, 26); tiff.writeUInt32LE(38, 30);
  tiff.writeUInt16LE(2, 38); // GPS IFD: GPSLatitudeRef 'S', GPSLatitude 6° 12' 34.56"
  tiff.writeUInt16LE(1, 40); tiff.writeUInt16LE(2, 42); tiff.writeUInt32LE(2, 44); tiff.write('S\0', 48, 'latin1');
  tiff.writeUInt16LE(2, 52); tiff.writeUInt16LE(5, 54); tiff.writeUInt32LE(3, 56); tiff.writeUInt32LE(68, 60);
  [6, 1, 12, 1, 3456, 100].forEach((value, i) => tiff.writeUInt32LE(value, 68 + i * 4));
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/** The markers of a JPEG's segments before its picture data. */
function markersOf(jpeg: Buffer): number[] {
  expect(jpeg.subarray(0, 2).equals(Buffer.from([0xff, 0xd8]))).toBe(true);
  const markers: number[] = [];
  for (let at = 2; at + 4 <= jpeg.length; ) {
    const marker = jpeg[at + 1]!;
    markers.push(marker);
    if (marker === 0xda) break;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return markers;
}

async function probe(bytes: Buffer): Promise<{ width: number; height: number; tags: Record<string, string>; sideData: unknown[] }> {
  const file = path.join(config.dataDir, `probe-${Math.random().toString(36).slice(2)}.jpg`);
  writeFileSync(file, bytes);
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_frames', '-show_streams', file]);
  const parsed = JSON.parse(stdout) as {
    streams: { width: number; height: number; tags?: Record<string, string> }[];
    frames: { tags?: Record<string, string>; side_data_list?: unknown[] }[];
  };
  const [stream, frame] = [parsed.streams[0]!, parsed.frames[0]!];
  return { width: stream.width, height: stream.height, tags: { ...stream.tags, ...frame.tags }, sideData: frame.side_data_list ?? [] };
}

/** The picture says nothing about where, with what or by whom it was taken, and stands upright. */
async function expectNoMetadata(bytes: Buffer) {
  const markers = markersOf(bytes);
  expect(markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe), `metadata segments ${markers.map((m) => m.toString(16))}`).toEqual([]);
  const text = bytes.toString('latin1');
  for (const leak of ['Exif', 'GPS', 'http://ns.adobe.com', 'ICC_PROFILE', SECRET_COMMENT, 'Lavc']) expect(text.includes(leak), leak).toBe(false);
  const seen = await probe(bytes);
  expect(seen.tags).toEqual({});
  expect(seen.sideData).toEqual([]);
  // The 320 × 240 photo was marked "turn right": it is stored turned, as it was meant to be seen.
  expect(seen.height).toBeGreaterThan(seen.width);
}

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  seller = await registerUser(sekat.app, 'fotojual');
  buyer = await registerUser(sekat.app, 'fotobeli');
  shopId = (await openShop(sekat.app, seller)).id;
  const file = path.join(config.dataDir, 'plain.jpg');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', file]);
  plain = readFileSync(file);
  const xmp = Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description ${SECRET_XMP}/></x:xmpmeta>`, 'latin1');
  const icc = Buffer.concat([Buffer.from('ICC_PROFILE\0\x01\x01', 'latin1'), Buffer.alloc(128, 1)]);
  located = Buffer.concat([plain.subarray(0, 2), segment(0xe1, exifWithGps()), segment(0xe1, xmp), segment(0xe2, icc), segment(0xfe, Buffer.from(SECRET_COMMENT, 'latin1')), plain.subarray(2)]);
  // The test photo really carries what it should: ffprobe reads the GPS position and the turn.
  const seen = await probe(located);
  expect(seen.tags.GPSLatitudeRef).toBe('S');
  expect(seen.tags.Orientation?.trim()).toBe('6');
}, 300_000);

afterAll(async () => {
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

const inject = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, who: TestUser | null, payload?: object | Buffer, type?: string) =>
  sekat.app.inject({ method, url, headers: { ...(who?.headers ?? {}), ...(type ? { 'content-type': type } : {}) }, ...(payload !== undefined ? { payload } : {}) });
const mediaFile = (url: string) => path.join(config.dataDir, 'media', 'commerce', path.basename(url));

describe(`pictures keep no metadata (${STORE_LABEL})`, () => {
  it('a product photo with GPS EXIF, XMP, an ICC profile and a comment is stored and served without any, turned upright', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 1 }]);
    const added = await inject('POST', `/api/commerce/products/${product.id}/images`, seller, located, 'image/jpeg');
    expect(added.statusCode, added.body).toBe(201);
    const url = added.json().imageUrls.at(-1) as string;
    expect(url).toMatch(/^\/api\/commerce\/media\/[0-9a-f-]{36}\.jpg$/);
    await expectNoMetadata(readFileSync(mediaFile(url)));
    const served = await inject('GET', url, null);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    await expectNoMetadata(served.rawPayload);
  });

  it('a transparent PNG product photo is laid on white, not black', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 1 }]);
    const file = path.join(config.dataDir, 'clear.png');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red@0.0:s=64x48,format=rgba', '-frames:v', '1', file]);
    const added = await inject('POST', `/api/commerce/products/${product.id}/images`, seller, readFileSync(file), 'image/png');
    expect(added.statusCode, added.body).toBe(201);
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', mediaFile(added.json().imageUrls.at(-1)), '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer' });
    expect(Math.min(...stdout)).toBeGreaterThan(240);
  });

  it('a review photo and an avatar with GPS EXIF keep none of it', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 2 }]);
    const placed = (await checkout(sekat.app, buyer, { items: [{ variantId: product.variants[0]!.id, quantity: 1 }] })).json();
    await inject('POST', `/api/commerce/payments/${placed.payment.id}/simulate`, buyer, { outcome: 'paid' });
    await inject('POST', `/api/commerce/orders/${placed.order.id}/ship`, seller, { courier: 'jne_reg', trackingNumber: 'JNE778' });
    await inject('POST', `/api/commerce/orders/${placed.order.id}/courier/simulate`, seller, { stage: 'delivered' });
    await inject('POST', `/api/commerce/orders/${placed.order.id}/complete`, buyer, {});
    const review = await inject('POST', `/api/commerce/orders/${placed.order.id}/reviews`, buyer, { rating: 5, text: 'Bagus' });
    expect(review.statusCode, review.body).toBe(201);
    const photo = await inject('POST', `/api/commerce/reviews/${review.json().id}/photos`, buyer, located, 'image/jpeg');
    expect(photo.statusCode, photo.body).toBe(201);
    const photoUrl = (photo.json().photoUrls as string[]).at(-1)!;
    await expectNoMetadata((await inject('GET', photoUrl, null)).rawPayload);

    const avatar = await inject('PUT', '/api/social/me/avatar', buyer, located, 'image/jpeg');
    expect(avatar.statusCode, avatar.body).toBe(200);
    const served = await inject('GET', avatar.json().avatarUrl, null);
    expect(served.statusCode).toBe(200);
    const markers = markersOf(served.rawPayload);
    expect(markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([]);
    expect(served.rawPayload.toString('latin1').includes('GPS')).toBe(false);
    expect((await probe(served.rawPayload)).tags).toEqual({});
  });

  it('the stripper keeps the picture and refuses what is not a JPEG', () => {
    const stripped = stripJpegMetadata(located);
    expect(markersOf(stripped).filter((m) => m >= 0xe1 && m <= 0xef)).toEqual([]);
    expect(stripped.length).toBeLessThan(located.length);
    expect(stripped.subarray(-plain.length + 2).length).toBeGreaterThan(0);
    expect(() => stripJpegMetadata(Buffer.from('not a jpeg'))).toThrow();
  });
});

describe(`product photos leave the disk with the product (${STORE_LABEL})`, () => {
  it('deletes a removed photo and, with the product, the rest; never another product’s photo', async () => {
    const product = await listProduct(sekat.app, seller, shopId, [{ stock: 1 }]);
    const upload = async () => {
      const added = await inject('POST', `/api/commerce/products/${product.id}/images`, seller, plain, 'image/jpeg');
      expect(added.statusCode, added.body).toBe(201);
      return added.json().imageUrls.at(-1) as string;
    };
    const [first, second, third] = [await upload(), await upload(), await upload()];
    for (const url of [first, second, third]) expect(existsSync(mediaFile(url))).toBe(true);

    // Another shop cannot take this product's photo onto its own (its removal would delete ours).
    const other = await registerUser(sekat.app, 'fotolain');
    const otherShop = await openShop(sekat.app, other);
    const theirs = await listProduct(sekat.app, other, otherShop.id, [{ stock: 1 }]);
    const taken = await inject('PATCH', `/api/commerce/products/${theirs.id}`, other, { imageUrls: [first] });
    expect(taken.statusCode, taken.body).toBe(400);
    expect(Object.keys(taken.json().errors)).toEqual(['imageUrls.0']);
    // Nor can the owner: a refused patch keeps every file.
    expect((await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { imageUrls: [first, '/api/commerce/media/01890000-0000-7000-8000-000000000000.jpg'] })).statusCode).toBe(400);
    for (const url of [first, second, third]) expect(existsSync(mediaFile(url))).toBe(true);

    const kept = await inject('PATCH', `/api/commerce/products/${product.id}`, seller, { imageUrls: [third, first] });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(existsSync(mediaFile(second))).toBe(false);
    expect((await inject('GET', second, null)).statusCode).toBe(404);
    expect((await inject('GET', first, null)).statusCode).toBe(200);

    expect((await inject('DELETE', `/api/commerce/products/${product.id}`, seller)).statusCode).toBe(204);
    for (const url of [first, third]) {
      expect(existsSync(mediaFile(url))).toBe(false);
      expect((await inject('GET', url, null)).statusCode).toBe(404);
    }
  });
});
