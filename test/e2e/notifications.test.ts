/**
 * Notifications in Chromium: a buyer on a phone (Bahasa Indonesia, 390×844) pays and watches the
 * bell count up live as the seller ships, then reads both items in /notifikasi; the buyer follows
 * the seller's creator profile and the seller, at a desktop in English (1280×800), sees the
 * follow beside the new order in one merged inbox — two domains' inboxes put together only here.
 */
import { describe, expect, it } from 'vitest';
import type { APIRequestContext, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const ADDRESS = { recipient: 'Siti Rahma', phone: '0812-3456-7890', line1: 'Jl. Merdeka No. 10', city: 'Bandung', province: 'Jawa Barat', postalCode: '40111' };

async function shot(page: Page, name: string) {
  await screenshot(page, `notifications-${name}`);
  mkdirSync('/tmp/shots', { recursive: true });
  await page.screenshot({ path: `/tmp/shots/notifications-${name}.png`, fullPage: true });
}

async function ok(response: Awaited<ReturnType<APIRequestContext['post']>>): Promise<any> {
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

const bell = (page: Page) => page.getByTestId('bell');

describe('notifications in Chromium', () => {
  it('shows the buyer’s bell counting up live and the merged inbox, and the creator’s follow', async () => {
    const seller = await desktopPage(sekat.browser, 'en-GB');
    const buyer = await phonePage(sekat.browser);
    seller.page.setDefaultTimeout(15_000);
    buyer.page.setDefaultTimeout(15_000);
    await seller.page.addInitScript(() => localStorage.setItem('sekat.lang', 'en'));

    expect((await sekat.register(seller.page.request, 'toko_batik')).status()).toBe(201);
    const shop = await ok(await seller.page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Batik Laweyan', slug: 'batik-laweyan', city: 'Surakarta' } }));
    const product = await ok(
      await seller.page.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kemeja Batik Tulis', description: 'Katun primisima', category: 'fashion', variants: [{ sku: 'KB-1', name: 'M', priceIdr: 250_000, stock: 5, weightGrams: 400 }] },
      }),
    );
    // The seller also posts as a creator: their social profile exists once they use the social side.
    await ok(await seller.page.request.get(`${sekat.base}/api/social/me`));
    expect((await sekat.register(buyer.page.request, 'pembeli_batik')).status()).toBe(201);

    const placed = await ok(
      await buyer.page.request.post(`${sekat.base}/api/commerce/checkout`, {
        headers: { 'idempotency-key': 'notif-e2e-1' },
        data: { items: [{ variantId: product.variants[0].id, quantity: 1 }], shippingAddress: ADDRESS, courier: 'jne_reg', paymentMethod: 'va_bca' },
      }),
    );
    await ok(await buyer.page.request.post(`${sekat.base}/api/commerce/payments/${placed.payment.id}/simulate`, { data: { outcome: 'paid' } }));

    // The buyer's bell shows the payment; the seller ships and it counts up without a reload.
    await buyer.page.goto(`${sekat.base}/saya`);
    await expect.poll(() => bell(buyer.page).getAttribute('aria-label')).toBe(id.notifications.bellUnread.replace('{{count}}', '1'));
    await ok(await seller.page.request.post(`${sekat.base}/api/commerce/orders/${placed.order.id}/ship`, { data: { courier: 'jne_reg' } }));
    await expect.poll(() => bell(buyer.page).getAttribute('aria-label')).toBe(id.notifications.bellUnread.replace('{{count}}', '2'));
    await bell(buyer.page).getByText('2').waitFor();
    await shot(buyer.page, 'buyer-bell-id-390');

    await bell(buyer.page).click();
    await buyer.page.waitForURL(/\/notifikasi$/);
    const list = buyer.page.getByTestId('notifications');
    await list.getByText('Pesananmu dari Batik Laweyan sedang dikirim.').waitFor();
    await list.getByText(/Pembayaran pesananmu di Batik Laweyan sudah diterima/).waitFor();
    await shot(buyer.page, 'buyer-inbox-id-390');
    expect(await seriousViolations(buyer.page)).toEqual([]);
    // Each item leads to its order; opening it marks it read.
    await list.getByRole('link', { name: /sedang dikirim/ }).click();
    await buyer.page.waitForURL(new RegExp(`/pesanan/${placed.order.id}$`));
    await expect.poll(() => bell(buyer.page).getAttribute('aria-label')).toBe(id.notifications.bellUnread.replace('{{count}}', '1'));

    // The buyer follows the seller's creator profile; the seller's bell counts the follow and the new order.
    await seller.page.goto(`${sekat.base}/saya`);
    await expect.poll(() => bell(seller.page).getAttribute('aria-label')).toBe(en.notifications.bellUnread.replace('{{count}}', '1'));
    await ok(await buyer.page.request.post(`${sekat.base}/api/social/users/toko_batik/follow`));
    await expect.poll(() => bell(seller.page).getAttribute('aria-label')).toBe(en.notifications.bellUnread.replace('{{count}}', '2'));
    await bell(seller.page).click();
    const sellerList = seller.page.getByTestId('notifications');
    await sellerList.getByText('pembeli_batik started following you.').waitFor();
    await sellerList.getByText(/New order of .* at Batik Laweyan/).waitFor();
    await shot(seller.page, 'seller-inbox-en-1280');
    expect(await seriousViolations(seller.page)).toEqual([]);

    // Mark all read empties both bells' counts.
    await seller.page.getByRole('button', { name: en.notifications.markAll }).click();
    await expect.poll(() => bell(seller.page).getAttribute('aria-label')).toBe(en.notifications.bell);

    await seller.page.getByRole('link', { name: en.notifications.settings }).click();
    await seller.page.getByRole('heading', { name: en.notifications.settingsTitle }).waitFor();
    await seller.page.getByRole('checkbox', { name: en.notifications.kinds.like }).waitFor();
    await shot(seller.page, 'seller-settings-en-1280');
    expect(buyer.errors).toEqual([]);
    expect(seller.errors).toEqual([]);
  }, 120_000);
});
