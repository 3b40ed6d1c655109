import { conflict } from '../../../platform/errors.js';

/**
 * One state machine for every order. COD orders skip prepayment: checkout confirms them
 * (`confirmed`) and the courier collects the cash on delivery.
 */
export const ORDER_STATUSES = [
  'awaiting_payment',
  'confirmed',
  'paid',
  'shipped',
  'delivered',
  'return_requested',
  'completed',
  'cancelled',
  'expired',
  'refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_ACTIONS = [
  'confirm_cod',
  'pay',
  'fail_payment',
  'expire',
  'buyer_cancel',
  'seller_cancel',
  'ship',
  'deliver',
  'complete',
  'request_return',
  'refund_return',
  'close_return',
  'refund',
  'courier_return',
] as const;
export type OrderAction = (typeof ORDER_ACTIONS)[number];

export type Actor = 'buyer' | 'seller' | 'system' | 'provider' | 'operator';

/** Who may take each action. */
export const ACTION_ACTORS: Record<OrderAction, Actor[]> = {
  confirm_cod: ['system'],
  pay: ['provider'],
  fail_payment: ['provider'],
  expire: ['system', 'provider'],
  buyer_cancel: ['buyer'],
  // The system cancels an order the seller did not ship in time.
  seller_cancel: ['seller', 'system'],
  ship: ['seller'],
  // Delivery is the courier's word (its tracking), never the seller's.
  deliver: ['provider'],
  complete: ['buyer', 'system'],
  // The return's own steps (returns.ts) decide these; the order hears only how the return ended.
  request_return: ['buyer'],
  refund_return: ['system', 'provider', 'operator'],
  close_return: ['buyer', 'system', 'operator'],
  refund: ['provider'],
  courier_return: ['provider'],
};

export const TRANSITIONS: Record<OrderStatus, Partial<Record<OrderAction, OrderStatus>>> = {
  awaiting_payment: { confirm_cod: 'confirmed', pay: 'paid', fail_payment: 'cancelled', expire: 'expired', buyer_cancel: 'cancelled' },
  // Seller cancels before shipping; a paid order's money goes back.
  confirmed: { ship: 'shipped', buyer_cancel: 'cancelled', seller_cancel: 'cancelled' },
  paid: { ship: 'shipped', seller_cancel: 'refunded', refund: 'refunded' },
  // A parcel the courier brings back to the seller is refunded to the buyer.
  shipped: { deliver: 'delivered', refund: 'refunded', courier_return: 'refunded' },
  delivered: { complete: 'completed', request_return: 'return_requested', refund: 'refunded' },
  // While a return is open the order waits: refunded in full, or completed (a partial refund, a
  // refusal that stands, a return never sent back).
  return_requested: { refund_return: 'refunded', close_return: 'completed', refund: 'refunded' },
  completed: {},
  cancelled: {},
  expired: {},
  refunded: {},
};

export const CLOSED_STATUSES: ReadonlySet<OrderStatus> = new Set(['completed', 'cancelled', 'expired', 'refunded']);

/** What a refused action would have done, for the problem's detail. */
const REFUSED: Record<OrderAction, string> = {
  confirm_cod: 'it cannot be confirmed for cash on delivery',
  pay: 'it cannot be paid',
  fail_payment: 'its payment cannot fail now',
  expire: 'it cannot expire',
  buyer_cancel: 'the buyer cannot cancel it',
  seller_cancel: 'the seller cannot cancel it',
  ship: 'it cannot be shipped',
  deliver: 'it cannot be marked delivered',
  complete: 'it cannot be completed',
  request_return: 'a return cannot be requested',
  refund_return: 'there is no open return to refund',
  close_return: 'there is no open return to close',
  refund: 'it cannot be refunded',
  courier_return: 'it is not on its way',
};

/** The status an action leads to, or a 409 problem when the machine does not allow it. */
export function nextStatus(status: OrderStatus, action: OrderAction): OrderStatus {
  const next = TRANSITIONS[status][action];
  if (!next) {
    const state = status === 'return_requested' ? 'waiting on a return' : status.replace(/_/g, ' ');
    throw conflict(`This order is ${state}: ${REFUSED[action]}.`, undefined, 'transition-not-allowed');
  }
  return next;
}
