import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { HttpProblem } from '../../../platform/errors.js';
import { openCommerceHarness, type CommerceHarness } from '../harness.js';
import { ACTION_ACTORS, TRANSITIONS, type OrderAction, type OrderStatus } from '../orders/state.js';
import { applyTransition, lockOrder } from '../orders/transition.js';
import { createLogger } from '../../../platform/log.js';
import { affiliateBalances, postOrderMove, releaseDueSettlements, shopBalances } from './ledger.js';
import { SandboxDisbursement } from './iris-sandbox.js';
import { PayoutService, type PayoutOwner } from './payouts.js';

let config: Config;
let h: CommerceHarness;
let disbursement: SandboxDisbursement;
let payouts: PayoutService;
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  config = testConfig();
  h = await openCommerceHarness(config);
  // Creators' withdrawals go through the Iris sandbox, whose signed notifications come back in.
  disbursement = new SandboxDisbursement();
  payouts = new PayoutService(h.store.db, disbursement, createLogger('silent'));
  disbursement.sandbox.deliver = async (n) => void (await payouts.receiveNotification(n.body, n.signature));
});

afterAll(async () => {
  await disbursement?.stop();
  await h?.close();
  if (config) await disposeTestConfig(config);
});

/** The actions a life may take; payment-side ones stand for what the gateway would send. */
const LIFE_ACTIONS: OrderAction[] = ['pay', 'ship', 'deliver', 'complete', 'request_return', 'refund_return', 'close_return', 'refund', 'seller_cancel', 'buyer_cancel', 'expire'];

/** A return closed with a partial refund gives back a third of the order (always less than escrow holds). */
const partialOf = (total: number) => Math.floor(total / 3);

async function act(orderId: string, action: OrderAction, replay: boolean, partial = false): Promise<boolean> {
  return h.store.db.transaction().execute(async (trx) => {
    const order = (await lockOrder(trx, orderId))!;
    if (!TRANSITIONS[order.status][action]) return false;
    const from = order.status;
    const partialRefundIdr = action === 'close_return' && partial ? partialOf(order.total_idr) : 0;
    const to = await applyTransition(trx, order, action, ACTION_ACTORS[action][0]!, { reason: 'uji', partialRefundIdr });
    // The same move heard again (a webhook redelivered, a job run twice) must post nothing more.
    if (replay) await postOrderMove(trx, order, from, to, partialRefundIdr);
    return true;
  }).catch((error: unknown) => {
    // A second return after a rejected one is refused by the machine: the life goes on without it.
    if (error instanceof HttpProblem && error.status === 409) return false;
    throw error;
  });
}

interface Model {
  escrow: number;
  pending: number;
  available: number;
  fees: number;
  refunds: number;
  gateway: number;
  commissionPending: number;
  commissionPayable: number;
  commissionPaidOut: number;
}

const empty = (): Model => ({
  escrow: 0, pending: 0, available: 0, fees: 0, refunds: 0, gateway: 0, commissionPending: 0, commissionPayable: 0, commissionPaidOut: 0,
});

const HAPPY_PATH: OrderAction[] = ['pay', 'ship', 'deliver', 'complete'];
const randomSteps = fc.array(
  fc.record({ action: fc.constantFrom(...LIFE_ACTIONS), replay: fc.boolean(), partial: fc.boolean() }), { minLength: 1, maxLength: 8 },
);

const life = fc.record({
  cod: fc.boolean(),
  quantity: fc.integer({ min: 1, max: 3 }),
  commissionPercent: fc.constantFrom(0, 5, 12, 50),
  // Random walks seldom reach completion, so half the lives start down the happy path first.
  steps: fc.oneof(
    randomSteps,
    fc.tuple(fc.integer({ min: 1, max: HAPPY_PATH.length }), randomSteps).map(
      ([n, rest]) => [...HAPPY_PATH.slice(0, n).map((action) => ({ action, replay: false, partial: false })), ...rest],
    ),
  ),
  // After the life, the creator withdraws a share of what is payable (more than all of it, at times),
  // to an account the bank pays or to one whose payouts fail.
  withdrawals: fc.array(fc.record({ share: fc.constantFrom(0.25, 0.5, 1, 1.5), fails: fc.boolean(), repeat: fc.boolean() }), { minLength: 1, maxLength: 3 }),
});

let modelAffiliates = 0;

describe(`seller and creator ledger across random order lives (${STORE_LABEL})`, () => {
  it('balances every posting to zero and matches a model of the money', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(life, { minLength: 1, maxLength: 3 }), fc.boolean(), async (lives, timePasses) => {
        const { variantId, shopId } = await h.seedVariant(20, 37_500);
        const model = empty();
        // A creator of their own per run, so their balances are this run's alone.
        const affiliateId = `aff-ledger-model-${process.pid}-${++modelAffiliates}`;
        await h.store.db.insertInto('affiliates').values({ id: affiliateId, subject: `creator-subject-${modelAffiliates}` }).execute();
        const creator: PayoutOwner = { kind: 'affiliate', id: affiliateId };
        const paysOut = (await payouts.addBankAccount(creator, { bankCode: 'bca', accountNumber: '1234567890', holderName: 'Budi Santoso' })).account.id;
        const blocked = (await payouts.addBankAccount(creator, { bankCode: 'bri', accountNumber: '5555000012', holderName: 'Andi Wijaya' })).account.id;
        for (const spec of lives) {
          const placed = await h.buy('buyer-subject', variantId, spec.quantity, spec.cod ? 'cod' : 'va_bca');
          const orderId = placed.body.order.id as string;
          // As if the buyer came through a creator's attributed tag.
          if (spec.commissionPercent > 0) {
            await sql`update order_lines set affiliate_id = ${affiliateId}, commission_percent = ${spec.commissionPercent} where order_id = ${orderId}`.execute(h.store.db);
            if (spec.cod) {
              await sql`insert into commissions (id, affiliate_id, order_id, order_line_id, shop_id, product_id, percent, amount_idr, state)
                select gen_random_uuid(), affiliate_id, order_id, id, ${shopId}, product_id, commission_percent, line_total_idr * commission_percent / 100, 'pending'
                from order_lines where order_id = ${orderId}`.execute(h.store.db);
            }
          }
          const order = await h.store.db.selectFrom('orders').select(['total_idr', 'subtotal_idr', 'discount_idr']).where('id', '=', orderId).executeTakeFirstOrThrow();
          const total = Number(order.total_idr);
          const commission = spec.commissionPercent > 0 ? Math.floor((37_500 * spec.quantity * spec.commissionPercent) / 100) : 0;
          const fee = Math.floor((Math.max(0, Number(order.subtotal_idr) - Number(order.discount_idr)) * 500) / 10_000);
          let escrowed = false;
          const escrow = () => {
            if (escrowed) return;
            escrowed = true;
            model.gateway -= total;
            model.escrow += total - commission;
            model.commissionPending += commission;
          };
          for (const step of spec.steps) {
            const before = (await h.store.db.selectFrom('orders').select('status').where('id', '=', orderId).executeTakeFirstOrThrow()).status as OrderStatus;
            if (!(await act(orderId, step.action, step.replay, step.partial))) continue;
            const after = TRANSITIONS[before][step.action]!;
            if (after === 'paid' || after === 'delivered') escrow();
            if (after === 'completed') {
              escrow();
              // A return closed with a partial refund: that part goes to the buyer, the rest settles.
              const partial = step.action === 'close_return' && step.partial ? partialOf(total) : 0;
              const feeNow = partial > 0 ? Math.floor((Math.max(0, Number(order.subtotal_idr) - Number(order.discount_idr) - partial) * 500) / 10_000) : fee;
              model.escrow -= total - commission;
              model.refunds += partial;
              model.pending += total - commission - partial - feeNow;
              model.fees += feeNow;
              model.commissionPending -= commission;
              model.commissionPayable += commission;
            }
            if (after === 'refunded' && escrowed) {
              model.commissionPending -= commission;
              model.escrow += commission - total;
              model.refunds += total;
            }
          }
          for (const [i, withdrawal] of spec.withdrawals.entries()) {
            const amountIdr = Math.floor(model.commissionPayable * withdrawal.share);
            if (amountIdr <= 0) continue;
            const key = `w-${orderId}-${i}`;
            const ask = () => payouts.withdraw(creator, key, { amountIdr, bankAccountId: withdrawal.fails ? blocked : paysOut });
            if (amountIdr > model.commissionPayable) {
              await expect(ask()).rejects.toMatchObject({ status: 409, extensions: { availableIdr: model.commissionPayable } });
              continue;
            }
            const first = await ask();
            // The same request again is the same payout, never a second one.
            if (withdrawal.repeat) expect((await ask()).payout.id).toBe(first.payout.id);
            await disbursement.sandbox.settled();
            const status = (await h.store.db.selectFrom('payouts').select('status').where('id', '=', first.payout.id).executeTakeFirstOrThrow()).status;
            expect(status).toBe(withdrawal.fails ? 'failed' : 'paid');
            // A failed payout's money is back in payable; a paid one has left it.
            if (!withdrawal.fails) {
              model.commissionPayable -= amountIdr;
              model.commissionPaidOut += amountIdr;
            }
          }
          if (timePasses) {
            // The settlement job's clock, run 10 days ahead: every completed order's D+3 has come.
            await releaseDueSettlements(h.store.db, new Date(Date.now() + 10 * DAY));
          }
        }
        if (timePasses) {
          model.available += model.pending;
          model.pending = 0;
        }
        const balances = await shopBalances(h.store.db, shopId);
        expect(balances).toEqual({
          shop_escrow: model.escrow, shop_pending: model.pending, shop_available: model.available, shop_payout_processing: 0, shop_paid_out: 0,
        });
        expect(await affiliateBalances(h.store.db, affiliateId)).toEqual({
          affiliate_commission_pending: model.commissionPending,
          affiliate_commission_payable: model.commissionPayable,
          affiliate_payout_processing: 0,
          affiliate_paid_out: model.commissionPaidOut,
        });
        const unbalanced = await sql`select posting_id from ledger_lines group by posting_id having sum(amount_idr) <> 0`.execute(h.store.db);
        expect(unbalanced.rows).toEqual([]);
        const platform = await sql<{ account: string; total: number }>`select l.account, sum(l.amount_idr)::bigint as total from ledger_lines l
          join ledger_postings p on p.id = l.posting_id where p.shop_id = ${shopId} and l.shop_id is null group by l.account`.execute(h.store.db);
        const of = (account: string) => Number(platform.rows.find((row) => row.account === account)?.total ?? 0);
        expect({ gateway: of('platform_gateway'), fees: of('platform_fee_income'), refunds: of('platform_buyer_refunds'), pending: of('affiliate_commission_pending'), payable: of('affiliate_commission_payable') }).toEqual({
          gateway: model.gateway,
          fees: model.fees,
          refunds: model.refunds,
          pending: model.commissionPending,
          // The commission the shop's orders made payable, less what the creator has since been paid.
          payable: model.commissionPayable + model.commissionPaidOut,
        });
        const whole = await sql<{ total: number }>`select coalesce(sum(amount_idr), 0)::bigint as total from ledger_lines`.execute(h.store.db);
        expect(Number(whole.rows[0]!.total)).toBe(0);
      }),
      { numRuns: process.env.DATABASE_URL ? 12 : 20 },
    );
    const whole = await sql<{ total: number }>`select coalesce(sum(amount_idr), 0)::bigint as total from ledger_lines`.execute(h.store.db);
    expect(Number(whole.rows[0]!.total)).toBe(0);
  }, 240_000);

  it('refuses to change or delete a line, or to commit a posting that does not balance', async () => {
    const { variantId } = await h.seedVariant(5);
    const placed = await h.buy('buyer-subject', variantId, 1);
    await act(placed.body.order.id, 'pay', false);
    const line = await h.store.db.selectFrom('ledger_lines').select('id').where('order_id', '=', placed.body.order.id).executeTakeFirstOrThrow();
    await expect(sql`update ledger_lines set amount_idr = 1 where id = ${line.id}`.execute(h.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_lines where id = ${line.id}`.execute(h.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_postings`.execute(h.store.db)).rejects.toThrow(/append-only/);
    await expect(
      h.store.db.transaction().execute(async (trx) => {
        await sql`insert into ledger_postings (id, key, kind) values (gen_random_uuid(), 'lopsided', 'test')`.execute(trx);
        await sql`insert into ledger_lines (posting_id, account, amount_idr, reason) select id, 'platform_fee_income', 5, 'platform_fee' from ledger_postings where key = 'lopsided'`.execute(trx);
      }),
    ).rejects.toThrow(/does not balance/);
    expect(await h.store.db.selectFrom('ledger_postings').select('id').where('key', '=', 'lopsided').execute()).toEqual([]);
  });
});
