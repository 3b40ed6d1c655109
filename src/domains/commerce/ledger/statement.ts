import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import type { Database } from '../../../platform/db.js';
import { forbidden, notFound } from '../../../platform/errors.js';
import { decodeCursor, pageOf } from '../../../platform/http.js';
import { neutraliseCell } from '../catalog/portability.js';
import { affiliateBalances, shopBalances } from './ledger.js';

interface LineRow {
  id: number;
  created_at: Date;
  account: string;
  amount_idr: number;
  reason: string;
  order_id: string | null;
  payout_id: string | null;
  hold_reason: string | null;
  release_at: Date | null;
  released: boolean | null;
}

const lineView = (row: LineRow) => ({
  id: String(row.id),
  at: new Date(row.created_at).toISOString(),
  account: row.account,
  amountIdr: Number(row.amount_idr),
  reason: row.reason,
  orderId: row.order_id,
  payoutId: row.payout_id,
  // A settlement's start carries its hold: why the money waits and until when.
  hold: row.hold_reason && row.release_at ? { reason: row.hold_reason, until: new Date(row.release_at).toISOString(), released: Boolean(row.released) } : null,
});

/** A commission line has no settlement hold: its order's completion is what confirms it. */
const affiliateLineView = (row: LineRow) => ({
  id: String(row.id),
  at: new Date(row.created_at).toISOString(),
  account: row.account,
  amountIdr: Number(row.amount_idr),
  reason: row.reason,
  orderId: row.order_id,
  payoutId: row.payout_id,
});

const CSV_COLUMNS = ['at', 'account', 'reason', 'order_id', 'payout_id', 'amount_idr', 'hold_reason', 'hold_until'] as const;
const isCursor = (value: Record<string, unknown>): value is { id: number } => Number.isSafeInteger(value.id);

/** A shop's or a creator's balances and statement: every line on their accounts, newest first. */
export class StatementService {
  constructor(private readonly db: Database) {}

  private async ownedShop(subject: string, shopId: string): Promise<{ ledger_tier: string }> {
    const shop = (await this.db.selectFrom('shops').select(['owner_subject', 'ledger_tier']).where('id', '=', shopId).executeTakeFirst()) as { owner_subject: string | null; ledger_tier: string } | undefined;
    if (!shop) throw notFound('No such shop.');
    if (shop.owner_subject !== subject) throw forbidden('Only the shop owner sees its balance.');
    return shop;
  }

  async balance(subject: string, shopId: string) {
    const shop = await this.ownedShop(subject, shopId);
    const balances = await shopBalances(this.db, shopId);
    const tier = (await this.db.selectFrom('ledger_tiers').selectAll().where('code', '=', shop.ledger_tier).executeTakeFirstOrThrow()) as { code: string; settlement_days: number; fee_basis_points: number };
    const next = (await sql<{ release_at: Date | null }>`select min(s.release_at) as release_at from ledger_settlements s
      where s.shop_id = ${shopId} and not exists (select 1 from ledger_postings p where p.order_id = s.order_id and p.kind = 'settlement_release')`.execute(this.db)).rows[0];
    return {
      availableIdr: balances.shop_available,
      pendingIdr: balances.shop_pending,
      escrowIdr: balances.shop_escrow,
      payoutProcessingIdr: balances.shop_payout_processing,
      paidOutIdr: balances.shop_paid_out,
      tier: tier.code,
      settlementDays: tier.settlement_days,
      feeBasisPoints: tier.fee_basis_points,
      nextReleaseAt: next?.release_at ? new Date(next.release_at).toISOString() : null,
    };
  }

  private lines(owner: { shopId: string } | { affiliateId: string }) {
    return this.db
      .selectFrom('ledger_lines as l')
      .leftJoin('ledger_settlements as s', (join) => join.onRef('s.order_id', '=', 'l.order_id').on('l.account', '=', 'shop_pending').on('l.reason', '=', 'settlement_started'))
      .select([
        'l.id',
        'l.created_at',
        'l.account',
        'l.amount_idr',
        'l.reason',
        'l.order_id',
        'l.payout_id',
        's.hold_reason',
        's.release_at',
        sql<boolean>`exists (select 1 from ledger_postings r where r.order_id = s.order_id and r.kind = 'settlement_release')`.as('released'),
      ])
      .where('shopId' in owner ? 'l.shop_id' : 'l.affiliate_id', '=', 'shopId' in owner ? owner.shopId : owner.affiliateId);
  }

  async statement(subject: string, shopId: string, limit: number, cursor?: string) {
    await this.ownedShop(subject, shopId);
    const after = decodeCursor(cursor, isCursor);
    let query = this.lines({ shopId }).orderBy('l.id', 'desc').limit(limit + 1);
    if (after) query = query.where('l.id', '<', after.id);
    const rows = (await query.execute()) as LineRow[];
    return pageOf(rows, limit, lineView, (row) => ({ id: Number(row.id) }));
  }

  /** Every line, oldest first, for a spreadsheet; text cells cannot run as formulas. */
  async csv(subject: string, shopId: string): Promise<string> {
    await this.ownedShop(subject, shopId);
    const rows = (await this.lines({ shopId }).orderBy('l.id').execute()) as LineRow[];
    return stringify(
      rows.map((row) => [
        new Date(row.created_at).toISOString(),
        ...[row.account, row.reason, row.order_id ?? '', row.payout_id ?? ''].map(neutraliseCell),
        Number(row.amount_idr),
        neutraliseCell(row.hold_reason ?? ''),
        row.release_at ? new Date(row.release_at).toISOString() : '',
      ]),
      { header: true, columns: [...CSV_COLUMNS] },
    );
  }

  private async enrolledAffiliate(subject: string): Promise<string> {
    const affiliate = (await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirst()) as { id: string } | undefined;
    if (!affiliate) throw notFound('You are not enrolled as an affiliate.');
    return affiliate.id;
  }

  /** A creator's commission: pending until its order completes, then withdrawable. */
  async affiliateBalance(subject: string) {
    const balances = await affiliateBalances(this.db, await this.enrolledAffiliate(subject));
    return {
      pendingIdr: balances.affiliate_commission_pending,
      withdrawableIdr: balances.affiliate_commission_payable,
      payoutProcessingIdr: balances.affiliate_payout_processing,
      paidOutIdr: balances.affiliate_paid_out,
    };
  }

  async affiliateStatement(subject: string, limit: number, cursor?: string) {
    const affiliateId = await this.enrolledAffiliate(subject);
    const after = decodeCursor(cursor, isCursor);
    let query = this.lines({ affiliateId }).orderBy('l.id', 'desc').limit(limit + 1);
    if (after) query = query.where('l.id', '<', after.id);
    const rows = (await query.execute()) as LineRow[];
    return pageOf(rows, limit, affiliateLineView, (row) => ({ id: Number(row.id) }));
  }

  /** A creator's every commission line, oldest first; text cells cannot run as formulas. */
  async affiliateCsv(subject: string): Promise<string> {
    const affiliateId = await this.enrolledAffiliate(subject);
    const rows = (await this.lines({ affiliateId }).orderBy('l.id').execute()) as LineRow[];
    return stringify(
      rows.map((row) => [new Date(row.created_at).toISOString(), ...[row.account, row.reason, row.order_id ?? '', row.payout_id ?? ''].map(neutraliseCell), Number(row.amount_idr)]),
      { header: true, columns: ['at', 'account', 'reason', 'order_id', 'payout_id', 'amount_idr'] },
    );
  }
}
