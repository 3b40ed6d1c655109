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

const screenshot = async (p: Page, name: string) => {
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
    await screenshot(host.page, 'camera-host');

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
      const state = await video.evaluate((v: HTMLVideoElement) => ({
        src: v.currentSrc, readyState: v.readyState, error: v.error?.message, lastError: v.dataset.lastError,
      }));
      expect.fail(`the camera live did not play: ${JSON.stringify(state)}; page errors ${JSON.stringify(viewer.errors)}`);
    }
    expect(await video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
    await screenshot(viewer.page, 'camera-viewer');

    // Stopping the camera ends the publish: the live goes off air.
    await host.page.getByRole('button', { name: id.liveExtra.stopCamera }).click();
    await host.page.getByTestId('camera-status').getByText(id.liveExtra.phase.stopped).waitFor();
    await expect.poll(async () => (await (await viewer.page.request.get(`${base}/api/social/lives/${liveId}`)).json()).onAir, { timeout: 20_000 }).toBe(false);
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 240_000);

  it('the host drops a voucher and starts a flash-sale countdown; a viewer sees the cards; the host sees the live’s figures after', async () => {
    const host = await page({ width: 1280, height: 800 });
    host.page.setDefaultTimeout(30_000);
    expect((await register(host.page, 'toko_promo')).status()).toBe(201);
    const req = host.page.request;
    const shop = (await (await req.post(`${base}/api/commerce/shops`, { data: { name: 'Promo Live', slug: 'promo-live', city: 'Solo' } })).json()) as { id: string };
    const product = (await (
      await req.post(`${base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kain Tenun Ikat', description: 'Tenun', category: 'fashion', variants: [{ sku: 'TI-1', name: 'Biru', priceIdr: 300_000, stock: 9, weightGrams: 300 }] },
      })
    ).json()) as { id: string; variants: { id: string }[] };
    const voucher = await req.post(`${base}/api/commerce/shops/${shop.id}/vouchers`, {
      data: { code: 'TENUN20', kind: 'fixed', value: 20_000, minSpendIdr: 100_000, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), quota: 50 },
    });
    expect(voucher.status()).toBe(201);
    const deal = await req.post(`${base}/api/commerce/shops/${shop.id}/flash-deals`, { data: { variantId: product.variants[0]!.id, dealPriceIdr: 199_000, allocation: 3, perBuyerLimit: 1, durationMinutes: 5, countdownSeconds: 10 } });
    expect(deal.status(), await deal.text()).toBe(201);
    await expect.poll(async () => (await (await req.get(`${base}/api/commerce/products?q=Tenun`)).json()).items.length, { timeout: 20_000 }).toBe(1);
    const live = (await (await req.post(`${base}/api/social/lives`, { data: { title: 'Live Tenun Malam', productIds: [product.id] } })).json()) as { live: { id: string } };

    const viewer = await page({ width: 390, height: 844 });
    viewer.page.setDefaultTimeout(30_000);
    expect((await register(viewer.page, 'pembeli_promo')).status()).toBe(201);
    await viewer.page.goto(`${base}/live/${live.live.id}`);
    await viewer.page.getByRole('heading', { name: 'Live Tenun Malam' }).waitFor();

    await host.page.goto(`${base}/live/${live.live.id}`);
    const console_ = host.page.getByTestId('host-drops');
    await console_.waitFor();
    await console_.getByLabel(id.liveExtra.voucherCode).fill('TENUN20');
    await console_.getByRole('button', { name: id.liveExtra.dropVoucher }).click();
    await console_.getByText(id.liveExtra.dropped).waitFor();
    await console_.getByRole('button', { name: `${id.liveExtra.startCountdown} Kain Tenun Ikat` }).click();

    // The viewer: a voucher to claim and a flash sale counting down to its start, then buyable.
    const voucherCard = viewer.page.getByTestId('live-voucher');
    await voucherCard.getByText('TENUN20').waitFor();
    const flashCard = viewer.page.getByTestId('live-flash');
    await flashCard.getByText(/Mulai dalam 00:\d\d/).waitFor();
    await screenshot(viewer.page, 'drops-viewer');
    await voucherCard.getByRole('button', { name: id.liveExtra.claim }).click();
    await voucherCard.getByText(id.liveExtra.claimed.replace('{{code}}', 'TENUN20')).waitFor();
    await flashCard.getByText(/Berakhir dalam 0\d:\d\d/).waitFor({ timeout: 30_000 });
    await flashCard.getByRole('button', { name: id.liveExtra.buy }).click();
    await viewer.page.getByRole('dialog').waitFor();
    await screenshot(viewer.page, 'drops-buy-sheet');

    // A bad code is refused with the problem shown, nothing sent.
    await console_.getByLabel(id.liveExtra.voucherCode).fill('BUKANKODE');
    await console_.getByRole('button', { name: id.liveExtra.dropVoucher }).click();
    await console_.getByRole('alert').waitFor();

    // The host's figures: the tap counted, orders withheld (none yet).
    const stats = host.page.getByTestId('live-stats');
    await stats.waitFor();
    await expect.poll(async () => (await (await req.get(`${base}/api/creator/lives/${live.live.id}/analytics`)).json()).productTaps, { timeout: 10_000 }).toBe(1);
    await host.page.reload();
    await stats.getByText(id.liveExtra.taps).waitFor();
    await screenshot(host.page, 'drops-host');
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 240_000);
});
