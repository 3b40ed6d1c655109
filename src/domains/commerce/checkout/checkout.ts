import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, unprocessable, validationFailed, type FieldErrors } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { jobInsert } from '../../../platform/jobs.js';
import { verifyToken } from '../../../platform/tokens.js';
import type { AttributionClaims } from '../../../contracts/attribution.js';
import type { CheckoutQuote } from '../../../contracts/commerce.js';
import { publishIfAvailabilityChanged } from '../catalog/events.js';
import { productViews } from '../catalog/cache.js';
import { quote, type CourierCode } from '../shipping/rates.js';
import { COD_LIMIT_IDR, expiryMinutes, PAYMENT_METHODS, type PaymentExpiry, type PaymentMethodCode } from '../payments/methods.js';
import type { PaymentProvider } from '../payments/provider.js';
import { EXPIRE_PAYMENT_JOB } from '../payments/expire.job.js';
import type { PaymentRow } from '../payments/ledger.js';
import { applyTransition, type OrderRow } from '../orders/transition.js';
import { orderView, paymentView, withQrImage, type LineRow, type OrderView, type PaymentView } from '../orders/views.js';
import { normaliseAddress, recordAddressUse, type AddressInput } from './address.js';
import { checkVoucher, redeemVoucher, type VoucherBasis, type VoucherRow } from './vouchers.js';
import { MAX_QUANTITY } from './cart.js';
import { checkFlashLine, claimFlashUnits, type LiveDeal } from '../flash/flash.js';

export interface CheckoutItem {
  variantId: string;
  quantity: number;
  attributionToken?: string;
}

export interface CheckoutInput {
  items?: CheckoutItem[];
  shippingAddress: AddressInput;
  courier: CourierCode;
  paymentMethod: PaymentMethodCode;
  voucherCode?: string;
}

export interface CheckoutResult {
  order: OrderView;
  /** One order per shop; `order` is the first of them. */
  orders: OrderView[];
  payment: PaymentView;
}

export interface CheckoutSettings {
  attributionKey: string;
  expiry: PaymentExpiry;
}

interface VariantFacts {
  id: string;
  product_id: string;
  shop_id: string;
  sku: string;
  name: string;
  price_idr: number;
  weight_grams: number;
  title: string;
  shop_name: string;
  shop_city: string;
  shop_province: string;
  commission_percent: number;
  /** The variant's live flash deal, if any (null columns otherwise). */
  deal_id: string | null;
  deal_price_idr: number | null;
  deal_remaining: number | null;
  deal_per_buyer_limit: number | null;
  deal_taken: number | null;
}

interface Parcel {
  shopId: string;
  shopName: string;
  shopCity: string;
  lines: Line[];
  subtotal: number;
  shipping: number;
  discount: number;
  /** What a free-shipping voucher takes off `shipping`. */
  shippingDiscount: number;
  voucherId: string | null;
}

export type QuoteInput = Omit<CheckoutInput, 'paymentMethod'>;

/** A buy-now names at least one item (without `items`, the cart is bought). */
function requireSomeItems(input: QuoteInput): void {
  if (input.items?.length === 0) throw validationFailed({ items: ['must hold at least one item'] });
}

/** What the buyer pays for one parcel. */
const parcelTotal = (p: Parcel) => p.subtotal + p.shipping - p.discount - p.shippingDiscount;

/** The parcels a voucher applies to: its shop's, or every one for a platform voucher. */
const eligibleParcels = (parcels: Parcel[], voucher: VoucherRow) => (voucher.shop_id ? parcels.filter((p) => p.shopId === voucher.shop_id) : parcels);

/** The subtotal and shipping a voucher applies to. */
const voucherBasis = (parcels: Parcel[]) => (voucher: VoucherRow): VoucherBasis => {
  const eligible = eligibleParcels(parcels, voucher);
  return { subtotalIdr: eligible.reduce((sum, p) => sum + p.subtotal, 0), shippingIdr: eligible.reduce((sum, p) => sum + p.shipping, 0) };
};

/**
 * Shares a discount across the eligible parcels in proportion to what it applies to (their
 * subtotals, or their shipping for free shipping); the last takes the rest, so no share is ever
 * above its own parcel's amount.
 */
function shareDiscount(parcels: Parcel[], voucher: VoucherRow, discountIdr: number): void {
  const eligible = eligibleParcels(parcels, voucher);
  const onShipping = voucher.kind === 'shipping';
  const weight = (p: Parcel) => (onShipping ? p.shipping : p.subtotal);
  const eligibleTotal = eligible.reduce((sum, p) => sum + weight(p), 0);
  let left = discountIdr;
  eligible.forEach((parcel, i) => {
    const share = i === eligible.length - 1 ? left : eligibleTotal === 0 ? 0 : Math.floor((discountIdr * weight(parcel)) / eligibleTotal);
    if (onShipping) parcel.shippingDiscount = share;
    else parcel.discount = share;
    parcel.voucherId = voucher.id;
    left -= share;
  });
}

interface Line {
  variant: VariantFacts;
  quantity: number;
  affiliateId: string | null;
  commissionPercent: number;
  videoId: string | null;
  /** Set when the line sells at a live flash deal's price, from its allocation. */
  deal: LiveDeal | null;
}

/** A stable hash of the request: same fields in any order give the same hash. */
function requestHash(input: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      return Object.fromEntries(Object.keys(record).sort().filter((k) => record[k] !== undefined).map((k) => [k, canonical(record[k])]));
    }
    return value;
  };
  return createHash('sha256').update(JSON.stringify(canonical(input))).digest('hex');
}

/**
 * What checkout needs to know of the variants for sale among `variantIds`, with each one's live
 * flash deal (inside its window, not ended) and how much of it `subject` already took.
 */
function variantFacts(subject: string, variantIds: string[]) {
  return sql<VariantFacts>`
    select v.id, v.product_id, v.shop_id, v.sku, v.name, v.price_idr, v.weight_grams, p.title,
      s.name as shop_name, s.city as shop_city, s.province as shop_province, s.commission_percent,
      d.id as deal_id, d.deal_price_idr, d.remaining as deal_remaining, d.per_buyer_limit as deal_per_buyer_limit,
      (select b.quantity from flash_deal_buyers b where b.deal_id = d.id and b.subject = ${subject}) as deal_taken
    from variants v join products p on p.id = v.product_id join shops s on s.id = v.shop_id
      left join flash_deals d on d.variant_id = v.id and d.ended_at is null and d.starts_at <= now() and d.ends_at > now()
    where v.id in (${sql.join(variantIds)}) and v.removed_at is null and p.removed_at is null`;
}

/** The live deal in a variant's facts, when it still has units: its line sells at the deal price. */
function liveDealOf(facts: VariantFacts): LiveDeal | undefined {
  if (!facts.deal_id || !facts.deal_remaining || facts.deal_remaining <= 0) return undefined;
  return {
    id: facts.deal_id,
    variant_id: facts.id,
    deal_price_idr: Number(facts.deal_price_idr),
    remaining: facts.deal_remaining,
    per_buyer_limit: facts.deal_per_buyer_limit ?? 0,
    taken: facts.deal_taken ?? 0,
  };
}

/**
 * Checkout. A cart holding several shops' goods becomes one order per shop (each shop ships,
 * cancels and refunds its own parcel) under a single payment, because the buyer pays once — one
 * VA, one QRIS. The payment id is what the gateway calls `order_id`. A platform voucher's discount
 * is shared across the orders in proportion to their subtotals.
 */
export class CheckoutService {
  constructor(
    private readonly db: Database,
    private readonly provider: PaymentProvider,
    private readonly settings: CheckoutSettings,
    private readonly log: Logger,
  ) {}

  /**
   * Runs a checkout once per (buyer, Idempotency-Key). The key is claimed inside the checkout's
   * own transaction: a concurrent duplicate waits on the key's row and then reads the stored
   * result; a failed checkout stores nothing, so retrying the key tries again. Keys live 24 hours.
   */
  async checkout(subject: string, key: string, input: CheckoutInput): Promise<{ status: 201; body: CheckoutResult; replayed: boolean }> {
    const address = normaliseAddress(input.shippingAddress);
    const hash = requestHash(input);
    requireSomeItems(input);
    // A buy-now names its variants up front, so claiming the key and reading them is one statement.
    const named = input.items ? [...new Set(input.items.map((item) => item.variantId))].sort() : undefined;
    const outcome = await this.db.transaction().execute(async (trx) => {
      const claim = sql`
        insert into idempotency_keys (subject, key, request_hash) values (${subject}, ${key}, ${hash})
        on conflict (subject, key) do update set request_hash = excluded.request_hash, response_status = null,
          response_body = null, created_at = now()
        where idempotency_keys.created_at < now() - interval '24 hours'
        returning key`;
      let facts: VariantFacts[] | undefined;
      let claimed: boolean;
      if (named) {
        const rows = (await sql<VariantFacts & { claimed: number }>`
          with claimed as (${claim})
          select (select count(*) from claimed)::int as claimed, f.*
          from (select 1) one left join (${variantFacts(subject, named)}) f on true`.execute(trx)).rows;
        claimed = rows[0]!.claimed > 0;
        facts = rows.filter((row) => row.id !== null).map(({ claimed: _, ...row }) => row);
      } else {
        claimed = (await claim.execute(trx)).rows.length > 0;
      }
      if (!claimed) {
        const existing = (await trx
          .selectFrom('idempotency_keys')
          .select(['request_hash', 'response_body'])
          .where('subject', '=', subject)
          .where('key', '=', key)
          .executeTakeFirstOrThrow()) as { request_hash: string; response_body: CheckoutResult | null };
        if (existing.request_hash !== hash) {
          throw unprocessable('This Idempotency-Key was used with a different request.', { 'Idempotency-Key': ['was used with a different body'] });
        }
        if (!existing.response_body) throw conflict('A checkout with this Idempotency-Key is in progress.', undefined, 'idempotency-in-progress');
        return { body: existing.response_body, replayed: true };
      }
      // placeOrders stores the response under the key in the same statement as the order.
      return { body: await this.placeOrders(trx, subject, key, input, address, facts), replayed: false };
    });
    return { status: 201, body: { ...outcome.body, payment: await withQrImage(outcome.body.payment) }, replayed: outcome.replayed };
  }

  private async linesOf(trx: Transaction<AnyDB> | Database, subject: string, input: QuoteInput): Promise<{ items: CheckoutItem[]; fromCart: boolean }> {
    if (input.items) return { items: input.items, fromCart: false };
    const cart = (await trx
      .selectFrom('cart_items')
      .select(['variant_id', 'quantity', 'attribution_token'])
      .where('subject', '=', subject)
      .orderBy('added_at')
      .execute()) as { variant_id: string; quantity: number; attribution_token: string | null }[];
    if (cart.length === 0) throw unprocessable('Your cart is empty.', { items: ['cart is empty'] });
    return {
      items: cart.map((c) => ({ variantId: c.variant_id, quantity: c.quantity, ...(c.attribution_token ? { attributionToken: c.attribution_token } : {}) })),
      fromCart: true,
    };
  }

  /** The creator's affiliate id from a valid token for this product; anything else earns nothing. */
  private async attribution(trx: Transaction<AnyDB> | Database, subject: string, token: string | undefined, productId: string) {
    if (!token) return undefined;
    const checked = verifyToken<AttributionClaims>(this.settings.attributionKey, token);
    if (!checked.ok || checked.payload.v !== 1 || checked.payload.pid !== productId || typeof checked.payload.aff !== 'string') {
      this.log.debug({ reason: checked.ok ? 'mismatch' : checked.reason }, 'attribution token ignored');
      return undefined;
    }
    const affiliate = (await trx.selectFrom('affiliates').select(['id', 'subject']).where('id', '=', checked.payload.aff).executeTakeFirst()) as
      | { id: string; subject: string | null }
      | undefined;
    if (!affiliate || affiliate.subject === subject) return undefined;
    return { affiliateId: affiliate.id, videoId: typeof checked.payload.vid === 'string' ? checked.payload.vid.slice(0, 100) : null };
  }

  /**
   * The parcels (one per shop) a checkout of `items` makes, priced on the server: lines with their
   * variants' facts, subtotals and shipping by `courier` to `address`. Attribution tokens are
   * checked only when `attribute` (a quote earns no commission).
   */
  private async price(
    db: Transaction<AnyDB> | Database,
    subject: string,
    items: CheckoutItem[],
    courier: CourierCode,
    address: AddressInput,
    knownFacts: VariantFacts[] | undefined,
    attribute: boolean,
  ): Promise<{ lines: Line[]; parcels: Parcel[]; variantIds: string[] }> {
    const merged = new Map<string, CheckoutItem>();
    items.forEach((item) => {
      const seen = merged.get(item.variantId);
      merged.set(
        item.variantId,
        seen ? { ...seen, quantity: seen.quantity + item.quantity, attributionToken: seen.attributionToken ?? item.attributionToken } : { ...item },
      );
    });
    const errors: FieldErrors = {};
    for (const [variantId, item] of merged) {
      if (item.quantity > MAX_QUANTITY) errors[`items.${variantId}.quantity`] = [`must be at most ${MAX_QUANTITY} in total`];
    }
    if (Object.keys(errors).length > 0) throw validationFailed(errors);

    const variantIds = [...merged.keys()].sort();
    const found = knownFacts ?? (await variantFacts(subject, variantIds).execute(db)).rows;
    const byId = new Map(found.map((v) => [v.id, v]));
    items.forEach((item, i) => {
      if (!byId.has(item.variantId)) errors[`items.${i}.variantId`] = ['is not a variant for sale'];
    });
    if (Object.keys(errors).length > 0) throw unprocessable('Some items are not for sale.', errors);

    const lines: Line[] = [];
    for (const variantId of variantIds) {
      const variant = byId.get(variantId)!;
      const item = merged.get(variantId)!;
      const attributed = attribute ? await this.attribution(db, subject, item.attributionToken, variant.product_id) : undefined;
      // A live deal with units left sets the price; once its allocation is gone the variant
      // sells at its normal price from normal stock.
      const deal = liveDealOf(variant);
      if (deal) checkFlashLine(deal, item.quantity);
      lines.push({
        variant: deal ? { ...variant, price_idr: deal.deal_price_idr } : variant,
        deal: deal ?? null,
        quantity: item.quantity,
        affiliateId: attributed?.affiliateId ?? null,
        commissionPercent: attributed ? variant.commission_percent : 0,
        videoId: attributed?.videoId ?? null,
      });
    }

    const shops = new Map<string, Line[]>();
    for (const line of lines) shops.set(line.variant.shop_id, [...(shops.get(line.variant.shop_id) ?? []), line]);
    const parcels = [...shops.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([shopId, shopLines]): Parcel => {
      const first = shopLines[0]!.variant;
      const subtotal = shopLines.reduce((sum, l) => sum + l.variant.price_idr * l.quantity, 0);
      const weight = shopLines.reduce((sum, l) => sum + l.variant.weight_grams * l.quantity, 0);
      const shipping = quote(
        courier,
        { originCity: first.shop_city, originProvince: first.shop_province, destinationCity: address.city, destinationProvince: address.province },
        weight,
      );
      if (!shipping) {
        throw unprocessable(
          courier === 'gosend_instant' ? 'GoSend Instant delivers only within one city.' : 'This courier does not serve this route.',
          { courier: [`does not deliver from ${first.shop_city} to ${address.city}`] },
        );
      }
      return {
        shopId, shopName: first.shop_name, shopCity: first.shop_city, lines: shopLines, subtotal, shipping: shipping.priceIdr, discount: 0,
        shippingDiscount: 0, voucherId: null,
      };
    });
    return { lines, parcels, variantIds };
  }

  /**
   * What a checkout would charge, without placing anything: each shop's subtotal, shipping and
   * voucher discount, and the total. The voucher is checked as checkout would (window, shop, minimum
   * spend, uses left, one use per buyer) but not taken; stock is not reserved.
   */
  async quote(subject: string, input: QuoteInput): Promise<CheckoutQuote> {
    requireSomeItems(input);
    const address = normaliseAddress(input.shippingAddress);
    const { items } = await this.linesOf(this.db, subject, input);
    const { parcels } = await this.price(this.db, subject, items, input.courier, address, undefined, false);
    if (input.voucherCode) {
      const { voucher, discountIdr } = await checkVoucher(this.db, input.voucherCode, subject, voucherBasis(parcels));
      shareDiscount(parcels, voucher, discountIdr);
    }
    const sum = (pick: (p: Parcel) => number) => parcels.reduce((total, p) => total + pick(p), 0);
    return {
      orders: parcels.map((p) => ({
        shopId: p.shopId,
        shopName: p.shopName,
        subtotalIdr: p.subtotal,
        shippingIdr: p.shipping,
        discountIdr: p.discount,
        shippingDiscountIdr: p.shippingDiscount,
        totalIdr: parcelTotal(p),
      })),
      subtotalIdr: sum((p) => p.subtotal),
      shippingIdr: sum((p) => p.shipping),
      discountIdr: sum((p) => p.discount),
      shippingDiscountIdr: sum((p) => p.shippingDiscount),
      totalIdr: sum(parcelTotal),
    };
  }

  private async placeOrders(
    trx: Transaction<AnyDB>,
    subject: string,
    idempotencyKey: string,
    input: CheckoutInput,
    address: AddressInput,
    knownFacts: VariantFacts[] | undefined,
  ): Promise<CheckoutResult> {
    const { items, fromCart } = await this.linesOf(trx, subject, input);
    const { lines, parcels, variantIds } = await this.price(trx, subject, items, input.courier, address, knownFacts, true);
    const paymentId = uuidv7();
    if (input.voucherCode) {
      const { voucher, discountIdr } = await redeemVoucher(trx, input.voucherCode, subject, paymentId, voucherBasis(parcels));
      shareDiscount(parcels, voucher, discountIdr);
    }
    const gross = parcels.reduce((sum, p) => sum + parcelTotal(p), 0);
    const method = PAYMENT_METHODS[input.paymentMethod];
    if (method.kind === 'cod' && gross > COD_LIMIT_IDR) {
      throw unprocessable(`Cash on delivery is available up to Rp ${COD_LIMIT_IDR.toLocaleString('id-ID')}.`, { paymentMethod: ['total is over the COD limit'] });
    }

    const minutes = expiryMinutes(method.kind, this.settings.expiry);
    const now = new Date();
    const expiresAt = minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000);
    const instructions = this.provider.createPayment({
      paymentId,
      method: input.paymentMethod,
      amountIdr: gross,
      merchantName: parcels.length === 1 ? parcels[0]!.shopName : 'Sekat',
      merchantCity: parcels.length === 1 ? parcels[0]!.shopCity : 'Jakarta',
    });
    const payment: PaymentRow = {
      id: paymentId,
      buyer_subject: subject,
      provider: this.provider.name,
      method: input.paymentMethod,
      status: method.kind === 'cod' ? 'cod_pending' : 'pending',
      gross_amount_idr: gross,
      refunded_idr: 0,
      instructions: instructions as unknown as Record<string, unknown>,
      expires_at: expiresAt,
      paid_at: null,
      created_at: now,
    };
    const orders: OrderRow[] = [];
    const linesOf = new Map<string, LineRow[]>();
    for (const parcel of parcels) {
      const order: OrderRow = {
        id: uuidv7(),
        payment_id: paymentId,
        shop_id: parcel.shopId,
        buyer_subject: subject,
        status: 'awaiting_payment',
        subtotal_idr: parcel.subtotal,
        shipping_idr: parcel.shipping,
        discount_idr: parcel.discount,
        shipping_discount_idr: parcel.shippingDiscount,
        total_idr: parcelTotal(parcel),
        voucher_id: parcel.voucherId,
        courier: input.courier,
        tracking_number: null,
        recipient: address.recipient,
        phone: address.phone,
        line1: address.line1,
        city: address.city,
        province: address.province,
        postal_code: address.postalCode,
        return_reason: null,
        return_rejected: false,
        erase_pending: false,
        created_at: now,
        paid_at: null,
        shipped_at: null,
        delivered_at: null,
        closed_at: null,
      };
      orders.push(order);
      linesOf.set(
        order.id,
        parcel.lines.map((line) => ({
          id: uuidv7(),
          order_id: order.id,
          variant_id: line.variant.id,
          product_id: line.variant.product_id,
          title: line.variant.title,
          variant_name: line.variant.name,
          sku: line.variant.sku,
          unit_price_idr: line.variant.price_idr,
          quantity: line.quantity,
          line_total_idr: line.variant.price_idr * line.quantity,
          affiliate_id: line.affiliateId,
          commission_percent: line.commissionPercent,
          video_id: line.videoId,
        })),
      );
    }
    const lineRows = [...linesOf.values()].flat();
    const body = (): CheckoutResult => {
      const views = orders.map((order) => orderView(order, linesOf.get(order.id) ?? []));
      return { order: views[0]!, orders: views, payment: paymentView(payment) as PaymentView };
    };

    // Everything checkout writes goes to the store as one statement (data-modifying CTEs): the
    // payment, its orders, their lines, reservations and first events, the expiry job, the use of
    // the address in the buyer's book, the emptied cart, the idempotent response — and the stock.
    // Each line takes units only if enough are available (a conditional UPDATE); if any line
    // cannot, the caller's transaction rolls back and with it everything else. Variant rows are hot
    // under contention, and they stay locked only from this statement to the commit soon after it.
    // Flash lines' units are already held (the deal's allocation counts as reserved): they touch
    // the deal's row at the very end instead, and their variant's row not at all.
    const stockLines = lines.filter((line) => !line.deal);
    const stockVariantIds = stockLines.map((line) => line.variant.id);
    const dealOfVariant = new Map(lines.filter((line) => line.deal).map((line) => [line.variant.id, line.deal!.id]));
    const quantityOf = sql<number>`case id ${sql.join(
      stockLines.map((line) => sql`when ${line.variant.id}::uuid then ${line.quantity}::int`),
      sql` `,
    )} end`;
    let statement = trx
      .with('new_payment', (db) => db.insertInto('payments').values({ ...payment, instructions: JSON.stringify(instructions) }))
      .with('new_orders', (db) => db.insertInto('orders').values(orders))
      .with('new_lines', (db) => db.insertInto('order_lines').values(lineRows.map((line) => ({ ...line, flash_deal_id: dealOfVariant.get(line.variant_id) ?? null }))))
      .with('new_reservations', (db) =>
        db.insertInto('reservations').values(lineRows.map((line) => ({ id: uuidv7(), order_id: line.order_id, variant_id: line.variant_id, quantity: line.quantity, state: 'open' }))),
      )
      .with('new_events', (db) =>
        db
          .insertInto('order_events')
          .values(orders.map((order) => ({ order_id: order.id, from_status: null, to_status: 'awaiting_payment', action: 'place', actor: 'buyer', reason: null }))),
      )
      .with('saved_address', (db) => recordAddressUse(db, subject, address))
      .with('response', (db) =>
        db
          .updateTable('idempotency_keys')
          .set({ response_status: 201, response_body: JSON.stringify(body()) })
          .where('subject', '=', subject)
          .where('key', '=', idempotencyKey),
      );
    if (expiresAt) {
      statement = statement.with('expiry_job', (db) =>
        jobInsert(db, uuidv7(), EXPIRE_PAYMENT_JOB, { paymentId }, { runAt: expiresAt, dedupeKey: `expire:${paymentId}` }),
      ) as unknown as typeof statement;
    }
    if (fromCart) {
      statement = statement.with('emptied_cart', (db) => db.deleteFrom('cart_items').where('subject', '=', subject).where('variant_id', 'in', variantIds)) as unknown as typeof statement;
    }
    // One UPDATE takes its rows in whatever order the plan reads them; with several lines, lock
    // them in id order first, as every other path does, so two checkouts cannot deadlock.
    if (stockLines.length > 1) await sql`select id from variants where id in (${sql.join(stockVariantIds)}) order by id for update`.execute(trx);
    let taken: { id: string; product_id: string; available: number }[] = [];
    if (stockLines.length === 0) {
      // Data-modifying CTEs run to completion whether or not the main query reads them.
      await statement.selectNoFrom(sql<number>`1`.as('one')).execute();
    } else {
      taken = (await statement
        .updateTable('variants')
        .set({ reserved: sql`reserved + ${quantityOf}` })
        .where('id', 'in', stockVariantIds)
        .where('removed_at', 'is', null)
        .where(sql<boolean>`stock - reserved >= ${quantityOf}`)
        .returning(['id', 'product_id', sql<number>`stock - reserved`.as('available')])
        .execute()) as { id: string; product_id: string; available: number }[];
    }
    if (taken.length < stockLines.length) {
      const short = stockLines.find((line) => !taken.some((t) => t.id === line.variant.id))!;
      const left = (await trx.selectFrom('variants').select(sql<number>`stock - reserved`.as('available')).where('id', '=', short.variant.id).executeTakeFirst()) as
        | { available: number }
        | undefined;
      throw conflict(
        `Not enough stock for ${short.variant.title} (${short.variant.name}): ${left?.available ?? 0} available.`,
        { [`items.${short.variant.id}`]: [`only ${left?.available ?? 0} available`] },
        'out-of-stock',
      );
    }
    const soldOut = taken.filter((t) => t.available === 0).map((t) => t.product_id);

    if (method.kind === 'cod') {
      for (const order of orders) await applyTransition(trx, order, 'confirm_cod', 'system', { reason: 'cash on delivery' });
      await trx.updateTable('idempotency_keys').set({ response_body: JSON.stringify(body()) }).where('subject', '=', subject).where('key', '=', idempotencyKey).execute();
    }
    productViews.forget(lines.map((l) => l.variant.product_id));
    // Only a variant that just ran out can flip its product to out of stock.
    if (soldOut.length > 0) await publishIfAvailabilityChanged(trx, soldOut);
    const flashClaims = lines.filter((line) => line.deal).map((line) => ({ deal: line.deal!, quantity: line.quantity }));
    if (flashClaims.length > 0) await claimFlashUnits(trx, subject, flashClaims);
    return body();
  }
}
