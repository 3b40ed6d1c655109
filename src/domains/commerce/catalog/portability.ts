import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import type { Database } from '../../../platform/db.js';
import { unprocessable, type FieldErrors } from '../../../platform/errors.js';
import { MAX_PRICE_IDR, type CatalogService, type ProductInput } from './catalog.js';

/** One row per variant; rows with the same `product_ref` make one product. */
export const CSV_COLUMNS = [
  'product_ref',
  'title',
  'description',
  'category',
  'image_urls',
  'external_url',
  'sku',
  'variant_name',
  'price_idr',
  'stock',
  'weight_grams',
] as const;
export const MAX_IMPORT_ROWS = 2000;

interface CatalogRow {
  product_id: string;
  title: string;
  description: string;
  category: string;
  image_urls: string[];
  external_url: string | null;
  sku: string;
  variant_name: string;
  price_idr: number;
  stock: number;
  reserved: number;
  weight_grams: number;
  shop_name: string;
  shop_slug: string;
}

export interface RowError {
  row: number;
  field: string;
  message: string;
}

const WHOLE = /^\d{1,12}$/;

/**
 * Spreadsheet apps run a cell that starts with one of these as a formula (OWASP: CSV injection).
 * Such a text cell goes out behind a single quote, which the apps show as text; a cell that
 * already starts with quotes before one of them gets one more, so the import can take exactly
 * one off and read its own export back unchanged. Numbers are written as numbers and never quoted.
 */
const FORMULA = /^'*[=+\-@\t\r]/;
export const neutraliseCell = (text: string): string => (FORMULA.test(text) ? `'${text}` : text);
export const readCell = (text: string): string => (text.startsWith("'") && FORMULA.test(text) ? text.slice(1) : text);
const TEXT_COLUMNS = ['product_ref', 'title', 'description', 'category', 'image_urls', 'external_url', 'sku', 'variant_name'] as const;

/**
 * Sellers can leave: the whole catalog out as CSV or schema.org JSON-LD, and back in (here or
 * anywhere) from CSV. An import checks every row and writes nothing unless all of them are good.
 */
export class CatalogPortability {
  constructor(
    private readonly db: Database,
    private readonly catalog: CatalogService,
  ) {}

  private async rows(shopId: string): Promise<CatalogRow[]> {
    const { rows } = await sql<CatalogRow>`
      select p.id as product_id, p.title, p.description, p.category, p.image_urls, p.external_url,
        v.sku, v.name as variant_name, v.price_idr, v.stock, v.reserved, v.weight_grams, s.name as shop_name, s.slug as shop_slug
      from products p join variants v on v.product_id = p.id join shops s on s.id = p.shop_id
      where p.shop_id = ${shopId} and p.removed_at is null and v.removed_at is null
      order by p.created_at, p.id, v.sku`.execute(this.db);
    return rows;
  }

  async exportCsv(subject: string, shopId: string): Promise<string> {
    await this.catalog.ownedShop(this.db, subject, shopId);
    const rows = await this.rows(shopId);
    return stringify(
      rows.map((r) => [
        ...[r.product_id, r.title, r.description, r.category, r.image_urls.join('|'), r.external_url ?? '', r.sku, r.variant_name].map(neutraliseCell),
        r.price_idr,
        r.stock,
        r.weight_grams,
      ]),
      { header: true, columns: [...CSV_COLUMNS] },
    );
  }

  /** schema.org Product and Offer (price in IDR, availability from live stock). */
  async exportJsonLd(subject: string, shopId: string, origin: string) {
    const shop = await this.catalog.ownedShop(this.db, subject, shopId);
    const rows = await this.rows(shopId);
    const products = new Map<string, CatalogRow[]>();
    for (const row of rows) products.set(row.product_id, [...(products.get(row.product_id) ?? []), row]);
    return {
      '@context': 'https://schema.org',
      '@type': 'ItemList',
      name: shop.name,
      itemListElement: [...products.values()].map((variants, index) => {
        const first = variants[0]!;
        return {
          '@type': 'ListItem',
          position: index + 1,
          item: {
            '@type': 'Product',
            '@id': `${origin}/produk/${first.product_id}`,
            productID: first.product_id,
            name: first.title,
            description: first.description,
            category: first.category,
            image: first.image_urls,
            ...(first.external_url ? { url: first.external_url } : { url: `${origin}/produk/${first.product_id}` }),
            brand: { '@type': 'Brand', name: shop.name },
            offers: variants.map((v) => ({
              '@type': 'Offer',
              sku: v.sku,
              name: v.variant_name,
              price: v.price_idr,
              priceCurrency: 'IDR',
              availability: v.stock - v.reserved > 0 ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock',
              inventoryLevel: { '@type': 'QuantitativeValue', value: v.stock - v.reserved },
              weight: { '@type': 'QuantitativeValue', value: v.weight_grams, unitCode: 'GRM' },
              seller: { '@type': 'Organization', name: shop.name },
            })),
          },
        };
      }),
    };
  }

  /** Reads and checks every row; creates all products in one transaction, or none. */
  async importCsv(subject: string, shopId: string, text: string): Promise<{ products: number; variants: number }> {
    await this.catalog.ownedShop(this.db, subject, shopId);
    let records: Record<string, string>[];
    try {
      records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, relax_column_count: false }) as Record<string, string>[];
      for (const record of records) for (const column of TEXT_COLUMNS) if (record[column] !== undefined) record[column] = readCell(record[column]);
    } catch (error) {
      throw unprocessable(`The file is not valid CSV: ${(error as Error).message}`, { file: ['is not valid CSV'] });
    }
    if (records.length === 0) throw unprocessable('The file has no rows.', { file: ['has no rows'] });
    if (records.length > MAX_IMPORT_ROWS) throw unprocessable(`At most ${MAX_IMPORT_ROWS} rows per import.`, { file: ['has too many rows'] });
    const missing = CSV_COLUMNS.filter((c) => !(c in records[0]!) && c !== 'product_ref' && c !== 'description' && c !== 'image_urls' && c !== 'external_url');
    if (missing.length > 0) throw unprocessable(`Missing columns: ${missing.join(', ')}.`, { file: missing.map((c) => `column ${c} is missing`) });

    const rowErrors: RowError[] = [];
    const products = new Map<string, { input: ProductInput; rows: number[] }>();
    const skus = new Map<string, number>();
    records.forEach((record, index) => {
      const row = index + 2; // line numbers as a spreadsheet shows them (header is line 1)
      const fail = (field: string, message: string) => rowErrors.push({ row, field, message });
      const whole = (field: string, min: number, max: number) => {
        const raw = record[field] ?? '';
        if (!WHOLE.test(raw) || Number(raw) < min || Number(raw) > max) {
          fail(field, `must be a whole number from ${min} to ${max}`);
          return 0;
        }
        return Number(raw);
      };
      const sku = record.sku ?? '';
      if (!sku) fail('sku', 'must not be empty');
      else if (skus.has(sku)) fail('sku', `is also used on row ${skus.get(sku)}`);
      else skus.set(sku, row);
      if (!record.variant_name) fail('variant_name', 'must not be empty');
      const variant = {
        sku,
        name: record.variant_name ?? '',
        priceIdr: whole('price_idr', 1, MAX_PRICE_IDR),
        stock: whole('stock', 0, 1_000_000),
        weightGrams: whole('weight_grams', 1, 1_000_000),
      };
      const ref = record.product_ref || `row-${row}`;
      const existing = products.get(ref);
      if (existing) {
        existing.input.variants.push(variant);
        existing.rows.push(row);
        return;
      }
      const input: ProductInput = {
        title: record.title ?? '',
        description: record.description ?? '',
        category: record.category ?? '',
        imageUrls: (record.image_urls ?? '').split('|').map((u) => u.trim()).filter(Boolean),
        ...(record.external_url ? { externalUrl: record.external_url } : {}),
        variants: [variant],
      };
      if ((input.title ?? '').length > 200) fail('title', 'must be at most 200 characters');
      products.set(ref, { input, rows: [row] });
    });
    for (const { input, rows } of products.values()) {
      const errors: FieldErrors = this.catalog.productErrors(input);
      for (const [field, messages] of Object.entries(errors)) {
        const variantField = /^variants\.(\d+)\.(\w+)$/.exec(field);
        const row = variantField ? rows[Number(variantField[1])]! : rows[0]!;
        const name = variantField ? (variantField[2] === 'name' ? 'variant_name' : variantField[2]!) : field === 'imageUrls' || field.startsWith('imageUrls.') ? 'image_urls' : field === 'externalUrl' ? 'external_url' : field;
        for (const message of messages) if (!rowErrors.some((e) => e.row === row && e.field === name)) rowErrors.push({ row, field: name, message });
      }
    }
    if (rowErrors.length === 0) {
      const taken = await this.db.selectFrom('variants').select('sku').where('shop_id', '=', shopId).where('sku', 'in', [...skus.keys()]).execute();
      for (const { sku } of taken) rowErrors.push({ row: skus.get(sku as string)!, field: 'sku', message: 'is already used in this shop' });
    }
    if (rowErrors.length > 0) {
      rowErrors.sort((a, b) => a.row - b.row);
      const errors: FieldErrors = {};
      for (const e of rowErrors) (errors[`rows.${e.row}.${e.field}`] ??= []).push(e.message);
      throw unprocessable(`${rowErrors.length} problem(s) in the file; nothing was imported.`, errors);
    }
    await this.db.transaction().execute(async (trx) => {
      await this.catalog.ownedShop(trx, subject, shopId);
      for (const { input } of products.values()) await this.catalog.insertProduct(trx, shopId, input);
    });
    return { products: products.size, variants: records.length };
  }
}
