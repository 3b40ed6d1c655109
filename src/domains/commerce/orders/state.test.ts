import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { STORE_LABEL } from '../../../platform/testing.js';
import { HttpProblem } from '../../../platform/errors.js';
import { type CommerceHarness } from '../harness.js';
import { useCommerceHarness } from '../testkit.js';
import { ACTION_ACTORS, ORDER_ACTIONS, ORDER_STATUSES, TRANSITIONS } from './state.js';
import { applyTransition, lockOrder } from './transition.js';

let h: CommerceHarness;
useCommerceHarness((opened) => (h = opened));

const pairs = ORDER_STATUSES.flatMap((status) => ORDER_ACTIONS.map((action) => [status, action, TRANSITIONS[status][action] ?? null] as const));

describe(`order state machine, every (state, action) pair (${STORE_LABEL})`, () => {
  it('has a row for every pair', () => {
    expect(pairs).toHaveLength(ORDER_STATUSES.length * ORDER_ACTIONS.length);
    // Every status but the closed ones can be left; every status is reachable.
    const reachable = new Set(['awaiting_payment', ...Object.values(TRANSITIONS).flatMap((t) => Object.values(t))]);
    expect([...reachable].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it.each(pairs)('%s + %s → %s', async (status, action, expected) => {
    const { variantId } = await h.seedVariant(5);
    const placed = await h.buy('buyer-subject', variantId, 1);
    const orderId = placed.body.order.id;
    // Put the order in the state under test, as if it got there by the machine.
    await sql`update orders set status = ${status}, delivered_at = ${status === 'delivered' || status === 'return_requested' ? new Date() : null} where id = ${orderId}`.execute(h.store.db);
    const attempt = h.store.db.transaction().execute(async (trx) => {
      const order = (await lockOrder(trx, orderId))!;
      return applyTransition(trx, order, action, ACTION_ACTORS[action][0]!);
    });
    if (expected === null) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpProblem);
      expect((error as HttpProblem).status).toBe(409);
      // Says in words what the order is and what cannot happen to it.
      expect((error as HttpProblem).detail).toMatch(/^This order is [a-z ]+: [a-z ]+\.$/);
      expect((error as HttpProblem).detail).not.toContain('_');
      const row = await h.store.db.selectFrom('orders').select('status').where('id', '=', orderId).executeTakeFirstOrThrow();
      expect(row.status).toBe(status);
    } else {
      expect(await attempt).toBe(expected);
      const events = await h.store.db.selectFrom('order_events').select(['from_status', 'to_status', 'action']).where('order_id', '=', orderId).orderBy('id').execute();
      expect(events.at(-1)).toEqual({ from_status: status, to_status: expected, action });
    }
  });
});
