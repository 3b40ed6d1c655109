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
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { registerUser } from '../src/domains/social/testkit.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 1000);
const PINS = Number(process.env.BENCH_PINS ?? 20);

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

async function main() {
  console.log(`Sekat live benchmark: ${SECONDS} s publish, ${VIEWERS} viewers, ${PINS} pins`);
  const config = testConfig({ LOG_LEVEL: 'silent', DATABASE_URL: process.env.DATABASE_URL ?? '', RTMP_PORT: '0', RTMP_HOST: '127.0.0.1' });
  const sekat = await buildSekat(config);
  const base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const rtmpPort = sekat.domains.social.rtmpPort()!;
    const host = await registerUser(sekat.app);
    const created = await sekat.app.inject({ method: 'POST', url: '/api/social/lives', headers: host.auth, payload: { title: 'Bench live' } });
    const { live, streamKey } = created.json() as { live: { id: string }; streamKey: string };

    const publishedAt = performance.now();
    const wallAtStart = Date.now();
    const publisher = spawn('ffmpeg', [
      '-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=720x1280:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(SECONDS + 15), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-b:v', '2500k', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`,
    ], { stdio: 'ignore' });

    // Latency: every segment as it appears.
    let playlistUrl: string | undefined;
    let firstPlaylistMs = NaN;
    const seen = new Map<number, { appeared: number; endPts: number; pdtLag: number; duration: number }>();
    let ptsSoFar = 0;
    let lastSeq = -1;
    let packager: number | undefined;
    let cpuAtStart = 0;
    let cpuStartedAt = 0;
    while (performance.now() - publishedAt < SECONDS * 1000) {
      if (!playlistUrl) {
        const body = (await sekat.app.inject({ method: 'GET', url: `/api/social/lives/${live.id}` })).json() as { playlistUrl: string | null };
        if (body.playlistUrl) {
          playlistUrl = body.playlistUrl;
          firstPlaylistMs = performance.now() - publishedAt;
        }
      }
      if (playlistUrl) {
        packager ??= packagerPid();
        if (packager && !cpuStartedAt) {
          cpuAtStart = cpuSeconds(packager);
          cpuStartedAt = performance.now();
        }
        const text = await (await fetch(`${base}${playlistUrl}`)).text();
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
    const holdBackMs = 2 * 1000;
    console.log(`  first playlist: ${ms(firstPlaylistMs)} after the publisher started`);
    console.log(`  segments: ${seen.size}, mean ${(segments.reduce((a, s) => a + s.duration, 0) / Math.max(1, segments.length)).toFixed(2)} s`);
    console.log(`  segment available after its last frame was published: p50 ${ms(quantile(availability, 0.5))}, p99 ${ms(quantile(availability, 0.99))} (program-date-time lag p50 ${ms(quantile(segments.map((s) => s.pdtLag), 0.5))})`);
    console.log(`  glass-to-glass, a player 2 segments behind the edge: about ${ms(quantile(availability, 0.5) + 1000 + holdBackMs)} (target ≤ 5000 ms)`);
    console.log(`  packaging CPU (ffmpeg -c copy, H.264/AAC 720x1280 2.5 Mbit/s): ${(cpuShare * 100).toFixed(1)} % of one core (target ≤ 5 %)`);

    const baseline = await bareBaseline();
    const room = await fanOut(`${base.replace('http', 'ws')}/api/social/lives/${live.id}/room`, VIEWERS, PINS, async () => {
      await sekat.app.inject({ method: 'PUT', url: `/api/social/lives/${live.id}/pin`, headers: host.auth, payload: { productId: null } });
    }, (m) => m.type === 'pin');
    console.log(`  bare ws broadcast to ${VIEWERS}: p50 ${ms(baseline.p50)}, p99 ${ms(baseline.p99)}, ${Math.round(baseline.perSecond)} messages/s (${baseline.delivered}/${baseline.expected})`);
    console.log(`  Sekat pin to ${VIEWERS} viewers: p50 ${ms(room.p50)}, p99 ${ms(room.p99)} (target ≤ 500 ms), ${Math.round(room.perSecond)} messages/s (${room.delivered}/${room.expected})`);
    publisher.kill('SIGKILL');
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

await main();
