import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, forbidden, notFound, validationFailed } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { defineJob, type Job } from '../../../platform/jobs.js';
import { productViews } from '../catalog/cache.js';
import { publishIfAvailabilityChanged } from '../catalog/events.js';

export const FLASH_END_JOB = 'commerce.flash.end';
export interface FlashEnd {
  dealId: string;
}
export const MIN_DURATION_MINUTES = 1;
export const MAX_DURATION_MINUTES = 20;
export const MIN_COUNTDOWN_SECONDS = 10;
export const MAX_COUNTDOWN_SECONDS = 300;
export const MAX_PER_BUYER = 100;
/** How far a start may lag the clock (the seller's request takes a moment to arrive). */
const START_TOLERANCE_MS = 2_000;

export interface FlashDealInput {
  variantId: string;
  dealPriceIdr: number;
  allocation: number;
  perBuyerLimit: number;
  /** When the deal opens; absent: as soon as the countdown has run. */
  startsAt?: string;
  durationMinutes: number;
  countdownSeconds: number;
}

export interface FlashDealRow {
  id: string;
  shop_id: string;
  product_id: string;
  variant_id: string;
  deal_price_idr: number;
  reference_price_idr: number;
  allocation: number;
  remaining: number;
  per_buyer_limit: number;
  announce_at: Date;
  starts_at: Date;
  ends_at: Date;
  ended_at: Date | null;
  returned: number | null;
  allocation_id: string | null;
  created_at: Date;
}

type DealRowWithNames = FlashDealRow & { title: string; variant_name: string; price_idr: number };

export type FlashDealState = 'scheduled' | 'upcoming' | 'live' | 'ended';

export interface FlashDealView {
  id: string;
  shopId: string;
  productId: string;
  variantId: string;
  title: string;
  variantName: string;
  dealPriceIdr: number;
  /** The variant's price now: what the page strikes through. */
  normalPriceIdr: number;
  allocation: number;
  remaining: number;
  sold: number;
  perBuyerLimit: number;
  announceAt: string;
  startsAt: string;
  endsAt: string;
  endedAt: string | null;
  returned: number | null;
  /** Set when a creator started the deal from the stock allocation the seller gave them. */
  allocationId: string | null;
  state: FlashDealState;
}

const iso = (value: Date) => new Date(value).toISOString();

export function stateOf(deal: Pick<FlashDealRow, 'announce_at' | 'starts_at' | 'ends_at' | 'ended_at'>, now: Date): FlashDealState {
  const t = now.getTime();
  if (deal.ended_at || t >= new Date(deal.ends_at).getTime()) return 'ended';
  if (t >= new Date(deal.starts_at).getTime()) return 'live';
  return t >= new Date(deal.announce_at).getTime() ? 'upcoming' : 'scheduled';
}

function dealView(row: DealRowWithNames, now: Date): FlashDealView {
  const state = stateOf(row, now);
  // Once ended, what was left went back to stock: the deal sold allocation − returned.
  const remaining = state === 'ended' ? 0 : row.remaining;
  const sold = row.allocation - (row.ended_at ? (row.returned ?? 0) : row.remaining);
  return {
    id: row.id,
    shopId: row.shop_id,
    productId: row.product_id,
    variantId: row.variant_id,
    title: row.title,
    variantName: row.variant_name,
    dealPriceIdr: Number(row.deal_price_idr),
    normalPriceIdr: Number(row.price_idr),
    allocation: row.allocation,
    remaining,
    sold,
    perBuyerLimit: row.per_buyer_limit,
    announceAt: iso(row.announce_at),
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    endedAt: row.ended_at ? iso(row.ended_at) : null,
    returned: row.returned,
    allocationId: row.allocation_id,
    state,
  };
}

/** The variant's lowest price over the 30 days before now: the price in effect 30 days ago counts too. */
export async function lowestPriceOf30Days(db: Database | Transaction<AnyDB>, variantId: string): Promise<number> {
  const row = (
    await sql<{ lowest: string | number }>`
      select least(
        (select min(price_idr) from variant_price_history where variant_id = ${variantId} and at >= now() - interval '30 days'),
        (select price_idr from variant_price_history where variant_id = ${variantId} and at < now() - interval '30 days' order by at desc, id desc limit 1),
        (select price_idr from variants where id = ${variantId})
      ) as lowest`.execute(db)
  ).rows[0];
  return Number(row?.lowest);
}

export interface DealWindow {
  announceAt: Date;
  startsAt: Date;
  endsAt: Date;
  /** What is wrong with the times and the per-buyer limit; empty when nothing. */
  errors: Record<string, string[]>;
}

/** A deal's countdown, start and end from its input, and what is wrong with them. */
export function dealWindow(input: Omit<FlashDealInput, 'variantId'>, now: Date): DealWindow {
  const countdownMs = input.countdownSeconds * 1000;
  const startsAt = input.startsAt ? new Date(input.startsAt) : new Date(now.getTime() + countdownMs);
  const errors: Record<string, string[]> = {};
  if (input.startsAt) {
    if (Number.isNaN(startsAt.getTime())) errors.startsAt = ['is not a time'];
    else if (startsAt.getTime() < now.getTime() - START_TOLERANCE_MS) errors.startsAt = ['is in the past'];
    else if (startsAt.getTime() < now.getTime() + countdownMs - START_TOLERANCE_MS) errors.startsAt = [`must leave the ${input.countdownSeconds} s countdown before it`];
  }
  if (input.perBuyerLimit > input.allocation) errors.perBuyerLimit = [`must be at most the allocation (${input.allocation})`];
  return { announceAt: new Date(startsAt.getTime() - countdownMs), startsAt, endsAt: new Date(startsAt.getTime() + input.durationMinutes * 60_000), errors };
}

/**
 * Writes a deal whose units are already held (counted in the variant's reserved) and schedules
 * the job that ends it; 409 when the variant has another deal at that time. The caller holds the
 * lock that makes the overlap check hold (the variant's row, or the creator's allocation's).
 */
export async function insertDeal(
  trx: Transaction<AnyDB>,
  deal: { shopId: string; productId: string; variantId: string; input: Omit<FlashDealInput, 'variantId'>; lowest: number; window: DealWindow; allocationId: string | null },
): Promise<string> {
  const { announceAt, startsAt, endsAt } = deal.window;
  const overlapping = await trx
    .selectFrom('flash_deals')
    .select('id')
    .where('variant_id', '=', deal.variantId)
    .where('ended_at', 'is', null)
    .where('starts_at', '<', endsAt)
    .where('ends_at', '>', announceAt)
    .executeTakeFirst();
  if (overlapping) throw conflict('This variant already has a flash deal at that time.', { startsAt: ['overlaps another flash deal of this variant'] }, 'flash-overlap');
  const dealId = uuidv7();
  await trx
    .insertInto('flash_deals')
    .values({
      id: dealId,
      shop_id: deal.shopId,
      product_id: deal.productId,
      variant_id: deal.variantId,
      deal_price_idr: deal.input.dealPriceIdr,
      reference_price_idr: deal.lowest,
      allocation: deal.input.allocation,
      remaining: deal.input.allocation,
      per_buyer_limit: deal.input.perBuyerLimit,
      announce_at: announceAt,
      starts_at: startsAt,
      ends_at: endsAt,
      allocation_id: deal.allocationId,
    })
    .execute();
  await flashEndJobType.insert(trx, uuidv7(), { dealId }, { runAt: endsAt, dedupeKey: `flash-end:${dealId}` }).execute();
  return dealId;
}

function withNames(db: Database | Transaction<AnyDB>) {
  return db
    .selectFrom('flash_deals as d')
    .innerJoin('variants as v', 'v.id', 'd.variant_id')
    .innerJoin('products as p', 'p.id', 'd.product_id')
    .selectAll('d')
    .select(['p.title', 'v.name as variant_name', 'v.price_idr']);
}

/** Closes a deal once: what it did not sell goes back to the variant's normal stock. */
export async function endDeal(db: Database | Transaction<AnyDB>, dealId: string): Promise<boolean> {
  const run = async (trx: Transaction<AnyDB>) => {
    const ended = (await trx
      .updateTable('flash_deals')
      .set({ ended_at: sql`least(now(), ends_at)`, returned: sql`remaining`, remaining: 0 })
      .where('id', '=', dealId)
      .where('ended_at', 'is', null)
      .returning(['variant_id', 'product_id', 'returned', 'allocation_id'])
      .executeTakeFirst()) as { variant_id: string; product_id: string; returned: number; allocation_id: string | null } | undefined;
    if (!ended) return false;
    // A creator's deal gives its unsold units back to the allocation while that is still open;
    // the allocation is locked here, so a revoke at the same moment sees them or leaves them.
    const backToAllocation =
      ended.allocation_id !== null &&
      ended.returned > 0 &&
      (await trx
        .updateTable('creator_allocations')
        .set({ remaining: sql`remaining + ${ended.returned}` })
        .where('id', '=', ended.allocation_id)
        .where('ended_at', 'is', null)
        .returning('id')
        .executeTakeFirst()) !== undefined;
    if (ended.returned > 0 && !backToAllocation) {
      await trx.updateTable('variants').set({ reserved: sql`reserved - ${ended.returned}` }).where('id', '=', ended.variant_id).execute();
      await publishIfAvailabilityChanged(trx, [ended.product_id]);
    }
    productViews.forget([ended.product_id]);
    return true;
  };
  return db.isTransaction ? run(db as Transaction<AnyDB>) : (db as Database).transaction().execute(run);
}

/** The job that ends a deal at its end time; running it again (or after an early end) does nothing. */
export function flashEndJob(db: Database) {
  return async (job: Pick<Job<FlashEnd>, 'payload'>) => {
    const { dealId } = job.payload;
    const deal = (await db.selectFrom('flash_deals').select(['ends_at', 'ended_at']).where('id', '=', dealId).executeTakeFirst()) as
      | { ends_at: Date; ended_at: Date | null }
      | undefined;
    if (!deal || deal.ended_at) return;
    // Ran early (clocks differ between hosts): fail so the runner tries again after a backoff.
    if (new Date(deal.ends_at).getTime() > Date.now()) throw new Error('flash deal not due to end yet');
    await endDeal(db, dealId);
  };
}

export class FlashSaleService {
  constructor(private readonly db: Database) {}

  private async ownedShopId(db: Database | Transaction<AnyDB>, subject: string, shopId: string) {
    const shop = (await db.selectFrom('shops').select(['id', 'owner_subject']).where('id', '=', shopId).executeTakeFirst()) as { id: string; owner_subject: string } | undefined;
    if (!shop) throw notFound('No such shop.');
    if (shop.owner_subject !== subject) throw forbidden('Only the shop owner may do this.');
  }

  /**
   * Sets a deal up: checks the price against the 30-day lowest, sets the allocation aside from the
   * variant's available stock (counted as reserved, so normal checkout cannot sell it) and
   * schedules the job that gives back what is left at the end — all in one transaction.
   */
  async create(subject: string, shopId: string, input: FlashDealInput, now = new Date()): Promise<FlashDealView> {
    const window = dealWindow(input, now);
    const errors = window.errors;
    if (Object.keys(errors).length > 0) throw validationFailed(errors);

    const id = await this.db.transaction().execute(async (trx) => {
      await this.ownedShopId(trx, subject, shopId);
      // The variant's row is locked for the rest of the transaction: stock, overlap and price are
      // read once and hold until the allocation is set aside.
      const variant = (await sql<{ id: string; product_id: string; stock: number; reserved: number; price_idr: number }>`
        select v.id, v.product_id, v.stock, v.reserved, v.price_idr from variants v join products p on p.id = v.product_id
        where v.id = ${input.variantId} and v.shop_id = ${shopId} and v.removed_at is null and p.removed_at is null
        for update of v`.execute(trx)).rows[0];
      if (!variant) throw validationFailed({ variantId: ['is not a variant of this shop'] });
      const available = variant.stock - variant.reserved;
      const lowest = await lowestPriceOf30Days(trx, variant.id);
      if (input.dealPriceIdr >= lowest) errors.dealPriceIdr = [`must be below the lowest price of the last 30 days (Rp ${lowest})`];
      if (input.allocation > available) errors.allocation = [`must be at most the stock available (${available})`];
      if (Object.keys(errors).length > 0) throw validationFailed(errors);
      const dealId = await insertDeal(trx, { shopId, productId: variant.product_id, variantId: variant.id, input, lowest, window, allocationId: null });
      await trx.updateTable('variants').set({ reserved: sql`reserved + ${input.allocation}` }).where('id', '=', variant.id).execute();
      await publishIfAvailabilityChanged(trx, [variant.product_id]);
      productViews.forget([variant.product_id]);
      return dealId;
    });
    return this.view(id);
  }

  async view(dealId: string): Promise<FlashDealView> {
    const row = (await withNames(this.db).where('d.id', '=', dealId).executeTakeFirst()) as DealRowWithNames | undefined;
    if (!row) throw notFound('No such flash deal.');
    return dealView(row, new Date());
  }

  /** Every deal of a shop, newest start first (the owner's list). */
  async ofShop(subject: string, shopId: string): Promise<FlashDealView[]> {
    await this.ownedShopId(this.db, subject, shopId);
    const now = new Date();
    const rows = (await withNames(this.db).where('d.shop_id', '=', shopId).orderBy('d.starts_at', 'desc').limit(100).execute()) as DealRowWithNames[];
    return rows.map((row) => dealView(row, now));
  }

  /** Ends a deal before its time (owner, or the creator who started it); ending an ended deal changes nothing. */
  async endEarly(subject: string, dealId: string): Promise<FlashDealView> {
    const deal = (await this.db
      .selectFrom('flash_deals as d')
      .leftJoin('creator_allocations as a', 'a.id', 'd.allocation_id')
      .leftJoin('affiliates as f', 'f.id', 'a.affiliate_id')
      .select(['d.shop_id', 'f.subject as creator_subject'])
      .where('d.id', '=', dealId)
      .executeTakeFirst()) as { shop_id: string; creator_subject: string | null } | undefined;
    if (!deal) throw notFound('No such flash deal.');
    // The creator who started a deal from their allocation may end it too.
    if (deal.creator_subject !== subject) await this.ownedShopId(this.db, subject, deal.shop_id);
    await endDeal(this.db, dealId);
    return this.view(dealId);
  }

  /**
   * The deals a buyer may see now: announced (the countdown runs) or live, not ended, with the
   * server's clock so every client counts down to the same instant.
   */
  async publicDeals(filter: { productId?: string; shopId?: string }): Promise<{ serverTime: string; items: FlashDealView[] }> {
    let query = withNames(this.db)
      .where('d.ended_at', 'is', null)
      .where('d.announce_at', '<=', sql<Date>`now()`)
      .where('d.ends_at', '>', sql<Date>`now()`)
      .where('v.removed_at', 'is', null)
      .where('p.removed_at', 'is', null);
    if (filter.productId) query = query.where('d.product_id', '=', filter.productId);
    if (filter.shopId) query = query.where('d.shop_id', '=', filter.shopId);
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(this.db);
    const now = new Date(rows[0]!.now);
    const deals = (await query.orderBy('d.starts_at').limit(100).execute()) as DealRowWithNames[];
    return { serverTime: now.toISOString(), items: deals.map((row) => dealView(row, now)) };
  }
}

/** A live deal as checkout prices it. */
export interface LiveDeal {
  id: string;
  variant_id: string;
  deal_price_idr: number;
  remaining: number;
  per_buyer_limit: number;
  /** How many the buyer already took of it. */
  taken: number;
}

/** The live deals (inside their window, not ended) of `variantIds`, with what `subject` took of each. */
export async function liveDealsOf(db: Database | Transaction<AnyDB>, subject: string, variantIds: string[]): Promise<Map<string, LiveDeal>> {
  if (variantIds.length === 0) return new Map();
  const rows = (
    await sql<LiveDeal>`
      select d.id, d.variant_id, d.deal_price_idr, d.remaining, d.per_buyer_limit,
        coalesce((select b.quantity from flash_deal_buyers b where b.deal_id = d.id and b.subject = ${subject}), 0)::int as taken
      from flash_deals d
      where d.variant_id in (${sql.join(variantIds)}) and d.ended_at is null and d.starts_at <= now() and d.ends_at > now()`.execute(db)
  ).rows;
  return new Map(rows.map((row) => [row.variant_id, { ...row, deal_price_idr: Number(row.deal_price_idr) }]));
}

const limitProblem = (variantId: string, limit: number, taken: number) =>
  conflict(
    `The flash deal allows ${limit} per buyer${taken > 0 ? `; you already have ${taken}` : ''}.`,
    { [`items.${variantId}.quantity`]: [`the limit is ${limit} per buyer`] },
    'flash-limit',
  );

const soldOutProblem = (variantId: string, left: number) =>
  conflict(`The flash deal has ${left} left at its price.`, { [`items.${variantId}`]: [`only ${left} left at the flash price`] }, 'flash-sold-out');

/** Checks a flash line before anything is written: the per-buyer limit and the units left (a snapshot). */
export function checkFlashLine(deal: LiveDeal, quantity: number): void {
  if (deal.taken + quantity > deal.per_buyer_limit) throw limitProblem(deal.variant_id, deal.per_buyer_limit, deal.taken);
  if (quantity > deal.remaining) throw soldOutProblem(deal.variant_id, deal.remaining);
}

/**
 * Takes flash units for a checkout, as the last writes of its transaction. The buyer's own row
 * holds the per-buyer limit (only that buyer's checkouts wait on it). The deal's row is the hot
 * one everyone queues on, so it is touched once, by one conditional UPDATE that cannot take more
 * than is left or sell outside the window, and stays locked only until the commit that follows.
 * Throws 409 (rolling the whole checkout back) when a limit or the allocation would be exceeded.
 */
export async function claimFlashUnits(trx: Transaction<AnyDB>, subject: string, claims: { deal: LiveDeal; quantity: number }[]): Promise<void> {
  const ordered = [...claims].sort((a, b) => a.deal.id.localeCompare(b.deal.id));
  for (const { deal, quantity } of ordered) {
    const counted = await sql<{ quantity: number }>`
      insert into flash_deal_buyers as b (deal_id, subject, quantity) values (${deal.id}, ${subject}, ${quantity})
      on conflict (deal_id, subject) do update set quantity = b.quantity + excluded.quantity
        where b.quantity + excluded.quantity <= ${deal.per_buyer_limit}
      returning b.quantity`.execute(trx);
    if (counted.rows.length === 0 || quantity > deal.per_buyer_limit) {
      const had = (await trx.selectFrom('flash_deal_buyers').select('quantity').where('deal_id', '=', deal.id).where('subject', '=', subject).executeTakeFirst()) as
        | { quantity: number }
        | undefined;
      throw limitProblem(deal.variant_id, deal.per_buyer_limit, had?.quantity ?? 0);
    }
  }
  for (const { deal, quantity } of ordered) {
    const taken = await sql<{ remaining: number }>`
      update flash_deals set remaining = remaining - ${quantity}
      where id = ${deal.id} and remaining >= ${quantity} and ended_at is null and starts_at <= now() and ends_at > now()
      returning remaining`.execute(trx);
    if (taken.rows.length === 0) {
      const left = (await trx.selectFrom('flash_deals').select('remaining').where('id', '=', deal.id).executeTakeFirst()) as { remaining: number } | undefined;
      throw soldOutProblem(deal.variant_id, left?.remaining ?? 0);
    }
  }
}

export const flashEndJobType = defineJob<FlashEnd, Database>(FLASH_END_JOB, flashEndJob);
