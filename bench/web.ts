/**
 * npm run bench:web — what a phone pays to open the feed: the gzip size of the JavaScript the feed
 * route loads (budget 200 KB) and the time from navigation to the first video frame, in headless
 * Debian Chromium against the local server with one seeded, transcoded video. Each figure is the
 * median of a few cold loads (fresh browser context, empty cache).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { launchBrowser } from '../test/e2e/browser.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BUDGET_KB = 200;
const dist = path.resolve('web/dist');

if (!existsSync(path.join(dist, 'index.html'))) execFileSync('npm', ['run', 'build:web'], { stdio: 'inherit' });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function seedVideo(base: string, work: string): Promise<void> {
  const clip = path.join(work, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=720x1280:rate=30', '-f', 'lavfi', '-i', 'sine', '-t', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
  const register = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@contoh.id', password: 'teh-botol-sosro-dingin', handle: 'bench.kreator', displayName: 'Bench' }),
  });
  const { token } = (await register.json()) as { token: string };
  const form = new FormData();
  form.set('caption', 'Bench #sekat');
  form.set('file', new Blob([readFileSync(clip)], { type: 'video/mp4' }), 'clip.mp4');
  const upload = await fetch(`${base}/api/social/videos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (upload.status !== 202) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`);
  const { id } = (await upload.json()) as { id: string };
  for (let i = 0; i < 240; i++) {
    const video = (await (await fetch(`${base}/api/social/videos/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string };
    if (video.status === 'ready') return;
    if (video.status === 'failed') throw new Error('the seeded video failed to transcode');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the seeded video was not ready in 60 s');
}

const work = mkdtempSync(path.join(tmpdir(), 'sekat-bench-web-'));
const config = testConfig();
const sekat = await buildSekat(config);
const base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
const browser = await launchBrowser();
try {
  await seedVideo(base, work);
  const jsKb: number[] = [];
  const firstFrameMs: number[] = [];
  let files: string[] = [];
  let player = '';
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    const page = await context.newPage();
    const scripts = new Set<string>();
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.pathname.endsWith('.js')) scripts.add(url.pathname);
    });
    await page.goto(`${base}/`);
    const frameAt = await page.waitForFunction(
      () => {
        const video = document.querySelector<HTMLVideoElement>('article[data-active="true"] video');
        return video && video.readyState >= 2 && video.currentTime > 0 ? performance.now() : false;
      },
      undefined,
      { timeout: 30_000, polling: 'raf' },
    );
    firstFrameMs.push(Math.round((await frameAt.jsonValue()) as number));
    player = await page.evaluate(() => (document.createElement('video').canPlayType('application/vnd.apple.mpegurl') ? 'native HLS' : 'hls.js (MSE)'));
    files = [...scripts].sort();
    const bytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(path.join(dist, file))).length, 0);
    jsKb.push(bytes / 1024);
    await context.close();
  }
  const kb = median(jsKb);
  console.log('\nbench:web — feed route (/) in headless Chromium at 390×844, cold cache');
  console.log(`JavaScript loaded: ${files.length} files, ${kb.toFixed(1)} KB gzip (budget ${BUDGET_KB} KB: ${kb <= BUDGET_KB ? 'within' : 'OVER'})`);
  for (const file of files) console.log(`  ${file.padEnd(48)} ${(gzipSync(readFileSync(path.join(dist, file))).length / 1024).toFixed(1).padStart(7)} KB`);
  console.log(`Player: ${player}`);
  const hlsChunk = files.some((f) => f.includes('hls')) ? undefined : readdirSync(path.join(dist, 'assets')).find((f) => f.startsWith('hls') && f.endsWith('.js'));
  if (hlsChunk) {
    const extra = gzipSync(readFileSync(path.join(dist, 'assets', hlsChunk))).length / 1024;
    console.log(`Browsers without native HLS also load /assets/${hlsChunk}: +${extra.toFixed(1)} KB gzip → ${(kb + extra).toFixed(1)} KB`);
  }
  console.log(`Time to first video frame: median ${median(firstFrameMs)} ms over ${RUNS} runs (min ${Math.min(...firstFrameMs)}, max ${Math.max(...firstFrameMs)})`);
} finally {
  await browser.close();
  await sekat.close();
  await disposeTestConfig(config);
  rmSync(work, { recursive: true, force: true });
}
