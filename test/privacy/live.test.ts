/**
 * Live shopping and the privacy line: a host on air with a product, a voucher drop and a tap; a
 * viewer who comments (one comment deleted by the host) and is muted. Each one's export holds
 * what is theirs of it; after each one's erasure no row in any database, and no file, names them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import { publishRtmp } from '../support/live.js';
import { dumpDatabase, tablesContaining, filesContaining, register, waitFor, type Person } from './support.js';

const HOST = { email: 'siaran.penanda@contoh.id', handle: 'siaran_penanda', displayName: 'Penyiar Penanda' };
const VIEWER = { email: 'penonton.penanda@contoh.id', handle: 'penonton_penanda', displayName: 'Penonton Penanda' };
const TITLE = 'Live Penanda Rahasia';
const KEPT = 'Komentar Penanda Tetap';
const DELETED = 'Komentar Penanda Terhapus';

let config: Config;
let sekat: Sekat;
let base: string;
let host: Person;
let viewer: Person;
let other: Person;
let productId: string;
let liveId: string;
let publisher: ChildProcess | undefined;
const sockets: WebSocket[] = [];

const api = (method: string, url: string, who?: Person, payload?: unknown) =>
  sekat.app.inject({ method: method as 'GET', url, headers: who?.headers ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) });
const socialSubject = (person: Person) => sekat.domains.identity.subjectFor('social', person.id);

function room(who?: Person): { ws: WebSocket; closed: Promise<number>; hello: Promise<unknown> } {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/social/lives/${liveId}/room`, { headers: who?.headers ?? {} });
  sockets.push(ws);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const hello = new Promise((resolve) => ws.on('message', (data) => JSON.parse(data.toString()).type === 'hello' && resolve(true)));
  ws.on('error', () => undefined);
  return { ws, closed, hello };
}

async function erase(person: Person): Promise<void> {
  const request = await api('DELETE', '/api/me', person);
  expect(request.statusCode, request.body).toBe(202);
  await waitFor('the erasure', async () => {
    const row = await sekat.stores.bridge.db.selectFrom('privacy_requests').select('status').where('id', '=', request.json().id).executeTakeFirst();
    return row?.status === 'done';
  }, 60_000);
}

async function leftovers(markers: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const domain of ['identity', 'social', 'commerce', 'bridge'] as const) {
    const dump = await dumpDatabase(sekat.stores[domain]);
    for (const marker of markers) for (const table of tablesContaining(dump, marker)) found.push(`${domain}.${table} holds ${marker}`);
  }
  return found;
}

beforeAll(async () => {
  config = testConfig({ RTMP_PORT: '0', RTMP_HOST: '127.0.0.1' });
  sekat = await buildSekat(config);
  base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  host = await register(sekat.app, HOST.email, HOST.handle, HOST.displayName);
  viewer = await register(sekat.app, VIEWER.email, VIEWER.handle, VIEWER.displayName);
  other = await register(sekat.app, 'lain.penanda@contoh.id', 'lain_penanda', 'Orang Lain');
  const shop = await api('POST', '/api/commerce/shops', host, { name: 'Toko Siaran', slug: `toko-siaran-${Date.now()}`, city: 'Bandung', description: 'Batik' });
  expect(shop.statusCode, shop.body).toBe(201);
  const product = await api('POST', `/api/commerce/shops/${shop.json().id}/products`, host, {
    title: 'Kain Siaran',
    description: 'Katun',
    category: 'fashion',
    variants: [{ sku: 'KS-1', name: 'Satu', priceIdr: 120_000, stock: 9, weightGrams: 300 }],
  });
  expect(product.statusCode, product.body).toBe(201);
  productId = product.json().id;
  const voucher = await api('POST', `/api/commerce/shops/${shop.json().id}/vouchers`, host, {
    code: 'SIARANHEMAT', kind: 'fixed', value: 10_000, minSpendIdr: 50_000,
    startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), quota: 10,
  });
  expect(voucher.statusCode, voucher.body).toBe(201);
  await waitFor('the product card', async () => Boolean(await sekat.stores.social.db.selectFrom('product_cards').select('product_id').where('product_id', '=', productId).executeTakeFirst()), 30_000);

  const created = await api('POST', '/api/social/lives', host, { title: TITLE, productIds: [productId] });
  expect(created.statusCode, created.body).toBe(201);
  liveId = created.json().live.id;
  publisher = publishRtmp(`rtmp://127.0.0.1:${sekat.domains.social.rtmpPort()}/live/${created.json().streamKey}`, { seconds: 120, size: '320x180', rate: 15 }).child;
  await waitFor('the live on air', async () => (await api('GET', `/api/social/lives/${liveId}`)).json().onAir === true, 30_000);

  // What the viewer leaves in the host's live: two comments (one deleted by the host), a tap, a mute.
  expect((await api('POST', `/api/social/lives/${liveId}/comments`, viewer, { text: KEPT })).statusCode).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const gone = await api('POST', `/api/social/lives/${liveId}/comments`, viewer, { text: DELETED });
  expect(gone.statusCode).toBe(201);
  expect((await api('DELETE', `/api/social/lives/${liveId}/comments/${gone.json().id}`, host)).statusCode).toBe(204);
  expect((await api('POST', `/api/social/lives/${liveId}/products/${productId}/open`, viewer)).statusCode).toBe(200);
  expect((await api('POST', `/api/social/lives/${liveId}/moderation`, host, { handle: VIEWER.handle, action: 'mute' })).statusCode).toBe(204);
  expect((await api('POST', `/api/social/lives/${liveId}/comments`, other, { text: 'Komentar orang lain' })).statusCode).toBe(201);
  const dropped = await api('POST', `/api/social/lives/${liveId}/drops`, host, { voucherCode: 'SIARANHEMAT' });
  expect(dropped.statusCode, dropped.body).toBe(201);
}, 180_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  publisher?.kill('SIGKILL');
  await sekat?.close();
  if (config) await disposeTestConfig(config);
});

describe(`a live and the privacy line (${STORE_LABEL})`, () => {
  it("the host's export holds their lives with the products shown, the drops and the taps", async () => {
    const { data } = await sekat.domains.social.port.exportSubject(socialSubject(host));
    const lives = (data as { lives: Record<string, any>[] }).lives;
    expect(lives).toHaveLength(1);
    expect(lives[0]).toMatchObject({ id: liveId, title: TITLE, product_taps: 1, shownProducts: [productId] });
    expect(lives[0]!.drops).toEqual([expect.objectContaining({ kind: 'voucher', offer: expect.objectContaining({ code: 'SIARANHEMAT' }) })]);
    // Other people's comments are theirs, not the host's.
    expect(JSON.stringify(data)).not.toContain('Komentar orang lain');
  });

  it("the viewer's export holds every comment of theirs (the deleted one too) and the mute naming them", async () => {
    const { data } = await sekat.domains.social.port.exportSubject(socialSubject(viewer));
    const { liveComments, liveStanding } = data as { liveComments: Record<string, any>[]; liveStanding: Record<string, any>[] };
    expect(liveComments.map((c) => [c.text, c.deleted]).sort()).toEqual([[DELETED, true], [KEPT, false]].sort());
    expect(liveStanding).toEqual([expect.objectContaining({ live_id: liveId, kind: 'muted' })]);
  });

  it("erasing the viewer leaves no row naming them, and closes their room socket", async () => {
    const socket = room(viewer);
    await socket.hello;
    await erase(viewer);
    expect(await Promise.race([socket.closed, new Promise((resolve) => setTimeout(() => resolve('open'), 5_000))])).not.toBe('open');
    expect(await leftovers([VIEWER.email, VIEWER.handle, VIEWER.displayName, socialSubject(viewer), KEPT, DELETED])).toEqual([]);
  }, 90_000);

  it('erasing the host on air stops the live and leaves no row, recording or segment of it', async () => {
    const watcher = room(other);
    await watcher.hello;
    const recordings = path.join(config.dataDir, 'media');
    await erase(host);
    expect(await Promise.race([watcher.closed, new Promise((resolve) => setTimeout(() => resolve('open'), 10_000))])).toBe(1000);
    expect(await leftovers([HOST.email, HOST.handle, HOST.displayName, socialSubject(host), TITLE, liveId])).toEqual([]);
    // The drop's copy of the voucher went with the live (the voucher itself is the shop's, in commerce).
    expect(tablesContaining(await dumpDatabase(sekat.stores.social), 'SIARANHEMAT')).toEqual([]);
    expect((await api('GET', `/api/social/lives/${liveId}`)).statusCode).toBe(404);
    // Nothing of the stream stays on disk: no segments, no recording waiting to become a replay.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const named = existsSync(recordings) ? readdirSync(recordings, { recursive: true }).map(String).filter((name) => name.includes(liveId)) : [];
    expect(named).toEqual([]);
    expect(filesContaining(recordings, HOST.handle)).toEqual([]);
  }, 90_000);
});
