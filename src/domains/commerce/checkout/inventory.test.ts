import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { STORE_LABEL } from '../../../platform/testing.js';
import { HttpProblem } from '../../../platform/errors.js';
import { HARNESS_SELLER, type CommerceHarness } from '../harness.js';
import { useCommerceHarness } from '../testkit.js';
import { receiveNotification } from '../payments/ledger.js';
import { expirePayment } from '../payments/expire.job.js';

let h: CommerceHarness;
useCommerceHarness((opened) => (h = opened));

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
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.array(
        fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 },
      ), async (initial, batches) => {
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
            await tolerate(async () => receiveNotification(h.store.db, h.provider, await h.provider.simulate(target.paymentId, target.amount, o.kind === 'pay' ? 'settlement' : 'deny')));
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
  it('all lines or none across several variants and shops, with no deadlock, under concurrent checkouts', async () => {
    const lineArb = fc.uniqueArray(
      fc.record({ v: fc.integer({ min: 0, max: 3 }), quantity: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 4, selector: (l) => l.v },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(
        fc.array(lineArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 },
      ), async (initial, batches) => {
        const variants = await h.seedVariants(2, initial);
        const placed: { paymentId: string; amount: number; lines: { v: number; quantity: number }[] }[] = [];
        for (const batch of batches) {
          await Promise.all(
            batch.map((lines, i) =>
              tolerate(async () => {
                // Shuffled order in the request: the service must still lock in one order.
                const items = (i % 2 ? [...lines].reverse() : lines).map((l) => ({ variantId: variants[l.v]!, quantity: l.quantity }));
                const result = await h.buyMany(`multi-${i}`, items);
                placed.push({ paymentId: result.body.payment.id, amount: result.body.payment.amountIdr, lines });
                expect(result.body.orders.length).toBe(new Set(lines.map((l) => (l.v < 2 ? 'a' : 'b'))).size);
              }),
            ),
          );
          // Pay half of them concurrently with the next batch's checkouts.
          await Promise.all(placed.splice(0, Math.ceil(placed.length / 2)).map((p) => tolerate(async () => receiveNotification(h.store.db, h.provider, await h.provider.simulate(p.paymentId, p.amount, 'settlement')))));
        }
        const rows = (await sql<{ id: string; stock: number; reserved: number; sold: number; open: number }>`
          select v.id, v.stock, v.reserved, v.sold,
            (select coalesce(sum(quantity), 0)::int from reservations r where r.variant_id = v.id and r.state = 'open') as open
          from variants v where v.id in (${sql.join(variants)})`.execute(h.store.db)).rows;
        for (const row of rows) {
          expect(row.stock).toBeGreaterThanOrEqual(0);
          expect(row.reserved).toBeLessThanOrEqual(row.stock);
          expect(row.stock + row.sold).toBe(initial);
          expect(row.reserved).toBe(row.open);
        }
        // Every order line has its reservation: nothing was reserved for a checkout that failed.
        const orphans = await sql<{ n: number }>`select count(*)::int as n from reservations r
          where r.variant_id in (${sql.join(variants)}) and not exists (select 1 from order_lines l where l.order_id = r.order_id and l.variant_id = r.variant_id)`.execute(h.store.db);
        expect(orphans.rows[0]!.n).toBe(0);
      }),
      { numRuns: 15 },
    );
  });
});
