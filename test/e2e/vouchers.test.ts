/**
 * Vouchers in Chromium: a seller creates a shop voucher in the Seller Centre (after seeing the
 * server's field errors), a platform operator (OPERATOR_EMAILS) finds the platform voucher page
 * from "Saya" and creates one there, and anyone else is told the page is for operators only. A buyer
 * sees a voucher taken off the checkout total before placing the order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import { useSekat } from '../support/sekat.js';
import { launchBrowser, phonePage, screenshot } from './browser.js';
import { seriousViolations } from './a11y.js';
import { signInWithTotpIn } from '../support/second-factor.js';

const OPERATOR_EMAIL = 'operasional@sekat.id';
const app = useSekat({ env: { OPERATOR_EMAILS: OPERATOR_EMAIL } });
let browser: Browser;
let base: string;

beforeAll(async () => {
  base = await app.sekat.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface ListedVoucher {
  code: string;
  startsAt: string;
  endsAt: string;
}

const fill = (page: Page, label: string, value: string) => page.getByLabel(label, { exact: true }).fill(value);
const voucherCard = (page: Page, code: string) => page.locator(`li[data-voucher-code="${code}"]`);

describe('vouchers in Chromium', () => {
  it('a seller sees field errors, then creates a shop voucher and sees it listed; the operator page turns them away', async () => {
    const { page, errors } = await phonePage(browser);
    page.setDefaultTimeout(10_000);
    await page.goto(`${base}/daftar`);
    await fill(page, id.auth.displayName, 'Sari');
    await fill(page, id.auth.handle, 'sari.voucher');
    await fill(page, id.auth.email, 'sari@contoh.id');
    await fill(page, id.auth.password, 'teh-botol-sosro-dingin');
    await page.locator('form').getByRole('button', { name: id.auth.submitSignUp }).click();
    await page.getByRole('link', { name: '@sari.voucher' }).first().waitFor();
    const opened = await page.request.post(`${base}/api/commerce/shops`, { data: { name: 'Sari Busana', slug: 'sari-busana', city: 'Bandung' } });
    expect(opened.status()).toBe(201);
    const shop = (await opened.json()) as { id: string };

    await page.goto(`${base}/seller/voucher`);
    await page.getByRole('heading', { name: id.vouchers.new }).waitFor();
    expect(await page.getByRole('link', { name: id.seller.vouchers, exact: true }).getAttribute('aria-current')).toBe('page');
    await page.getByText(id.vouchers.empty).waitFor();

    await fill(page, id.vouchers.code, 'x');
    await fill(page, id.vouchers.valueIdr, '15000');
    await page.getByRole('button', { name: id.vouchers.submit }).click();
    await page.getByText(id.errors.fixFields).waitFor();
    await page.getByText(id.errors.rule.minLength.replace('{{n}}', '3')).waitFor();
    expect(await page.getByLabel(id.vouchers.code, { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'vouchers-seller-errors');

    await fill(page, id.vouchers.code, 'HEMAT15');
    await page.getByRole('button', { name: id.vouchers.submit }).click();
    await page.getByText(id.vouchers.created.replace('{{code}}', 'HEMAT15')).waitFor();
    const card = voucherCard(page, 'HEMAT15');
    await card.getByText('Rp 15.000').waitFor();
    expect(await card.innerText()).toContain(id.vouchers.usage.replace('{{used}}', '0').replace('{{quota}}', '100'));
    expect(await card.innerText()).toContain(id.vouchers.status.active);
    expect(await card.innerText()).toContain(id.vouchers.noMinSpend);
    expect(await card.innerText()).toContain('WIB');

    // The window defaults to now … now + 7 days, entered in Jakarta time and stored as that instant.
    const listed = (await (await page.request.get(`${base}/api/commerce/shops/${shop.id}/vouchers`)).json()) as { items: ListedVoucher[] };
    const [hemat] = listed.items;
    expect(Math.abs(Date.parse(hemat!.startsAt) - Date.now())).toBeLessThan(120_000);
    expect(Date.parse(hemat!.endsAt) - Date.parse(hemat!.startsAt)).toBe(7 * 24 * 60 * 60 * 1000);

    await fill(page, id.vouchers.code, 'hemat15');
    await fill(page, id.vouchers.valueIdr, '5000');
    await page.getByRole('button', { name: id.vouchers.submit }).click();
    await page.getByText(id.vouchers.codeTaken).waitFor();
    expect(await page.locator('li[data-voucher-code]').count()).toBe(1);
    await screenshot(page, 'vouchers-seller');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${base}/saya`);
    await page.getByRole('link', { name: id.nav.seller }).waitFor();
    expect(await page.getByRole('link', { name: id.nav.platformVouchers }).count()).toBe(0);
    await page.goto(`${base}/operator/voucher`);
    await page.getByText(id.vouchers.operatorsOnly).waitFor();
    await page.getByRole('link', { name: id.vouchers.toShopVouchers }).waitFor();
    expect(await page.getByRole('button', { name: id.vouchers.submit }).count()).toBe(0);
    await screenshot(page, 'vouchers-not-operator');
    expect(errors).toEqual([]);
  });

  it('a buyer sees a voucher taken off the checkout total before placing the order, and pays that total', async () => {
    const { page, errors } = await phonePage(browser);
    page.setDefaultTimeout(10_000);
    const day = 86_400_000;
    // The seller's side through the API, in a context of its own.
    const sellerContext = await browser.newContext();
    const register = (request: typeof page.request, handle: string) =>
      request.post(`${base}/api/auth/register`, { data: { email: `${handle}@contoh.id`, password: 'nasi-uduk-betawi-enak', handle, displayName: handle } });
    expect((await register(sellerContext.request, 'toko_kue')).status()).toBe(201);
    const shop = (await (await sellerContext.request.post(`${base}/api/commerce/shops`, { data: { name: 'Kue Lapis', slug: 'kue-lapis', city: 'Bandung' } })).json()) as { id: string };
    const product = (await (
      await sellerContext.request.post(`${base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Lapis Legit', description: 'Lapis legit wisman', category: 'makanan', variants: [{ sku: 'LL-1', name: 'Loyang 20 cm', priceIdr: 100_000, stock: 3, weightGrams: 900 }] },
      })
    ).json()) as { id: string };
    const voucher = await sellerContext.request.post(`${base}/api/commerce/shops/${shop.id}/vouchers`, {
      data: { code: 'LAPIS10', kind: 'fixed', value: 10_000, startsAt: new Date(Date.now() - day).toISOString(), endsAt: new Date(Date.now() + day).toISOString(), quota: 10 },
    });
    expect(voucher.status()).toBe(201);
    await sellerContext.close();

    expect((await register(page.request, 'pembeli_lapis')).status()).toBe(201);
    await page.goto(`${base}/produk/${product.id}`);
    await page.getByRole('button', { name: id.product.buyNow }).first().click();
    await page.getByRole('heading', { name: id.checkout.title }).waitFor();
    await fill(page, id.checkout.recipient, 'Rina');
    await fill(page, id.checkout.phone, '0812 3456 7890');
    await fill(page, id.checkout.line1, 'Jl. Dago 12');
    await fill(page, id.checkout.city, 'Bandung');
    await page.getByLabel(id.checkout.province).selectOption('Jawa Barat');
    await fill(page, id.checkout.postalCode, '40135');
    await page.getByRole('radio', { name: /JNE/ }).check();
    const rupiah = async () => Number((await page.getByTestId('total').innerText()).replace(/\D/g, ''));
    await expect.poll(rupiah).toBeGreaterThan(100_000);
    const before = await rupiah();

    await fill(page, id.checkout.voucher, 'salah1');
    await page.getByRole('button', { name: id.checkout.voucherApply }).click();
    await page.getByText(id.errors.field['is not a voucher']).waitFor();
    await fill(page, id.checkout.voucher, 'lapis10');
    await page.getByRole('button', { name: id.checkout.voucherApply }).click();
    await page.getByText(id.checkout.voucherApplied.replace('{{code}}', 'LAPIS10')).waitFor();
    expect(await page.getByTestId('discount').innerText()).toContain('Rp 10.000');
    await expect.poll(rupiah).toBe(before - 10_000);
    await screenshot(page, 'checkout-voucher');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('radio', { name: /BCA Virtual Account/ }).check();
    await page.getByRole('button', { name: id.checkout.placeOrder }).click();
    await page.getByRole('heading', { name: id.payment.title }).waitFor();
    const orders = (await (await page.request.get(`${base}/api/commerce/orders`)).json()) as { items: { totalIdr: number; discountIdr: number }[] };
    expect(orders.items[0]).toMatchObject({ totalIdr: before - 10_000, discountIdr: 10_000 });
    expect(errors).toEqual([]);
  });

  it('an operator opens platform vouchers from "Saya", creates a percent voucher and sees it listed', async () => {
    const { page, errors } = await phonePage(browser);
    page.setDefaultTimeout(10_000);
    const registered = await page.request.post(`${base}/api/auth/register`, {
      data: { email: OPERATOR_EMAIL, password: 'kopi-susu-gula-aren-42', handle: 'operasional', displayName: 'Tim Sekat' },
    });
    expect(registered.status()).toBe(201);
    // Operators act only in a session signed in with their second factor.
    await signInWithTotpIn(page.request, base, OPERATOR_EMAIL, 'kopi-susu-gula-aren-42');

    await page.goto(`${base}/saya`);
    await page.getByRole('link', { name: id.nav.platformVouchers }).click();
    await page.getByRole('heading', { name: id.vouchers.platformTitle, level: 1 }).waitFor();
    await page.getByText(id.vouchers.empty).waitFor();

    await fill(page, id.vouchers.code, 'harbolnas');
    await page.getByLabel(id.vouchers.kinds.percent, { exact: true }).check();
    await fill(page, id.vouchers.valuePercent, '10');
    await fill(page, id.vouchers.maxDiscount, '20000');
    await fill(page, id.vouchers.minSpend, '50000');
    await fill(page, id.vouchers.quota, '500');
    await page.getByRole('button', { name: id.vouchers.submit }).click();
    await page.getByText(id.vouchers.created.replace('{{code}}', 'HARBOLNAS')).waitFor();
    const card = voucherCard(page, 'HARBOLNAS');
    await card.getByText('10 % s.d. Rp 20.000').waitFor();
    expect(await card.innerText()).toContain(id.vouchers.minSpendOf.replace('{{amount}}', 'Rp 50.000'));
    expect(await card.innerText()).toContain(id.vouchers.usage.replace('{{used}}', '0').replace('{{quota}}', '500'));
    await screenshot(page, 'vouchers-operator');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(id.nav.language).selectOption('en');
    await card.getByText('10% up to Rp 20.000').waitFor();
    expect(errors).toEqual([]);
  });
});
