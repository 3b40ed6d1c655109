/**
 * Live shopping in Chromium: a seller goes live from Studio → Live (stream key with a copy button,
 * OBS and Larix steps), ffmpeg publishes over RTMP with that key, the live shows at the top of For
 * You, a viewer watches it play (hls.js) and comments, the host pins a product from the console and
 * the viewer's pinned card links to it; the host ends the live and the viewer is told. Phone and
 * desktop, Indonesian and English.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

// Building the app with RTMP on a loaded machine can take longer than the default hook timeout.
vi.setConfig({ hookTimeout: 600_000 });
const sekat = useBrowserSekat({ env: { RTMP_PORT: '0', RTMP_HOST: '127.0.0.1' } });
let publisher: ChildProcess | undefined;

afterAll(() => {
  publisher?.kill('SIGKILL');
});

describe('live shopping in Chromium', () => {
  it('goes live from the studio, plays for a viewer, carries comments and the pinned product, and ends', async () => {
    // The host: a seller with a product in their own shop.
    const host = await phonePage(sekat.browser);
    host.page.setDefaultTimeout(20_000);
    expect((await sekat.register(host.page.request, 'toko_live')).status()).toBe(201);
    const shop = (await (await host.page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Batik Live', slug: 'batik-live', city: 'Solo' } })).json()) as { id: string };
    const product = (await (
      await host.page.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kemeja Batik Parang', description: 'Katun', category: 'fashion', variants: [{ sku: 'BP-1', name: 'L', priceIdr: 250_000, stock: 7, weightGrams: 300 }] },
      })
    ).json()) as { id: string };
    await expect.poll(async () => (await (await host.page.request.get(`${sekat.base}/api/commerce/products?q=Parang`)).json()).items.length, { timeout: 20_000 }).toBe(1);

    await host.page.goto(`${sekat.base}/studio/live`);
    await host.page.getByRole('heading', { name: id.live.goLive }).waitFor();
    // A blank title is refused by the server, marked on the field.
    await host.page.getByRole('button', { name: id.live.create }).click();
    await host.page.locator('input[name="title"][aria-invalid="true"]').waitFor();
    await host.page.getByLabel(id.live.titleLabel).fill('Live Batik Sore');
    await host.page.getByPlaceholder(id.studio.findProduct).fill('Parang');
    await host.page.getByRole('button', { name: id.search.submit }).click();
    await host.page.getByRole('button', { name: `${id.live.addProduct} Kemeja Batik Parang` }).click();
    await host.page.getByRole('button', { name: id.live.create }).click();
    await host.page.getByRole('heading', { name: id.live.setupTitle }).waitFor();
    await host.page.getByText(id.live.obs1).waitFor();
    await host.page.getByText(id.live.larix1).waitFor();
    const rtmpUrl = await host.page.getByTestId('rtmp-url').inputValue();
    const streamKey = await host.page.getByTestId('stream-key').inputValue();
    expect(streamKey).toMatch(/^sk_/);
    expect(await host.page.getByTestId('stream-key').getAttribute('type')).toBe('password');
    await host.page.getByRole('button', { name: `${id.live.copy} ${id.live.streamKey}` }).waitFor();
    await screenshot(host.page, 'live-go-live');
    expect(await seriousViolations(host.page)).toEqual([]);

    publisher = spawn(
      'ffmpeg',
      ['-hide_banner', '-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=360x640:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '120',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-f', 'flv',
        `${rtmpUrl.replace('localhost', '127.0.0.1')}/${streamKey}`],
      { stdio: 'ignore' },
    );

    // A viewer on a desktop, in English: the live tops For You, plays, and takes a comment.
    const viewer = await desktopPage(sekat.browser, 'en-US');
    viewer.page.setDefaultTimeout(30_000);
    expect((await sekat.register(viewer.page.request, 'penonton_live')).status()).toBe(201);
    await viewer.page.goto(`${sekat.base}/`);
    await viewer.page.evaluate(() => localStorage.setItem('sekat.lang', 'en'));
    await viewer.page.goto(`${sekat.base}/`);
    const strip = viewer.page.getByTestId('live-strip');
    await strip.getByText('Live Batik Sore').waitFor({ timeout: 45_000 });
    await strip.getByText(en.live.badge, { exact: true }).waitFor();
    await strip.getByRole('link').first().click();
    await viewer.page.waitForURL(/\/live\//);
    await viewer.page.getByRole('heading', { name: 'Live Batik Sore' }).waitFor();
    const video = viewer.page.getByTestId('live-video');
    const playing = await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 60_000 })
      .toBeGreaterThan(0.5)
      .then(() => true, () => false);
    if (!playing) {
      // Say why before failing: what the element and hls.js last reported.
      const state = await video.evaluate((v: HTMLVideoElement) => ({
        src: v.currentSrc, readyState: v.readyState, networkState: v.networkState,
        error: v.error?.message, lastError: v.dataset.lastError, buffered: v.buffered.length,
      }));
      expect.fail(`the live did not play: ${JSON.stringify(state)}; page errors ${JSON.stringify(viewer.errors)}`);
    }
    await viewer.page.getByLabel(en.live.commentLabel).fill('Ready size XL?');
    await viewer.page.getByRole('button', { name: en.live.send }).click();
    await viewer.page.getByRole('list', { name: en.live.comments }).getByText('Ready size XL?').waitFor();

    // The host's console: the comment arrives; pinning reaches the viewer as a card to the product.
    await host.page.getByRole('link', { name: id.live.openConsole }).click();
    await host.page.getByTestId('host-console').waitFor();
    await host.page.getByRole('list', { name: id.live.comments }).getByText('Ready size XL?').waitFor();
    await host.page.getByRole('button', { name: `${id.live.pin} Kemeja Batik Parang` }).click();
    const pinned = viewer.page.getByTestId('live-pinned');
    await pinned.getByText('Kemeja Batik Parang').waitFor();
    expect(await pinned.getAttribute('href')).toBe(`/produk/${product.id}`);
    await screenshot(viewer.page, 'live-viewer-desktop');
    await screenshot(host.page, 'live-host-console');
    expect(await seriousViolations(viewer.page)).toEqual([]);

    // The host mutes the viewer; the viewer is told once the page hears it again.
    await host.page.getByRole('button', { name: id.live.mute }).first().click();
    await host.page.getByText(id.live.mutedNotice.replace('{{handle}}', 'penonton_live')).waitFor();

    // The host ends the live: the viewer's page says so.
    await host.page.getByRole('button', { name: id.live.end }).click();
    await host.page.getByRole('button', { name: id.live.endConfirm }).click();
    await viewer.page.getByText(en.live.endedNote).waitFor({ timeout: 30_000 });
    await screenshot(viewer.page, 'live-ended');
    expect(host.errors).toEqual([]);
    expect(viewer.errors).toEqual([]);
  }, 240_000);
});
