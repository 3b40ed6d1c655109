import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { uuidv7 } from '../../../platform/ids.js';
import { enqueueJob } from '../../../platform/jobs.js';
import type { OrderStatus } from '../orders/state.js';

/**
 * The money ledger. Every line moves money into (positive) or out of (negative) one account; the
 * lines of a posting sum to zero, so the ledger as a whole always sums to zero: `platform_gateway`
 * goes negative by what buyers paid in, and every other account holds its share of that money.
 */
export const SHOP_ACCOUNTS = ['shop_escrow', 'shop_pending', 'shop_available', 'shop_payout_processing', 'shop_paid_out'] as const;
export const AFFILIATE_ACCOUNTS = ['affiliate_commission_pending', 'affiliate_commission_payable', 'affiliate_payout_processing', 'affiliate_paid_out'] as const;
export const PLATFORM_ACCOUNTS = ['platform_gateway', 'platform_fee_income', 'platform_buyer_refunds'] as const;
export type Account = (typeof SHOP_ACCOUNTS)[number] | (typeof AFFILIATE_ACCOUNTS)[number] | (typeof PLATFORM_ACCOUNTS)[number];

/** Why money moved: the statement shows each code in the reader's language. */
export const REASONS = [
  'order_paid',
  'affiliate_commission_held',
  'affiliate_commission_reversed',
  'affiliate_commission_confirmed',
  'settlement_started',
  'platform_fee',
  'settlement_released',
  'refund',
  'payout_requested',
  'payout_paid',
  'payout_failed',
] as const;
export type Reason = (typeof REASONS)[number];

/** What the ledger reads of an order (the order machine hands it its locked row). */
export interface OrderRow {
  id: string;
  shop_id: string;
  subtotal_idr: number;
  discount_idr: number;
  total_idr: number;
}

export const RELEASE_SETTLEMENT_JOB = 'commerce.ledger.release-settlement';
/** The hold a completed order's money sits under until its tier's settlement day. */
export const SETTLEMENT_HOLD = 'settlement_period';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface Line {
  account: Account;
  amountIdr: number;
  reason: Reason;
  shopId?: string;
  affiliateId?: string;
  orderId?: string;
  payoutId?: string;
}

export interface Posting {
  /** One key per business event: the same event posted twice posts once. */
  key: string;
  kind: string;
  shopId?: string;
  orderId?: string;
  payoutId?: string;
  lines: Line[];
}

/**
 * Writes one balanced posting, or nothing when its key was posted before (returns false then).
 * Zero lines are left out; a posting left with no lines writes nothing.
 */
export async function post(trx: Transaction<AnyDB>, posting: Posting): Promise<boolean> {
  const lines = posting.lines.filter((line) => line.amountIdr !== 0);
  if (lines.some((line) => !Number.isSafeInteger(line.amountIdr))) throw new Error(`posting ${posting.key} has a line that is not whole rupiah`);
  const total = lines.reduce((sum, line) => sum + line.amountIdr, 0);
  if (total !== 0) throw new Error(`posting ${posting.key} does not balance (${total})`);
  if (lines.length === 0) return false;
  const id = uuidv7();
  const inserted = await trx
    .insertInto('ledger_postings')
    .values({
      id, key: posting.key, kind: posting.kind, shop_id: posting.shopId ?? null, order_id: posting.orderId ?? null, payout_id: posting.payoutId ?? null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  await trx
    .insertInto('ledger_lines')
    .values(
      lines.map((line) => ({
        posting_id: id,
        account: line.account,
        shop_id: line.shopId ?? null,
        affiliate_id: line.affiliateId ?? null,
        amount_idr: line.amountIdr,
        reason: line.reason,
        order_id: line.orderId ?? posting.orderId ?? null,
        payout_id: line.payoutId ?? posting.payoutId ?? null,
      })),
    )
    .execute();
  return true;
}

/** A move of `amountIdr` from one account to another: two lines of one posting. */
export function move(from: Omit<Line, 'amountIdr'>, to: Omit<Line, 'amountIdr'>, amountIdr: number): Line[] {
  return [
    { ...from, amountIdr: -amountIdr },
    { ...to, amountIdr },
  ];
}

async function posted(trx: Transaction<AnyDB>, key: string): Promise<boolean> {
  return (await trx.selectFrom('ledger_postings').select('id').where('key', '=', key).executeTakeFirst()) !== undefined;
}

/** The order's commission per affiliate (the commissions table holds one row per attributed line). */
async function commissionsOf(trx: Transaction<AnyDB>, orderId: string): Promise<{ affiliate_id: string; amount_idr: number }[]> {
  return (await trx
    .selectFrom('commissions')
    .select(['affiliate_id', sql<number>`sum(amount_idr)::bigint`.as('amount_idr')])
    .where('order_id', '=', orderId)
    .groupBy('affiliate_id')
    .orderBy('affiliate_id')
    .execute()) as { affiliate_id: string; amount_idr: number }[];
}

const escrowKey = (orderId: string) => `order:${orderId}:escrow`;

/**
 * The buyer's money for the order reaches the shop's escrow (prepaid at payment; cash on delivery
 * when the courier collected it), and the affiliates' commission is held out of it.
 */
async function postEscrow(trx: Transaction<AnyDB>, order: OrderRow): Promise<void> {
  const shop = { shopId: order.shop_id };
  const lines: Line[] = move({ account: 'platform_gateway', reason: 'order_paid' }, { account: 'shop_escrow', reason: 'order_paid', ...shop }, order.total_idr);
  for (const c of await commissionsOf(trx, order.id)) {
    lines.push(...move({ account: 'shop_escrow', reason: 'affiliate_commission_held', ...shop }, { account: 'affiliate_commission_pending', reason: 'affiliate_commission_held', affiliateId: c.affiliate_id }, c.amount_idr));
  }
  await post(trx, { key: escrowKey(order.id), kind: 'order_escrow', shopId: order.shop_id, orderId: order.id, lines });
}

/** The platform's fee on an order: its tier's rate on the goods after discounts (not shipping). */
export function platformFee(order: Pick<OrderRow, 'subtotal_idr' | 'discount_idr'>, feeBasisPoints: number): number {
  return Math.floor((Math.max(0, order.subtotal_idr - order.discount_idr) * feeBasisPoints) / 10_000);
}

/**
 * Completion: what is in escrow (the order less its held commission) starts its settlement in
 * `shop_pending`, the platform's fee comes off it, and the held commission becomes payable.
 * The settlement waits until its tier's D+n, then a job releases it to `shop_available`.
 */
async function postSettlement(trx: Transaction<AnyDB>, order: OrderRow): Promise<void> {
  const key = `order:${order.id}:settle`;
  if (await posted(trx, key)) return;
  const tier = (await trx
    .selectFrom('shops')
    .innerJoin('ledger_tiers', 'ledger_tiers.code', 'shops.ledger_tier')
    .select(['ledger_tiers.settlement_days', 'ledger_tiers.fee_basis_points'])
    .where('shops.id', '=', order.shop_id)
    .executeTakeFirstOrThrow()) as { settlement_days: number; fee_basis_points: number };
  const shop = { shopId: order.shop_id };
  const commissions = await commissionsOf(trx, order.id);
  const commission = commissions.reduce((sum, c) => sum + c.amount_idr, 0);
  // A partial refund already took its part out of escrow; the fee is on the goods money the shop keeps.
  const refunded = await partiallyRefunded(trx, order.id);
  const fee = platformFee({ subtotal_idr: order.subtotal_idr, discount_idr: order.discount_idr + refunded }, tier.fee_basis_points);
  const lines: Line[] = [
    ...move({ account: 'shop_escrow', reason: 'settlement_started', ...shop }, { account: 'shop_pending', reason: 'settlement_started', ...shop }, order.total_idr - commission - refunded),
    ...move({ account: 'shop_pending', reason: 'platform_fee', ...shop }, { account: 'platform_fee_income', reason: 'platform_fee' }, fee),
  ];
  for (const c of commissions) {
    lines.push(...move({ account: 'affiliate_commission_pending', reason: 'affiliate_commission_confirmed', affiliateId: c.affiliate_id }, { account: 'affiliate_commission_payable', reason: 'affiliate_commission_confirmed', affiliateId: c.affiliate_id }, c.amount_idr));
  }
  await post(trx, { key, kind: 'order_settlement', shopId: order.shop_id, orderId: order.id, lines });
  const net = order.total_idr - commission - refunded - fee;
  const releaseAt = new Date(Date.now() + tier.settlement_days * DAY_MS);
  await trx
    .insertInto('ledger_settlements')
    .values({ order_id: order.id, shop_id: order.shop_id, net_idr: net, hold_reason: SETTLEMENT_HOLD, release_at: releaseAt })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
  await enqueueJob(trx, RELEASE_SETTLEMENT_JOB, { orderId: order.id }, { runAt: releaseAt, dedupeKey: `ledger-release:${order.id}`, maxAttempts: 50 });
}

/** A refund before settlement: the held commission is reversed back, then escrow goes to the buyer. */
async function postRefund(trx: Transaction<AnyDB>, order: OrderRow): Promise<void> {
  // Nothing reached escrow (cash on delivery refused before the courier collected): nothing to move.
  if (!(await posted(trx, escrowKey(order.id)))) return;
  const shop = { shopId: order.shop_id };
  const lines: Line[] = [];
  for (const c of await commissionsOf(trx, order.id)) {
    lines.push(...move({ account: 'affiliate_commission_pending', reason: 'affiliate_commission_reversed', affiliateId: c.affiliate_id }, { account: 'shop_escrow', reason: 'affiliate_commission_reversed', ...shop }, c.amount_idr));
  }
  lines.push(...move({ account: 'shop_escrow', reason: 'refund', ...shop }, { account: 'platform_buyer_refunds', reason: 'refund' }, order.total_idr));
  await post(trx, { key: `order:${order.id}:refund`, kind: 'order_refund', shopId: order.shop_id, orderId: order.id, lines });
}

const partialRefundKey = (orderId: string) => `order:${orderId}:partial-refund`;

/** What a partial refund took out of the order's escrow (0 when none). */
async function partiallyRefunded(trx: Transaction<AnyDB>, orderId: string): Promise<number> {
  const row = (await trx
    .selectFrom('ledger_lines as l')
    .innerJoin('ledger_postings as p', 'p.id', 'l.posting_id')
    .select(sql<number>`coalesce(sum(l.amount_idr), 0)::bigint`.as('total'))
    .where('p.key', '=', partialRefundKey(orderId))
    .where('l.account', '=', 'platform_buyer_refunds')
    .executeTakeFirst()) as { total: number } | undefined;
  return Number(row?.total ?? 0);
}

/**
 * Part of the order's money goes back to the buyer (a return settled by a partial refund): new
 * lines out of escrow, never an edit; the settlement that follows moves only what is left.
 */
async function postPartialRefund(trx: Transaction<AnyDB>, order: OrderRow, amountIdr: number): Promise<void> {
  if (!(await posted(trx, escrowKey(order.id)))) return;
  const shop = { shopId: order.shop_id };
  await post(trx, {
    key: partialRefundKey(order.id),
    kind: 'order_partial_refund',
    shopId: order.shop_id,
    orderId: order.id,
    lines: move({ account: 'shop_escrow', reason: 'refund', ...shop }, { account: 'platform_buyer_refunds', reason: 'refund' }, amountIdr),
  });
}

/**
 * What an order's move means for the ledger, in the move's own transaction. Each posting has its
 * event's key, so a transition replayed (a webhook delivered twice, a job run again) posts nothing.
 */
export async function postOrderMove(trx: Transaction<AnyDB>, order: OrderRow, from: OrderStatus, to: OrderStatus, partialRefundIdr = 0): Promise<void> {
  if (to === 'paid' || to === 'delivered') await postEscrow(trx, order);
  if (to === 'completed') {
    await postEscrow(trx, order);
    if (partialRefundIdr > 0) await postPartialRefund(trx, order, partialRefundIdr);
    await postSettlement(trx, order);
  }
  // A completed order cannot be refunded in this machine; a refund always finds its money in escrow.
  if (to === 'refunded' && from !== 'completed') await postRefund(trx, order);
}

/** Releases one order's settlement when its day has come; false when it is not due (or gone). */
export async function releaseSettlement(db: Database, orderId: string, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const settlement = (await trx.selectFrom('ledger_settlements').selectAll().where('order_id', '=', orderId).executeTakeFirst()) as
      | { order_id: string; shop_id: string; net_idr: number; release_at: Date }
      | undefined;
    if (!settlement || new Date(settlement.release_at).getTime() > now.getTime()) return false;
    const shop = { shopId: settlement.shop_id };
    await post(trx, {
      key: `order:${orderId}:release`,
      kind: 'settlement_release',
      shopId: settlement.shop_id,
      orderId,
      lines: move({ account: 'shop_pending', reason: 'settlement_released', ...shop }, { account: 'shop_available', reason: 'settlement_released', ...shop }, settlement.net_idr),
    });
    return true;
  });
}

/** Every settlement due by `now` and not yet released: what the job does, for a caller with a clock. */
export async function releaseDueSettlements(db: Database, now = new Date()): Promise<number> {
  const due = (await db
    .selectFrom('ledger_settlements as s')
    .select('s.order_id')
    .where('s.release_at', '<=', now)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('ledger_postings as p').select('p.id').whereRef('p.order_id', '=', 's.order_id').where('p.kind', '=', 'settlement_release'))))
    .orderBy('s.release_at')
    .execute()) as { order_id: string }[];
  let released = 0;
  for (const row of due) if (await releaseSettlement(db, row.order_id, now)) released++;
  return released;
}

export type ShopBalances = Record<(typeof SHOP_ACCOUNTS)[number], number>;
export type AffiliateBalances = Record<(typeof AFFILIATE_ACCOUNTS)[number], number>;

/** A creator's balance in each of their affiliate accounts. */
export async function affiliateBalances(db: Database | Transaction<AnyDB>, affiliateId: string): Promise<AffiliateBalances> {
  const rows = (await db
    .selectFrom('ledger_lines')
    .select(['account', sql<number>`sum(amount_idr)::bigint`.as('total')])
    .where('affiliate_id', '=', affiliateId)
    .groupBy('account')
    .execute()) as { account: (typeof AFFILIATE_ACCOUNTS)[number]; total: number }[];
  const balances = Object.fromEntries(AFFILIATE_ACCOUNTS.map((account) => [account, 0])) as AffiliateBalances;
  for (const row of rows) balances[row.account] = Number(row.total);
  return balances;
}

/** A shop's balance in each of its accounts (locked callers get a consistent view). */
export async function shopBalances(db: Database | Transaction<AnyDB>, shopId: string): Promise<ShopBalances> {
  const rows = (await db
    .selectFrom('ledger_lines')
    .select(['account', sql<number>`sum(amount_idr)::bigint`.as('total')])
    .where('shop_id', '=', shopId)
    .groupBy('account')
    .execute()) as { account: (typeof SHOP_ACCOUNTS)[number]; total: number }[];
  const balances = Object.fromEntries(SHOP_ACCOUNTS.map((account) => [account, 0])) as ShopBalances;
  for (const row of rows) balances[row.account] = Number(row.total);
  return balances;
}
