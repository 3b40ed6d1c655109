/**
 * The rest of issue 14 in Chromium, at phone size in Bahasa Indonesia and at desktop size in
 * English: the seller's product editor previews photos before they go up, has no "image URL" field
 * any more, adds a variant and removes one (told why one still in an order cannot go); deleting a
 * video in the studio asks first; a person who chose to erase their account once their orders are
 * finished can call that off; cancelling an order asks first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIRequestContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

type Strings = typeof id;
const STRINGS = { id, en } as { id: Strings; en: Strings };
const CASES = [
  ['id', 'phone'],
  ['en', 'desktop'],
] as const;
type Lang = (typeof CASES)[number][0];

const sekat = useBrowserSekat();
const work = mkdtempSync(path.join(tmpdir(), 'sekat-web-rest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function still(name: string, colour: string): string {
  const file = path.join(work, name);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=320x240`, '-frames:v', '1', '-y', file]);
  return file;
}

async function open(lang: Lang, size: 'phone' | 'desktop'): Promise<{ page: Page; errors: string[] }> {
  const opened = size === 'phone' ? await phonePage(sekat.browser, 'id-ID') : await desktopPage(sekat.browser, 'en-US');
  opened.page.setDefaultTimeout(20_000);
  await opened.page.addInitScript((language) => localStorage.setItem('sekat.lang', language), lang);
  return opened;
}

let people = 0;
const handleFor = (what: string, lang: Lang) => `${what}_${lang}_${++people}`;

async function shopWithProduct(request: APIRequestContext, slug: string) {
  const shop = (await (await request.post(`${sekat.base}/api/commerce/shops`, { data: { name: `Toko ${slug}`, slug, city: 'Medan' } })).json()) as { id: string };
  const created = await request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
    data: {
      title: 'Kopi Gayo',
      description: 'Sangrai sedang',
      category: 'makanan',
      variants: [
        { sku: `${slug}-250`, name: '250 g', priceIdr: 85_000, stock: 5, weightGrams: 300 },
        { sku: `${slug}-500`, name: '500 g', priceIdr: 150_000, stock: 5, weightGrams: 550 },
      ],
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  return (await created.json()) as { id: string; variants: { id: string; name: string }[] };
}

/** A second person, in a browser context of their own, buys one unit now and leaves it unpaid. */
async function buyOne(variantId: string, handle: string) {
  const context = await sekat.browser.newContext();
  expect((await sekat.register(context.request, handle)).status()).toBe(201);
  const placed = await context.request.post(`${sekat.base}/api/commerce/checkout`, {
    headers: { 'idempotency-key': `${handle}-1` },
    data: {
      items: [{ variantId, quantity: 1 }],
      shippingAddress: { recipient: 'Siti Rahma', phone: '081234567890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' },
      courier: 'jne_reg',
      paymentMethod: 'va_bca',
    },
  });
  expect(placed.status(), await placed.text()).toBe(201);
  return { context, orderId: ((await placed.json()) as { order: { id: string } }).order.id };
}

describe('the rest of issue 14 in Chromium', () => {
  it.each(CASES)('the product editor previews photos, adds and removes variants, and has no image URL field (%s, %s)', async (lang, size) => {
    const L = STRINGS[lang];
    const { page, errors } = await open(lang, size);
    const handle = handleFor('penjual', lang);
    expect((await sekat.register(page.request, handle)).status()).toBe(201);
    const product = await shopWithProduct(page.request, handle.replace(/_/g, '-'));
    const current = async () => (await (await page.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).json()) as { imageUrls: string[]; variants: { id: string; name: string }[] };
    const large = product.variants.find((v) => v.name === '500 g')!;
    const buyer = await buyOne(large.id, handleFor('pembeli', lang));

    await page.goto(`${sekat.base}/seller/produk`);
    const item = page.locator('li.card').filter({ hasText: 'Kopi Gayo' });
    await item.getByRole('button', { name: L.seller.manageProduct }).click();

    // Two photos picked: both shown before anything is sent; one is taken out again, one goes up.
    await item.getByLabel(L.seller.addPhotos).setInputFiles([still('merah.jpg', 'red'), still('biru.png', 'blue')]);
    await item.getByRole('img', { name: L.seller.previewN.replace('{{n}}', '2'), exact: true }).waitFor();
    expect((await current()).imageUrls).toEqual([]);
    await screenshot(page, `web-rest-photo-preview-${lang}-${size}`);
    await item.getByRole('button', { name: L.seller.unpickN.replace('{{n}}', '2'), exact: true }).click();
    await item.getByRole('img', { name: L.seller.previewN.replace('{{n}}', '2'), exact: true }).waitFor({ state: 'detached' });
    await item.getByRole('button', { name: L.seller.uploadPicked_one.replace('{{count}}', '1') }).click();
    await item.getByRole('img', { name: L.seller.photoN.replace('{{n}}', '1'), exact: true }).waitFor();
    await expect.poll(async () => (await current()).imageUrls.length).toBe(1);

    // The 500 g is in an unpaid order: asked first, then refused with the reason, and it stays.
    const large500 = item.locator('fieldset.variant-box').filter({ has: page.locator('input[value="500 g"]') });
    await large500.getByRole('button', { name: L.seller.removeVariant }).click();
    const question = page.getByRole('alertdialog', { name: L.seller.removeVariantTitle.replace('{{name}}', '500 g') });
    await question.getByText(L.seller.removeVariantBody).waitFor();
    await screenshot(page, `web-rest-variant-remove-ask-${lang}-${size}`);
    await question.getByRole('button', { name: L.seller.removeVariant }).click();
    await item.getByRole('alert').filter({ hasText: L.errors.field['has units reserved by orders awaiting payment'] }).waitFor();
    await screenshot(page, `web-rest-variant-refused-${lang}-${size}`);
    expect((await current()).variants).toHaveLength(2);

    // A new variant, then removed again (no order has it).
    await item.getByRole('button', { name: L.seller.addVariant }).click();
    const form = item.getByRole('form', { name: L.seller.addVariant });
    await form.getByLabel(L.seller.variantName).fill('100 g');
    await form.getByLabel(L.seller.sku).fill(`${handle}-100`);
    await form.getByLabel(L.seller.price).fill('40000');
    await form.getByLabel(L.seller.stock).fill('7');
    await form.getByLabel(L.seller.weight).fill('150');
    await form.getByRole('button', { name: L.seller.addVariantSave }).click();
    await item.getByRole('status').filter({ hasText: L.seller.variantAdded }).waitFor();
    await expect.poll(async () => (await current()).variants.map((v) => v.name).sort()).toEqual(['100 g', '250 g', '500 g']);
    const small = item.locator('fieldset.variant-box').filter({ has: page.locator('input[value="100 g"]') });
    await small.waitFor();
    await screenshot(page, `web-rest-variant-added-${lang}-${size}`);
    await small.getByRole('button', { name: L.seller.removeVariant }).click();
    await page.getByRole('alertdialog', { name: L.seller.removeVariantTitle.replace('{{name}}', '100 g') }).getByRole('button', { name: L.seller.removeVariant }).click();
    await expect.poll(async () => (await current()).variants.map((v) => v.name).sort()).toEqual(['250 g', '500 g']);
    await small.waitFor({ state: 'detached' });
    expect(await seriousViolations(page)).toEqual([]);

    // A new product: photos are picked and previewed in the form (no URL to type), and go up on save.
    await page.getByRole('button', { name: L.seller.newProduct }).click();
    const creating = page.getByRole('form', { name: L.seller.newProduct });
    expect(await creating.getByText(/URL gambar|Image URL/).count()).toBe(0);
    await creating.getByLabel(L.seller.productTitle).fill('Teh Tarik');
    await creating.getByLabel(L.seller.variantName).fill('Satu gelas');
    await creating.getByLabel(L.seller.sku).fill(`${handle}-teh`);
    await creating.getByLabel(L.seller.price).fill('15000');
    await creating.getByLabel(L.seller.stock).fill('9');
    await creating.getByLabel(L.seller.weight).fill('250');
    await creating.getByLabel(L.seller.addPhotos).setInputFiles(still('hijau.jpg', 'green'));
    await creating.getByRole('img', { name: L.seller.previewN.replace('{{n}}', '1'), exact: true }).waitFor();
    await screenshot(page, `web-rest-new-product-${lang}-${size}`);
    await creating.getByRole('button', { name: L.seller.saveProduct }).click();
    await page.getByRole('status').filter({ hasText: L.seller.productSaved }).waitFor();
    const tea = page.locator('li.card').filter({ hasText: 'Teh Tarik' });
    await tea.getByRole('img', { name: L.seller.photoN.replace('{{n}}', '1'), exact: true }).waitFor();
    const listed = (await (await page.request.get(`${sekat.base}/api/commerce/products?q=${encodeURIComponent('Teh Tarik')}`)).json()) as { items: { title: string; imageUrl: string | null }[] };
    expect(listed.items.find((p) => p.title === 'Teh Tarik')?.imageUrl).toMatch(/^\/api\/commerce\/media\/.+\.jpg$/);
    await buyer.context.close();
    expect(errors).toEqual([]);
  });

  it.each(CASES)('deleting a video in the studio asks first, and backing out keeps it (%s, %s)', async (lang, size) => {
    const L = STRINGS[lang];
    const { page, errors } = await open(lang, size);
    expect((await sekat.register(page.request, handleFor('kreator', lang))).status()).toBe(201);
    const clip = path.join(work, `klip-${lang}.mp4`);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=180x320:rate=15', '-t', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', clip]);
    const posted = await page.request.post(`${sekat.base}/api/social/videos`, { multipart: { file: { name: 'klip.mp4', mimeType: 'video/mp4', buffer: readFileSync(clip) }, caption: `Klip ${lang}` } });
    expect(posted.status(), await posted.text()).toBe(202);
    const videoId = ((await posted.json()) as { id: string }).id;
    const status = async () => {
      const response = await page.request.get(`${sekat.base}/api/social/videos/${videoId}`);
      return response.status() === 200 ? ((await response.json()) as { status: string }).status : String(response.status());
    };
    await expect.poll(status, { timeout: 120_000, interval: 500 }).toBe('ready');

    await page.goto(`${sekat.base}/studio/video/${videoId}`);
    await page.getByRole('heading', { name: `Klip ${lang}` }).waitFor();
    await page.getByRole('button', { name: L.studio.deleteVideo }).click();
    const question = page.getByRole('alertdialog', { name: L.studio.confirmDelete.title });
    await question.getByText(L.studio.confirmDelete.body_other.replace('{{count}}', '0')).waitFor();
    await screenshot(page, `web-rest-video-delete-ask-${lang}-${size}`);
    await question.getByRole('button', { name: L.common.back }).click();
    await question.waitFor({ state: 'detached' });
    expect(await status()).toBe('ready');

    await page.getByRole('button', { name: L.studio.deleteVideo }).click();
    await question.getByRole('button', { name: L.studio.confirmDelete.confirm }).click();
    await page.waitForURL(`${sekat.base}/studio`);
    await expect.poll(status).toBe('404');
    expect(errors).toEqual([]);
  });

  it.each(CASES)('an erasure waiting for open orders can be called off; cancelling the order asks first (%s, %s)', async (lang, size) => {
    const L = STRINGS[lang];
    const seller = await sekat.browser.newContext();
    const sellerHandle = handleFor('tokoerase', lang);
    expect((await sekat.register(seller.request, sellerHandle)).status()).toBe(201);
    const product = await shopWithProduct(seller.request, sellerHandle.replace(/_/g, '-'));

    const { page, errors } = await open(lang, size);
    const handle = handleFor('hapus', lang);
    expect((await sekat.register(page.request, handle)).status()).toBe(201);
    const placed = await page.request.post(`${sekat.base}/api/commerce/checkout`, {
      headers: { 'idempotency-key': `${handle}-1` },
      data: {
        items: [{ variantId: product.variants[0]!.id, quantity: 1 }],
        shippingAddress: { recipient: 'Rina', phone: '081234567890', line1: 'Jl. Kenanga 5', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' },
        courier: 'jne_reg',
        paymentMethod: 'va_bca',
      },
    });
    expect(placed.status()).toBe(201);
    const orderId = ((await placed.json()) as { order: { id: string } }).order.id;
    const preview = async () => ((await (await page.request.get(`${sekat.base}/api/privacy/erasure`)).json()) as { pending: { waitingForOrders: boolean } | null }).pending;

    await page.goto(`${sekat.base}/privasi`);
    await page.getByTestId('open-orders').waitFor();
    await page.getByRole('button', { name: L.privacy.deleteStart }).click();
    await page.getByRole('radio', { name: L.privacy.whenWait }).check();
    await page.getByLabel(L.privacy.deleteConfirmLabel.replace('{{handle}}', handle)).fill(handle);
    await page.getByRole('button', { name: L.privacy.deleteConfirmLater }).click();
    await page.getByRole('status').filter({ hasText: L.privacy.deleteWaiting_one.replace('{{count}}', '1') }).waitFor();
    expect(await preview()).toEqual(expect.objectContaining({ waitingForOrders: true }));
    await screenshot(page, `web-rest-erasure-waiting-${lang}-${size}`);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: L.privacy.cancelWaiting }).click();
    await page.getByRole('status').filter({ hasText: L.privacy.waitingCancelled }).waitFor();
    await page.getByRole('button', { name: L.privacy.deleteStart }).waitFor();
    expect(await preview()).toBeNull();
    expect((await page.request.get(`${sekat.base}/api/me`)).status()).toBe(200);
    await screenshot(page, `web-rest-erasure-cancelled-${lang}-${size}`);

    // Cancelling the order asks first; backing out keeps it.
    await page.goto(`${sekat.base}/pesanan/${orderId}`);
    await page.getByRole('button', { name: L.orders.cancel, exact: true }).click();
    const question = page.getByRole('alertdialog');
    await question.getByText(L.orders.confirmCancel.unpaid).waitFor();
    await question.getByRole('button', { name: L.common.back }).click();
    await question.waitFor({ state: 'detached' });
    const order = (await (await page.request.get(`${sekat.base}/api/commerce/orders/${orderId}`)).json()) as { status: string };
    expect(order.status).toBe('awaiting_payment');
    await seller.close();
    expect(errors).toEqual([]);
  });
});
