/**
 * Pusat Penjual's product editor in Chromium: a seller uploads two photos (made by ffmpeg here),
 * makes the second the cover, changes the title and price, and deletes the product only after
 * confirming (backing out first leaves it on sale).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import id from '../../web/src/i18n/id.json' with { type: 'json' };
import { phonePage, screenshot, useBrowserSekat } from './browser.js';
import { seriousViolations } from './a11y.js';

const sekat = useBrowserSekat();
const work = mkdtempSync(path.join(tmpdir(), 'sekat-photos-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function photo(name: string, colour: string): string {
  const file = path.join(work, name);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=320x240`, '-frames:v', '1', '-y', file]);
  return file;
}

describe('seller product editor in Chromium', () => {
  it('uploads two photos, makes the second the cover, edits title and price, and deletes after confirming', async () => {
    const { page, errors } = await phonePage(sekat.browser);
    page.setDefaultTimeout(15_000);
    expect((await sekat.register(page.request, 'kopi_gayo')).status()).toBe(201);
    const shop = (await (await page.request.post(`${sekat.base}/api/commerce/shops`, { data: { name: 'Kopi Gayo', slug: 'kopi-gayo', city: 'Medan' } })).json()) as { id: string };
    const product = (await (
      await page.request.post(`${sekat.base}/api/commerce/shops/${shop.id}/products`, {
        data: { title: 'Kopi Arabika', description: 'Sangrai sedang', category: 'makanan', variants: [{ sku: 'KG-250', name: '250 g', priceIdr: 85_000, stock: 5, weightGrams: 300 }] },
      })
    ).json()) as { id: string };
    const current = async () => (await (await page.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).json()) as { title: string; imageUrls: string[]; variants: { priceIdr: number }[] };

    await page.goto(`${sekat.base}/seller/produk`);
    await page.getByRole('button', { name: id.seller.manageProduct }).click();
    await page.getByLabel(id.seller.addPhotos).setInputFiles([photo('merah.png', 'red'), photo('biru.jpg', 'blue')]);
    // Shown before they go up; nothing is uploaded until asked.
    await page.getByRole('img', { name: id.seller.previewN.replace('{{n}}', '2'), exact: true }).waitFor();
    expect((await current()).imageUrls).toEqual([]);
    await page.getByRole('button', { name: id.seller.uploadPicked_other.replace('{{count}}', '2') }).click();
    await page.getByRole('img', { name: id.seller.photoN.replace('{{n}}', '2'), exact: true }).waitFor();
    const uploaded = (await current()).imageUrls;
    expect(uploaded).toHaveLength(2);
    // Both are written anew as JPEG (without metadata), in the order they were picked.
    expect(uploaded.every((url) => url.endsWith('.jpg'))).toBe(true);

    await page.getByRole('button', { name: id.seller.makeCoverN.replace('{{n}}', '2') }).click();
    await expect.poll(async () => (await current()).imageUrls).toEqual([uploaded[1], uploaded[0]]);
    await expect.poll(() => page.getByRole('img', { name: id.seller.photoN.replace('{{n}}', '1'), exact: true }).getAttribute('src')).toBe(uploaded[1]);

    await page.getByLabel(id.seller.productTitle).fill('Kopi Arabika Gayo');
    await page.getByLabel(id.seller.price).fill('92000');
    await page.getByRole('button', { name: id.seller.saveChanges }).click();
    await page.getByRole('status').filter({ hasText: id.seller.changesSaved }).waitFor();
    const edited = await current();
    expect(edited.title).toBe('Kopi Arabika Gayo');
    expect(edited.variants[0]!.priceIdr).toBe(92_000);
    await screenshot(page, 'seller-product-editor');
    expect(await seriousViolations(page)).toEqual([]);

    // Backing out of the question deletes nothing.
    await page.getByRole('button', { name: id.seller.deleteProduct }).click();
    const dialog = page.getByRole('alertdialog', { name: id.seller.deleteProductTitle.replace('{{title}}', 'Kopi Arabika Gayo') });
    await dialog.getByText(id.seller.deleteProductBody).waitFor();
    await dialog.getByRole('button', { name: id.common.back }).click();
    expect((await page.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).status()).toBe(200);

    await page.getByRole('button', { name: id.seller.deleteProduct }).click();
    await screenshot(page, 'seller-product-delete');
    await dialog.getByRole('button', { name: id.seller.deleteProduct }).click();
    await page.getByText(id.shop.empty).waitFor();
    expect((await page.request.get(`${sekat.base}/api/commerce/products/${product.id}`)).status()).toBe(404);
    expect(errors).toEqual([]);
  });
});
