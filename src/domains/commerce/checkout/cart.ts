import { sql } from 'kysely';
import type { Database } from '../../../platform/db.js';
import { conflict, notFound, unprocessable } from '../../../platform/errors.js';

export const MAX_QUANTITY = 999;

interface CartRow {
  variant_id: string;
  quantity: number;
  attribution_token: string | null;
  added_at: Date;
  product_id: string;
  title: string;
  variant_name: string;
  price_idr: number;
  available: number;
  image_urls: string[];
  shop_id: string;
  shop_name: string;
  deal_price_idr: number | null;
  deal_remaining: number | null;
  deal_ends_at: Date | null;
}

export class CartService {
  constructor(private readonly db: Database) {}

  async cart(subject: string) {
    const rows = await sql<CartRow>`
      select c.variant_id, c.quantity, c.attribution_token, c.added_at, v.product_id, p.title, v.name as variant_name,
        v.price_idr, v.stock - v.reserved as available, p.image_urls, s.id as shop_id, s.name as shop_name,
        d.deal_price_idr, d.remaining as deal_remaining, d.ends_at as deal_ends_at
      from cart_items c join variants v on v.id = c.variant_id join products p on p.id = v.product_id join shops s on s.id = v.shop_id
      -- The deal checkout would honour: inside its window (server clock), not ended, units left.
      left join flash_deals d on d.variant_id = v.id and d.ended_at is null and d.starts_at <= now() and d.ends_at > now() and d.remaining > 0
      where c.subject = ${subject} and v.removed_at is null and p.removed_at is null
      order by s.id, c.added_at`.execute(this.db);
    const items = rows.rows.map((r) => {
      // A deal variant shows the deal price only inside its window with units enough left; outside it, the normal price.
      const deal = r.deal_price_idr !== null && Number(r.deal_remaining) >= r.quantity;
      const unit = deal ? Number(r.deal_price_idr) : Number(r.price_idr);
      return {
        variantId: r.variant_id,
        productId: r.product_id,
        shopId: r.shop_id,
        shopName: r.shop_name,
        title: r.title,
        variantName: r.variant_name,
        imageUrl: r.image_urls[0] ?? null,
        unitPriceIdr: unit,
        normalPriceIdr: Number(r.price_idr),
        flashDealEndsAt: deal ? new Date(r.deal_ends_at!).toISOString() : null,
        quantity: r.quantity,
        available: r.available + (deal ? Number(r.deal_remaining) : 0),
        lineTotalIdr: unit * r.quantity,
        hasAttribution: r.attribution_token !== null,
      };
    });
    return { items, subtotalIdr: items.reduce((sum, item) => sum + item.lineTotalIdr, 0) };
  }

  /** What is left of a live variant to sell, with what this buyer already has of it in the cart. */
  private async liveVariant(subject: string, variantId: string): Promise<{ available: number; inCart: number }> {
    const found = await sql<{ available: number; in_cart: number | null }>`
      select v.stock - v.reserved as available, (select c.quantity from cart_items c where c.subject = ${subject} and c.variant_id = v.id) as in_cart
      from variants v join products p on p.id = v.product_id
      where v.id = ${variantId} and v.removed_at is null and p.removed_at is null`.execute(this.db);
    const row = found.rows[0];
    if (!row) throw unprocessable('That variant is not for sale.', { variantId: ['is not a variant for sale'] });
    return { available: Number(row.available), inCart: Number(row.in_cart ?? 0) };
  }

  /** A cart may not ask for more than is left: the buyer hears it now, not at checkout. */
  private static boundByAvailable(quantity: number, available: number): void {
    if (quantity > available) throw conflict(`Only ${available} of this variant are available.`, { quantity: [`only ${available} available`] }, 'not-enough-stock');
  }

  async addItem(subject: string, input: { variantId: string; quantity: number; attributionToken?: string }) {
    const { available, inCart } = await this.liveVariant(subject, input.variantId);
    CartService.boundByAvailable(inCart + input.quantity, available);
    const row = await sql<{ quantity: number }>`
      insert into cart_items (subject, variant_id, quantity, attribution_token) values (${subject}, ${input.variantId}, ${input.quantity}, ${input.attributionToken ?? null})
      on conflict (subject, variant_id) do update set quantity = cart_items.quantity + excluded.quantity,
        attribution_token = coalesce(excluded.attribution_token, cart_items.attribution_token)
      where cart_items.quantity + excluded.quantity <= ${MAX_QUANTITY}
      returning quantity`.execute(this.db);
    if (row.rows.length === 0) throw unprocessable(`At most ${MAX_QUANTITY} of one item fit in a cart.`, { quantity: [`total must be at most ${MAX_QUANTITY}`] });
    return this.cart(subject);
  }

  async setQuantity(subject: string, variantId: string, quantity: number) {
    const { available, inCart } = await this.liveVariant(subject, variantId);
    if (inCart === 0) throw notFound('That item is not in your cart.');
    // Lowering a line that stock has since fallen below is always allowed; raising it past what is left is not.
    if (quantity > inCart) CartService.boundByAvailable(quantity, available);
    const updated = await this.db
      .updateTable('cart_items')
      .set({ quantity })
      .where('subject', '=', subject)
      .where('variant_id', '=', variantId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw notFound('That item is not in your cart.');
    return this.cart(subject);
  }

  async removeItem(subject: string, variantId: string) {
    const deleted = await this.db.deleteFrom('cart_items').where('subject', '=', subject).where('variant_id', '=', variantId).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw notFound('That item is not in your cart.');
    return this.cart(subject);
  }
}
