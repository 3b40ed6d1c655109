/**
 * Following a shop and the wishlist (Favorit) in Chromium: a signed-out visitor who taps the heart
 * is sent to sign in and back; a buyer saves a product and follows its shop from the product page,
 * finds both under "Saya", unfollows from the shop page and sees the list empty; in English too.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();

const pressed = async (page: Page, name: string) => (await page.getByRole('button', { name, exact: true }).getAttribute('aria-pressed')) === 'true';

describe('shop follows and Favorit in Chromium', () => {
  it('saves a product and follows its shop, lists both under Saya, and unfollows from the shop page', async () => {
    const sellerContext = await sekat.browser.newContext();
    expect((await sekat.register(sellerContext.request, 'toko_tenun')).status()).toBe(201);
    const shop = (await (await sellerContext.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Tenun Sumba', slug: 'tenun-sumba', city: 'Bandung' } })).json()) as { id: string };
    const product = (await (
      await sellerContext.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kain Tenun Ikat', description: 'Tenun tangan', category: 'fashion', variants: [{ sku: 'TN-1', name: '2 m', priceIdr: 450_000, stock: 3, weightGrams: 500 }] },
      })
    ).json()) as { id: string };
    // The seller sees their own shop's count but no button to follow it.
    const sellerPage = await sellerContext.newPage();
    await sellerPage.goto(`${sekat.base}/toko/tenun-sumba`);
    await sellerPage.getByText(id.favourites.followers_other.replace('{{count}}', '0')).waitFor();
    expect(await sellerPage.getByRole('button', { name: id.favourites.follow }).count()).toBe(0);
    await sellerContext.close();

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(10_000);
    await page.goto(`${sekat.base}/produk/${product.id}`);
    await page.getByRole('button', { name: id.favourites.save }).click();
    await page.waitForURL(`${sekat.base}/masuk?next=${encodeURIComponent(`/produk/${product.id}`)}`);

    expect((await sekat.register(page.request, 'pembeli_tenun')).status()).toBe(201);
    await page.goto(`${sekat.base}/produk/${product.id}`);
    await page.getByRole('button', { name: id.favourites.save }).click();
    await page.getByRole('button', { name: id.favourites.saved }).waitFor();
    expect(await pressed(page, id.favourites.saved)).toBe(true);
    await page.getByRole('button', { name: id.favourites.follow }).click();
    await page.getByRole('button', { name: id.favourites.following }).waitFor();
    expect(await pressed(page, id.favourites.following)).toBe(true);
    await page.getByText(id.favourites.followers_other.replace('{{count}}', '1')).waitFor();
    await screenshot(page, 'favourites-product');
    expect(await seriousViolations(page)).toEqual([]);

    // Still saved after a reload: it lives with the account.
    await page.reload();
    await page.getByRole('button', { name: id.favourites.saved }).waitFor();

    await page.goto(`${sekat.base}/saya`);
    await page.getByRole('link', { name: id.nav.wishlist }).click();
    await page.getByRole('heading', { name: id.favourites.wishlistTitle }).waitFor();
    await page.getByRole('link', { name: /Kain Tenun Ikat/ }).waitFor();
    await screenshot(page, 'favourites-wishlist');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${sekat.base}/saya`);
    await page.getByRole('link', { name: id.nav.followedShops }).click();
    await page.getByRole('heading', { name: id.favourites.shopsTitle }).waitFor();
    await page.locator('li[data-shop="tenun-sumba"]').waitFor();
    await screenshot(page, 'favourites-shops');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'Tenun Sumba' }).click();
    await page.getByRole('heading', { name: 'Tenun Sumba' }).waitFor();
    await page.getByRole('button', { name: id.favourites.following }).click();
    await page.getByRole('button', { name: id.favourites.follow }).waitFor();
    await page.getByText(id.favourites.followers_other.replace('{{count}}', '0')).waitFor();
    await page.goto(`${sekat.base}/saya/toko-diikuti`);
    await page.getByText(id.favourites.shopsEmpty).waitFor();

    // Taking it off the wishlist from the product page empties the list, in English.
    await page.getByLabel(id.nav.language).selectOption('en');
    await page.goto(`${sekat.base}/produk/${product.id}`);
    await page.getByRole('button', { name: en.favourites.saved }).click();
    await page.getByRole('button', { name: en.favourites.save }).waitFor();
    await page.goto(`${sekat.base}/saya/favorit`);
    await page.getByText(en.favourites.wishlistEmpty).waitFor();
    expect(errors).toEqual([]);
  });

  it('shows the buttons on a wide screen too', async () => {
    const context = await sekat.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    const page = await context.newPage();
    expect((await sekat.register(page.request, 'pembeli_lebar')).status()).toBe(201);
    const found = (await (await page.request.get(`${sekat.base}/api/commerce/products?shop=tenun-sumba`)).json()) as { items: { id: string }[] };
    await page.goto(`${sekat.base}/produk/${found.items[0]!.id}`);
    await page.getByRole('button', { name: id.favourites.follow }).click();
    await page.getByRole('button', { name: id.favourites.following }).waitFor();
    await screenshot(page, 'favourites-product-desktop');
    await context.close();
  });
});
