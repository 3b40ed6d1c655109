import { sql, type ColumnType, type Generated, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, forbidden, HttpProblem, notFound, validationFailed } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { defineJob, type Job } from '../../../platform/jobs.js';
import { productViews } from '../catalog/cache.js';
import { publishIfAvailabilityChanged } from '../catalog/events.js';
import { dealWindow, insertDeal, lowestPriceOf30Days, type FlashDealInput } from './flash.js';

export const ALLOCATION_END_JOB = 'commerce.allocation.end';
/** The allocation-end job's payload. */
export interface AllocationEnd {
  allocationId: string;
}

export const MAX_ALLOCATION_UNITS = 1_000_000;

export interface AllocationInput {
  variantId: string;
  affiliateId: string;
  units: number;
  floorPriceIdr?: number;
  endsAt?: string;
}

/** A flash deal a creator starts from an allocation: the variant is the allocation's. */
export type CreatorFlashInput = Omit<FlashDealInput, 'variantId'>;

/**
 * The `creator_allocations` table (migration 017) for commerce's Kysely database type, and the
 * column it adds to `flash_deals`: `allocation_id: string | null`.
 */
export interface CreatorAllocationsTable {
  id: string;
  shop_id: string;
  product_id: string;
  variant_id: string;
  affiliate_id: string;
  units: number;
  remaining: number;
  floor_price_idr: ColumnType<string | null, number | null | undefined, number | null>;
  ends_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  ended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  returned: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Generated<Date>;
}

interface AllocationRow {
  id: string;
  shop_id: string;
  product_id: string;
  variant_id: string;
  affiliate_id: string;
  units: number;
  remaining: number;
  floor_price_idr: string | number | null;
  ends_at: Date | null;
  ended_at: Date | null;
  returned: number | null;
  created_at: Date;
}

type AllocationRowWithNames = AllocationRow & {
  title: string;
  variant_name: string;
  price_idr: string | number;
  shop_name: string;
  in_deals: number;
  sold: number;
};

export type AllocationState = 'open' | 'ended';

export interface AllocationView {
  id: string;
  shopId: string;
  shopName: string;
  productId: string;
  variantId: string;
  title: string;
  variantName: string;
  priceIdr: number;
  affiliateId: string;
  units: number;
  /** Units the creator can still put into a flash deal. */
  remaining: number;
  /** Units inside the allocation's deals that are not ended, not yet sold. */
  inDeals: number;
  /** Units its deals sold. */
  sold: number;
  floorPriceIdr: number | null;
  endsAt: string | null;
  endedAt: string | null;
  /** Units that went back to normal stock when it ended. */
  returned: number | null;
  state: AllocationState;
  createdAt: string;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

function allocationView(row: AllocationRowWithNames): AllocationView {
  return {
    id: row.id,
    shopId: row.shop_id,
    shopName: row.shop_name,
    productId: row.product_id,
    variantId: row.variant_id,
    title: row.title,
    variantName: row.variant_name,
    priceIdr: Number(row.price_idr),
    affiliateId: row.affiliate_id,
    units: row.units,
    remaining: row.remaining,
    inDeals: Number(row.in_deals),
    sold: Number(row.sold),
    floorPriceIdr: row.floor_price_idr === null ? null : Number(row.floor_price_idr),
    endsAt: iso(row.ends_at),
    endedAt: iso(row.ended_at),
    returned: row.returned,
    state: row.ended_at ? 'ended' : 'open',
    createdAt: iso(row.created_at)!,
  };
}

function withNames(db: Database | Transaction<AnyDB>) {
  return db
    .selectFrom('creator_allocations as a')
    .innerJoin('variants as v', 'v.id', 'a.variant_id')
    .innerJoin('products as p', 'p.id', 'a.product_id')
    .innerJoin('shops as s', 's.id', 'a.shop_id')
    .selectAll('a')
    .select(['p.title', 'v.name as variant_name', 'v.price_idr', 's.name as shop_name'])
    .select(sql<number>`(select coalesce(sum(d.remaining), 0)::int from flash_deals d where d.allocation_id = a.id and d.ended_at is null)`.as('in_deals'))
    .select(
      sql<number>`(select coalesce(sum(d.allocation - case when d.ended_at is null then d.remaining else coalesce(d.returned, 0) end), 0)::int from flash_deals d where d.allocation_id = a.id)`.as(
        'sold',
      ),
    );
}

/**
 * Ends an allocation once (revoked, or its end time came): what the creator has not put into a deal
 * goes back to normal stock. Units inside a deal still running come back when that deal ends.
 */
export async function endAllocation(trx: Transaction<AnyDB>, allocationId: string): Promise<boolean> {
  const ended = (await trx
    .updateTable('creator_allocations')
    .set({ ended_at: sql`now()`, returned: sql`remaining`, remaining: 0 })
    .where('id', '=', allocationId)
    .where('ended_at', 'is', null)
    .returning(['variant_id', 'product_id', 'returned'])
    .executeTakeFirst()) as { variant_id: string; product_id: string; returned: number } | undefined;
  if (!ended) return false;
  if (ended.returned > 0) {
    await trx.updateTable('variants').set({ reserved: sql`reserved - ${ended.returned}` }).where('id', '=', ended.variant_id).execute();
    await publishIfAvailabilityChanged(trx, [ended.product_id]);
  }
  productViews.forget([ended.product_id]);
  return true;
}

/** The job that ends an allocation at its end time; running it again (or after a revoke) does nothing. */
export function allocationEndJob(db: Database) {
  return async (job: Pick<Job<AllocationEnd>, 'payload'>) => {
    const { allocationId } = job.payload;
    const row = (await db.selectFrom('creator_allocations').select(['ends_at', 'ended_at']).where('id', '=', allocationId).executeTakeFirst()) as
      | { ends_at: Date | null; ended_at: Date | null }
      | undefined;
    if (!row || row.ended_at || !row.ends_at) return;
    if (new Date(row.ends_at).getTime() > Date.now()) throw new Error('allocation not due to end yet');
    await db.transaction().execute((trx) => endAllocation(trx, allocationId));
  };
}

/**
 * Stock a seller sets aside for an affiliate creator to sell live. Commerce knows the creator only
 * as an affiliate (their commerce subject enrolled in `affiliates`); nothing about their videos.
 */
export class AllocationService {
  constructor(private readonly db: Database) {}

  private async ownShop(db: Database | Transaction<AnyDB>, subject: string, shopId: string): Promise<void> {
    const shop = (await db.selectFrom('shops').select(['owner_subject']).where('id', '=', shopId).executeTakeFirst()) as { owner_subject: string | null } | undefined;
    if (!shop) throw notFound('No such shop.');
    if (shop.owner_subject !== subject) throw forbidden('Only the shop owner may do this.');
  }

  private async affiliateOf(subject: string): Promise<string | null> {
    const row = (await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirst()) as { id: string } | undefined;
    return row?.id ?? null;
  }

  private async view(id: string): Promise<AllocationView> {
    const row = (await withNames(this.db).where('a.id', '=', id).executeTakeFirst()) as AllocationRowWithNames | undefined;
    if (!row) throw notFound('No such allocation.');
    return allocationView(row);
  }

  /** Gives a creator units of a variant: they leave available stock (counted as reserved) at once. */
  async create(subject: string, shopId: string, input: AllocationInput, now = new Date()): Promise<AllocationView> {
    const errors: Record<string, string[]> = {};
    const endsAt = input.endsAt ? new Date(input.endsAt) : null;
    if (endsAt && (Number.isNaN(endsAt.getTime()) || endsAt.getTime() <= now.getTime())) errors.endsAt = ['must be in the future'];
    const id = await this.db.transaction().execute(async (trx) => {
      await this.ownShop(trx, subject, shopId);
      const variant = (await sql<{ id: string; product_id: string; stock: number; reserved: number }>`
        select v.id, v.product_id, v.stock, v.reserved from variants v join products p on p.id = v.product_id
        where v.id = ${input.variantId} and v.shop_id = ${shopId} and v.removed_at is null and p.removed_at is null
        for update of v`.execute(trx)).rows[0];
      if (!variant) errors.variantId = ['is not a variant of this shop'];
      const affiliate = (await trx.selectFrom('affiliates').select('id').where('id', '=', input.affiliateId).where('subject', 'is not', null).executeTakeFirst()) as
        | { id: string }
        | undefined;
      if (!affiliate) errors.affiliateId = ['is not an enrolled creator'];
      if (variant && input.units > variant.stock - variant.reserved) errors.units = [`must be at most the stock available (${variant.stock - variant.reserved})`];
      if (variant && input.floorPriceIdr !== undefined && input.floorPriceIdr >= (await lowestPriceOf30Days(trx, variant.id))) {
        errors.floorPriceIdr = ['must be below the lowest price of the last 30 days, or no deal could be set'];
      }
      if (!variant || Object.keys(errors).length > 0) throw validationFailed(errors);
      const allocationId = uuidv7();
      await trx
        .insertInto('creator_allocations')
        .values({
          id: allocationId,
          shop_id: shopId,
          product_id: variant.product_id,
          variant_id: variant.id,
          affiliate_id: input.affiliateId,
          units: input.units,
          remaining: input.units,
          floor_price_idr: input.floorPriceIdr ?? null,
          ends_at: endsAt,
        })
        .execute();
      await trx.updateTable('variants').set({ reserved: sql`reserved + ${input.units}` }).where('id', '=', variant.id).execute();
      if (endsAt) await allocationEndJobType.insert(trx, uuidv7(), { allocationId }, { runAt: endsAt, dedupeKey: `allocation-end:${allocationId}` }).execute();
      await publishIfAvailabilityChanged(trx, [variant.product_id]);
      productViews.forget([variant.product_id]);
      return allocationId;
    });
    return this.view(id);
  }

  /** Every allocation of a shop, newest first (the owner's list). */
  async ofShop(subject: string, shopId: string): Promise<AllocationView[]> {
    await this.ownShop(this.db, subject, shopId);
    const rows = (await withNames(this.db).where('a.shop_id', '=', shopId).orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(100).execute()) as AllocationRowWithNames[];
    return rows.map(allocationView);
  }

  /** Takes back what the creator has not used (owner only); 404 for anyone else's shop. */
  async revoke(subject: string, allocationId: string): Promise<AllocationView> {
    await this.db.transaction().execute(async (trx) => {
      const row = (await trx
        .selectFrom('creator_allocations as a')
        .innerJoin('shops as s', 's.id', 'a.shop_id')
        .select(['s.owner_subject'])
        .where('a.id', '=', allocationId)
        .executeTakeFirst()) as { owner_subject: string | null } | undefined;
      if (!row || row.owner_subject !== subject) throw notFound('No such allocation.');
      await endAllocation(trx, allocationId);
    });
    return this.view(allocationId);
  }

  /** The caller's allocations as a creator, open ones first. */
  async mine(subject: string): Promise<AllocationView[]> {
    const affiliateId = await this.affiliateOf(subject);
    if (!affiliateId) return [];
    const rows = (await withNames(this.db)
      .where('a.affiliate_id', '=', affiliateId)
      .orderBy(sql`a.ended_at is null`, 'desc')
      .orderBy('a.created_at', 'desc')
      .limit(100)
      .execute()) as AllocationRowWithNames[];
    return rows.map(allocationView);
  }

  /**
   * A creator starts a flash deal from their allocation: never more units than are left of it,
   * never at a price that breaks the 30-day rule or goes under the seller's floor. The units move
   * from the allocation to the deal (both already counted as reserved); 404 for anyone else's.
   */
  async startFlash(subject: string, allocationId: string, input: CreatorFlashInput, now = new Date()): Promise<string> {
    const affiliateId = await this.affiliateOf(subject);
    if (!affiliateId) throw notFound('No such allocation.');
    const window = dealWindow(input, now);
    const errors = window.errors;
    return this.db.transaction().execute(async (trx) => {
      // The allocation's row is locked: what is left, and the overlap check, hold until commit.
      const allocation = (await sql<AllocationRow>`
        select a.* from creator_allocations a join variants v on v.id = a.variant_id join products p on p.id = a.product_id
        where a.id = ${allocationId} and a.affiliate_id = ${affiliateId} and v.removed_at is null and p.removed_at is null
        for update of a, v`.execute(trx)).rows[0];
      if (!allocation) throw notFound('No such allocation.');
      if (allocation.ended_at) throw conflict('This allocation has ended.', undefined, 'allocation-ended');
      const lowest = await lowestPriceOf30Days(trx, allocation.variant_id);
      if (input.dealPriceIdr >= lowest) errors.dealPriceIdr = [`must be below the lowest price of the last 30 days (Rp ${lowest})`];
      const floor = allocation.floor_price_idr === null ? null : Number(allocation.floor_price_idr);
      if (floor !== null && input.dealPriceIdr < floor) errors.dealPriceIdr = [`must be at least the seller’s floor (Rp ${floor})`];
      if (allocation.ends_at && window.endsAt.getTime() > new Date(allocation.ends_at).getTime()) {
        errors.durationMinutes = [`must end by the allocation’s end (${new Date(allocation.ends_at).toISOString()})`];
      }
      if (Object.keys(errors).length > 0) throw validationFailed(errors);
      if (input.allocation > allocation.remaining) {
        throw new HttpProblem(
          409,
          'allocation-exceeded',
          'Conflict',
          `The allocation has ${allocation.remaining} left.`,
          { allocation: [`must be at most what is left of the allocation (${allocation.remaining})`] },
          undefined,
          { remaining: allocation.remaining },
        );
      }
      const dealId = await insertDeal(
        trx, { shopId: allocation.shop_id, productId: allocation.product_id, variantId: allocation.variant_id, input, lowest, window, allocationId },
      );
      await trx.updateTable('creator_allocations').set({ remaining: sql`remaining - ${input.allocation}` }).where('id', '=', allocationId).execute();
      productViews.forget([allocation.product_id]);
      return dealId;
    });
  }
}

export const allocationEndJobType = defineJob<AllocationEnd, Database>(ALLOCATION_END_JOB, allocationEndJob);
