import { sql } from 'kysely';
import type { Database } from '../../platform/db.js';
import type { AttributedVideoStats, LiveOffer, LiveOfferRef, PromotionCheck } from '../../contracts/ports.js';
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

  /** Only the shop owner's own offers, and only ones not yet over: the public facts a buyer sees. */
  async liveOffer(subject: string, ref: LiveOfferRef): Promise<LiveOffer | undefined> {
    if (ref.kind === 'voucher') {
      const { rows } = await sql<{ id: string; shop_id: string; code: string; kind: 'fixed' | 'percent' | 'shipping'; value: number; max_discount_idr: number | null; min_spend_idr: number; starts_at: Date; ends_at: Date }>`
        select v.id, v.shop_id, v.code, v.kind, v.value, v.max_discount_idr, v.min_spend_idr, v.starts_at, v.ends_at
        from vouchers v join shops s on s.id = v.shop_id
        where upper(v.code) = upper(${ref.code}) and s.owner_subject = ${subject} and v.ends_at > now() and v.used < v.quota`.execute(this.db);
      const v = rows[0];
      if (!v) return undefined;
      return {
        kind: 'voucher', id: v.id, shopId: v.shop_id, code: v.code, voucherKind: v.kind, value: Number(v.value),
        maxDiscountIdr: v.max_discount_idr === null ? null : Number(v.max_discount_idr), minSpendIdr: Number(v.min_spend_idr),
        startsAt: new Date(v.starts_at).toISOString(), endsAt: new Date(v.ends_at).toISOString(),
      };
    }
    if (!/^[0-9a-f-]{36}$/i.test(ref.dealId)) return undefined;
    const { rows } = await sql<{ id: string; shop_id: string; product_id: string; variant_name: string; deal_price_idr: number; price_idr: number; allocation: number; per_buyer_limit: number; announce_at: Date; starts_at: Date; ends_at: Date }>`
      select d.id, d.shop_id, d.product_id, va.name as variant_name, d.deal_price_idr, va.price_idr, d.allocation, d.per_buyer_limit, d.announce_at, d.starts_at, d.ends_at
      from flash_deals d join shops s on s.id = d.shop_id join variants va on va.id = d.variant_id
      where d.id = ${ref.dealId} and s.owner_subject = ${subject} and d.ended_at is null and d.ends_at > now()`.execute(this.db);
    const d = rows[0];
    if (!d) return undefined;
    return {
      kind: 'flash', id: d.id, shopId: d.shop_id, productId: d.product_id, variantName: d.variant_name, dealPriceIdr: Number(d.deal_price_idr),
      normalPriceIdr: Number(d.price_idr), allocation: d.allocation, perBuyerLimit: d.per_buyer_limit,
      announceAt: new Date(d.announce_at).toISOString(), startsAt: new Date(d.starts_at).toISOString(), endsAt: new Date(d.ends_at).toISOString(),
    };
  }

  async attributedStats(affiliateId: string, from: Date, to: Date): Promise<AttributedVideoStats[]> {
    const { rows } = await sql<{ video_id: string; orders: number; buyers: number; revenue_idr: number; commission_idr: number }>`
      select l.video_id, count(distinct o.id)::int as orders, count(distinct o.buyer_subject)::int as buyers,
        coalesce(sum(l.line_total_idr), 0)::bigint as revenue_idr,
        coalesce(sum(c.amount_idr) filter (where c.state <> 'reversed'), 0)::bigint as commission_idr
      from order_lines l
      join orders o on o.id = l.order_id
      left join commissions c on c.order_line_id = l.id
      where l.affiliate_id = ${affiliateId} and l.video_id is not null
        and o.status in (${sql.join(SOLD_STATES)})
        and o.paid_at >= ${from} and o.paid_at < ${to}
      group by l.video_id`.execute(this.db);
    return rows.map((r) => ({ videoId: r.video_id, orders: r.orders, buyers: r.buyers, revenueIdr: r.revenue_idr, commissionIdr: r.commission_idr }));
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
