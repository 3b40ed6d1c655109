/**
 * Flash sale in Chromium: a seller sets one up in Pusat Penjual (after the server refuses a price
 * that is not below the 30-day lowest), a buyer on a phone sees the countdown, the deal price with
 * the normal one struck through and the units left as a bar, and buys at the deal price once it
 * opens; the seller then ends it early and sees what went back to stock.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, screenshot, useBrowserSekat, waitInvalid } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const fill = (page: Page, label: string, value: string) => page.getByLabel(label, { exact: true }).fill(value);

describe('flash sale in Chromium', () => {
  it('a seller sets up a flash sale; a buyer sees the countdown and buys at the deal price; the seller ends it early', async () => {
    const { page: seller, errors: sellerErrors } = await desktopPage(sekat.browser);
    seller.setDefaultTimeout(15_000);
    expect((await sekat.register(seller.request, 'toko_kilat')).status()).toBe(201);
    const shop = (await (await seller.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Toko Kilat', slug: 'toko-kilat', city: 'Jakarta' } })).json()) as { id: string };
    const product = (await (
      await seller.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Sepatu Lari', description: 'Ringan', category: 'olahraga', variants: [{ sku: 'SL-42', name: 'Ukuran 42', priceIdr: 150_000, stock: 5, weightGrams: 700 }] },
      })
    ).json()) as { id: string; variants: { id: string }[] };

    await seller.goto(`${sekat.base}/seller/flash-sale`);
    await seller.getByRole('heading', { name: id.flash.new }).waitFor();
    await seller.getByText(id.flash.empty).waitFor();
    await seller.getByLabel(id.flash.product).selectOption(product.id);
    await seller.getByLabel(id.flash.variant).locator('option', { hasText: 'Ukuran 42' }).waitFor({ state: 'attached' });
    await seller.getByLabel(id.flash.variant).selectOption(product.variants[0]!.id);
    await fill(seller, id.flash.dealPrice, '150000');
    await fill(seller, id.flash.allocation, '3');
    await fill(seller, id.flash.perBuyerLimit, '2');
    await fill(seller, id.flash.duration, '5');
    await fill(seller, id.flash.countdown, '20');
    await seller.getByRole('button', { name: id.flash.submit }).click();
    // The server names the field: the deal price is not below the 30-day lowest.
    await waitInvalid(seller.getByLabel(id.flash.dealPrice, { exact: true }));
    await seller.getByText(/150000/).first().waitFor();

    await fill(seller, id.flash.dealPrice, '99000');
    await seller.getByRole('button', { name: id.flash.submit }).click();
    await seller.getByText(id.flash.created.replace('{{title}}', 'Sepatu Lari').replace('{{variant}}', 'Ukuran 42')).waitFor();
    const card = seller.locator('li[data-flash-deal]');
    await card.getByText(id.flash.soldOf.replace('{{sold}}', '0').replace('{{allocation}}', '3')).waitFor();
    await screenshot(seller, 'flash-seller');
    expect(await seriousViolations(seller)).toEqual([]);

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    expect((await sekat.register(page.request, 'pembeli_kilat')).status()).toBe(201);
    await page.goto(`${sekat.base}/produk/${product.id}`);
    const timer = page.getByRole('timer');
    await expect.poll(() => timer.innerText()).toMatch(/^Mulai dalam 00:00:\d\d$/);
    const flash = page.locator('.flash-deal');
    expect(await flash.getByTestId('flash-price').innerText()).toBe('Rp 99.000');
    expect(await flash.locator('s').innerText()).toBe('Rp 150.000');
    expect(await flash.locator('progress').getAttribute('value')).toBe('3');
    expect(await flash.locator('progress').getAttribute('max')).toBe('3');
    await flash.getByText(id.flash.remaining.replace('{{remaining}}', '3').replace('{{allocation}}', '3')).waitFor();
    await screenshot(page, 'flash-countdown');
    // The countdown counts against the server's clock and opens the deal when it reaches zero.
    await expect.poll(() => timer.innerText(), { timeout: 40_000 }).toMatch(/^Berakhir dalam 00:0\d:\d\d$/);
    await page.getByLabel(id.nav.language).selectOption('en');
    await expect.poll(() => timer.innerText()).toMatch(/^Ends in 00:0\d:\d\d$/);
    await page.getByText(en.flash.limit_other.replace('{{count}}', '2')).waitFor();
    await page.getByLabel(en.nav.language).selectOption('id');
    await screenshot(page, 'flash-live');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: id.product.buyNow }).click();
    await page.getByRole('heading', { name: id.checkout.title }).waitFor();
    await fill(page, id.checkout.recipient, 'Rina');
    await fill(page, id.checkout.phone, '0812 3456 7890');
    await fill(page, id.checkout.line1, 'Jl. Sudirman 12');
    await fill(page, id.checkout.city, 'Jakarta');
    await page.getByLabel(id.checkout.province).selectOption('DKI Jakarta');
    await fill(page, id.checkout.postalCode, '10220');
    await page.getByRole('radio', { name: /JNE/ }).check();
    await page.getByRole('radio', { name: /BCA Virtual Account/ }).check();
    await page.getByRole('button', { name: id.checkout.placeOrder }).click();
    await page.getByRole('heading', { name: id.payment.title }).waitFor();
    const orders = (await (await page.request.get(`${sekat.base}/api/commerce/orders`)).json()) as { items: { subtotalIdr: number }[] };
    expect(orders.items[0]!.subtotalIdr).toBe(99_000);
    // The bar follows the sale.
    await page.goto(`${sekat.base}/produk/${product.id}`);
    await expect.poll(() => page.locator('.flash-deal progress').getAttribute('value')).toBe('2');
    expect(errors).toEqual([]);

    // The seller ends it early (after confirming): 2 units go back to normal stock.
    await seller.reload();
    await card.getByText(id.flash.soldOf.replace('{{sold}}', '1').replace('{{allocation}}', '3')).waitFor();
    await card.getByRole('button', { name: id.flash.endNow }).click();
    const dialog = seller.getByRole('alertdialog', { name: id.flash.endTitle });
    await dialog.getByText(id.flash.endBody.replace('{{remaining}}', '2')).waitFor();
    await dialog.getByRole('button', { name: id.flash.endNow }).click();
    await card.getByText(id.flash.state.ended).waitFor();
    await card.getByText(id.flash.returned_other.replace('{{count}}', '2')).waitFor();
    const after = (await (await seller.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).json()) as { variants: { available: number }[] };
    expect(after.variants[0]!.available).toBe(4);
    expect(sellerErrors).toEqual([]);
  });
});
