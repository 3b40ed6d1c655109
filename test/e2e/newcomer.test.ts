/**
 * What a newcomer met walking issue 14's journeys through the UI alone (a new seller, creator and
 * buyer, at phone size in Bahasa Indonesia and desktop size in English), each fixed here:
 * their own profile page right after signing up, every product photo on the product page, and a
 * tag refusal that says why once affiliate is set up.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { makeClip, waitFor } from '../../src/domains/social/testkit.js';
import { desktopPage, phonePage, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const work = mkdtempSync(path.join(tmpdir(), 'sekat-newcomer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const SHOTS = '/tmp/shots';

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `web14-test-${name}.png`), fullPage: true });
}

function photo(name: string, colour: string): string {
  const file = path.join(work, name);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=320x320`, '-frames:v', '1', '-y', file]);
  return file;
}

async function inLanguage(page: Page, lang: 'id' | 'en'): Promise<void> {
  await page.addInitScript((language) => localStorage.setItem('sekat.lang', language), lang);
}

/** A shop with one two-variant product and two photos, set up over HTTP as its owner. */
async function shopWithProduct(page: Page, handle: string) {
  expect((await sekat.register(page.request, handle)).status()).toBe(201);
  const shop = (await (await page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: `Toko ${handle}`, slug: handle.replace(/_/g, '-'), city: 'Yogyakarta' } })).json()) as { id: string };
  const product = (await (
    await page.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
      data: {
        title: `Batik ${handle}`,
        description: 'Batik tulis',
        category: 'fashion',
        variants: [
          { sku: `${handle}-M`, name: 'Ukuran M', priceIdr: 175_000, stock: 3, weightGrams: 250 },
          { sku: `${handle}-L`, name: 'Ukuran L', priceIdr: 185_000, stock: 8, weightGrams: 250 },
        ],
      },
    })
  ).json()) as { id: string; title: string };
  for (const [name, colour] of [['merah.png', 'red'], ['biru.jpg', 'blue']] as const) {
    const file = photo(`${handle}-${name}`, colour);
    const type = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
    expect((await page.request.post(`${sekat.base}/api/commerce/products/${product.id}/images`, { data: readFileSync(file), headers: { 'content-type': type } })).status()).toBeLessThan(300);
  }
  return { shop, product };
}

describe('a newcomer in Chromium', () => {
  it.each([
    ['id', 'phone'],
    ['en', 'desktop'],
  ] as const)('finds their own profile page from the header right after signing up (%s, %s)', async (lang, size) => {
    const L = lang === 'id' ? id : en;
    const { page, errors } = size === 'phone' ? await phonePage(sekat.browser) : await desktopPage(sekat.browser, 'en-US');
    page.setDefaultTimeout(15_000);
    await inLanguage(page, lang);
    await page.goto(`${sekat.base}/daftar`);
    const handle = `baru_${lang}`;
    await page.getByLabel(L.auth.displayName).fill(`Baru ${lang}`);
    await page.getByLabel(L.auth.handle).fill(handle);
    await page.getByLabel(L.auth.email).fill(`${handle}@contoh.id`);
    await page.getByLabel(L.auth.password).fill('teh-botol-sosro-dingin');
    await page.locator('form').getByRole('button', { name: L.auth.submitSignUp }).click();
    await page.getByRole('navigation', { name: L.nav.account }).getByRole('link', { name: `@${handle}` }).click();
    await page.waitForURL(new RegExp(`/@${handle}$`));
    // Before, social had no profile until the person first acted socially: "Not found".
    await page.getByRole('heading', { name: `Baru ${lang}`, level: 1 }).waitFor();
    await page.getByText(`@${handle}`, { exact: true }).last().waitFor();
    await page.getByRole('link', { name: L.nav.editProfile }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    // Only one's own page makes a profile: asking for another handle stays "not found" and makes none.
    const other = `belum_${lang}`;
    expect((await page.request.get(`${sekat.base}/api/social/users/${other}`)).status()).toBe(404);
    expect((await sekat.register(page.request, other)).status()).toBe(201);
    await page.context().clearCookies();
    expect((await page.request.get(`${sekat.base}/api/social/users/${other}`)).status()).toBe(404);
    await shot(page, `own-profile-${lang}-${size}`);
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it.each([
    ['id', 'phone'],
    ['en', 'desktop'],
  ] as const)('sees every photo the seller uploaded on the product page, the cover first, beside the details on a wide screen (%s, %s)', async (lang, size) => {
    const L = lang === 'id' ? id : en;
    const { page: seller } = await phonePage(sekat.browser);
    const { product } = await shopWithProduct(seller, `galeri_${lang}`);
    await seller.context().close();

    const { page, errors } = size === 'phone' ? await phonePage(sekat.browser) : await desktopPage(sekat.browser, 'en-US');
    page.setDefaultTimeout(15_000);
    await inLanguage(page, lang);
    await page.goto(`${sekat.base}/produk/${product.id}`);
    const photos = page.getByRole('list', { name: L.newcomer.photos });
    // Before, only the cover was shown: a buyer never saw the other photos.
    await expect.poll(() => photos.getByRole('button').count()).toBe(2);
    const of = (n: number) => L.newcomer.photoOf.replace('{{title}}', product.title).replace('{{n}}', String(n)).replace('{{count}}', '2');
    const cover = await page.getByRole('img', { name: of(1) }).getAttribute('src');
    await photos.getByRole('button', { name: L.newcomer.showPhoto.replace('{{n}}', '2') }).click();
    await page.getByRole('img', { name: of(2) }).waitFor();
    expect(await page.getByRole('img', { name: of(2) }).getAttribute('src')).not.toBe(cover);
    expect(await photos.getByRole('button', { name: L.newcomer.showPhoto.replace('{{n}}', '2') }).getAttribute('aria-pressed')).toBe('true');
    if (size === 'desktop') {
      // Wide screens: the photos beside the details, so "Buy now" is on screen without scrolling.
      const photo = (await page.getByRole('img', { name: of(2) }).boundingBox())!;
      const title = (await page.getByRole('heading', { name: product.title, level: 1 }).boundingBox())!;
      expect(title.x).toBeGreaterThan(photo.x + photo.width);
      const buy = (await page.getByRole('button', { name: L.product.buyNow }).boundingBox())!;
      expect(buy.y + buy.height).toBeLessThan(800);
    }
    await shot(page, `gallery-${lang}-${size}`);
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('is told, once affiliate is set up, that a shop without a programme cannot be tagged, not to set up again', async () => {
    const { page: seller } = await phonePage(sekat.browser);
    const { product } = await shopWithProduct(seller, 'tanpa_komisi');
    await seller.context().close();

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(20_000);
    await inLanguage(page, 'id');
    expect((await sekat.register(page.request, 'kreator_baru')).status()).toBe(201);
    const clip = await makeClip({ width: 360, height: 640, seconds: 2 });
    const upload = await page.request.post(`${sekat.base}/api/social/videos`, { multipart: { caption: 'Batik #batik', file: { name: 'clip.mp4', mimeType: 'video/mp4', buffer: readFileSync(clip) } } });
    expect(upload.status()).toBe(202);
    const videoId = ((await upload.json()) as { id: string }).id;

    await page.goto(`${sekat.base}/studio/afiliasi`);
    await page.getByRole('button', { name: id.studio.setUp }).click();
    await page.getByText(id.studio.linked).waitFor();
    await page.goto(`${sekat.base}/studio/video/${videoId}`);
    await page.getByPlaceholder(id.studio.findProduct).fill(product.title);
    await page.getByRole('button', { name: id.search.submit }).click();
    const refusal = page.getByRole('alert').filter({ hasText: id.newcomer.tagNoProgramme });
    // The product card reaches social through the outbox: until it is there the tag is "not found".
    await waitFor(async () => {
      await page.getByRole('button', { name: `${id.studio.tag} ${product.title}` }).click();
      await page.getByRole('alert').first().waitFor();
      return (await refusal.count()) > 0 || undefined;
    }, 30_000, 250);
    // Before, it said to link affiliate and linked to the set-up the creator had just done.
    expect(await page.getByRole('link', { name: id.studio.setUpLink }).count()).toBe(0);
    await shot(page, 'tag-no-programme-id-phone');
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('hears and sees which checkout choices are missing: the province, the courier and the payment method', async () => {
    const { page: seller } = await phonePage(sekat.browser);
    const { product } = await shopWithProduct(seller, 'toko_provinsi');
    await seller.context().close();
    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    await inLanguage(page, 'id');
    expect((await sekat.register(page.request, 'pembeli_provinsi')).status()).toBe(201);
    const variant = ((await (await page.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).json()) as { variants: { id: string }[] }).variants[0]!;
    expect((await page.request.post(`${sekat.base}/api/commerce/cart/items`, { data: { variantId: variant.id, quantity: 1 } })).status()).toBeLessThan(300);
    await page.goto(`${sekat.base}/checkout`);
    await page.getByRole('button', { name: id.checkout.placeOrder }).click();
    const province = page.getByLabel(id.checkout.province);
    await province.and(page.locator('[aria-invalid="true"]')).waitFor();
    // Before, the province's "Wajib diisi" was plain text beside the select: not tied to it, not announced.
    expect(await province.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent)).toBe(id.errors.rule.required);
    const cityBorder = await page.getByLabel(id.checkout.city).evaluate((el) => getComputedStyle(el).borderColor);
    expect(await province.evaluate((el) => getComputedStyle(el).borderColor)).toBe(cityBorder);
    for (const legend of [id.checkout.courier, id.checkout.payment]) {
      await page.getByRole('group', { name: legend }).getByRole('alert').filter({ hasText: id.errors.rule.required }).waitFor();
    }
    await shot(page, 'checkout-missing-choices-id-phone');
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
