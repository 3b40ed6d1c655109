import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../../../platform/testing.js';
import type { Config } from '../../../platform/config.js';
import { HttpProblem } from '../../../platform/errors.js';
import { HARNESS_SELLER, openCommerceHarness, type CommerceHarness } from '../harness.js';
import { receiveNotification } from '../payments/ledger.js';
import { expirePayment } from '../payments/expire.job.js';

let config: Config;
let h: CommerceHarness;

beforeAll(async () => {
  config = testConfig();
  h = await openCommerceHarness(config);
});

afterAll(async () => {
  await h?.close();
  if (config) await disposeTestConfig(config);
});

type Op =
  | { kind: 'reserve'; quantity: number; buyer: number }
  | { kind: 'pay' | 'fail' | 'expire' | 'cancel'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reserve' as const), quantity: fc.integer({ min: 1, max: 4 }), buyer: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('pay' as const, 'fail' as const, 'expire' as const, 'cancel' as const), pick: fc.nat() }) },
);

/** Conflicts (out of stock, transition not allowed) are expected outcomes; anything else is a bug. */
async function tolerate(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof HttpProblem) || error.status !== 409) throw error;
  }
}

describe(`inventory model (${STORE_LABEL})`, () => {
  it('keeps stock ≥ 0, sold ≤ initial, stock + sold = initial and reserved = open reservations under random interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), async (initial, batches) => {
        const { variantId } = await h.seedVariant(initial);
        const payments: { paymentId: string; orderId: string; buyer: string; amount: number }[] = [];
        const run = async (o: Op) => {
          if (o.kind === 'reserve') {
            const buyer = `buyer-${o.buyer}`;
            await tolerate(async () => {
              const placed = await h.buy(buyer, variantId, o.quantity);
              payments.push({ paymentId: placed.body.payment.id, orderId: placed.body.order.id, buyer, amount: placed.body.payment.amountIdr });
            });
            return;
          }
          const target = payments[o.pick % Math.max(1, payments.length)];
          if (!target) return;
          if (o.kind === 'pay' || o.kind === 'fail') {
            await tolerate(() => receiveNotification(h.store.db, h.provider, h.provider.simulateNotification(target.paymentId, target.amount, o.kind === 'pay' ? 'paid' : 'failed')));
          } else if (o.kind === 'expire') {
            await expirePayment(h.store.db, target.paymentId, new Date(Date.now() + 48 * 3600_000));
          } else {
            // The buyer cancels an unpaid order; the seller cancels a paid one (it is restocked).
            await tolerate(() => h.orders.act(target.buyer, target.orderId, 'buyer_cancel'));
            await tolerate(() => h.orders.act(HARNESS_SELLER, target.orderId, 'seller_cancel'));
          }
        };
        for (const batch of batches) {
          // Operations in one batch run concurrently: on PostgreSQL they truly interleave.
          await Promise.all(batch.map(run));
          const state = (await sql<{ stock: number; reserved: number; sold: number; open: number; awaiting: number }>`
            select v.stock, v.reserved, v.sold,
              (select coalesce(sum(quantity), 0)::int from reservations r where r.variant_id = v.id and r.state = 'open') as open,
              (select coalesce(sum(l.quantity), 0)::int from order_lines l join orders o on o.id = l.order_id
                where l.variant_id = v.id and o.status = 'awaiting_payment') as awaiting
            from variants v where v.id = ${variantId}`.execute(h.store.db)).rows[0]!;
          expect(state.stock).toBeGreaterThanOrEqual(0);
          expect(state.reserved).toBeGreaterThanOrEqual(0);
          expect(state.reserved).toBeLessThanOrEqual(state.stock);
          expect(state.sold).toBeLessThanOrEqual(initial);
          expect(state.stock + state.sold).toBe(initial);
          expect(state.reserved).toBe(state.open);
          expect(state.reserved).toBe(state.awaiting);
        }
      }),
      { numRuns: 25 },
    );
  });
});
