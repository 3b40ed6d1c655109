/**
 * Review photos and the shop's reply in Chromium: a buyer reviews a completed order with photos
 * (one of them not a picture, which is refused while the review and the real photo go through),
 * sees the photo on the product page; the seller replies there, is told an empty reply is not
 * one, and edits the reply; in English too.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { phonePage, screenshot, useBrowserSekat, waitInvalid } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();


describe('review photos and replies in Chromium', () => {
  it('a buyer reviews with photos; the seller replies and edits the reply', async () => {
    const photo = path.join(sekat.app.config.dataDir, 'sepatu.png');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', photo]);
    const fake = path.join(sekat.app.config.dataDir, 'bukan-foto.jpg');
    writeFileSync(fake, 'ini teks, bukan foto');

    const { page: seller, errors: sellerErrors } = await phonePage(sekat.browser);
    seller.setDefaultTimeout(10_000);
    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(10_000);
    expect((await sekat.register(seller.request, 'toko_sepatu')).status()).toBe(201);
    expect((await sekat.register(page.request, 'pembeli_sepatu')).status()).toBe(201);
    const shop = (await (await seller.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Sepatu Cibaduyut', slug: 'sepatu-cibaduyut', city: 'Bandung' } })).json()) as { id: string };
    const product = (await (
      await seller.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Sepatu Kulit', description: 'Kulit sapi', category: 'fashion', variants: [{ sku: 'SK-42', name: '42', priceIdr: 350_000, stock: 4, weightGrams: 900 }] },
      })
    ).json()) as { id: string; variants: { id: string }[] };
    const placed = (await (
      await page.request.post(`${sekat.base}/api/commerce/checkout`, {
        headers: { 'idempotency-key': 'ulasan-1' },
        data: {
          items: [{ variantId: product.variants[0]!.id, quantity: 1 }],
          shippingAddress: { recipient: 'Rudi', phone: '081234567890', line1: 'Jl. Riau 5', city: 'Bandung', province: 'Jawa Barat', postalCode: '40115' },
          courier: 'jne_reg',
          paymentMethod: 'va_bca',
        },
      })
    ).json()) as { order: { id: string }; payment: { id: string } };
    expect((await page.request.post(`${sekat.base}/api/commerce/payments/${placed.payment.id}/simulate`, { data: { outcome: 'paid' } })).status()).toBe(200);
    expect((await seller.request.post(`${sekat.base}/api/commerce/orders/${placed.order.id}/ship`, { data: { courier: 'jne_reg', trackingNumber: 'JNE42' } })).status()).toBe(200);
    expect((await seller.request.post(`${sekat.base}/api/commerce/orders/${placed.order.id}/courier/simulate`, { data: { stage: 'delivered' } })).status()).toBe(200);
    expect((await page.request.post(`${sekat.base}/api/commerce/orders/${placed.order.id}/complete`, { data: {} })).status()).toBe(200);

    await page.goto(`${sekat.base}/pesanan/${placed.order.id}`);
    await page.getByRole('heading', { name: id.orders.review }).waitFor();
    await page.getByLabel(id.orders.reviewText).fill('Nyaman dipakai');
    await page.getByLabel(id.reviews.photos).setInputFiles([photo, fake]);
    await page.getByText(id.reviews.photosHint_other.replace('{{count}}', '2').replace('{{max}}', '5')).waitFor();
    await page.getByRole('button', { name: id.orders.sendReview }).click();
    await page.getByText(id.orders.reviewThanks).waitFor();
    await page.getByText(id.reviews.photosRefused.replace('{{names}}', 'bukan-foto.jpg')).waitFor();
    await screenshot(page, 'reviews-order');

    await page.goto(`${sekat.base}/produk/${product.id}`);
    const shown = page.getByRole('img', { name: id.reviews.photoN.replace('{{n}}', '1') });
    await shown.waitFor();
    expect(await page.getByRole('img', { name: id.reviews.photoN.replace('{{n}}', '2') }).count()).toBe(0);
    // Visible is not loaded: the photo is fetched after the element appears.
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(640);
    // Only the shop replies.
    expect(await page.getByRole('button', { name: id.reviews.reply }).count()).toBe(0);
    expect(errors).toEqual([]);

    await seller.goto(`${sekat.base}/produk/${product.id}`);
    await seller.getByRole('button', { name: id.reviews.reply }).click();
    await seller.getByRole('button', { name: id.reviews.sendReply }).click();
    await waitInvalid(seller.getByLabel(id.reviews.replyLabel));
    await seller.getByLabel(id.reviews.replyLabel).fill('Terima kasih, Kak Rudi!');
    await seller.getByRole('button', { name: id.reviews.sendReply }).click();
    await seller.getByText(id.reviews.sellerReply).waitFor();
    await seller.getByText('Terima kasih, Kak Rudi!').waitFor();
    await screenshot(seller, 'reviews-reply');
    expect(await seriousViolations(seller)).toEqual([]);

    await seller.getByLabel(id.nav.language).selectOption('en');
    await seller.getByRole('button', { name: en.reviews.editReply }).click();
    await seller.getByLabel(en.reviews.replyLabel).fill('Thank you, see you again!');
    await seller.getByRole('button', { name: en.reviews.sendReply }).click();
    await seller.getByText('Thank you, see you again!').waitFor();
    await seller.getByText(en.reviews.sellerReply).waitFor();

    await page.reload();
    await page.getByText('Thank you, see you again!').waitFor();
    expect(sellerErrors).toEqual([]);
  });
});
