import { sql } from 'kysely';
import type { Database } from '../../platform/db.js';
import type { AttributedVideoStats, PromotionCheck } from '../../contracts/ports.js';
import type { ProductUpserted } from '../../contracts/commerce.js';
import { CLOSED_STATUSES } from './orders/state.js';

/** Order states in which a sale counts (paid and not undone). */
const SOLD_STATES = ['paid', 'shipped', 'delivered', 'completed'];

/**
 * What the bridge may ask commerce, by commerce subject or affiliate id only. Answers are about
 * the asker's own business (their affiliate id, their right to promote, their own purchase
 * categories) or aggregates with no buyer in them.
 */
export class CommerceBridgePort {
  constructor(private readonly db: Database) {}

  async openOrders(subject: string): Promise<{ asBuyer: number; asSeller: number }> {
    const closed = [...CLOSED_STATUSES];
    const buyer = await this.db.selectFrom('orders').select((eb) => eb.fn.countAll<string>().as('n')).where('buyer_subject', '=', subject).where('status', 'not in', closed).executeTakeFirstOrThrow();
    const seller = await this.db
      .selectFrom('orders')
      .innerJoin('shops', 'shops.id', 'orders.shop_id')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('shops.owner_subject', '=', subject)
      .where('orders.status', 'not in', closed)
      .executeTakeFirstOrThrow();
    return { asBuyer: Number(buyer.n), asSeller: Number(seller.n) };
  }

  async affiliateIdOf(subject: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirst();
    return row?.id as string | undefined;
  }

  async mayPromote(subject: string, productId: string): Promise<PromotionCheck> {
    if (!/^[0-9a-f-]{36}$/i.test(productId)) return { allowed: false, ownShop: false, reason: 'No such product.' };
    const product = (await sql<{ owner_subject: string | null; commission_percent: number; removed_at: Date | null }>`
      select s.owner_subject, s.commission_percent, p.removed_at
      from products p join shops s on s.id = p.shop_id where p.id = ${productId}`.execute(this.db)).rows[0];
    if (!product || product.removed_at) return { allowed: false, ownShop: false, reason: 'No such product.' };
    if (product.owner_subject === subject) return { allowed: true, ownShop: true };
    if (product.commission_percent <= 0) return { allowed: false, ownShop: false, reason: 'This shop has no affiliate program.' };
    if (!(await this.affiliateIdOf(subject))) return { allowed: false, ownShop: false, reason: 'Enrol as a creator affiliate first.' };
    return { allowed: true, ownShop: false };
  }

  /** Categories only: never the items, prices, shops or dates. */
  async purchaseCategories(subject: string): Promise<string[]> {
    const { rows } = await sql<{ category: string }>`
      select distinct p.category from orders o
      join order_lines l on l.order_id = o.id
      join products p on p.id = l.product_id
      where o.buyer_subject = ${subject} and o.status in (${sql.join(SOLD_STATES)})
      order by p.category`.execute(this.db);
    return rows.map((r) => r.category);
  }

  async attributedStats(affiliateId: string, from: Date, to: Date): Promise<AttributedVideoStats[]> {
    const { rows } = await sql<{ video_id: string; orders: number; revenue_idr: number; commission_idr: number }>`
      select l.video_id, count(distinct o.id)::int as orders,
        coalesce(sum(l.line_total_idr), 0)::bigint as revenue_idr,
        coalesce(sum(c.amount_idr) filter (where c.state <> 'reversed'), 0)::bigint as commission_idr
      from order_lines l
      join orders o on o.id = l.order_id
      left join commissions c on c.order_line_id = l.id
      where l.affiliate_id = ${affiliateId} and l.video_id is not null
        and o.status in (${sql.join(SOLD_STATES)})
        and o.paid_at >= ${from} and o.paid_at < ${to}
      group by l.video_id`.execute(this.db);
    return rows.map((r) => ({ videoId: r.video_id, orders: r.orders, revenueIdr: r.revenue_idr, commissionIdr: r.commission_idr }));
  }

  /** Public facts of every listed product, for a consumer whose projection starts empty. */
  async productSnapshot(): Promise<ProductUpserted[]> {
    const { rows } = await sql<{
      id: string; shop_id: string; shop_name: string; title: string; category: string; price_min_idr: number; price_max_idr: number;
      image_urls: string[]; in_stock: boolean; external_url: string | null; version: number;
    }>`select p.id, p.shop_id, s.name as shop_name, p.title, p.category, p.price_min_idr, p.price_max_idr, p.image_urls,
        p.in_stock, p.external_url, p.version
      from products p join shops s on s.id = p.shop_id where p.removed_at is null order by p.id`.execute(this.db);
    return rows.map((r) => ({
      id: r.id,
      shopId: r.shop_id,
      shopName: r.shop_name,
      title: r.title,
      category: r.category,
      priceMinIdr: r.price_min_idr,
      priceMaxIdr: r.price_max_idr,
      imageUrl: r.image_urls[0] ?? null,
      inStock: r.in_stock,
      externalUrl: r.external_url,
      version: r.version,
    }));
  }
}
