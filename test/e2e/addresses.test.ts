/**
 * The address book in Chromium: a buyer adds an address (after seeing the server's field errors,
 * with nothing saved), adds a second and makes it the default, edits and deletes with a question
 * first, and checkout starts from the default and lets them pick another from the book.
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();

const fill = (scope: Page | Locator, label: string, value: string) => scope.getByLabel(label, { exact: true }).fill(value);

type AddressFields = { label: string; recipient: string; phone: string; line1: string; city: string; province: string; postalCode: string };
async function fillAddress(form: Locator, a: AddressFields) {
  await fill(form, id.addresses.label, a.label);
  await fill(form, id.checkout.recipient, a.recipient);
  await fill(form, id.checkout.phone, a.phone);
  await fill(form, id.checkout.line1, a.line1);
  await fill(form, id.checkout.city, a.city);
  await form.getByLabel(id.checkout.province).selectOption(a.province);
  await fill(form, id.checkout.postalCode, a.postalCode);
}

describe('address book in Chromium', () => {
  it('adds, refuses bad input, sets the default, edits, deletes after asking, and checkout picks from it', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(10_000);
    expect((await sekat.register(page.request, 'pemilik_alamat')).status()).toBe(201);
    const book = async () => ((await (await page.request.get(`${sekat.base}/api/commerce/addresses`)).json()) as { items: { label: string; isDefault: boolean; line1: string }[] }).items;

    await page.goto(`${sekat.base}/saya`);
    await page.getByRole('link', { name: id.nav.addresses }).click();
    await page.getByRole('heading', { name: id.addresses.title, level: 1 }).waitFor();
    await page.getByText(id.addresses.empty).waitFor();
    await page.getByRole('button', { name: id.addresses.add }).click();
    const form = page.locator('form');
    await fillAddress(form, { label: 'Rumah', recipient: 'Dewi', phone: '12345', line1: 'Jl. Kaliurang 5', city: 'Sleman', province: 'DI Yogyakarta', postalCode: '5528' });
    await form.getByRole('button', { name: id.addresses.save }).click();
    await page.getByText(id.errors.fixFields).waitFor();
    expect(await form.getByLabel(id.checkout.phone, { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel(id.checkout.postalCode, { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'addresses-errors');
    expect(await book()).toEqual([]);

    await fill(form, id.checkout.phone, '0812 2222 3333');
    await fill(form, id.checkout.postalCode, '55281');
    await form.getByRole('button', { name: id.addresses.save }).click();
    const rumah = page.getByRole('listitem', { name: 'Rumah' });
    await rumah.getByText(id.addresses.default, { exact: true }).waitFor();

    await page.getByRole('button', { name: id.addresses.add }).click();
    await fillAddress(page.locator('form'), { label: 'Kantor', recipient: 'Dewi', phone: '0274 555 123', line1: 'Jl. Malioboro 10', city: 'Yogyakarta', province: 'DI Yogyakarta', postalCode: '55271' });
    await page.locator('form').getByRole('button', { name: id.addresses.save }).click();
    const kantor = page.getByRole('listitem', { name: 'Kantor' });
    await kantor.getByRole('button', { name: id.addresses.makeDefault }).click();
    // Exact: "Utama" is also inside the button's own "Jadikan utama".
    await kantor.getByText(id.addresses.default, { exact: true }).waitFor();
    await rumah.getByText(id.addresses.default, { exact: true }).waitFor({ state: 'detached' });
    expect((await book()).map((a) => [a.label, a.isDefault])).toEqual([['Kantor', true], ['Rumah', false]]);

    await rumah.getByRole('button', { name: id.addresses.editShort }).click();
    const edit = page.locator('form');
    await fill(edit, id.checkout.line1, 'Jl. Kaliurang Km 7');
    await edit.getByRole('button', { name: id.addresses.save }).click();
    await page.getByText('Jl. Kaliurang Km 7, Sleman').waitFor();
    await screenshot(page, 'addresses-book');
    expect(await seriousViolations(page)).toEqual([]);

    // Checkout starts from the default and takes another from the book with one tap.
    const sellerContext = await sekat.browser.newContext();
    expect((await sekat.register(sellerContext.request, 'toko_bakpia')).status()).toBe(201);
    const shop = (await (await sellerContext.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Bakpia Pathok', slug: 'bakpia', city: 'Yogyakarta' } })).json()) as { id: string };
    const product = (await (
      await sellerContext.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Bakpia Kacang Hijau', description: 'Isi 20', category: 'makanan', variants: [{ sku: 'BK-1', name: 'Kotak', priceIdr: 45_000, stock: 5, weightGrams: 600 }] },
      })
    ).json()) as { id: string };
    await sellerContext.close();
    await page.goto(`${sekat.base}/produk/${product.id}`);
    await page.getByRole('button', { name: id.product.buyNow }).first().click();
    await page.getByRole('heading', { name: id.checkout.title }).waitFor();
    const picker = page.getByRole('radiogroup', { name: id.addresses.pick });
    await expect.poll(() => page.getByLabel(id.checkout.line1, { exact: true }).inputValue()).toBe('Jl. Malioboro 10');
    expect(await picker.getByRole('radio', { name: /Kantor/ }).isChecked()).toBe(true);
    await picker.getByRole('radio', { name: /Rumah/ }).check();
    await expect.poll(() => page.getByLabel(id.checkout.line1, { exact: true }).inputValue()).toBe('Jl. Kaliurang Km 7');
    expect(await page.getByLabel(id.checkout.city, { exact: true }).inputValue()).toBe('Sleman');
    await screenshot(page, 'addresses-checkout');
    expect(await seriousViolations(page)).toEqual([]);

    // Deleting asks first; cancelling keeps it; in English too.
    await page.goto(`${sekat.base}/saya/alamat`);
    await page.getByLabel(id.nav.language).selectOption('en');
    const rumahEn = page.getByRole('listitem', { name: 'Rumah' });
    await rumahEn.getByRole('button', { name: en.addresses.delete }).click();
    await rumahEn.getByText(en.addresses.confirmDelete).waitFor();
    await rumahEn.getByRole('button', { name: en.common.cancel }).click();
    expect(await book()).toHaveLength(2);
    await rumahEn.getByRole('button', { name: en.addresses.delete }).click();
    await rumahEn.getByRole('button', { name: en.addresses.deleteYes }).click();
    await expect.poll(async () => (await book()).map((a) => a.label)).toEqual(['Kantor']);
    await page.getByRole('listitem', { name: 'Rumah' }).waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });
});
