import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, unprocessable, validationFailed } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';

/**
 * `fixed` and `percent` take money off the goods; `shipping` (Gratis Ongkir) takes up to `value`
 * rupiah off the shipping of the parcels it applies to.
 */
export type VoucherKind = 'fixed' | 'percent' | 'shipping';

/** What a voucher may apply to: the subtotal and the shipping of its shop's parcel, or of all. */
export interface VoucherBasis {
  subtotalIdr: number;
  shippingIdr: number;
}

export interface VoucherRow {
  id: string;
  code: string;
  shop_id: string | null;
  kind: VoucherKind;
  value: number;
  max_discount_idr: number | null;
  min_spend_idr: number;
  starts_at: Date;
  ends_at: Date;
  quota: number;
  used: number;
}

export interface VoucherInput {
  code: string;
  kind: VoucherKind;
  value: number;
  maxDiscountIdr?: number;
  minSpendIdr?: number;
  startsAt: string;
  endsAt: string;
  quota: number;
}

export const voucherView = (row: VoucherRow) => ({
  id: row.id,
  code: row.code,
  shopId: row.shop_id,
  kind: row.kind,
  value: row.value,
  maxDiscountIdr: row.max_discount_idr,
  minSpendIdr: row.min_spend_idr,
  startsAt: new Date(row.starts_at).toISOString(),
  endsAt: new Date(row.ends_at).toISOString(),
  quota: row.quota,
  used: row.used,
});

/** A shop's vouchers (platform vouchers when shopId is null), newest first. */
export async function vouchersOf(db: Database, shopId: string | null) {
  const rows = await db
    .selectFrom('vouchers')
    .selectAll()
    .where('shop_id', shopId === null ? 'is' : '=', shopId)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  return rows.map((row) => voucherView(row as VoucherRow));
}

/** Creates a shop voucher (shopId given) or a platform voucher (shopId null). */
export async function createVoucher(db: Database | Transaction<AnyDB>, shopId: string | null, input: VoucherInput) {
  const code = input.code.trim().toUpperCase();
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  const errors: Record<string, string[]> = {};
  if (!/^[A-Z0-9]{3,32}$/.test(code)) errors.code = ['must be 3–32 letters and digits'];
  if (input.kind === 'percent' && (input.value < 1 || input.value > 100)) errors.value = ['must be 1–100 for a percent voucher'];
  // A free-shipping voucher's value is already its cap.
  if (input.kind === 'shipping' && input.maxDiscountIdr !== undefined) errors.maxDiscountIdr = ['is not used by a free-shipping voucher: its value is the cap'];
  if (Number.isNaN(startsAt.getTime())) errors.startsAt = ['must be a date-time'];
  if (Number.isNaN(endsAt.getTime()) || endsAt <= startsAt) errors.endsAt = ['must be after startsAt'];
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  const row = await db
    .insertInto('vouchers')
    .values({
      id: uuidv7(),
      code,
      shop_id: shopId,
      kind: input.kind,
      value: input.value,
      max_discount_idr: input.maxDiscountIdr ?? null,
      min_spend_idr: input.minSpendIdr ?? 0,
      starts_at: startsAt,
      ends_at: endsAt,
      quota: input.quota,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw conflict('That voucher code is taken.', { code: ['is taken'] });
  return voucherView(row as VoucherRow);
}

/**
 * The discount a voucher gives on what it applies to; integer rupiah, never above the subtotal
 * (or, for free shipping, above the shipping).
 */
export function discountFor(voucher: VoucherRow, basis: VoucherBasis): number {
  if (voucher.kind === 'shipping') return Math.max(0, Math.min(voucher.value, basis.shippingIdr));
  const raw = voucher.kind === 'fixed' ? voucher.value : Math.floor((basis.subtotalIdr * voucher.value) / 100);
  const capped = voucher.max_discount_idr !== null ? Math.min(raw, voucher.max_discount_idr) : raw;
  return Math.max(0, Math.min(capped, basis.subtotalIdr));
}

/** The voucher behind `code` if it can apply now to what `basisOf` gives, or a 422 problem saying why not. */
async function applicableVoucher(db: Database | Transaction<AnyDB>, code: string, basisOf: (voucher: VoucherRow) => VoucherBasis) {
  const voucher = (await db.selectFrom('vouchers').selectAll().where('code', '=', code.trim().toUpperCase()).executeTakeFirst()) as VoucherRow | undefined;
  if (!voucher) throw unprocessable('No voucher with that code.', { voucherCode: ['is not a voucher'] });
  const now = Date.now();
  if (now < new Date(voucher.starts_at).getTime()) throw unprocessable('This voucher is not valid yet.', { voucherCode: ['is not valid yet'] });
  if (now >= new Date(voucher.ends_at).getTime()) throw unprocessable('This voucher has expired.', { voucherCode: ['has expired'] });
  const basis = basisOf(voucher);
  const eligible = basis.subtotalIdr;
  if (eligible === 0 && voucher.shop_id) throw unprocessable('This voucher is for a shop not in this checkout.', { voucherCode: ['is for another shop'] });
  if (eligible < voucher.min_spend_idr) {
    throw unprocessable(`Spend at least Rp ${voucher.min_spend_idr.toLocaleString('id-ID')} to use this voucher.`, { voucherCode: ['minimum spend not met'] });
  }
  return { voucher, discountIdr: discountFor(voucher, basis) };
}

const exhausted = () => conflict('This voucher has run out.', { voucherCode: ['has no uses left'] }, 'voucher-exhausted');
const alreadyUsed = () => conflict('You have already used this voucher.', { voucherCode: ['already used'] }, 'voucher-used');

/**
 * What a voucher would take off, checked as redeeming it would check (window, shop, minimum spend,
 * uses left, one use per buyer), without taking a use: for a quote before checkout.
 */
export async function checkVoucher(db: Database, code: string, subject: string, basisOf: (voucher: VoucherRow) => VoucherBasis) {
  const applicable = await applicableVoucher(db, code, basisOf);
  if (applicable.voucher.used >= applicable.voucher.quota) throw exhausted();
  const used = await db.selectFrom('voucher_redemptions').select('voucher_id').where('voucher_id', '=', applicable.voucher.id).where('subject', '=', subject).executeTakeFirst();
  if (used) throw alreadyUsed();
  return applicable;
}

/**
 * Takes one use of a voucher for a buyer, atomically with the order: the quota is a conditional
 * UPDATE and the one-use-per-buyer rule a primary key, so two racing checkouts cannot both win.
 */
export async function redeemVoucher(
  trx: Transaction<AnyDB>,
  code: string,
  subject: string,
  paymentId: string,
  basisOf: (voucher: VoucherRow) => VoucherBasis,
): Promise<{ voucher: VoucherRow; discountIdr: number }> {
  const applicable = await applicableVoucher(trx, code, basisOf);
  const taken = await sql<{ id: string }>`update vouchers set used = used + 1
    where id = ${applicable.voucher.id} and used < quota returning id`.execute(trx);
  if (taken.rows.length === 0) throw exhausted();
  const redeemed = await trx
    .insertInto('voucher_redemptions')
    .values({ voucher_id: applicable.voucher.id, subject, payment_id: paymentId })
    .onConflict((oc) => oc.columns(['voucher_id', 'subject']).doNothing())
    .returning('voucher_id')
    .executeTakeFirst();
  if (!redeemed) throw alreadyUsed();
  return applicable;
}
