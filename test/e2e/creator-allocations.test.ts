/**
 * Creator stock allocations in Chromium: a seller gives a creator units of a variant in Pusat
 * Penjual (after the server refuses more than the stock), the creator starts a flash sale from it in
 * their live's host console (after the server refuses a price that breaks the 30-day rule and more
 * units than are left), and the seller sees it and revokes what is unused.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, useBrowserSekat, waitInvalid } from './browser.js';
import { seriousViolations } from './a11y.js';

vi.setConfig({ hookTimeout: 600_000 });
const sekat = useBrowserSekat();
const fill = (page: Page, label: string, value: string) => page.getByLabel(label, { exact: true }).fill(value);
const shot = async (page: Page, name: string) => {
  mkdirSync('/tmp/shots', { recursive: true });
  await page.screenshot({ path: `/tmp/shots/allocs-${name}.png`, fullPage: true });
};
const t = (text: string, values: Record<string, string | number>) => Object.entries(values).reduce((s, [k, v]) => s.replace(`{{${k}}}`, String(v)), text);

describe('creator stock allocations in Chromium', () => {
  it('a seller gives a creator stock; the creator starts a flash sale from it in the host console; the seller revokes the rest', async () => {
    const { page: seller } = await desktopPage(sekat.browser);
    seller.setDefaultTimeout(20_000);
    expect((await sekat.register(seller.request, 'toko_stok')).status()).toBe(201);
    const shop = (await (await seller.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Toko Stok', slug: 'toko-stok', city: 'Jakarta' } })).json()) as { id: string };
    const product = (await (
      await seller.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Tas Rotan', description: 'Anyaman tangan', category: 'fashion', variants: [{ sku: 'TR-1', name: 'Besar', priceIdr: 150_000, stock: 10, weightGrams: 500 }] },
      })
    ).json()) as { id: string; variants: { id: string }[] };

    const { page: creator } = await phonePage(sekat.browser);
    creator.setDefaultTimeout(20_000);
    expect((await sekat.register(creator.request, 'kreator_stok')).status()).toBe(201);
    const { affiliateId } = (await (await creator.request.post(`${sekat.base}/api/commerce/affiliates`, { data: {} })).json()) as { affiliateId: string };

    // The seller gives 6 of 10 units with a floor of Rp 80.000; 11 is refused on the field.
    await seller.goto(`${sekat.base}/seller/kreator`);
    await seller.getByRole('heading', { name: id.allocations.new }).waitFor();
    await seller.getByText(id.allocations.empty).waitFor();
    await seller.getByLabel(id.allocations.product).selectOption(product.id);
    await seller.getByLabel(id.allocations.variant).locator('option', { hasText: 'Besar' }).waitFor({ state: 'attached' });
    await seller.getByLabel(id.allocations.variant).selectOption(product.variants[0]!.id);
    await fill(seller, id.allocations.creator, affiliateId);
    await fill(seller, id.allocations.units, '11');
    await seller.getByRole('button', { name: id.allocations.submit }).click();
    await waitInvalid(seller.getByLabel(id.allocations.units, { exact: true }));
    await fill(seller, id.allocations.units, '6');
    await fill(seller, id.allocations.floor, '80000');
    await seller.getByRole('button', { name: id.allocations.submit }).click();
    await seller.getByText(t(id.allocations.created, { units: 6, title: 'Tas Rotan', creator: affiliateId })).waitFor();
    const card = seller.locator('li[data-allocation]');
    await card.getByText(t(id.allocations.counts, { units: 6, remaining: 6, inDeals: 0, sold: 0 }), { exact: false }).waitFor();
    await shot(seller, 'seller');
    expect(await seriousViolations(seller)).toEqual([]);

    // The creator's live: its host console lists the allocation.
    const live = (await (await creator.request.post(`${sekat.base}/api/social/lives`, { data: { title: 'Live Rotan' } })).json()) as { live: { id: string } };
    await creator.goto(`${sekat.base}/live/${live.live.id}`);
    const panel = creator.getByTestId('host-allocations');
    await panel.getByRole('heading', { name: id.allocations.hostTitle }).waitFor();
    await panel.getByText(t(id.allocations.yourId, { id: affiliateId })).waitFor();
    const form = panel.locator(`form[data-host-allocation]`);
    await form.getByText(t(id.allocations.left, { remaining: 6, units: 6 })).waitFor();
    // Not below the 30-day lowest: refused on the price.
    await form.getByLabel(id.allocations.dealPrice, { exact: true }).fill('150000');
    await form.getByLabel(id.allocations.dealUnits, { exact: true }).fill('4');
    await form.getByRole('button', { name: id.allocations.start }).click();
    await waitInvalid(form.getByLabel(id.allocations.dealPrice, { exact: true }));
    // Under the seller's floor: refused on the price, in words.
    await form.getByLabel(id.allocations.dealPrice, { exact: true }).fill('79000');
    await form.getByRole('button', { name: id.allocations.start }).click();
    await form.getByText(t(id.allocations.rule.floor, { n: 'Rp 80.000' })).waitFor();
    // More than is left: 409, refused on the units.
    await form.getByLabel(id.allocations.dealPrice, { exact: true }).fill('99000');
    await form.getByLabel(id.allocations.dealUnits, { exact: true }).fill('7');
    await form.getByRole('button', { name: id.allocations.start }).click();
    await waitInvalid(form.getByLabel(id.allocations.dealUnits, { exact: true }));
    await form.getByText(t(id.allocations.rule.left, { n: 6 })).waitFor();
    await form.getByLabel(id.allocations.dealUnits, { exact: true }).fill('4');
    await form.getByRole('button', { name: id.allocations.start }).click();
    await panel.getByText(t(id.allocations.started, { title: 'Tas Rotan', price: 'Rp 99.000', count: 4 })).waitFor();
    await form.getByText(t(id.allocations.left, { remaining: 2, units: 6 })).waitFor();
    await shot(creator, 'host-console');
    expect(await seriousViolations(creator)).toEqual([]);
    // The deal is public, with its countdown, like the seller's own.
    const deals = (await (await creator.request.get(`${sekat.base}/api/commerce/products/${product.id}/flash-deals`)).json()) as { items: { dealPriceIdr: number; allocation: number }[] };
    expect(deals.items).toMatchObject([{ dealPriceIdr: 99_000, allocation: 4 }]);
    await creator.getByLabel(id.nav.language).selectOption('en');
    await panel.getByRole('heading', { name: en.allocations.hostTitle }).waitFor();
    await form.getByText(t(en.allocations.left, { remaining: 2, units: 6 })).waitFor();

    // The seller sees it and revokes the 2 unused units.
    await seller.reload();
    await card.getByText(t(id.allocations.counts, { units: 6, remaining: 2, inDeals: 4, sold: 0 }), { exact: false }).waitFor();
    await card.getByRole('button', { name: id.allocations.revoke }).click();
    await seller.getByRole('alertdialog').getByRole('button', { name: id.allocations.revoke }).click();
    await card.getByText(id.allocations.state.ended).waitFor();
    await card.getByText(t(id.allocations.returned, { count: 2 }), { exact: false }).waitFor();
    const available = ((await (await seller.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).json()) as { variants: { available: number }[] }).variants[0]!.available;
    expect(available).toBe(6);
  });
});
