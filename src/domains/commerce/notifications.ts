import { Type } from '@sinclair/typebox';
import type { Kysely, Transaction } from 'kysely';
import type { AnyDB } from '../../platform/db.js';
import { Inbox, NotificationHub, NotificationItemFields, storeNotifications, type InboxTables, type NotificationInput } from '../../platform/notifications.js';
import type { Actor, OrderAction, OrderStatus } from './orders/state.js';

/**
 * Commerce's notifications: to the buyer (their commerce pseudonym) and to a shop's owner, about
 * orders, returns, payouts and chat. Commerce never hears of social events and keeps nothing
 * social; the web client shows both inboxes together.
 */
export const COMMERCE_NOTIFICATION_KINDS = [
  'order_paid',
  'order_new',
  'order_shipped',
  'order_out_for_delivery',
  'order_delivered',
  'order_cancelled',
  'order_refunded',
  'order_return',
  'order_update',
  'payout_paid',
  'payout_failed',
  'chat_message',
] as const;
export type CommerceNotificationKind = (typeof COMMERCE_NOTIFICATION_KINDS)[number];

/** Streams in this process listen here; `notify` marks the recipients. */
export const commerceNotificationHub = new NotificationHub();
export const COMMERCE_NOTIFICATION_TABLES: InboxTables = { items: 'commerce_notifications', preferences: 'commerce_notification_preferences' };

export interface CommerceNotification extends Omit<NotificationInput, 'kind' | 'actor'> {
  kind: CommerceNotificationKind;
}

/**
 * Writes notifications in the caller's transaction (they exist exactly when their cause commits).
 * Anyone in commerce may call it: `notify(trx, { recipient, kind, targetType, targetId, data })`.
 */
export function notify(trx: Transaction<AnyDB> | Kysely<AnyDB>, notifications: CommerceNotification | CommerceNotification[]): Promise<number> {
  return storeNotifications(trx, commerceNotificationHub, COMMERCE_NOTIFICATION_TABLES, [notifications].flat());
}

/** The owner of a shop, to notify as its seller (none once the shop is closed). */
async function shopOf(trx: Transaction<AnyDB> | Kysely<AnyDB>, shopId: string): Promise<{ name: string; owner_subject: string | null } | undefined> {
  return (await trx.selectFrom('shops').select(['name', 'owner_subject']).where('id', '=', shopId).executeTakeFirst()) as { name: string; owner_subject: string | null } | undefined;
}

export async function notifyShopOwner(trx: Transaction<AnyDB> | Kysely<AnyDB>, shopId: string, notification: Omit<CommerceNotification, 'recipient'>): Promise<number> {
  const shop = await shopOf(trx, shopId);
  return notify(trx, { ...notification, recipient: shop?.owner_subject ?? null });
}

/** Tells whoever a payout belongs to: the shop's owner, or the creator behind an affiliate account. */
export async function notifyPayoutOwner(
  trx: Transaction<AnyDB> | Kysely<AnyDB>,
  owner: { shop_id: string | null; affiliate_id: string | null },
  notification: Omit<CommerceNotification, 'recipient'>,
): Promise<number> {
  if (owner.shop_id) return notifyShopOwner(trx, owner.shop_id, notification);
  if (!owner.affiliate_id) return 0;
  const affiliate = await trx.selectFrom('affiliates').select('subject').where('id', '=', owner.affiliate_id).executeTakeFirst();
  return notify(trx, { ...notification, recipient: (affiliate?.subject as string | null | undefined) ?? null });
}

interface MovedOrder {
  id: string;
  shop_id: string;
  buyer_subject: string | null;
  total_idr: number;
}

/**
 * What an order's move tells whom: the party who did not act hears of it (the buyer of payment,
 * shipping, delivery, cancellation, refunds; the seller of a new order, a cancellation or a
 * return). Moves this table does not name (returns being reworked add their own) still reach the
 * other party as `order_return` or `order_update`, so a new status never goes unannounced.
 */
export async function notifyOrderMove(
  trx: Transaction<AnyDB>, order: MovedOrder, from: OrderStatus, to: OrderStatus, action: OrderAction, actor: Actor,
): Promise<void> {
  const shop = await shopOf(trx, order.shop_id);
  const data = { from, status: to, action, shopName: shop?.name ?? '', totalIdr: Number(order.total_idr) };
  const buyer = (kind: CommerceNotificationKind): CommerceNotification => ({ recipient: order.buyer_subject, kind, targetType: 'order', targetId: order.id, data });
  const seller = (kind: CommerceNotificationKind): CommerceNotification => ({ recipient: shop?.owner_subject ?? null, kind, targetType: 'seller_order', targetId: order.id, data });
  const out: CommerceNotification[] = [];
  const wasOpenForSeller = from !== 'awaiting_payment';
  const returnMove = /return/.test(from) || /return/.test(to) || /return/.test(action);
  if (from === 'awaiting_payment' && (to === 'paid' || to === 'confirmed')) out.push(buyer('order_paid'), seller('order_new'));
  else if (to === 'shipped') out.push(buyer('order_shipped'));
  else if (to === 'delivered' && from === 'shipped') out.push(buyer('order_delivered'));
  else if (to === 'refunded') {
    if (actor !== 'buyer') out.push(buyer('order_refunded'));
    if (actor !== 'seller') out.push(seller('order_refunded'));
  } else if (to === 'cancelled' || to === 'expired') {
    if (actor !== 'buyer') out.push(buyer('order_cancelled'));
    if (actor !== 'seller' && wasOpenForSeller) out.push(seller('order_cancelled'));
  } else {
    const kind = returnMove ? 'order_return' : 'order_update';
    if (actor !== 'buyer') out.push(buyer(kind));
    if (actor !== 'seller' && wasOpenForSeller) out.push(seller(kind));
  }
  await notify(trx, out);
}

/**
 * A step of a return (accepted, refused, offered, shipped back, escalated, decided…) tells the side
 * that did not take it; the request itself is told by the order's own move.
 */
export async function notifyReturnStep(
  trx: Transaction<AnyDB>,
  step: { orderId: string; shopId: string; buyerSubject: string | null; state: string; action: string; actor: string; amountIdr?: number | null },
): Promise<void> {
  if (step.action === 'request') return;
  const shop = await shopOf(trx, step.shopId);
  const data = { status: 'return_requested', returnState: step.state, action: step.action, shopName: shop?.name ?? '', ...(step.amountIdr ? { amountIdr: step.amountIdr } : {}) };
  const out: CommerceNotification[] = [];
  if (step.actor !== 'buyer') out.push({ recipient: step.buyerSubject, kind: 'order_return', targetType: 'order', targetId: step.orderId, data });
  if (step.actor !== 'seller') out.push({ recipient: shop?.owner_subject ?? null, kind: 'order_return', targetType: 'seller_order', targetId: step.orderId, data });
  await notify(trx, out);
}

/** The courier says the parcel is out for delivery today. */
export function notifyOutForDelivery(trx: Transaction<AnyDB>, order: MovedOrder): Promise<number> {
  return notify(trx, { recipient: order.buyer_subject, kind: 'order_out_for_delivery', targetType: 'order', targetId: order.id, data: { status: 'out_for_delivery', totalIdr: Number(order.total_idr) } });
}

export const CommerceNotificationSchema = Type.Object(NotificationItemFields);

export function commerceInbox(db: Kysely<AnyDB>): Inbox {
  return new Inbox(db, { domain: 'commerce', tables: COMMERCE_NOTIFICATION_TABLES, kinds: COMMERCE_NOTIFICATION_KINDS, hub: commerceNotificationHub });
}
