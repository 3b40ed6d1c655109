/**
 * One live room across two social processes sharing a database and NATS: what happens on one
 * (comments, likes, pins, deletions, removals, the end) reaches viewers on the other exactly once,
 * the viewer count is the sum of both, and a viewer's comment limit holds across them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { buildSekat, type Sekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../src/platform/testing.js';
import type { Config } from '../src/platform/config.js';
import { registerUser, waitFor, type TestUser } from '../src/domains/social/testkit.js';
import { openRoom, publishRtmp, type RoomSocket } from './support/live.js';

const NATS_URL = process.env.NATS_URL;

type Socket = RoomSocket;

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!NATS_URL)(`live rooms across two social processes over NATS (${STORE_LABEL})`, () => {
  const stream = `SEKATROOMS_${randomBytes(5).toString('hex')}`;
  let config: Config;
  let one: Sekat;
  let two: Sekat;
  const base: Record<'one' | 'two', string> = { one: '', two: '' };
  let host: TestUser;
  let fan: TestUser;
  let other: TestUser;
  let troll: TestUser;
  let liveId: string;
  let productId: string;
  let publisher: ChildProcess | undefined;
  const sockets: Socket[] = [];

  const api = (app: Sekat, method: string, url: string, who?: TestUser, payload?: unknown) =>
    app.app.inject({ method: method as 'GET', url, headers: who?.auth ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) });

  /** A room socket on one process; each message goes to one `next` of its type. */
  const join = async (on: 'one' | 'two', who?: TestUser): Promise<Socket> => {
    const socket = await openRoom(`${base[on].replace('http', 'ws')}/api/social/lives/${liveId}/room`, who?.auth ?? {});
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    // One config, so both processes hold the same secrets, databases and stream; each its own RTMP port.
    config = testConfig({ NATS_URL: NATS_URL!, NATS_STREAM: stream, RTMP_PORT: '0', RTMP_HOST: '127.0.0.1' });
    one = await buildSekat(config);
    // PostgreSQL: the second process opens its own pool on the same databases. PGlite is one
    // process's database, so the second app is handed the first one's stores.
    two = await buildSekat(config, config.databaseUrl ? {} : { sharedStores: one.stores });
    base.one = await one.app.listen({ port: 0, host: '127.0.0.1' });
    base.two = await two.app.listen({ port: 0, host: '127.0.0.1' });
    host = await registerUser(one.app);
    fan = await registerUser(two.app);
    other = await registerUser(one.app);
    troll = await registerUser(two.app);
    const shop = await api(one, 'POST', '/api/commerce/shops', host, { name: 'Toko Dua Ruang', slug: `dua-ruang-${Date.now()}`, city: 'Bandung', description: 'Toko' });
    expect(shop.statusCode, shop.body).toBe(201);
    const product = await api(one, 'POST', `/api/commerce/shops/${shop.json().id}/products`, host, {
      title: 'Batik Dua Proses',
      description: 'Katun',
      category: 'fashion',
      variants: [{ sku: 'BDP-M', name: 'M', priceIdr: 149_000, stock: 5, weightGrams: 300 }],
    });
    expect(product.statusCode, product.body).toBe(201);
    productId = product.json().id;
    await waitFor(async () => ((await one.stores.social.db.selectFrom('product_cards').select('product_id').where('product_id', '=', productId).executeTakeFirst()) ? true : undefined), 30_000);
    const created = await api(one, 'POST', '/api/social/lives', host, { title: 'Live dua proses', productIds: [productId] });
    expect(created.statusCode, created.body).toBe(201);
    liveId = created.json().live.id;
    // OBS publishes to process two's RTMP port (node-media-server keeps its sessions per Node
    // process, so which app takes it is not certain here); one of them packages, the other relays.
    publisher = publishRtmp(`rtmp://127.0.0.1:${two.domains.social.rtmpPort()}/live/${created.json().streamKey}`, { seconds: 120, size: '320x180', rate: 15 }).child;
  }, 240_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    publisher?.kill('SIGKILL');
    await two?.close();
    await one?.close();
    const nc = await connect({ servers: NATS_URL! });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
    if (config) await disposeTestConfig(config);
  });

  it('relays the stream, comments, likes, pins and deletions to the other process exactly once, and sums the viewers', async () => {
    const hostRoom = await join('two', host);
    const fanRoom = await join('one', fan);
    const anonymous = await join('one');
    const trollRoom = await join('two', troll);
    await Promise.all([hostRoom, fanRoom, anonymous, trollRoom].map((s) => s.next('hello', 20_000)));

    // The packaging process's `stream` reaches the other's viewers too (each socket once, below).
    const stream = await fanRoom.next('stream', 30_000);
    expect(stream.url).toBe(`/media/live/${liveId}/1/index.m3u8`);

    // Two viewers here, two there: every socket and both processes' API say four.
    for (const socket of [hostRoom, fanRoom, anonymous, trollRoom]) {
      await expect.poll(() => socket.of('viewers').at(-1)?.count, { timeout: 8_000 }).toBe(4);
    }
    expect((await api(one, 'GET', `/api/social/lives/${liveId}`)).json().viewers).toBe(4);
    expect((await api(two, 'GET', `/api/social/lives/${liveId}`)).json().viewers).toBe(4);

    // A comment on process two's socket reaches process one's viewers once.
    trollRoom.ws.send(JSON.stringify({ type: 'comment', text: 'Dari proses dua 👋' }));
    const heard = await fanRoom.next('comment');
    expect(heard.comment).toMatchObject({ text: 'Dari proses dua 👋', author: { handle: troll.handle } });
    // A comment over REST on process one reaches the host on process two once.
    const posted = await api(one, 'POST', `/api/social/lives/${liveId}/comments`, fan, { text: 'Ukuran L ada?' });
    expect(posted.statusCode, posted.body).toBe(201);
    await expect.poll(() => hostRoom.of('comment').map((m) => m.comment.id), { timeout: 5_000 }).toContain(posted.json().id);

    // The same viewer's limit holds on both processes: a second comment at once on the other is refused.
    const again = await api(two, 'POST', `/api/social/lives/${liveId}/comments`, fan, { text: 'Lagi dari proses dua' });
    expect(again.statusCode, again.body).toBe(429);
    expect(again.headers['content-type']).toContain('application/problem+json');

    // Likes on one process come to the other as one batch.
    for (let i = 0; i < 3; i++) anonymous.ws.send(JSON.stringify({ type: 'like', count: 2 }));
    expect((await hostRoom.next('likes')).count).toBe(6);

    // The host pins and deletes on process two; viewers on process one hear each once.
    expect((await api(two, 'PUT', `/api/social/lives/${liveId}/pin`, host, { productId })).statusCode).toBe(200);
    expect((await fanRoom.next('pin')).product).toMatchObject({ productId, title: 'Batik Dua Proses' });
    expect((await api(two, 'DELETE', `/api/social/lives/${liveId}/comments/${heard.comment.id}`, host)).statusCode).toBe(204);
    expect((await anonymous.next('deleted')).commentId).toBe(heard.comment.id);

    await pause(1_500);
    for (const socket of [fanRoom, anonymous, hostRoom, trollRoom]) {
      const comments = socket.of('comment').map((m) => m.comment.id);
      expect(comments.filter((id) => id === heard.comment.id)).toHaveLength(1);
      expect(comments.filter((id) => id === posted.json().id)).toHaveLength(1);
      expect(socket.of('pin')).toHaveLength(1);
      expect(socket.of('deleted')).toHaveLength(1);
      expect(socket.of('stream')).toHaveLength(1);
      expect(socket.of('likes').reduce((n, m) => n + Number(m.count), 0)).toBe(6);
    }

    // Viewers leaving on one process are taken off the other's count.
    anonymous.ws.close();
    await expect.poll(() => hostRoom.of('viewers').at(-1)?.count, { timeout: 8_000 }).toBe(3);
  }, 120_000);

  it('a viewer removed on one process is cut off on the other and cannot come back on either', async () => {
    const trollRoom = await join('one', troll);
    await trollRoom.next('hello');
    const removed = await api(two, 'POST', `/api/social/lives/${liveId}/moderation`, host, { handle: troll.handle, action: 'remove' });
    expect(removed.statusCode, removed.body).toBe(204);
    expect(await within(trollRoom.closed, 5_000)).toBe(4403);
    // The one still open on process two from the first test is closed too.
    expect(await within(sockets[3]!.closed, 5_000)).toBe(4403);
    for (const on of ['one', 'two'] as const) {
      const back = await join(on, troll);
      expect(await within(back.closed, 5_000)).toBe(4403);
    }
    expect((await api(one, 'GET', `/api/social/lives/${liveId}`, troll)).statusCode).toBe(404);
  }, 60_000);

  it("the host's end on one process closes the room on the other", async () => {
    const watcher = await join('one', other);
    await watcher.next('hello');
    const ended = await api(two, 'POST', `/api/social/lives/${liveId}/end`, host);
    expect(ended.statusCode, ended.body).toBe(200);
    expect((await watcher.next('ended', 10_000)).replayVideoId).toBeNull();
    expect(await within(watcher.closed, 30_000)).toBe(1000);
    // As on one process: the end at once, then the one that closes the room; no more.
    expect(watcher.of('ended').length).toBe(2);
    const late = await join('one', fan);
    expect(await within(late.closed, 5_000)).toBe(4404);
    // Every room socket of this live, on both processes, is closed now.
    for (const socket of sockets) await expect(within(socket.closed, 10_000)).resolves.not.toBe('timeout');
  }, 60_000);
});
