/**
 * "Live dari kamera" in Chromium: a creator creates a live on the go-live page and goes live from
 * the camera (Chromium's fake camera and microphone, recorded by MediaRecorder and sent over the
 * publish WebSocket); a second page watches the live play.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import { CHROMIUM } from './browser.js';
import { useSekat } from '../support/sekat.js';

vi.setConfig({ hookTimeout: 600_000 });
const app = useSekat({});
let base = '';
let browser: Browser | undefined;
const SHOTS = '/tmp/shots';

beforeAll(async () => {
  base = await app.sekat.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

async function page(viewport: { width: number; height: number }, locale = 'id-ID'): Promise<{ page: Page; errors: string[] }> {
  const context = await browser!.newContext({ viewport, locale, timezoneId: 'Asia/Jakarta', permissions: ['camera', 'microphone'] });
  const p = await context.newPage();
  const errors: string[] = [];
  p.on('pageerror', (error) => errors.push(error.message));
  return { page: p, errors };
}

const shot = async (p: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await p.screenshot({ path: `${SHOTS}/live-extra-${name}.png`, fullPage: true });
};

const register = (p: Page, handle: string) =>
  p.request.post(`${base}/api/auth/register`, { data: { email: `${handle}@contoh.id`, password: 'nasi-uduk-betawi-enak', handle, displayName: handle } });

describe('live from the camera in Chromium', () => {
  it('goes live from the go-live page with the camera, and a second page watches it play', async () => {
    const host = await page({ width: 390, height: 844 });
    host.page.setDefaultTimeout(30_000);
    expect((await register(host.page, 'kamera_live')).status()).toBe(201);
    await host.page.goto(`${base}/studio/live`);
    await host.page.getByLabel(id.live.titleLabel).fill('Live Kamera Pagi');
    await host.page.getByRole('button', { name: id.live.create }).click();
    await host.page.getByRole('heading', { name: id.liveExtra.cameraTitle }).waitFor();
    await host.page.getByRole('button', { name: id.liveExtra.startCamera }).click();
    await host.page.getByTestId('camera-status').getByText(id.liveExtra.phase.publishing).waitFor({ timeout: 30_000 });
    await shot(host.page, 'camera-host');

    const liveId = (await (await host.page.request.get(`${base}/api/social/me/lives`)).json()).items[0].id as string;
    const viewer = await page({ width: 1280, height: 800 });
    await viewer.page.goto(`${base}/live/${liveId}`);
    await viewer.page.getByRole('heading', { name: 'Live Kamera Pagi' }).waitFor({ timeout: 30_000 });
    const video = viewer.page.getByTestId('live-video');
    const playing = await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 60_000 })
      .toBeGreaterThan(0.5)
      .then(() => true, () => false);
    if (!playing) {
      const state = await video.evaluate((v: HTMLVideoElement) => ({ src: v.currentSrc, readyState: v.readyState, error: v.error?.message, lastError: v.dataset.lastError }));
      expect.fail(`the camera live did not play: ${JSON.stringify(state)}; page errors ${JSON.stringify(viewer.errors)}`);
    }
    expect(await video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
    await shot(viewer.page, 'camera-viewer');

    // Stopping the camera ends the publish: the live goes off air.
    await host.page.getByRole('button', { name: id.liveExtra.stopCamera }).click();
    await host.page.getByTestId('camera-status').getByText(id.liveExtra.phase.stopped).waitFor();
    await expect.poll(async () => (await (await viewer.page.request.get(`${base}/api/social/lives/${liveId}`)).json()).onAir, { timeout: 20_000 }).toBe(false);
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 240_000);
});
