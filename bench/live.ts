/**
 * npm run bench:live — one live, end to end on this machine:
 * - latency: ffmpeg publishes testsrc2 + sine over RTMP in real time for BENCH_SECONDS (30); the
 *   playlist is read every 100 ms and each segment's appearance is compared with when its last
 *   frame was published (publisher start + its end time) and with its program-date-time; a player
 *   two segments behind the edge (hls.js as /live/:id sets it) adds two segment lengths.
 * - CPU: the packaging ffmpeg's user + system time over the run, as a share of one core.
 * - fan-out: BENCH_VIEWERS (1,000) WebSocket viewers in the room; the host pins BENCH_PINS (20)
 *   times; each pin's delay to every viewer (p50, p99) and messages delivered per second, next to a
 *   bare `ws` server broadcasting the same messages to as many clients, measured right before.
 * - baselines for the first two: the same publisher into a bare ffmpeg (RTMP listen, the same HLS
 *   arguments as Sekat's packager) for BENCH_BASELINE_SECONDS (20), measured the same way, first.
 * - stampede: the flash-sale stampede of bench:flash (bench/stampede.ts, FLASH_* knobs) on the same
 *   store as the live, next to the same stampede on a normal variant: once as a burst, once with
 *   the checkouts started FLASH_PACED_RATE (50) a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { registerUser } from '../src/domains/social/testkit.js';
import { packagingArgs } from '../src/domains/social/live/packager.js';
import { flashStampede, stampedeHeld, stampedeLine, stampedeOptionsFromEnv } from './stampede.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 1000);
const PINS = Number(process.env.BENCH_PINS ?? 20);
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 20);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
/** USER_HZ: /proc counts CPU time in these (100 on Linux). */
const CLOCK_TICKS = 100;
const ms = (n: number) => `${Math.round(n)} ms`;

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The ffmpeg child of this process that reads the ingest's FLV on stdin (the packager). */
function packagerPid(): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.startsWith('ffmpeg') && cmd.includes('pipe:0')) return Number(name);
    } catch {
      // a process that just ended
    }
  }
  return undefined;
}

async function fanOut(url: string, viewers: number, pins: number, pin: () => Promise<void>, match: (message: { type?: string }) => boolean) {
  const sockets = await Promise.all(
    Array.from({ length: viewers }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })),
  );
  const delays: number[] = [];
  let sentAt = 0;
  let received = 0;
  let done: () => void = () => undefined;
  for (const ws of sockets) {
    ws.on('message', (data) => {
      if (!match(JSON.parse(data.toString()) as { type?: string })) return;
      delays.push(performance.now() - sentAt);
      if (++received === viewers) done();
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const started = performance.now();
  for (let i = 0; i < pins; i++) {
    received = 0;
    const all = new Promise<void>((resolve) => (done = resolve));
    sentAt = performance.now();
    await pin();
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  const seconds = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.terminate();
  return { p50: quantile(delays, 0.5), p99: quantile(delays, 0.99), perSecond: delays.length / seconds, delivered: delays.length, expected: viewers * pins };
}

async function bareBaseline() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  const result = await fanOut(`ws://127.0.0.1:${port}`, VIEWERS, PINS, async () => {
    const text = JSON.stringify({ type: 'pin', product: { productId: 'x', title: 'Kemeja' }, at: new Date().toISOString() });
    for (const client of server.clients) client.send(text);
  }, (m) => m.type === 'pin');
  await new Promise((resolve) => server.close(resolve));
  return result;
}

/** ffmpeg publishing testsrc2 + sine in real time, H.264/AAC 720x1280 at 2.5 Mbit/s, over RTMP. */
function publishTo(url: string, seconds: number): ChildProcess {
  return spawn('ffmpeg', [
    '-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=720x1280:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-b:v', '2500k', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', url,
  ], { stdio: 'ignore' });
}

interface Latency {
  firstPlaylistMs: number;
  segments: number;
  meanSegment: number;
  availabilityP50: number;
  availabilityP99: number;
  pdtLagP50: number;
  cpuShare: number;
}

/**
 * Reads the playlist every 100 ms for `seconds` after the publisher started and notes when each
 * segment appears, against when its last frame was published (publisher start + its end time)
 * and against its program-date-time; the packager's CPU time over the same span.
 */
async function watchPlaylist(
  seconds: number,
  publishedAt: number,
  wallAtStart: number,
  read: () => Promise<string | undefined>,
  packagerOf: () => number | undefined,
): Promise<Latency> {
  let firstPlaylistMs = NaN;
  const seen = new Map<number, { appeared: number; endPts: number; pdtLag: number; duration: number }>();
  let ptsSoFar = 0;
  let lastSeq = -1;
  let packager: number | undefined;
  let cpuAtStart = 0;
  let cpuStartedAt = 0;
  while (performance.now() - publishedAt < seconds * 1000) {
    const text = await read();
    if (text !== undefined) {
      if (Number.isNaN(firstPlaylistMs)) firstPlaylistMs = performance.now() - publishedAt;
      packager ??= packagerOf();
      if (packager && !cpuStartedAt) {
        cpuAtStart = cpuSeconds(packager);
        cpuStartedAt = performance.now();
      }
      const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
      // Each segment: its tags (program-date-time, EXTINF, in either order), then its URI.
      const entries: { pdt: number; duration: number }[] = [];
      let pdt = NaN;
      let duration = NaN;
      for (const line of text.split('\n')) {
        if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = Date.parse(line.slice(25));
        else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
        else if (line.trim() !== '' && !line.startsWith('#')) {
          entries.push({ pdt, duration });
          pdt = NaN;
          duration = NaN;
        }
      }
      entries.forEach((entry, i) => {
        const seq = sequence + i;
        if (seq <= lastSeq) return;
        lastSeq = seq;
        ptsSoFar += entry.duration;
        seen.set(seq, { appeared: Date.now(), endPts: ptsSoFar, pdtLag: Date.now() - (entry.pdt + entry.duration * 1000), duration: entry.duration });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const cpuShare = packager && cpuStartedAt ? (cpuSeconds(packager) - cpuAtStart) / ((performance.now() - cpuStartedAt) / 1000) : NaN;
  // Only segments seen from their start (sequence 0 on), after the first few warm-up ones.
  const segments = [...seen.values()].slice(3);
  const availability = segments.map((s) => s.appeared - (wallAtStart + s.endPts * 1000));
  return {
    firstPlaylistMs,
    segments: seen.size,
    meanSegment: segments.reduce((a, s) => a + s.duration, 0) / Math.max(1, segments.length),
    availabilityP50: quantile(availability, 0.5),
    availabilityP99: quantile(availability, 0.99),
    pdtLagP50: quantile(segments.map((s) => s.pdtLag), 0.5),
    cpuShare,
  };
}

/** The same publisher into a bare ffmpeg that listens for RTMP and writes HLS with Sekat's packaging arguments. */
async function bareLatency(): Promise<Latency> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sekat-live-bare-'));
  const args = packagingArgs(dir, path.join(dir, 'recording.mkv'), { h264: true, hasAudio: true, aac: true });
  const input = args.indexOf('pipe:0');
  const port = 19_350 + Math.floor(Math.random() * 500);
  const url = `rtmp://127.0.0.1:${port}/live/bench`;
  const packager = spawn('ffmpeg', ['-hide_banner', '-v', 'error', '-listen', '1', '-f', 'flv', '-i', url, ...args.slice(input + 1)], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const publishedAt = performance.now();
  const wallAtStart = Date.now();
  const publisher = publishTo(url, BASELINE_SECONDS + 10);
  try {
    return await watchPlaylist(BASELINE_SECONDS, publishedAt, wallAtStart, () => readFile(path.join(dir, 'index.m3u8'), 'utf8').catch(() => undefined), () => packager.pid);
  } finally {
    publisher.kill('SIGKILL');
    packager.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const stampedeOptions = stampedeOptionsFromEnv();
  console.log(`Sekat live benchmark: ${SECONDS} s publish (bare ffmpeg baseline ${BASELINE_SECONDS} s), ${VIEWERS} viewers, ${PINS} pins, store ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`);
  const bare = await bareLatency();
  const config = testConfig({ LOG_LEVEL: 'silent', DATABASE_URL: process.env.DATABASE_URL ?? '', RTMP_PORT: '0', RTMP_HOST: '127.0.0.1' });
  const sekat = await buildSekat(config);
  const base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  let failed = false;
  try {
    const rtmpPort = sekat.domains.social.rtmpPort()!;
    const host = await registerUser(sekat.app);
    const created = await sekat.app.inject({ method: 'POST', url: '/api/social/lives', headers: host.auth, payload: { title: 'Bench live' } });
    const { live, streamKey } = created.json() as { live: { id: string }; streamKey: string };

    const publishedAt = performance.now();
    const wallAtStart = Date.now();
    const publisher = publishTo(`rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`, SECONDS + 15);
    let playlistUrl: string | undefined;
    const latency = await watchPlaylist(SECONDS, publishedAt, wallAtStart, async () => {
      if (!playlistUrl) {
        const body = (await sekat.app.inject({ method: 'GET', url: `/api/social/lives/${live.id}` })).json() as { playlistUrl: string | null };
        playlistUrl = body.playlistUrl ?? undefined;
      }
      return playlistUrl ? (await fetch(`${base}${playlistUrl}`)).text() : undefined;
    }, packagerPid);
    // A player two segments behind the edge (hls.js as /live/:id sets it) adds two segment lengths.
    const holdBackMs = 2 * 1000;
    const glass = (l: Latency) => l.availabilityP50 + 1000 + holdBackMs;
    const show = (label: string, l: Latency) => {
      console.log(`  ${label}: first playlist ${ms(l.firstPlaylistMs)} after the publisher started; ${l.segments} segments, mean ${l.meanSegment.toFixed(2)} s`);
      console.log(`    segment available after its last frame was published: p50 ${ms(l.availabilityP50)}, p99 ${ms(l.availabilityP99)} (program-date-time lag p50 ${ms(l.pdtLagP50)})`);
    };
    show('bare ffmpeg (baseline)', bare);
    show('Sekat', latency);
    console.log(`  glass-to-glass, a player 2 segments behind the edge: Sekat about ${ms(glass(latency))} (target ≤ 5000 ms); bare ffmpeg about ${ms(glass(bare))}`);
    console.log(`  packaging CPU (H.264/AAC 720x1280 2.5 Mbit/s, copied): Sekat's packager ${(latency.cpuShare * 100).toFixed(1)} % of one core (target ≤ 5 %); bare ffmpeg with RTMP ${(bare.cpuShare * 100).toFixed(1)} %`);

    const baseline = await bareBaseline();
    const room = await fanOut(`${base.replace('http', 'ws')}/api/social/lives/${live.id}/room`, VIEWERS, PINS, async () => {
      await sekat.app.inject({ method: 'PUT', url: `/api/social/lives/${live.id}/pin`, headers: host.auth, payload: { productId: null } });
    }, (m) => m.type === 'pin');
    console.log(`  bare ws broadcast to ${VIEWERS}: p50 ${ms(baseline.p50)}, p99 ${ms(baseline.p99)}, ${Math.round(baseline.perSecond)} messages/s (${baseline.delivered}/${baseline.expected})`);
    console.log(`  Sekat pin to ${VIEWERS} viewers: p50 ${ms(room.p50)}, p99 ${ms(room.p99)} (target ≤ 500 ms), ${Math.round(room.perSecond)} messages/s (${room.delivered}/${room.expected})`);
    publisher.kill('SIGKILL');

    // The burst (every checkout at once), then the same buyers arriving at FLASH_PACED_RATE a second.
    for (const options of [stampedeOptions, { ...stampedeOptions, rate: Number(process.env.FLASH_PACED_RATE ?? 50) }]) {
      const rush = await flashStampede(sekat, options);
      const how = options.rate > 0 ? `started ${options.rate} a second` : 'at once';
      console.log(`  flash-sale stampede: ${options.accounts * options.attempts} checkouts ${how} (${options.accounts} buyers × ${options.attempts}) on ${options.allocation} units (target p99 ≤ 250 ms, 0 oversold)`);
      console.log(`    ${stampedeLine('baseline (normal variant)', rush.baseline, options.allocation)}`);
      console.log(`    ${stampedeLine('flash deal', rush.deal, options.allocation, options.limit)}`);
      console.log(`    oversold: ${Math.max(0, rush.deal.orders - options.allocation)}`);
      if (!stampedeHeld(rush.deal, options)) failed = true;
    }
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
  if (failed) {
    console.error('FAILED: the stampede sold other than its allocation, broke a limit, or answered 5xx');
    process.exitCode = 1;
  }
}

await main();
