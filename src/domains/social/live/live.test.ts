import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { registerUser, waitFor, type TestUser } from '../testkit.js';
import { LiveService } from './service.js';
import { openRoom, publishRtmp, type RoomSocket } from '../../../../test/support/live.js';

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

type Socket = RoomSocket;

describe(`live shopping, the social side (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let base: string;
  let rtmpPort: number;
  let host: TestUser;
  let viewer: TestUser;
  let troll: TestUser;
  let productId: string;
  let otherProductId: string;
  let liveId: string;
  let streamKey: string;
  let publisher: ReturnType<typeof publishRtmp> | undefined;
  const sockets: Socket[] = [];

  const api = (method: string, url: string, who?: TestUser, payload?: unknown) =>
    sekat.app.inject({ method: method as 'GET', url, headers: who?.auth ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) });

  const connect = async (id: string, who?: TestUser): Promise<Socket> => {
    const socket = await openRoom(`${base.replace('http', 'ws')}/api/social/lives/${id}/room`, who?.auth ?? {});
    sockets.push(socket);
    return socket;
  };

  const liveCount = async () => Number((await sekat.stores.social.db.selectFrom('lives').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    config = testConfig({ RTMP_PORT: '0', RTMP_HOST: '127.0.0.1' });
    sekat = await buildSekat(config);
    base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    rtmpPort = sekat.domains.social.rtmpPort()!;
    host = await registerUser(sekat.app);
    viewer = await registerUser(sekat.app);
    troll = await registerUser(sekat.app);
    const shopOf = async (who: TestUser, slug: string) => (await api('POST', '/api/commerce/shops', who, { name: `Toko ${slug}`, slug, city: 'Bandung', description: 'Toko' })).json().id as string;
    const productOf = async (who: TestUser, shopId: string, title: string) => {
      const made = await api('POST', `/api/commerce/shops/${shopId}/products`, who, { title, description: 'Katun', category: 'fashion', variants: [{ sku: `S-${title.length}`, name: 'M', priceIdr: 99_000, stock: 5, weightGrams: 300 }] });
      expect(made.statusCode, made.body).toBe(201);
      return made.json().id as string;
    };
    productId = await productOf(host, await shopOf(host, `toko-live-${Date.now()}`), 'Kemeja Live');
    otherProductId = await productOf(troll, await shopOf(troll, `toko-lain-${Date.now()}`), 'Produk Orang Lain');
    await waitFor(async () => ((await sekat.stores.social.db.selectFrom('product_cards').select('product_id').where('product_id', 'in', [productId, otherProductId]).execute()).length === 2 ? true : undefined));
  }, 600_000);

  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    publisher?.child.kill('SIGKILL');
    await sekat?.close();
    if (config) await disposeTestConfig(config);
  });

  it('refuses a bad live and writes nothing', async () => {
    const before = await liveCount();
    const bad: [unknown, number, string?][] = [
      [{ title: '   ', productIds: [] }, 400, 'title'],
      [{ title: 'Live\u202Emalam' }, 400, 'title'],
      [{ title: 'Lama', scheduledAt: '2020-01-01T00:00:00Z' }, 400, 'scheduledAt'],
      [{ title: 'Tak ada', productIds: ['00000000-0000-7000-8000-000000000000'] }, 400, 'productIds'],
      [{ title: 'Produk orang', productIds: [otherProductId] }, 403],
      [{ title: 'x'.repeat(121) }, 400, 'title'],
    ];
    for (const [payload, status, field] of bad) {
      const response = await api('POST', '/api/social/lives', host, payload);
      expect(response.statusCode, `${JSON.stringify(payload)} → ${response.body}`).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      if (field) expect(Object.keys(response.json().errors ?? {})).toContain(field);
    }
    expect((await api('POST', '/api/social/lives', undefined, { title: 'Anonim' })).statusCode).toBe(401);
    expect(await liveCount()).toBe(before);
  });

  it('creates a live with an RTMP URL and a stream key kept only hashed', async () => {
    const response = await api('POST', '/api/social/lives', host, { title: 'Live batik malam ini', productIds: [productId] });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body.rtmpUrl).toBe(`rtmp://localhost:${rtmpPort}/live`);
    expect(body.streamKey).toMatch(/^sk_[A-Za-z0-9_-]{32}$/);
    expect(body.live).toMatchObject({ status: 'scheduled', onAir: false, playlistUrl: null, products: [expect.objectContaining({ productId, title: 'Kemeja Live' })] });
    liveId = body.live.id;
    streamKey = body.streamKey;
    const row = await sekat.stores.social.db.selectFrom('lives').selectAll().where('id', '=', liveId).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(streamKey);
    // Another creator cannot see the key or steer the live.
    expect((await api('POST', `/api/social/lives/${liveId}/key`, viewer)).statusCode).toBe(404);
    expect((await api('PUT', `/api/social/lives/${liveId}/pin`, viewer, { productId })).statusCode).toBe(404);
    expect((await api('POST', `/api/social/lives/${liveId}/end`, viewer)).statusCode).toBe(404);
  });

  it('refuses a wrong stream key at publish', async () => {
    const wrong = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/sk_${'A'.repeat(32)}`);
    expect(await within(wrong.exited, 15_000)).not.toBe(0);
    expect((await api('GET', `/api/social/lives/${liveId}`)).json().status).toBe('scheduled');
  });

  it('packages an RTMP publish into 1 s HLS within seconds, which ffprobe plays; a second publisher is refused', async () => {
    await api('POST', `/api/social/users/${host.handle}/follow`, viewer);
    const started = Date.now();
    publisher = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`);
    const live = await waitFor(async () => {
      const body = (await api('GET', `/api/social/lives/${liveId}`)).json();
      return body.onAir ? body : undefined;
    }, 20_000, 100);
    const firstPlaylistMs = Date.now() - started;
    // About 2–5 s here when the machine is not loaded (bench:live measures it); a loaded CI machine is given slack.
    expect(firstPlaylistMs).toBeLessThan(20_000);
    console.log(`first live playlist ${firstPlaylistMs} ms after the publisher started`);
    expect(live.status).toBe('live');
    expect(live.playlistUrl).toBe(`/media/live/${liveId}/1/index.m3u8`);

    // A few segments in: each about a second, each with its wall-clock time.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const playlist = await fetch(`${base}${live.playlistUrl}`);
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers.get('cache-control')).toContain('no-cache');
    const text = await playlist.text();
    expect(text).toContain('#EXT-X-PROGRAM-DATE-TIME:');
    expect(text).toContain('#EXT-X-MAP:URI="init.mp4"');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    expect(durations.length).toBeGreaterThanOrEqual(2);
    for (const d of durations) {
      expect(d).toBeGreaterThan(0.5);
      expect(d).toBeLessThan(1.6);
    }
    const times = [...text.matchAll(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/g)].map((m) => Date.parse(m[1]!));
    expect(Math.abs(Date.now() - times.at(-1)!)).toBeLessThan(10_000);
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', `${base}${live.playlistUrl}`], { timeout: 20_000 });
    const codecs = (JSON.parse(stdout) as { streams: { codec_name: string }[] }).streams.map((s) => s.codec_name).sort();
    expect(codecs).toEqual(['aac', 'h264']);
    // Only what ffmpeg writes is served: nothing else under the live folder, no recordings.
    expect((await fetch(`${base}/media/live/${liveId}/1/`)).status).toBe(404);
    expect((await fetch(`${base}/media/live/${liveId}-1.mkv`)).status).toBe(404);

    // A second publisher on the same key is refused while the first goes on.
    const second = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`, { seconds: 10 });
    expect(await within(second.exited, 15_000)).not.toBe(0);
    expect(publisher.child.exitCode).toBeNull();
    expect((await api('GET', `/api/social/lives/${liveId}`)).json().onAir).toBe(true);

    // On air, at the top of For You and of Following for a follower.
    expect((await api('GET', '/api/social/lives?feed=for-you')).json().items.map((l: { id: string }) => l.id)).toContain(liveId);
    expect((await api('GET', '/api/social/lives?feed=following', viewer)).json().items.map((l: { id: string }) => l.id)).toEqual([liveId]);
    expect((await api('GET', '/api/social/lives?feed=following', troll)).json().items).toEqual([]);
  }, 60_000);

  it('pins a product to 200 viewers at once, stamped with server time', async () => {
    const crowd = await Promise.all(Array.from({ length: 200 }, () => connect(liveId)));
    await Promise.all(crowd.map((s) => s.next('hello', 30_000)));
    const hello = crowd[0]!.messages.find((m) => m.type === 'hello') as { live: { viewers: number; pinned: unknown }; you: { signedIn: boolean } };
    expect(hello.you.signedIn).toBe(false);
    const pins = crowd.map((s) => s.next('pin', 15_000));
    const before = Date.now();
    const pinned = await api('PUT', `/api/social/lives/${liveId}/pin`, host, { productId });
    expect(pinned.statusCode, pinned.body).toBe(200);
    const got = await Promise.all(pins);
    for (const message of got) {
      expect(message.product).toMatchObject({ productId, title: 'Kemeja Live' });
      expect(Date.parse(String(message.at))).toBeGreaterThanOrEqual(before - 1000);
    }
    // A product the live does not show cannot be pinned.
    expect((await api('PUT', `/api/social/lives/${liveId}/pin`, host, { productId: otherProductId })).statusCode).toBe(400);
    // The viewer count reaches them too.
    await expect.poll(() => Math.max(0, ...crowd[0]!.messages.filter((m) => m.type === 'viewers').map((m) => Number(m.count))), { timeout: 5_000 }).toBeGreaterThanOrEqual(200);
    for (const s of crowd) s.ws.close();
    expect((await api('GET', `/api/social/lives/${liveId}`)).json().pinned).toMatchObject({ productId });
  }, 60_000);

  it('carries comments and batched likes; junk and floods close only that socket', async () => {
    const hostSocket = await connect(liveId, host);
    const watcher = await connect(liveId, viewer);
    await Promise.all([hostSocket.next('hello'), watcher.next('hello')]);
    const heard = hostSocket.next('comment');
    watcher.ws.send(JSON.stringify({ type: 'comment', text: '  Ukuran L ada kak? 😍  ' }));
    const comment = (await heard).comment as { id: string; text: string; author: { handle: string } };
    expect(comment).toMatchObject({ text: 'Ukuran L ada kak? 😍', author: { handle: viewer.handle } });

    // Too long, empty, invisible characters, too fast: an error frame, the socket stays.
    for (const text of ['x'.repeat(151), '   ', 'halo\u202Edunia']) {
      const error = watcher.next('error');
      watcher.ws.send(JSON.stringify({ type: 'comment', text }));
      expect((await error).status).toBe(400);
    }
    const rateLimited = watcher.next('error');
    watcher.ws.send(JSON.stringify({ type: 'comment', text: 'satu' }));
    watcher.ws.send(JSON.stringify({ type: 'comment', text: 'dua' }));
    expect((await rateLimited).status).toBe(429);
    expect(LiveService.commentProblem('y'.repeat(150))).toBeUndefined();
    // Over REST the same rules answer as problems.
    expect((await api('POST', `/api/social/lives/${liveId}/comments`, viewer, { text: 'z'.repeat(151) })).statusCode).toBe(400);
    expect((await api('POST', `/api/social/lives/${liveId}/comments`, viewer, { text: '' })).statusCode).toBe(400);
    expect((await api('POST', `/api/social/lives/${liveId}/comments`, undefined, { text: 'anon' })).statusCode).toBe(401);

    const likes = hostSocket.next('likes');
    for (let i = 0; i < 5; i++) watcher.ws.send(JSON.stringify({ type: 'like', count: 2 }));
    const batch = await likes;
    expect(batch.count).toBe(10);

    const junk = await connect(liveId);
    await junk.next('hello');
    junk.ws.send('not json at all');
    expect(await within(junk.closed, 5_000)).toBe(1008);
    const flooder = await connect(liveId);
    await flooder.next('hello');
    for (let i = 0; i < 30; i++) flooder.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await within(flooder.closed, 5_000)).toBe(1008);
    const big = await connect(liveId);
    await big.next('hello');
    big.ws.send(JSON.stringify({ type: 'comment', text: 'x'.repeat(5000) }));
    expect(await within(big.closed, 5_000)).toBe(1009);
    // The room carries on.
    const after = watcher.next('pong');
    watcher.ws.send(JSON.stringify({ type: 'ping' }));
    await after;

    // The host deletes a comment: everyone hears it, it is gone from the list.
    const deleted = watcher.next('deleted');
    expect((await api('DELETE', `/api/social/lives/${liveId}/comments/${comment.id}`, host)).statusCode).toBe(204);
    expect((await deleted).commentId).toBe(comment.id);
    expect((await api('GET', `/api/social/lives/${liveId}/comments`)).json().items.map((c: { id: string }) => c.id)).not.toContain(comment.id);
    expect((await api('DELETE', `/api/social/lives/${liveId}/comments/${comment.id}`, viewer)).statusCode).toBe(404);
  }, 60_000);

  it('mutes and removes viewers; a removed viewer cannot come back', async () => {
    const trollSocket = await connect(liveId, troll);
    await trollSocket.next('hello');
    expect((await api('POST', `/api/social/lives/${liveId}/moderation`, host, { handle: troll.handle, action: 'mute' })).statusCode).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const muted = await api('POST', `/api/social/lives/${liveId}/comments`, troll, { text: 'spam' });
    expect(muted.statusCode).toBe(403);
    expect((await api('POST', `/api/social/lives/${liveId}/moderation`, viewer, { handle: troll.handle, action: 'remove' })).statusCode).toBe(404);
    expect((await api('POST', `/api/social/lives/${liveId}/moderation`, host, { handle: 'nobody_here', action: 'remove' })).statusCode).toBe(404);
    expect((await api('POST', `/api/social/lives/${liveId}/moderation`, host, { handle: troll.handle, action: 'remove' })).statusCode).toBe(204);
    expect(await within(trollSocket.closed, 5_000)).toBe(4403);
    const again = await connect(liveId, troll);
    expect(await within(again.closed, 5_000)).toBe(4403);
    expect((await api('GET', `/api/social/lives/${liveId}`, troll)).statusCode).toBe(404);
    // Muting later does not readmit them.
    await api('POST', `/api/social/lives/${liveId}/moderation`, host, { handle: troll.handle, action: 'mute' });
    expect((await api('GET', `/api/social/lives/${liveId}`, troll)).statusCode).toBe(404);
  });

  it('keeps the live room on the social side: commerce holds nothing of it', async () => {
    const { rows } = await (await import('kysely')).sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(sekat.stores.commerce.db);
    for (const { table_name } of rows) {
      const dump = JSON.stringify((await (await import('kysely')).sql.raw(`select * from "${table_name}"`).execute(sekat.stores.commerce.db)).rows);
      expect(dump, table_name).not.toContain(liveId);
      expect(dump, table_name).not.toContain('Ukuran L ada kak');
    }
  });

  it('a rotated key is refused; ending turns the recording into a ready replay with the products tagged', async () => {
    const watcher = await connect(liveId, viewer);
    await watcher.next('hello');
    const rotated = await api('POST', `/api/social/lives/${liveId}/key`, host);
    expect(rotated.statusCode).toBe(200);
    const newKey = rotated.json().streamKey as string;
    expect(newKey).not.toBe(streamKey);
    // The publisher on the old key is cut off; the old key no longer works.
    expect(await within(publisher!.exited, 15_000)).not.toBe('timeout');
    await watcher.next('offair');
    const old = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`, { seconds: 10 });
    expect(await within(old.exited, 15_000)).not.toBe(0);

    // Viewers hear the end at once, then the replay's id when the recording is handed over.
    const first = watcher.next('ended', 30_000);
    const end = await api('POST', `/api/social/lives/${liveId}/end`, host);
    expect(end.statusCode, end.body).toBe(200);
    expect(end.json()).toMatchObject({ status: 'ended', onAir: false });
    expect((await first).replayVideoId).toBeNull();
    const { replayVideoId } = (await watcher.next('ended', 30_000)) as { replayVideoId: string };
    expect(await within(watcher.closed, 5_000)).toBe(1000);
    expect(replayVideoId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api('POST', `/api/social/lives/${liveId}/end`, host)).statusCode).toBe(409);
    // An ended live refuses publishing, even with its newest key, and joining.
    const late = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${newKey}`, { seconds: 10 });
    expect(await within(late.exited, 15_000)).not.toBe(0);
    const closedRoom = await connect(liveId);
    expect(await within(closedRoom.closed, 5_000)).toBe(4404);
    expect((await api('POST', `/api/social/lives/${liveId}/comments`, viewer, { text: 'masih?' })).statusCode).toBe(409);

    const video = await waitFor(async () => {
      const body = (await api('GET', `/api/social/videos/${replayVideoId}`, host)).json();
      return body.status === 'processing' ? undefined : body;
    }, 90_000, 250);
    expect(video.status).toBe('ready');
    expect(video.durationMs).toBeGreaterThan(3_000);
    expect(video.caption).toBe('Live batik malam ini');
    expect(video.productTags.map((t: { productId: string }) => t.productId)).toEqual([productId]);
    expect((await api('GET', `/api/social/lives/${liveId}`)).json().replayVideoId).toBe(replayVideoId);
    const profileVideos = (await api('GET', `/api/social/users/${host.handle}/videos`)).json().items.map((v: { id: string }) => v.id);
    expect(profileVideos).toContain(replayVideoId);
    // The live HLS is gone; the replay is a normal video.
    expect((await fetch(`${base}/media/live/${liveId}/1/index.m3u8`)).status).toBe(404);
    expect((await api('GET', '/api/social/lives?feed=for-you')).json().items.map((l: { id: string }) => l.id)).not.toContain(liveId);
  }, 150_000);
});
