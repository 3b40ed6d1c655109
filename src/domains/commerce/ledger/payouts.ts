import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AnyDB, Database } from '../../../platform/db.js';
import { badRequest, forbidden, HttpProblem, notFound, unauthorized, unprocessable } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { defineJob, enqueueJob, type Job } from '../../../platform/jobs.js';
import { BANKS } from './banks.js';
import type { DisbursementProvider } from './disbursement.js';
import { affiliateBalances, move, post, shopBalances, type Account, type Line, type Reason } from './ledger.js';
import { notifyPayoutOwner } from '../notifications.js';

export const SEND_PAYOUT_JOB = 'commerce.payout.send';
export interface PayoutSending {
  payoutId: string;
}

interface BankAccountRow {
  id: string;
  shop_id: string | null;
  affiliate_id: string | null;
  bank_code: string;
  account_number: string;
  holder_name: string;
  validated_name: string;
  validated_at: Date;
  created_at: Date;
}

interface PayoutRow {
  id: string;
  shop_id: string | null;
  affiliate_id: string | null;
  bank_account_id: string;
  amount_idr: number;
  idempotency_key: string;
  status: 'requested' | 'processing' | 'paid' | 'failed';
  provider_reference: string | null;
  failure_code: string | null;
  failure_message: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Who a bank account and a payout belong to: a shop (its owner withdraws the available balance)
 * or an affiliate (the creator withdraws confirmed commission). Everything else is the same.
 */
export type PayoutOwner = ({ kind: 'shop'; id: string } | { kind: 'affiliate'; id: string }) & {
  /** Who was found to own it; the withdrawal checks again under the lock (an erasure may have come between). */
  subject?: string;
};

/** The three accounts a withdrawal moves through, per kind of owner. */
const OWNER_ACCOUNTS = {
  shop: { available: 'shop_available', processing: 'shop_payout_processing', paidOut: 'shop_paid_out' },
  affiliate: { available: 'affiliate_commission_payable', processing: 'affiliate_payout_processing', paidOut: 'affiliate_paid_out' },
} as const satisfies Record<PayoutOwner['kind'], Record<'available' | 'processing' | 'paidOut', Account>>;

const ownerColumn = (owner: PayoutOwner) => (owner.kind === 'shop' ? 'shop_id' : 'affiliate_id');
const ownerOfRow = (row: { shop_id: string | null; affiliate_id: string | null }): PayoutOwner =>
  row.shop_id ? { kind: 'shop', id: row.shop_id } : { kind: 'affiliate', id: row.affiliate_id! };
const ownerValues = (owner: PayoutOwner) => (owner.kind === 'shop' ? { shop_id: owner.id, affiliate_id: null } : { shop_id: null, affiliate_id: owner.id });

/** A move between two of the owner's withdrawal accounts, as one posting's lines. */
function ownerMove(owner: PayoutOwner, from: 'available' | 'processing', to: 'available' | 'processing' | 'paidOut', reason: Reason, amountIdr: number): Line[] {
  const accounts = OWNER_ACCOUNTS[owner.kind];
  const who = owner.kind === 'shop' ? { shopId: owner.id } : { affiliateId: owner.id };
  return move({ account: accounts[from], reason, ...who }, { account: accounts[to], reason, ...who }, amountIdr);
}

async function availableOf(trx: Transaction<AnyDB>, owner: PayoutOwner): Promise<number> {
  return owner.kind === 'shop' ? (await shopBalances(trx, owner.id)).shop_available : (await affiliateBalances(trx, owner.id)).affiliate_commission_payable;
}

/** Takes the owner's row lock: withdrawals of one owner run one at a time. */
async function lockOwner(trx: Transaction<AnyDB>, owner: PayoutOwner): Promise<void> {
  const row = (owner.kind === 'shop'
    ? await trx.selectFrom('shops').select('owner_subject as subject').where('id', '=', owner.id).forUpdate().executeTakeFirst()
    : await trx.selectFrom('affiliates').select('subject').where('id', '=', owner.id).forUpdate().executeTakeFirst()) as { subject: string | null } | undefined;
  if (!row) throw notFound(owner.kind === 'shop' ? 'No such shop.' : 'You are not enrolled as an affiliate.');
  if (owner.subject !== undefined && row.subject !== owner.subject) throw forbidden(owner.kind === 'shop' ? 'Only the shop owner may do this.' : 'This affiliate account is not yours.');
}

const bankName = (code: string) => BANKS.find((bank) => bank.code === code)?.name ?? code;

export function bankAccountView(row: BankAccountRow) {
  return {
    id: row.id,
    bankCode: row.bank_code,
    bankName: bankName(row.bank_code),
    // Only the last four digits leave the server once saved.
    accountNumberMasked: `${'•'.repeat(Math.max(0, row.account_number.length - 4))}${row.account_number.slice(-4)}`,
    holderName: row.validated_name,
    validatedAt: new Date(row.validated_at).toISOString(),
  };
}

export function payoutView(row: PayoutRow) {
  return {
    id: row.id,
    bankAccountId: row.bank_account_id,
    amountIdr: Number(row.amount_idr),
    status: row.status,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Names compare without case, punctuation, spacing or the honorifics banks leave out. */
const comparable = (name: string) =>
  name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, ' ')
    .split(/\s+/)
    .filter((word) => word && !['bpk', 'bapak', 'ibu', 'sdr', 'sdri', 'tn', 'ny'].includes(word))
    .join(' ');

/**
 * Bank accounts and withdrawals, of a shop's available balance or of a creator's payable
 * commission. A withdrawal takes its owner's row lock, so two at once see each other: the balance
 * can never be paid out twice. Money moves available → processing when asked for, processing →
 * paid out when the provider says completed, and back to available (a reversing posting) when it
 * says failed.
 */
export class PayoutService {
  constructor(
    private readonly db: Database,
    private readonly provider: DisbursementProvider,
    private readonly log: Logger,
  ) {}

  /** The shop as a payout owner, when the subject owns it. */
  async shopOwner(subject: string, shopId: string): Promise<PayoutOwner> {
    const shop = (await this.db.selectFrom('shops').select('owner_subject').where('id', '=', shopId).executeTakeFirst()) as { owner_subject: string | null } | undefined;
    if (!shop) throw notFound('No such shop.');
    if (shop.owner_subject !== subject) throw forbidden('Only the shop owner may do this.');
    return { kind: 'shop', id: shopId, subject };
  }

  /** The subject's affiliate as a payout owner; 404 when they never enrolled. */
  async affiliateOwner(subject: string): Promise<PayoutOwner> {
    const affiliate = (await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirst()) as { id: string } | undefined;
    if (!affiliate) throw notFound('You are not enrolled as an affiliate.');
    return { kind: 'affiliate', id: affiliate.id, subject };
  }

  private findAccount(owner: PayoutOwner, bankCode: string, accountNumber: string) {
    return this.db
      .selectFrom('bank_accounts')
      .selectAll()
      .where(ownerColumn(owner), '=', owner.id)
      .where('bank_code', '=', bankCode)
      .where('account_number', '=', accountNumber)
      .executeTakeFirst() as Promise<BankAccountRow | undefined>;
  }

  async bankAccounts(owner: PayoutOwner) {
    const rows = (await this.db.selectFrom('bank_accounts').selectAll().where(ownerColumn(owner), '=', owner.id).orderBy('created_at').execute()) as BankAccountRow[];
    return { items: rows.map(bankAccountView) };
  }

  /** Saves an account only once the bank, through the provider, confirmed it and its holder. */
  async addBankAccount(owner: PayoutOwner, input: { bankCode: string; accountNumber: string; holderName: string }) {
    const existing = await this.findAccount(owner, input.bankCode, input.accountNumber);
    if (existing) return { created: false, account: bankAccountView(existing) };
    const checked = await this.provider.validateAccount(input.bankCode, input.accountNumber);
    if (!checked.ok) throw unprocessable('The bank could not confirm this account.', { accountNumber: [checked.reason] });
    if (comparable(checked.accountName) !== comparable(input.holderName)) {
      throw unprocessable('The holder’s name does not match the name the bank holds for this account.', { holderName: ['does not match the account holder'] });
    }
    const row = (await this.db
      .insertInto('bank_accounts')
      .values({
        id: uuidv7(), ...ownerValues(owner), bank_code: input.bankCode, account_number: input.accountNumber, holder_name: input.holderName,
        validated_name: checked.accountName, validated_at: new Date(),
      })
      .onConflict((oc) => oc.columns([ownerColumn(owner), 'bank_code', 'account_number']).where(ownerColumn(owner), 'is not', null).doNothing())
      .returningAll()
      .executeTakeFirst()) as BankAccountRow | undefined;
    if (row) return { created: true, account: bankAccountView(row) };
    // Saved meanwhile by a concurrent request for the same account.
    return { created: false, account: bankAccountView((await this.findAccount(owner, input.bankCode, input.accountNumber))!) };
  }

  async payouts(owner: PayoutOwner) {
    const rows = (await this.db.selectFrom('payouts').selectAll().where(ownerColumn(owner), '=', owner.id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(50).execute()) as PayoutRow[];
    return { items: rows.map(payoutView) };
  }

  /**
   * Withdraws from the owner's available balance (a shop's available, a creator's payable
   * commission). A repeat of an `Idempotency-Key` returns the first payout; more than is
   * available is a 409 naming what is.
   */
  async withdraw(owner: PayoutOwner, idempotencyKey: string, input: { amountIdr: number; bankAccountId: string }) {
    const column = ownerColumn(owner);
    const outcome = await this.db.transaction().execute(async (trx) => {
      await lockOwner(trx, owner);
      const earlier = (await trx.selectFrom('payouts').selectAll().where(column, '=', owner.id).where('idempotency_key', '=', idempotencyKey).executeTakeFirst()) as PayoutRow | undefined;
      if (earlier) {
        if (Number(earlier.amount_idr) !== input.amountIdr || earlier.bank_account_id !== input.bankAccountId) {
          throw unprocessable('This Idempotency-Key was used for a different withdrawal.', { 'Idempotency-Key': ['was used with another body'] });
        }
        return { created: false, payout: earlier };
      }
      const account = await trx.selectFrom('bank_accounts').select('id').where('id', '=', input.bankAccountId).where(column, '=', owner.id).executeTakeFirst();
      if (!account) {
        throw new HttpProblem(422, 'bank-account-not-validated', 'Bank account not validated', 'Withdraw only to one of your own bank accounts the bank has confirmed.', { bankAccountId: ['is not a validated account of yours'] });
      }
      const available = await availableOf(trx, owner);
      if (input.amountIdr > available) {
        throw new HttpProblem(409, 'insufficient-balance', 'Not enough available balance', `Only Rp ${Math.max(0, available).toLocaleString('id-ID')} is available to withdraw.`, { amountIdr: ['is more than the available balance'] }, undefined, { availableIdr: Math.max(0, available) });
      }
      const id = uuidv7();
      const payout = (await trx
        .insertInto('payouts')
        .values({ id, ...ownerValues(owner), bank_account_id: input.bankAccountId, amount_idr: input.amountIdr, idempotency_key: idempotencyKey, status: 'requested' })
        .returningAll()
        .executeTakeFirstOrThrow()) as PayoutRow;
      await post(trx, {
        key: `payout:${id}:requested`,
        kind: 'payout_requested',
        shopId: owner.kind === 'shop' ? owner.id : undefined,
        payoutId: id,
        lines: ownerMove(owner, 'available', 'processing', 'payout_requested', input.amountIdr),
      });
      // The job is the backstop if sending below is cut short; the provider's idempotency key
      // (the payout id) makes a second send the same payout.
      await enqueueJob(trx, SEND_PAYOUT_JOB, { payoutId: id }, { dedupeKey: `payout:${id}`, maxAttempts: 20, runAt: new Date(Date.now() + 60_000) });
      return { created: true, payout };
    });
    if (outcome.created) {
      await this.send(outcome.payout.id).catch((error: unknown) => this.log.warn({ err: error, payoutId: outcome.payout.id }, 'payout not sent yet; the job will retry'));
    }
    const latest = (await this.db.selectFrom('payouts').selectAll().where('id', '=', outcome.payout.id).executeTakeFirstOrThrow()) as PayoutRow;
    return { created: outcome.created, payout: payoutView(latest) };
  }

  /** Sends a requested payout to the provider; throws when it should be tried again. */
  async send(payoutId: string): Promise<void> {
    const row = (await this.db
      .selectFrom('payouts as p')
      .innerJoin('bank_accounts as b', 'b.id', 'p.bank_account_id')
      .select(['p.id', 'p.status', 'p.amount_idr', 'b.bank_code', 'b.account_number', 'b.validated_name'])
      .where('p.id', '=', payoutId)
      .executeTakeFirst()) as { id: string; status: string; amount_idr: number; bank_code: string; account_number: string; validated_name: string } | undefined;
    if (!row || row.status !== 'requested') return;
    const result = await this.provider.send({
      idempotencyKey: row.id,
      amountIdr: Number(row.amount_idr),
      bankCode: row.bank_code,
      accountNumber: row.account_number,
      holderName: row.validated_name,
      notes: `Sekat ${row.id.slice(0, 8)}`,
    });
    if (result.ok) {
      await this.db
        .updateTable('payouts')
        .set({ status: 'processing', provider_reference: result.reference, updated_at: sql`now()` })
        .where('id', '=', row.id)
        .where('status', '=', 'requested')
        .execute();
      return;
    }
    if (result.retry) throw new Error(`payout provider unavailable: ${result.code}`);
    this.log.warn({ payoutId: row.id, code: result.code }, 'payout refused by the provider');
    await this.db.transaction().execute((trx) => this.fail(trx, row.id, ['requested'], result.code, result.message));
  }

  /** A failed payout: its money goes back to available (or payable), by a reversing posting. */
  private async fail(trx: Transaction<AnyDB>, payoutId: string, from: PayoutRow['status'][], code: string, message: string): Promise<boolean> {
    const failed = (await trx
      .updateTable('payouts')
      .set({ status: 'failed', failure_code: code, failure_message: message.slice(0, 200), updated_at: sql`now()` })
      .where('id', '=', payoutId)
      .where('status', 'in', from)
      .returning(['id', 'shop_id', 'affiliate_id', 'amount_idr'])
      .executeTakeFirst()) as { id: string; shop_id: string | null; affiliate_id: string | null; amount_idr: number } | undefined;
    if (!failed) return false;
    await notifyPayoutOwner(trx, failed, { kind: 'payout_failed', targetType: 'payout', targetId: payoutId, data: { amountIdr: Number(failed.amount_idr), code } });
    await post(trx, {
      key: `payout:${payoutId}:failed`,
      kind: 'payout_failed',
      shopId: failed.shop_id ?? undefined,
      payoutId,
      lines: ownerMove(ownerOfRow(failed), 'processing', 'available', 'payout_failed', Number(failed.amount_idr)),
    });
    return true;
  }

  /**
   * A status notification from the provider, verified over its exact body. A repeat is a no-op;
   * a late or out-of-order one changes nothing once the payout has an outcome.
   */
  async receiveNotification(rawBody: string, signature: string | undefined): Promise<{ applied: boolean }> {
    if (!this.provider.verifyNotification(rawBody, signature)) throw unauthorized('The notification’s signature is not valid.');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      throw badRequest('The notification is not JSON.');
    }
    const reference = typeof body.reference_no === 'string' ? body.reference_no : undefined;
    const status = typeof body.status === 'string' ? body.status : undefined;
    if (!reference || !status) throw badRequest('The notification has no reference_no or status.');
    return this.db.transaction().execute(async (trx) => {
      const payout = (await trx.selectFrom('payouts').selectAll().where('provider_reference', '=', reference).forUpdate().executeTakeFirst()) as PayoutRow | undefined;
      if (!payout) throw notFound('No payout has this reference.');
      if (Number(body.amount) !== Number(payout.amount_idr)) throw unprocessable('The amount differs from the payout’s.', { amount: ['differs from the payout'] });
      const fingerprint = createHash('sha256').update(rawBody).digest('hex');
      const fresh = await trx
        .insertInto('payout_notifications')
        .values({ fingerprint, reference_no: reference, status, body: JSON.stringify(body) })
        .onConflict((oc) => oc.column('fingerprint').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!fresh) return { applied: false };
      if (status === 'completed') {
        const paid = await trx.updateTable('payouts').set({ status: 'paid', updated_at: sql`now()` }).where('id', '=', payout.id).where('status', '=', 'processing').returning('id').executeTakeFirst();
        if (!paid) return { applied: false };
        await notifyPayoutOwner(trx, payout, { kind: 'payout_paid', targetType: 'payout', targetId: payout.id, data: { amountIdr: Number(payout.amount_idr) } });
        await post(trx, {
          key: `payout:${payout.id}:paid`,
          kind: 'payout_paid',
          shopId: payout.shop_id ?? undefined,
          payoutId: payout.id,
          lines: ownerMove(ownerOfRow(payout), 'processing', 'paidOut', 'payout_paid', Number(payout.amount_idr)),
        });
        return { applied: true };
      }
      if (status === 'failed' || status === 'rejected') {
        const code = typeof body.error_code === 'string' ? body.error_code : status;
        const message = typeof body.error_message === 'string' ? body.error_message : 'The payout failed.';
        return { applied: await this.fail(trx, payout.id, ['processing'], code, message) };
      }
      return { applied: false };
    });
  }
}

export function sendPayoutJob(payouts: PayoutService) {
  return async (job: Job<PayoutSending>): Promise<void> => payouts.send(job.payload.payoutId);
}

export const sendPayoutJobType = defineJob<PayoutSending, PayoutService>(SEND_PAYOUT_JOB, sendPayoutJob);
