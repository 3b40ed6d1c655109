/**
 * Gratis Ongkir in Chromium: a seller creates a free-shipping voucher in the Seller Centre and sees
 * it listed with its cap; a buyer applies it at checkout, sees the shipping taken off (never more
 * than the shipping) in the summary, and pays that total.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();

const fill = (page: Page, label: string, value: string) => page.getByLabel(label, { exact: true }).fill(value);
const rupiah = (text: string) => Number(text.replace(/\D/g, ''));

describe('Gratis Ongkir in Chromium', () => {
  it('a seller creates a free-shipping voucher; a buyer sees the shipping taken off at checkout and pays that total', async () => {
    const { page: seller, errors: sellerErrors } = await phonePage(sekat.browser);
    seller.setDefaultTimeout(10_000);
    expect((await sekat.register(seller.request, 'toko_ongkir')).status()).toBe(201);
    const shop = (await (await seller.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Kopi Gayo', slug: 'kopi-gayo', city: 'Medan' } })).json()) as { id: string };
    const product = (await (
      await seller.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kopi Gayo 1 kg', description: 'Arabika', category: 'makanan', variants: [{ sku: 'KG-1', name: '1 kg', priceIdr: 150_000, stock: 5, weightGrams: 1_000 }] },
      })
    ).json()) as { id: string };

    await seller.goto(`${sekat.base}/seller/voucher`);
    await seller.getByRole('heading', { name: id.vouchers.new }).waitFor();
    await fill(seller, id.vouchers.code, 'ongkir10');
    await seller.getByLabel(id.vouchers.kinds.shipping, { exact: true }).check();
    // The cap is the value: the percent voucher's separate cap is not offered.
    expect(await seller.getByLabel(id.vouchers.maxDiscount, { exact: true }).count()).toBe(0);
    await fill(seller, id.vouchers.valueShipping, '10000');
    await seller.getByRole('button', { name: id.vouchers.submit }).click();
    await seller.getByText(id.vouchers.created.replace('{{code}}', 'ONGKIR10')).waitFor();
    const card = seller.locator('li[data-voucher-code="ONGKIR10"]');
    await card.getByText(id.vouchers.freeShippingUpTo.replace('{{max}}', 'Rp 10.000')).waitFor();
    await screenshot(seller, 'free-shipping-seller');
    expect(await seriousViolations(seller)).toEqual([]);
    await seller.getByLabel(id.nav.language).selectOption('en');
    await card.getByText(en.vouchers.freeShippingUpTo.replace('{{max}}', 'Rp 10.000')).waitFor();
    expect(sellerErrors).toEqual([]);

    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(10_000);
    expect((await sekat.register(page.request, 'pembeli_ongkir')).status()).toBe(201);
    await page.goto(`${sekat.base}/produk/${product.id}`);
    await page.getByRole('button', { name: id.product.buyNow }).first().click();
    await page.getByRole('heading', { name: id.checkout.title }).waitFor();
    await fill(page, id.checkout.recipient, 'Rina');
    await fill(page, id.checkout.phone, '0812 3456 7890');
    await fill(page, id.checkout.line1, 'Jl. Dago 12');
    await fill(page, id.checkout.city, 'Bandung');
    await page.getByLabel(id.checkout.province).selectOption('Jawa Barat');
    await fill(page, id.checkout.postalCode, '40135');
    await page.getByRole('radio', { name: /JNE/ }).check();
    const total = async () => rupiah(await page.getByTestId('total').innerText());
    await expect.poll(total).toBeGreaterThan(150_000);
    const before = await total();
    const shipping = before - 150_000;
    expect(shipping).toBeGreaterThan(10_000);

    await fill(page, id.checkout.voucher, 'ongkir10');
    await page.getByRole('button', { name: id.checkout.voucherApply }).click();
    await page.getByText(id.checkout.voucherApplied.replace('{{code}}', 'ONGKIR10')).waitFor();
    const line = page.getByTestId('shipping-discount');
    expect(await line.innerText()).toContain(id.checkout.shippingDiscount);
    expect(await line.innerText()).toContain('Rp 10.000');
    expect(await page.getByTestId('discount').count()).toBe(0);
    await expect.poll(total).toBe(before - 10_000);
    await screenshot(page, 'free-shipping-checkout');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('radio', { name: /BCA Virtual Account/ }).check();
    await page.getByRole('button', { name: id.checkout.placeOrder }).click();
    await page.getByRole('heading', { name: id.payment.title }).waitFor();
    const orders = (await (await page.request.get(`${sekat.base}/api/commerce/orders`)).json()) as { items: { totalIdr: number; shippingIdr: number; shippingDiscountIdr: number; discountIdr: number }[] };
    expect(orders.items[0]).toMatchObject({ totalIdr: before - 10_000, shippingIdr: shipping, shippingDiscountIdr: 10_000, discountIdr: 0 });
    expect(errors).toEqual([]);
  });
});
