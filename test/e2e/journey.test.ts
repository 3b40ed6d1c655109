import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildSekat, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { launchBrowser, phonePage, screenshot } from './browser.js';
import { seriousViolations } from './a11y.js';

let browser: Browser;
let base: string;
let media: string;
let clip: string;
const pageErrors: string[] = [];
const a11y: Record<string, string[]> = {};

beforeAll(async () => {
  media = mkdtempSync(path.join(tmpdir(), 'sekat-e2e-media-'));
  clip = path.join(media, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=360x640:rate=30', '-f', 'lavfi', '-i', 'sine', '-t', '3', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (media) rmSync(media, { recursive: true, force: true });
});

/** Each language gets its own server and stores, so its feed holds exactly its own video. */
async function withServer(run: () => Promise<void>): Promise<void> {
  const config: Config = testConfig();
  const sekat: Sekat = await buildSekat(config);
  try {
    base = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    await run();
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

type Strings = typeof id;

async function person(lang: 'id' | 'en'): Promise<Page> {
  const { page } = await phonePage(browser, lang === 'en' ? 'en-US' : 'id-ID');
  page.on('pageerror', (error) => pageErrors.push(`${lang} ${page.url()}: ${error.message}`));
  page.setDefaultTimeout(15_000);
  await page.addInitScript((language) => localStorage.setItem('sekat.lang', language), lang);
  return page;
}

async function check(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  a11y[name] = await seriousViolations(page);
}

async function signUp(page: Page, L: Strings, who: { name: string; handle: string }): Promise<void> {
  await page.goto(`${base}/daftar`);
  await page.getByLabel(L.auth.displayName).fill(who.name);
  await page.getByLabel(L.auth.handle).fill(who.handle);
  await page.getByLabel(L.auth.email).fill(`${who.handle.replace(/\./g, '')}@contoh.id`);
  await page.getByLabel(L.auth.password).fill('teh-botol-sosro-dingin');
  await page.locator('form').getByRole('button', { name: L.auth.submitSignUp }).click();
  await page.getByRole('link', { name: `@${who.handle}` }).first().waitFor();
}

/** The whole journey through the UI only, in one language. */
async function journey(lang: 'id' | 'en'): Promise<void> {
  const L: Strings = lang === 'en' ? en : id;
  const tag = `${lang}${Date.now().toString(36).slice(-4)}`;
  const productTitle = `Kaus Katun ${tag}`;

  // ── A seller opens a shop, lists a product (after seeing field errors) and sets 10 % commission.
  const seller = await person(lang);
  await signUp(seller, L, { name: 'Toko Sari', handle: `sari.${tag}` });
  await seller.goto(`${base}/seller`);
  await seller.getByLabel(L.seller.shopName).fill(`Sari Busana ${tag}`);
  await seller.getByLabel(L.seller.slug, { exact: true }).fill(`sari-${tag}`);
  await seller.getByLabel(L.seller.city).fill('Bandung');
  await seller.getByRole('button', { name: L.seller.openShopSubmit }).click();
  await seller.getByRole('heading', { name: L.seller.commission }).waitFor();
  await seller.getByLabel(L.seller.commissionPercent).fill('10');
  await seller.getByRole('button', { name: L.common.save }).click();
  await seller.getByText(L.seller.commissionSaved.replace('{{percent}}', '10')).waitFor();
  await check(seller, `${lang}-seller-shop`);
  const [exported] = await Promise.all([seller.waitForEvent('download'), seller.getByRole('link', { name: L.seller.exportCsv }).click()]);
  expect(exported.suggestedFilename()).toMatch(/\.csv$/);

  await seller.getByRole('link', { name: L.seller.products }).click();
  await seller.getByRole('button', { name: L.seller.newProduct }).click();
  await seller.getByLabel(L.seller.productTitle).fill(productTitle);
  await seller.getByLabel(L.seller.description).fill('Kaus katun combed 30s, adem dan lembut.');
  await seller.getByLabel(L.seller.variantName).fill('Hitam');
  await seller.getByLabel(L.seller.sku).fill(`KK-HTM-${tag}`);
  await seller.getByLabel(L.seller.stock).fill('10');
  await seller.getByLabel(L.seller.weight).fill('250');
  await seller.getByRole('button', { name: L.seller.saveProduct }).click();
  await seller.getByText(L.errors.fixFields).waitFor();
  expect(await seller.getByLabel(L.seller.price).getAttribute('aria-invalid')).toBe('true');
  await check(seller, `${lang}-seller-product-errors`);
  await seller.getByLabel(L.seller.price).fill('150000');
  await seller.getByRole('button', { name: L.seller.addVariant }).click();
  await seller.getByLabel(L.seller.variantName).nth(1).fill('Putih');
  await seller.getByLabel(L.seller.sku).nth(1).fill(`KK-PTH-${tag}`);
  await seller.getByLabel(L.seller.price).nth(1).fill('150000');
  await seller.getByLabel(L.seller.stock).nth(1).fill('10');
  await seller.getByLabel(L.seller.weight).nth(1).fill('250');
  await seller.getByRole('button', { name: L.seller.saveProduct }).click();
  await seller.getByText(L.seller.productSaved).waitFor();
  await seller.getByRole('link', { name: productTitle }).waitFor();
  await check(seller, `${lang}-seller-products`);

  // ── A creator signs up, enrols and links as an affiliate, uploads a clip through the studio.
  const creator = await person(lang);
  await signUp(creator, L, { name: 'Budi Kreator', handle: `budi.${tag}` });
  await creator.goto(`${base}/studio/afiliasi`);
  // One action enrols and links; the page still says so after a reload.
  await creator.getByRole('button', { name: L.studio.setUp }).click();
  await creator.getByText(L.studio.linked).waitFor();
  await creator.reload();
  await creator.getByTestId('affiliate-state').filter({ hasText: L.studio.linked }).waitFor();

  await creator.getByRole('link', { name: L.studio.videos, exact: true }).click();
  await creator.getByLabel(L.studio.file).setInputFiles(clip);
  await creator.getByLabel(L.studio.caption).fill(`${productTitle} baru! #ootd${tag}`);
  await creator.getByRole('button', { name: L.studio.uploadSubmit, exact: true }).click();
  await creator.waitForURL(/\/studio\/video\//, { timeout: 30_000 });
  await creator.locator('[data-status="ready"]').waitFor({ timeout: 60_000 });
  await creator.getByLabel(L.studio.findProduct).fill(productTitle);
  await creator.getByRole('search').getByRole('button', { name: L.search.submit }).click();
  await creator.getByRole('button', { name: `${L.studio.tag} ${productTitle}`, exact: true }).click();
  await creator.getByRole('button', { name: `${L.studio.untag} ${productTitle}`, exact: true }).waitFor();
  await check(creator, `${lang}-studio-video-tagged`);

  // ── A viewer opens the feed: the video plays; reason, comments, like.
  const viewer = await person(lang);
  await signUp(viewer, L, { name: 'Rina Pembeli', handle: `rina.${tag}` });
  await viewer.goto(`${base}/`);
  const video = viewer.locator('article[data-active="true"] video');
  await video.waitFor();
  await viewer.waitForFunction(() => {
    const v = document.querySelector<HTMLVideoElement>('article[data-active="true"] video');
    return !!v && v.currentTime > 0.3;
  }, undefined, { timeout: 30_000 });
  await check(viewer, `${lang}-feed`);
  await viewer.getByRole('button', { name: L.feed.unmute }).first().click();
  await viewer.getByRole('button', { name: L.feed.why }).first().click();
  await viewer.getByRole('dialog', { name: L.feed.why }).waitFor();
  await viewer.getByRole('button', { name: L.common.close }).click();
  await viewer.getByRole('button', { name: new RegExp(`^${L.feed.like} \\d`) }).first().click();
  await viewer.getByRole('button', { name: new RegExp(`^${L.feed.unlike} \\d`) }).first().waitFor();
  await viewer.getByRole('button', { name: new RegExp(`^${L.feed.comments} \\d`) }).first().click();
  await viewer.getByLabel(L.comments.label).fill(`Bahannya adem nggak kak? (${tag})`);
  await viewer.getByRole('button', { name: L.comments.send }).click();
  await viewer.getByText(`Bahannya adem nggak kak? (${tag})`).waitFor();
  await check(viewer, `${lang}-comments`);
  await viewer.getByRole('button', { name: L.common.close }).click();

  // The yellow cart chip opens the product sheet (and an attribution token); buy the white one.
  await viewer.getByRole('button', { name: new RegExp(`${productTitle} · Rp 150\\.000`) }).click();
  const sheet = viewer.getByRole('dialog', { name: productTitle });
  await sheet.getByRole('radio', { name: /Putih/ }).check();
  await sheet.getByText(L.product.stockLeft_other.replace('{{count}}', '10')).waitFor();
  await check(viewer, `${lang}-product-sheet`);
  await sheet.getByRole('button', { name: L.product.buyNow }).click();

  await viewer.getByRole('heading', { name: L.checkout.title }).waitFor();
  await viewer.getByLabel(L.checkout.recipient).fill('Rina Pembeli');
  await viewer.getByLabel(L.checkout.phone).fill('0812 3456 7890');
  await viewer.getByLabel(L.checkout.line1).fill('Jl. Kenanga No. 5, RT 02/RW 03');
  await viewer.getByLabel(L.checkout.city).fill('Surabaya');
  await viewer.getByLabel(L.checkout.province).selectOption('Jawa Timur');
  await viewer.getByLabel(L.checkout.postalCode).fill('60231');
  await viewer.getByRole('radio', { name: /JNE/ }).check();
  await viewer.getByRole('radio', { name: /BCA Virtual Account/ }).check();
  await viewer.getByText(L.cart.fromVideo).waitFor();
  await check(viewer, `${lang}-checkout`);
  await viewer.getByRole('button', { name: L.checkout.placeOrder }).click();

  await viewer.getByRole('heading', { name: L.payment.title }).waitFor();
  await expect.poll(async () => (await viewer.getByTestId('va-number').textContent())?.length ?? 0).toBeGreaterThan(10);
  await viewer.getByText(L.payment.timeLeft).waitFor();
  await check(viewer, `${lang}-payment`);
  await viewer.getByRole('button', { name: L.payment.simulate }).click();
  await viewer.getByText(L.payment.status.paid).waitFor();
  await viewer.getByRole('link', { name: /#/ }).first().click();
  await viewer.getByText(L.orders.status.paid).first().waitFor();

  // ── The seller ships: the courier is booked and its AWB shown; the sandbox courier's tracking
  // (Biteship webhooks) carries the parcel to the buyer. Nobody marks it delivered by hand.
  await seller.goto(`${base}/seller/pesanan`);
  await seller.getByRole('button', { name: L.seller.ship }).click();
  await seller.locator('[data-shipment-status="booked"]').waitFor();
  for (const stage of ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const) {
    await seller.getByRole('button', { name: L.courier.sandboxMove.replace('{{stage}}', L.courier.stage[stage]), exact: true }).click();
    if (stage !== 'delivered') await seller.locator(`[data-shipment-status="${stage}"]`).waitFor();
  }
  // In the list, not the status filter's option of the same name.
  await seller.locator('.order-list').getByText(L.orders.status.delivered).waitFor();
  await check(seller, `${lang}-seller-orders`);

  // ── The viewer sees the courier's timeline, completes the order and reviews it.
  await viewer.reload();
  await viewer.locator('[data-shipment-status="delivered"]').getByText(L.courier.stage.delivered).first().waitFor();
  await check(viewer, `${lang}-order-tracking`);
  await viewer.getByRole('button', { name: L.orders.complete }).click();
  await viewer.getByLabel(L.orders.reviewText).fill('Bahannya adem, jahitan rapi. Mantap!');
  await viewer.getByRole('button', { name: L.orders.sendReview }).click();
  await viewer.getByText(L.orders.reviewThanks).first().waitFor();
  await check(viewer, `${lang}-order-completed`);
  await viewer.getByRole('link', { name: productTitle }).click();
  await viewer.getByText('Bahannya adem, jahitan rapi. Mantap!').waitFor();
  await check(viewer, `${lang}-product`);
  await viewer.goto(`${base}/pesanan`);
  await viewer.getByText(L.orders.status.completed).first().waitFor();

  // ── The creator looks at commission and analytics.
  await creator.goto(`${base}/studio/afiliasi`);
  await creator.getByRole('heading', { name: L.studio.commissions }).waitFor();
  // 10 % of Rp 150.000, confirmed because the order is completed.
  await expect.poll(() => creator.getByTestId('commission-confirmed').textContent()).toBe('Rp 15.000');
  await check(creator, `${lang}-studio-affiliate`);
  await creator.getByRole('link', { name: L.studio.analytics }).click();
  await creator.getByRole('heading', { name: L.studio.perVideo }).waitFor();
  await creator.getByText('< 5').first().waitFor();
  await creator.locator('#withheld-note').filter({ hasText: L.studio.withheldInPlace.split('{{n}}')[0]! }).waitFor();
  await check(creator, `${lang}-studio-analytics`);

  // ── The viewer downloads their data and deletes the account.
  await viewer.goto(`${base}/privasi`);
  await viewer.getByRole('heading', { name: L.privacy.title }).waitFor();
  const personalise = viewer.getByRole('switch', { name: new RegExp(L.privacy.purpose.personalize_feed_with_purchases.title) });
  await personalise.click();
  await expect.poll(() => personalise.isChecked()).toBe(true);
  await viewer.getByRole('button', { name: L.privacy.exportStart }).click();
  await viewer.getByText(L.privacy.exportStatus.ready).waitFor({ timeout: 30_000 });
  await check(viewer, `${lang}-privacy`);
  const [download] = await Promise.all([viewer.waitForEvent('download'), viewer.getByRole('link', { name: L.privacy.download }).click()]);
  const saved = path.join(media, `${lang}-export.zip`);
  await download.saveAs(saved);
  expect(statSync(saved).size).toBeGreaterThan(100);
  await viewer.getByRole('button', { name: L.privacy.deleteStart }).click();
  await viewer.getByLabel(new RegExp(L.privacy.deleteConfirmLabel.split('(')[0]!.trim())).fill(`rina.${tag}`);
  await viewer.getByRole('button', { name: L.privacy.deleteConfirm }).click();
  await viewer.getByText(L.privacy.deleted).first().waitFor();
  await viewer.goto(`${base}/masuk`);
  await viewer.getByLabel(L.auth.email).fill(`rina${tag}@contoh.id`);
  await viewer.getByLabel(L.auth.password).fill('teh-botol-sosro-dingin');
  await viewer.locator('form').getByRole('button', { name: L.auth.submitSignIn }).click();
  await viewer.getByText(L.errors.invalidCredentials).waitFor();

  for (const p of [seller, creator, viewer]) await p.context().close();
}

describe('the whole journey in Chromium at 390×844', () => {
  it('seller → creator → viewer → seller → viewer → creator → privacy, in Bahasa Indonesia', async () => {
    await withServer(() => journey('id'));
    expect(pageErrors).toEqual([]);
    expect(Object.entries(a11y).filter(([, v]) => v.length)).toEqual([]);
  }, 150_000);

  it('the same journey in English', async () => {
    await withServer(() => journey('en'));
    expect(pageErrors).toEqual([]);
    expect(Object.entries(a11y).filter(([, v]) => v.length)).toEqual([]);
  }, 150_000);
});
