/**
 * Buyer–seller chat in Chromium, two people at once: a buyer on a phone (Bahasa Indonesia,
 * 390×844) opens "Chat penjual" from a product and sends the product card and a question; the
 * seller at a desktop (English, 1280×800) sees the unread badge in Pusat Penjual, opens the
 * conversation (the buyer is only "Pembeli #…") and answers; each side sees the other's message
 * arrive live, without reloading, and the seller sees "Read" once the buyer has it on screen.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();

async function shot(page: Page, name: string) {
  await screenshot(page, `chat-${name}`);
  await page.screenshot({ path: `/tmp/shots/chat-${name}.png`, fullPage: true });
}

describe('buyer–seller chat in Chromium', () => {
  it('chats in real time between a buyer’s phone and a seller’s desktop', async () => {
    const seller = await desktopPage(sekat.browser, 'en-GB');
    const buyer = await phonePage(sekat.browser);
    seller.page.setDefaultTimeout(15_000);
    buyer.page.setDefaultTimeout(15_000);
    // The seller reads the app in English.
    await seller.page.addInitScript(() => localStorage.setItem('sekat.lang', 'en'));

    expect((await sekat.register(seller.page.request, 'toko_kopi')).status()).toBe(201);
    const opened = await seller.page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Kopi Gayo', slug: 'kopi-gayo', city: 'Bandung' } });
    expect(opened.status(), await opened.text()).toBe(201);
    const shop = (await opened.json()) as { id: string };
    const listed = await seller.page.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
      data: { title: 'Kopi Arabika Gayo 250 g', description: 'Sangrai medium', category: 'makanan', variants: [{ sku: 'KG-1', name: '250 g', priceIdr: 85_000, stock: 20, weightGrams: 300 }] },
    });
    expect(listed.status(), await listed.text()).toBe(201);
    const product = (await listed.json()) as { id: string };
    const buyerHandle = 'pembeli_kopi';
    expect((await sekat.register(buyer.page.request, buyerHandle)).status()).toBe(201);

    // The buyer opens the chat from the product and sends the card and a question.
    await buyer.page.goto(`${sekat.base}/produk/${product.id}`);
    await buyer.page.getByRole('heading', { name: 'Kopi Arabika Gayo 250 g' }).waitFor();
    await shot(buyer.page, 'buyer-product-id-390');
    await buyer.page.getByRole('button', { name: id.chat.button }).click();
    await buyer.page.waitForURL(/\/chat\/[0-9a-f-]{36}\?produk=/);
    await buyer.page.getByRole('heading', { name: 'Kopi Gayo' }).waitFor();
    await buyer.page.getByRole('button', { name: id.chat.sendProduct }).click();
    const messages = buyer.page.getByRole('list', { name: id.chat.messages });
    await messages.getByRole('link', { name: /Kopi Arabika Gayo 250 g/ }).waitFor();
    await buyer.page.getByRole('textbox', { name: id.chat.write }).fill('Halo kak, biji utuh atau bubuk?');
    await buyer.page.getByRole('button', { name: id.chat.send }).click();
    await messages.getByText('Halo kak, biji utuh atau bubuk?').waitFor();
    expect(await buyer.page.getByRole('textbox', { name: id.chat.write }).inputValue()).toBe('');

    // The seller sees the unread badge on the Chat tab of the seller centre, and the buyer as a label only.
    await seller.page.goto(`${sekat.base}/seller`);
    const tab = seller.page.getByRole('link', { name: new RegExp(`^${en.chat.sellerTab}`) });
    await tab.getByText('2').waitFor();
    await tab.click();
    await seller.page.getByRole('heading', { name: en.chat.sellerTitle }).waitFor();
    const entry = seller.page.getByRole('link', { name: /Pembeli #[A-Z2-9]{4}/ });
    await entry.getByLabel(en.chat.unreadCount.replace('{{count}}', '2')).waitFor();
    await shot(seller.page, 'seller-inbox-en-1280');
    expect(await seriousViolations(seller.page)).toEqual([]);
    await entry.click();
    await seller.page.getByRole('heading', { name: /Pembeli #[A-Z2-9]{4}/ }).waitFor();
    const sellerMessages = seller.page.getByRole('list', { name: en.chat.messages });
    await sellerMessages.getByText('Halo kak, biji utuh atau bubuk?').waitFor();
    expect(await seller.page.locator('body').innerText()).not.toContain(buyerHandle);

    // The seller answers; the buyer, still on the conversation, gets it without reloading.
    await seller.page.getByRole('textbox', { name: en.chat.write }).fill('Biji utuh kak, bisa digiling gratis.');
    await seller.page.getByRole('button', { name: en.chat.send }).click();
    await messages.getByText('Biji utuh kak, bisa digiling gratis.').waitFor();
    // The buyer has it on screen, so the seller sees it read.
    await sellerMessages.getByText(en.chat.read).waitFor();

    // And the other way round, live.
    await buyer.page.getByRole('textbox', { name: id.chat.write }).fill('Siap, saya pesan 2 ya 🙏');
    await buyer.page.getByRole('button', { name: id.chat.send }).click();
    await sellerMessages.getByText('Siap, saya pesan 2 ya 🙏').waitFor();
    await buyer.page.getByText(id.chat.read).waitFor();
    await shot(buyer.page, 'buyer-thread-id-390');
    await shot(seller.page, 'seller-thread-en-1280');
    expect(await seriousViolations(buyer.page)).toEqual([]);
    expect(await seriousViolations(seller.page)).toEqual([]);

    // A message over 1,000 characters is stopped at the field, in the buyer's language.
    await buyer.page.getByRole('textbox', { name: id.chat.write }).fill('a'.repeat(1001));
    await buyer.page.getByRole('button', { name: id.chat.send }).click();
    await buyer.page.getByText(id.chat.tooLong.replace('{{max}}', '1000')).waitFor();

    // The shop page now shows that the shop answers, and offers the chat too.
    await buyer.page.goto(`${sekat.base}/toko/kopi-gayo`);
    await buyer.page.getByText(id.chat.ratePublic.replace('{{percent}}', '100')).waitFor();
    await buyer.page.getByRole('button', { name: id.chat.button }).waitFor();

    // The buyer's inbox under Saya lists the shop.
    await buyer.page.goto(`${sekat.base}/saya`);
    await buyer.page.getByRole('link', { name: id.chat.inboxTitle, exact: true }).click();
    await buyer.page.getByRole('heading', { name: id.chat.inboxTitle }).waitFor();
    await buyer.page.getByRole('link', { name: /Kopi Gayo/ }).waitFor();
    await shot(buyer.page, 'buyer-inbox-id-390');
    expect(await seriousViolations(buyer.page)).toEqual([]);

    expect(buyer.errors).toEqual([]);
    expect(seller.errors).toEqual([]);
    await buyer.page.context().close();
    await seller.page.context().close();
  }, 120_000);
});
