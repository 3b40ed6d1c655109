import { sql, type Transaction } from 'kysely';
import type { AnyDB } from '../../../platform/db.js';
import { writeOutbox } from '../../../platform/outbox.js';
import { productViews } from './cache.js';
import { PRODUCT_REMOVED, PRODUCT_UPSERTED, type ProductRemoved, type ProductUpserted } from '../../../contracts/commerce.js';

interface ProductFactsRow {
  id: string;
  shop_id: string;
  shop_name: string;
  title: string;
  category: string;
  price_min_idr: number;
  price_max_idr: number;
  image_urls: string[];
  external_url: string | null;
  removed_at: Date | null;
  in_stock_now: boolean | null;
  in_stock: boolean;
  version: number;
}

async function factsOf(trx: Transaction<AnyDB>, productId: string): Promise<ProductFactsRow | undefined> {
  const result = await sql<ProductFactsRow>`
    select p.id, p.shop_id, s.name as shop_name, p.title, p.category, p.price_min_idr, p.price_max_idr, p.image_urls,
      p.external_url, p.removed_at, p.in_stock, p.version,
      (select bool_or(v.stock - v.reserved > 0) from variants v where v.product_id = p.id and v.removed_at is null) as in_stock_now
    from products p join shops s on s.id = p.shop_id where p.id = ${productId}`.execute(trx);
  return result.rows[0];
}

/**
 * Recomputes price range and availability, bumps the version and writes `product.upserted`
 * (or `product.removed`) to the outbox, in the caller's transaction.
 */
export async function publishProduct(trx: Transaction<AnyDB>, productId: string): Promise<void> {
  await sql`update products p set
      price_min_idr = coalesce((select min(price_idr) from variants v where v.product_id = p.id and v.removed_at is null), 0),
      price_max_idr = coalesce((select max(price_idr) from variants v where v.product_id = p.id and v.removed_at is null), 0),
      in_stock = coalesce((select bool_or(v.stock - v.reserved > 0) from variants v where v.product_id = p.id and v.removed_at is null), false),
      version = version + 1, updated_at = now()
    where p.id = ${productId}`.execute(trx);
  const facts = await factsOf(trx, productId);
  if (!facts) return;
  if (facts.removed_at) {
    const payload: ProductRemoved = { id: facts.id, shopId: facts.shop_id, version: facts.version };
    await writeOutbox(trx, PRODUCT_REMOVED, { ...payload }, facts.id);
    return;
  }
  const payload: ProductUpserted = {
    id: facts.id,
    shopId: facts.shop_id,
    shopName: facts.shop_name,
    title: facts.title,
    category: facts.category,
    priceMinIdr: facts.price_min_idr,
    priceMaxIdr: facts.price_max_idr,
    imageUrl: facts.image_urls[0] ?? null,
    inStock: facts.in_stock,
    externalUrl: facts.external_url,
    version: facts.version,
  };
  await writeOutbox(trx, PRODUCT_UPSERTED, { ...payload }, facts.id);
}

/** After reservations or sales: publish only the products whose in-stock flag flipped. */
export async function publishIfAvailabilityChanged(trx: Transaction<AnyDB>, productIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(productIds)].sort();
  productViews.forget(ids);
  // Sorted, so concurrent transactions lock product rows in one order.
  for (const productId of ids) {
    const facts = await factsOf(trx, productId);
    if (facts && !facts.removed_at && (facts.in_stock_now ?? false) !== facts.in_stock) await publishProduct(trx, productId);
  }
}
