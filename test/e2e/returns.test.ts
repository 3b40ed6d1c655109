/**
 * A return in Chromium, through to the refund: the buyer (Bahasa Indonesia, on a phone) asks to
 * return a damaged item with a photo; the seller (English, on a desktop) sees the buyer only as
 * "Pembeli #…" with the photo and accepts; the buyer books the return courier, the sandbox courier
 * carries the parcel back and its webhook refunds the order, which both sides see.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import { desktopPage, phonePage, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const SHOTS = '/tmp/shots';

async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `returns-${name}.png`), fullPage: true });
}

describe('a return with a photo in Chromium', () => {
  it('goes from the buyer’s request to the refund: seller accepts, the sandbox courier carries it back', async () => {
    const photo = path.join(sekat.app.config.dataDir, 'retak.png');
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', photo]);

    const { page: buyer, errors } = await phonePage(sekat.browser);
    buyer.setDefaultTimeout(15_000);
    const { page: seller, errors: sellerErrors } = await desktopPage(sekat.browser);
    seller.setDefaultTimeout(15_000);
    expect((await sekat.register(seller.request, 'toko_gerabah')).status()).toBe(201);
    expect((await sekat.register(buyer.request, 'pembeli_gerabah')).status()).toBe(201);
    const opened = await seller.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Gerabah Kasongan', slug: 'gerabah-kasongan', city: 'Yogyakarta' } });
    expect(opened.status(), await opened.text()).toBe(201);
    const shop = (await opened.json()) as { id: string };
    const listed = await seller.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
      data: { title: 'Vas Gerabah', description: 'Tanah liat Kasongan', category: 'rumah', variants: [{ sku: 'VAS-1', name: 'Sedang', priceIdr: 185_000, stock: 3, weightGrams: 1200 }] },
    });
    expect(listed.status(), await listed.text()).toBe(201);
    const product = (await listed.json()) as { id: string; variants: { id: string }[] };
    const placed = (await (
      await buyer.request.post(`${sekat.base}/api/commerce/checkout`, {
        headers: { 'idempotency-key': 'retur-1' },
        data: {
          items: [{ variantId: product.variants[0]!.id, quantity: 1 }],
          shippingAddress: { recipient: 'Wulan', phone: '081234567890', line1: 'Jl. Kaliurang 12', city: 'Sleman', province: 'DI Yogyakarta', postalCode: '55281' },
          courier: 'jne_reg',
          paymentMethod: 'va_bca',
        },
      })
    ).json()) as { order: { id: string; totalIdr: number }; payment: { id: string } };
    expect((await buyer.request.post(`${sekat.base}/api/commerce/payments/${placed.payment.id}/simulate`, { data: { outcome: 'paid' } })).status()).toBe(200);
    expect((await seller.request.post(`${sekat.base}/api/commerce/orders/${placed.order.id}/ship`, { data: { courier: 'jne_reg' } })).status()).toBe(200);
    expect((await seller.request.post(`${sekat.base}/api/commerce/orders/${placed.order.id}/courier/simulate`, { data: { stage: 'delivered' } })).status()).toBe(200);

    // The buyer asks, in Bahasa Indonesia on a phone: "damaged" needs a photo before it can be sent.
    await buyer.goto(`${sekat.base}/pesanan/${placed.order.id}`);
    await buyer.getByRole('button', { name: id.returns.ask }).click();
    await buyer.getByRole('heading', { name: id.returns.askTitle }).waitFor();
    await buyer.getByLabel(id.returns.reason).selectOption('damaged');
    await buyer.getByText(id.returns.photoNeeded).waitFor();
    expect(await buyer.getByRole('button', { name: id.returns.send }).isDisabled()).toBe(true);
    await buyer.getByLabel(id.returns.text).fill('Vasnya retak di bagian leher');
    await buyer.getByLabel(id.returns.photos).setInputFiles([photo]);
    await shot(buyer, 'id-request-form');
    await buyer.getByRole('button', { name: id.returns.send }).click();
    await buyer.getByText(id.returns.states.requested).waitFor();
    const evidence = buyer.getByRole('img', { name: id.returns.photoAlt.replace('{{n}}', '1') });
    await evidence.waitFor();
    expect(await evidence.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(640);
    await buyer.getByText('Vasnya retak di bagian leher').waitFor();
    await shot(buyer, 'id-requested');
    expect(await seriousViolations(buyer)).toEqual([]);

    // The seller, in English on a desktop, sees the photo and a tag for the buyer, and accepts.
    await seller.goto(`${sekat.base}/seller/pesanan`);
    await seller.getByLabel(id.nav.language).selectOption('en');
    const panel = seller.locator(`[data-order-id="${placed.order.id}"]`);
    await panel.getByText(en.returns.states.requested).waitFor();
    await panel.getByText(/Pembeli #[0-9A-F]{6}/).waitFor();
    expect(await panel.getByText('pembeli_gerabah').count()).toBe(0);
    await panel.getByRole('img', { name: en.returns.photoAlt.replace('{{n}}', '1') }).waitFor();
    await shot(seller, 'en-seller-request');
    await panel.getByRole('button', { name: en.returns.accept }).click();
    await panel.getByText(en.returns.states.accepted).waitFor();
    expect(await seriousViolations(seller)).toEqual([]);

    // The buyer books the return courier; the sandbox courier carries it to the shop.
    await buyer.reload();
    await buyer.getByText(id.returns.states.accepted).waitFor();
    await buyer.getByRole('button', { name: id.returns.ship }).click();
    await buyer.getByText(id.returns.states.shipped).waitFor();
    await buyer.getByText(id.returns.parcel, { exact: false }).waitFor();
    for (const stage of ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const) {
      const button = buyer.getByRole('button', { name: id.courier.sandboxMove.replace('{{stage}}', id.courier.stage[stage]) });
      await button.click();
      if (stage !== 'delivered') await buyer.getByRole('button', { name: id.courier.sandboxMove.replace('{{stage}}', id.courier.stage[({ picked_up: 'in_transit', in_transit: 'out_for_delivery', out_for_delivery: 'delivered' } as const)[stage]]) }).waitFor();
    }
    await buyer.locator('[data-return-state="refunded"]').getByRole('status').filter({ hasText: id.returns.states.refunded }).waitFor();
    await buyer.getByText(id.returns.actions.arrive).waitFor();
    await buyer.reload();
    await buyer.getByRole('status').filter({ hasText: id.orders.status.refunded }).first().waitFor();
    await shot(buyer, 'id-refunded');
    expect(errors).toEqual([]);

    await seller.reload();
    await panel.locator('[data-return-state="refunded"]').getByRole('status').filter({ hasText: en.returns.states.refunded }).waitFor();
    await panel.getByText(en.returns.actions.arrive).waitFor();
    await shot(seller, 'en-seller-refunded');
    expect(sellerErrors).toEqual([]);
  }, 120_000);
});
