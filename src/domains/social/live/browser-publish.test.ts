/**
 * "Live dari kamera": a browser's MediaRecorder WebM, streamed in chunks over the publish
 * WebSocket, is packaged into HLS that plays; bad publishers are closed and the live stays usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { disposeTestConfig, testConfig, STORE_LABEL } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { registerUser, waitFor, type TestUser } from '../testkit.js';

interface Publisher {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<number>;
  ready: Promise<boolean>;
}

/** A WebM as Chromium's MediaRecorder writes it (VP8 and Opus, clusters as they come), made live by ffmpeg. */
function webmRecorder(seconds: number): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      '-hide_banner', '-v', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=24',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-g', '24',
      '-c:a', 'libopus', '-b:a', '48k',
      '-f', 'webm', '-live', '1', 'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

/** A recording as Safari's MediaRecorder writes it: fragmented MP4 (H.264 and AAC), the `moov` first and empty. */
async function safariRecording(seconds: number, fragmented = true): Promise<Buffer> {
  const args = [
    '-hide_banner', '-v', 'error',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=24',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '24',
    '-c:a', 'aac', '-b:a', '64k',
  ];
  if (fragmented) {
    args.push('-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', 'pipe:1');
    const { stdout } = await promisify(execFile)('ffmpeg', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }
  // Not fragmented, an MP4 is written mdat first, moov last: nothing a stream can be read from.
  const file = path.join(tmpdir(), `sekat-plain-${randomBytes(4).toString('hex')}.mp4`);
  await promisify(execFile)('ffmpeg', [...args, '-y', '-f', 'mp4', file]);
  try {
    return await readFile(file);
  } finally {
    await rm(file, { force: true });
  }
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

describe(`going live from the browser (${STORE_LABEL})`, () => {
  let config: Config;
  let sekat: Sekat;
  let base: string;
  let host: TestUser;
  let other: TestUser;
  let liveId: string;
  const children: ChildProcess[] = [];
  const sockets: WebSocket[] = [];

  const api = (method: string, url: string, who?: TestUser, payload?: unknown) =>
    sekat.app.inject({ method: method as 'GET', url, headers: who?.auth ?? {}, ...(payload === undefined ? {} : { payload: payload as object }) });

  const open = (id: string, who?: TestUser, headers: Record<string, string> = {}, query = ''): Publisher => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/social/lives/${id}/publish${query}`, { headers: { ...(who?.auth ?? {}), ...headers } });
    sockets.push(ws);
    const messages: Record<string, unknown>[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const ready = new Promise<boolean>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Record<string, unknown>;
        messages.push(message);
        if (message.type === 'ready') resolve(true);
      });
      ws.on('close', () => resolve(false));
    });
    ws.on('error', () => undefined);
    return { ws, messages, closed, ready };
  };

  /** Streams a live WebM into the publisher in recorder-sized chunks. */
  const stream = (publisher: Publisher, seconds: number) => {
    const recorder = webmRecorder(seconds);
    children.push(recorder);
    recorder.stdout!.on('data', (chunk: Buffer) => {
      if (publisher.ws.readyState === WebSocket.OPEN) publisher.ws.send(chunk, { binary: true });
    });
    return recorder;
  };

  const liveNow = async () => (await api('GET', `/api/social/lives/${liveId}`)).json() as { status: string; onAir: boolean; playlistUrl: string | null };

  beforeAll(async () => {
    config = testConfig({ RTMP_PORT: 'off' });
    sekat = await buildSekat(config);
    base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    host = await registerUser(sekat.app);
    other = await registerUser(sekat.app);
    const created = await api('POST', '/api/social/lives', host, { title: 'Live dari kamera' });
    expect(created.statusCode, created.body).toBe(201);
    liveId = created.json().live.id;
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const ws of sockets) ws.terminate();
    await sekat?.close();
    if (config) await disposeTestConfig(config);
  });

  it('refuses a publisher from another site, without sign-in, or to a live not theirs', async () => {
    expect(await open(liveId, host, { origin: 'https://evil.example' }).closed).toBe(1008);
    const anonymous = open(liveId);
    expect(await anonymous.closed).toBe(4401);
    expect(anonymous.messages.find((m) => m.type === 'error')).toMatchObject({ status: 401 });
    expect(await open(liveId, other).closed).toBe(4404);
    expect(await open('00000000-0000-7000-8000-000000000000', host).closed).toBe(4404);
    const plain = await fetch(`${base}/api/social/lives/${liveId}/publish`, { headers: host.auth });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('content-type')).toContain('application/problem+json');
    expect((await liveNow()).status).toBe('scheduled');
  });

  it('closes a publisher that sends junk, a text frame or a chunk too big, and starts nothing', { timeout: 90_000 }, async () => {
    const junk = open(liveId, host);
    expect(await junk.ready).toBe(true);
    junk.ws.send(Buffer.from('GET / HTTP/1.1\r\nthis is no recording at all'), { binary: true });
    expect(await within(junk.closed, 5_000)).toBe(1003);

    const text = open(liveId, host);
    expect(await text.ready).toBe(true);
    text.ws.send('hello');
    expect(await within(text.closed, 5_000)).toBe(1003);

    const big = open(liveId, host);
    expect(await big.ready).toBe(true);
    big.ws.send(Buffer.alloc(1024 * 1024 + 1, 0x1a), { binary: true });
    expect(await within(big.closed, 5_000)).toBe(1009);

    // None of them claimed the live: it was never started, and no ffmpeg runs for it.
    const row = await sekat.stores.social.db.selectFrom('lives').select(['status', 'publish_count', 'on_air']).where('id', '=', liveId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'scheduled', publish_count: 0, on_air: false });

    // A valid WebM header followed by noise: ffmpeg starts, makes nothing, and the publisher is cut off.
    const header = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const recorder = webmRecorder(1);
      children.push(recorder);
      recorder.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
      recorder.on('close', () => resolve(Buffer.concat(chunks).subarray(0, 400)));
    });
    const noisy = open(liveId, host);
    expect(await noisy.ready).toBe(true);
    noisy.ws.send(header, { binary: true });
    const noise = setInterval(() => noisy.ws.readyState === WebSocket.OPEN && noisy.ws.send(randomBytes(64 * 1024), { binary: true }), 200);
    try {
      expect(await within(noisy.closed, 40_000)).toBe(1003);
    } finally {
      clearInterval(noise);
    }
    await waitFor(async () => ((await liveNow()).onAir ? undefined : true), 5_000, 100);
    expect((await liveNow()).onAir).toBe(false);
    // It took the live's first publish; nothing of it is on air.
    expect(await sekat.stores.social.db.selectFrom('lives').select(['publish_count', 'on_air']).where('id', '=', liveId).executeTakeFirstOrThrow()).toEqual({ publish_count: 1, on_air: false });

  });

  it('packages a WebM from the browser into H.264/AAC HLS that ffprobe plays; one publisher at a time; closing ends it; a retry works', async () => {
    const publisher = open(liveId, host);
    expect(await publisher.ready).toBe(true);
    const started = Date.now();
    const recorder = stream(publisher, 40);
    const live = await waitFor(async () => {
      const body = await liveNow();
      return body.onAir ? body : undefined;
    }, 30_000, 200);
    console.log(`first browser-live playlist ${Date.now() - started} ms after the recorder started`);
    expect(publisher.messages.map((m) => m.type)).toContain('publishing');
    expect(live).toMatchObject({ status: 'live', playlistUrl: `/media/live/${liveId}/2/index.m3u8` });

    // A few one-second segments in, each with its wall-clock time.
    await waitFor(async () => {
      const text = await (await fetch(`${base}${live.playlistUrl}`)).text();
      return [...text.matchAll(/#EXTINF:/g)].length >= 3 ? true : undefined;
    }, 20_000, 250);
    const text = await (await fetch(`${base}${live.playlistUrl}`)).text();
    expect(text).toContain('#EXT-X-PROGRAM-DATE-TIME:');
    expect(text).toContain('#EXT-X-MAP:URI="init.mp4"');
    for (const d of [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]))) expect(d).toBeLessThan(2.1);
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', `${base}${live.playlistUrl}`], { timeout: 20_000 });
    const streams = (JSON.parse(stdout) as { streams: { codec_name: string; width?: number }[] }).streams;
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(streams.find((s) => s.codec_name === 'h264')?.width).toBe(320);
    // A segment decodes: ffmpeg reads frames of it through the playlist.
    const decoded = await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', `${base}${live.playlistUrl}`, '-t', '1', '-f', 'null', '-'], { timeout: 20_000 });
    expect(decoded.stderr).toBe('');

    // A second publisher for the same live is refused while the first goes on.
    const second = open(liveId, host);
    expect(await within(second.closed, 5_000)).toBe(4409);
    expect(publisher.ws.readyState).toBe(WebSocket.OPEN);

    // Closing the socket ends the publish: off air, the ffmpeg gone.
    recorder.kill('SIGKILL');
    publisher.ws.close(1000);
    await waitFor(async () => ((await liveNow()).onAir ? undefined : true), 15_000, 200);

    // The live can be taken up again: a new publish, a new folder.
    const again = open(liveId, host);
    expect(await again.ready).toBe(true);
    stream(again, 30);
    const back = await waitFor(async () => {
      const body = await liveNow();
      return body.onAir ? body : undefined;
    }, 30_000, 200);
    expect(back.playlistUrl).toBe(`/media/live/${liveId}/3/index.m3u8`);

    // Ending the live closes the publisher; an ended live takes none.
    expect((await api('POST', `/api/social/lives/${liveId}/end`, host)).statusCode).toBe(200);
    expect(await within(again.closed, 15_000)).toBe(1000);
    expect(await within(open(liveId, host).closed, 5_000)).toBe(4409);
    // The recording became the replay, a normal video of the host.
    const ended = (await api('GET', `/api/social/lives/${liveId}`)).json();
    expect(ended.replayVideoId).toEqual(expect.any(String));
  }, 150_000);

  it('takes Safari’s fragmented MP4 when the publisher says mp4; a claim the bytes do not bear out is refused', async () => {
    const created = await api('POST', '/api/social/lives', host, { title: 'Live dari Safari' });
    expect(created.statusCode, created.body).toBe(201);
    const safariLive = created.json().live.id as string;
    const mp4 = await safariRecording(8);
    expect(mp4.toString('latin1', 4, 8)).toBe('ftyp');
    const webmHeader = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const recorder = webmRecorder(1);
      children.push(recorder);
      recorder.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
      recorder.on('close', () => resolve(Buffer.concat(chunks)));
    });

    // A claim that is no container is a problem at the upgrade.
    const wrongClaim = await fetch(`${base}/api/social/lives/${safariLive}/publish?container=flv`, { headers: host.auth });
    expect(wrongClaim.status).toBe(400);
    expect(wrongClaim.headers.get('content-type')).toContain('application/problem+json');
    // WebM said, MP4 sent; MP4 said, WebM or junk sent; an MP4 whose samples come before its index: each closed, nothing started.
    const refused: [string, Buffer][] = [
      ['?container=webm', mp4.subarray(0, 64 * 1024)],
      ['?container=mp4', webmHeader.subarray(0, 4096)],
      ['?container=mp4', Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypjunk'), randomBytes(4096)])],
      ['?container=mp4', randomBytes(4096)],
      ['?container=mp4', (await safariRecording(1, false)).subarray(0, 64 * 1024)],
    ];
    for (const [query, bytes] of refused) {
      const publisher = open(safariLive, host, {}, query);
      expect(await publisher.ready).toBe(true);
      publisher.ws.send(bytes, { binary: true });
      expect(await within(publisher.closed, 5_000), `${query} ${bytes.subarray(0, 12).toString('hex')}`).toBe(1003);
    }
    expect(await sekat.stores.social.db.selectFrom('lives').select(['status', 'publish_count']).where('id', '=', safariLive).executeTakeFirstOrThrow()).toEqual({ status: 'scheduled', publish_count: 0 });

    // Safari's recording in recorder-sized chunks, about as fast as it records.
    const publisher = open(safariLive, host, {}, '?container=mp4');
    expect(await publisher.ready).toBe(true);
    const chunk = 32 * 1024;
    for (let at = 0; at < mp4.length; at += chunk) {
      publisher.ws.send(mp4.subarray(at, at + chunk), { binary: true });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const live = await waitFor(async () => {
      const body = (await api('GET', `/api/social/lives/${safariLive}`)).json() as { onAir: boolean; playlistUrl: string | null };
      return body.onAir ? body : undefined;
    }, 30_000, 200);
    expect(publisher.messages.map((m) => m.type)).toContain('publishing');
    expect(live.playlistUrl).toBe(`/media/live/${safariLive}/1/index.m3u8`);
    await waitFor(async () => {
      const text = await (await fetch(`${base}${live.playlistUrl}`)).text();
      return [...text.matchAll(/#EXTINF:/g)].length >= 3 ? true : undefined;
    }, 20_000, 250);
    const playlist = await (await fetch(`${base}${live.playlistUrl}`)).text();
    expect(playlist).toContain('#EXT-X-MAP:URI="init.mp4"');
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', `${base}${live.playlistUrl}`], { timeout: 20_000 });
    const streams = (JSON.parse(stdout) as { streams: { codec_name: string; width?: number }[] }).streams;
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(streams.find((s) => s.codec_name === 'h264')?.width).toBe(320);
    // One segment on its own (after the init section) is a playable piece of H.264 and AAC.
    const segment = playlist.split('\n').find((line) => line.endsWith('.m4s'))!;
    const folder = `${base}${live.playlistUrl!.replace(/index\.m3u8$/, '')}`;
    const init = Buffer.from(await (await fetch(`${folder}init.mp4`)).arrayBuffer());
    const piece = Buffer.from(await (await fetch(`${folder}${segment}`)).arrayBuffer());
    const file = path.join(config.dataDir, 'segment-check.mp4');
    await writeFile(file, Buffer.concat([init, piece]));
    const probed = await promisify(execFile)('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
    const format = JSON.parse(probed.stdout) as { format: { duration: string }; streams: { codec_name: string }[] };
    expect(format.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Number(format.format.duration)).toBeGreaterThan(0.5);
    const decoded = await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(decoded.stderr).toBe('');

    publisher.ws.close(1000);
    expect((await api('POST', `/api/social/lives/${safariLive}/end`, host)).statusCode).toBe(200);
  }, 120_000);
});
