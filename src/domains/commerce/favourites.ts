import { sql } from 'kysely';
import { UUID } from '../../platform/ids.js';
import type { Database } from '../../platform/db.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import { decodeCursor, pageOf } from '../../platform/http.js';
import { productSummary, shopView, type ProductRow, type ShopRow } from './catalog/catalog.js';

interface Position extends Record<string, unknown> {
  t: string;
  i: string;
}
const isPosition = (v: Record<string, unknown>): v is Position => typeof v.t === 'string' && !Number.isNaN(Date.parse(v.t)) && typeof v.i === 'string' && UUID.test(v.i);
const positionOf = (row: { saved_at: Date; id: string }): Position => ({ t: new Date(row.saved_at).toISOString(), i: row.id });

/**
 * What a buyer keeps close: the shops they follow and the products they saved (Favorit). Both are
 * commerce facts between the buyer's commerce pseudonym and the shop or product; social never
 * hears of them. Closed shops and removed products drop out of the lists (and cannot be added).
 */
export class FavouritesService {
  constructor(private readonly db: Database) {}

  private async openShop(shopId: string): Promise<ShopRow> {
    const shop = (await this.db.selectFrom('shops').selectAll().where('id', '=', shopId).where('owner_subject', 'is not', null).executeTakeFirst()) as ShopRow | undefined;
    if (!shop) throw notFound('No such shop.');
    return shop;
  }

  async followShop(subject: string, shopId: string) {
    const shop = await this.openShop(shopId);
    if (shop.owner_subject === subject) throw unprocessable('You cannot follow your own shop.', { shopId: ['is your own shop'] });
    await this.db.insertInto('shop_subscribers').values({ subject, shop_id: shopId }).onConflict((oc) => oc.columns(['subject', 'shop_id']).doNothing()).execute();
    return this.shopFollow(subject, shopId);
  }

  async unfollowShop(subject: string, shopId: string) {
    await this.openShop(shopId);
    await this.db.deleteFrom('shop_subscribers').where('subject', '=', subject).where('shop_id', '=', shopId).execute();
    return this.shopFollow(subject, shopId);
  }

  /** How many follow the shop, and whether the caller (if signed in) is one of them. */
  async shopFollow(subject: string | undefined, shopId: string) {
    const row = await sql<{ followers: number; following: boolean }>`
      select (select count(*)::int from shop_subscribers where shop_id = ${shopId}) as followers,
        exists (select 1 from shop_subscribers where shop_id = ${shopId} and subject = ${subject ?? null}) as following
      from shops where id = ${shopId} and owner_subject is not null`.execute(this.db);
    if (!row.rows[0]) throw notFound('No such shop.');
    return row.rows[0];
  }

  async followedShops(subject: string, limit: number, cursor?: string) {
    const after = decodeCursor(cursor, isPosition);
    const rows = await sql<ShopRow & { saved_at: Date }>`
      select s.*, f.created_at as saved_at from shop_subscribers f join shops s on s.id = f.shop_id
      where f.subject = ${subject} and s.owner_subject is not null
        ${after ? sql`and (f.created_at, f.shop_id) < (${after.t}::timestamptz, ${after.i}::uuid)` : sql``}
      order by f.created_at desc, f.shop_id desc limit ${limit + 1}`.execute(this.db);
    return pageOf(rows.rows, limit, (row) => ({ ...shopView(row), followedAt: new Date(row.saved_at).toISOString() }), positionOf);
  }

  private async productForSale(productId: string): Promise<void> {
    const found = await this.db.selectFrom('products').select('id').where('id', '=', productId).where('removed_at', 'is', null).executeTakeFirst();
    if (!found) throw notFound('No such product.');
  }

  async saveProduct(subject: string, productId: string) {
    await this.productForSale(productId);
    await this.db.insertInto('wishlist_items').values({ subject, product_id: productId }).onConflict((oc) => oc.columns(['subject', 'product_id']).doNothing()).execute();
    return { saved: true };
  }

  async unsaveProduct(subject: string, productId: string) {
    await this.db.deleteFrom('wishlist_items').where('subject', '=', subject).where('product_id', '=', productId).execute();
    return { saved: false };
  }

  async isSaved(subject: string, productId: string) {
    await this.productForSale(productId);
    const row = await this.db.selectFrom('wishlist_items').select('product_id').where('subject', '=', subject).where('product_id', '=', productId).executeTakeFirst();
    return { saved: row !== undefined };
  }

  async wishlist(subject: string, limit: number, cursor?: string) {
    const after = decodeCursor(cursor, isPosition);
    const rows = await sql<ProductRow & { saved_at: Date }>`
      select p.*, s.name as shop_name, s.slug as shop_slug, w.created_at as saved_at
      from wishlist_items w join products p on p.id = w.product_id join shops s on s.id = p.shop_id
      where w.subject = ${subject} and p.removed_at is null
        ${after ? sql`and (w.created_at, w.product_id) < (${after.t}::timestamptz, ${after.i}::uuid)` : sql``}
      order by w.created_at desc, w.product_id desc limit ${limit + 1}`.execute(this.db);
    return pageOf(rows.rows, limit, (row) => ({ ...productSummary(row), savedAt: new Date(row.saved_at).toISOString() }), positionOf);
  }
}
