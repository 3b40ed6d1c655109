import { sql } from 'kysely';
import type { Database } from '../../platform/db.js';
import { ERASED, minimiseOrder } from './orders/transition.js';
import { CLOSED_STATUSES } from './orders/state.js';
import { publishProduct } from './catalog/events.js';
import { productViews } from './catalog/cache.js';
import type { ReviewPhotos } from './review-photos.js';
import type { ChatService } from './chat.js';
import type { ReturnService } from './returns/returns.js';
import type { Inbox } from '../../platform/notifications.js';

/**
 * What commerce holds about one commerce subject, for the bridge's privacy requests. Commerce
 * knows only the pairwise subject; the bridge maps it to the person.
 */
export class PrivacyService {
  constructor(
    private readonly db: Database,
    private readonly reviewPhotos: ReviewPhotos,
    private readonly chat: ChatService,
    private readonly returns: ReturnService,
    private readonly inbox: Inbox,
  ) {}

  async exportSubject(subject: string) {
    const db = this.db;
    const orders = await db.selectFrom('orders').selectAll().where('buyer_subject', '=', subject).orderBy('created_at').execute();
    const orderIds = orders.map((o) => o.id as string);
    const some = <T>(ids: string[], run: () => Promise<T[]>) => (ids.length ? run() : Promise.resolve([] as T[]));
    const ownShops = db.selectFrom('shops').select('id').where('owner_subject', '=', subject);
    const ownAffiliate = db.selectFrom('affiliates').select('id').where('subject', '=', subject);
    return {
      subject,
      exportedAt: new Date().toISOString(),
      shops: await db.selectFrom('shops').selectAll().where('owner_subject', '=', subject).execute(),
      cart: await db.selectFrom('cart_items').select(['variant_id', 'quantity', 'added_at']).where('subject', '=', subject).execute(),
      addresses: await db.selectFrom('addresses').selectAll().where('subject', '=', subject).orderBy('created_at').execute(),
      orders,
      orderLines: await some(orderIds, () => db.selectFrom('order_lines').selectAll().where('order_id', 'in', orderIds).execute()),
      orderEvents: await some(orderIds, () => db.selectFrom('order_events').selectAll().where('order_id', 'in', orderIds).orderBy('id').execute()),
      refunds: await some(orderIds, () => db.selectFrom('refunds').select(['order_id', 'amount_idr', 'status', 'created_at', 'sent_at']).where('order_id', 'in', orderIds).execute()),
      payments: await db.selectFrom('payments').select(['id', 'method', 'status', 'gross_amount_idr', 'refunded_idr', 'created_at', 'paid_at']).where('buyer_subject', '=', subject).execute(),
      latePayments: await db.selectFrom('late_payments').selectAll().where('payment_id', 'in', db.selectFrom('payments').select('id').where('buyer_subject', '=', subject)).execute(),
      followedShops: await db.selectFrom('shop_subscribers').select(['shop_id', 'created_at']).where('subject', '=', subject).orderBy('created_at').execute(),
      wishlist: await db.selectFrom('wishlist_items').select(['product_id', 'created_at']).where('subject', '=', subject).orderBy('created_at').execute(),
      reviews: await db.selectFrom('reviews').selectAll().where('subject', '=', subject).execute(),
      voucherRedemptions: await db.selectFrom('voucher_redemptions').selectAll().where('subject', '=', subject).execute(),
      flashDealPurchases: await db.selectFrom('flash_deal_buyers').select(['deal_id', 'quantity']).where('subject', '=', subject).execute(),
      affiliate: (await db.selectFrom('affiliates').selectAll().where('subject', '=', subject).executeTakeFirst()) ?? null,
      commissions: await sql`select c.* from commissions c join affiliates a on a.id = c.affiliate_id where a.subject = ${subject}`
        .execute(db)
        .then((r) => r.rows),
      // A seller's money: their shops' bank accounts, withdrawals and every ledger line on their accounts.
      bankAccounts: await db.selectFrom('bank_accounts').select(['id', 'shop_id', 'bank_code', 'account_number', 'holder_name', 'validated_name', 'validated_at']).where('shop_id', 'in', ownShops).execute(),
      payouts: await db.selectFrom('payouts').select(['id', 'shop_id', 'amount_idr', 'status', 'failure_code', 'created_at', 'updated_at']).where('shop_id', 'in', ownShops).orderBy('created_at').execute(),
      // Chat: the buyer's conversations with every message, and what the person's shops wrote.
      chat: await this.chat.exportOf(subject),
      // Returns the person asked for: reasons, every step and their own photos.
      returns: await this.returns.exportOf(subject),
      // The buyer's and the seller's notifications and which kinds they muted.
      ...(await this.inbox.exportOf(subject)),
      shopLedger: await db.selectFrom('ledger_lines').select(['id', 'shop_id', 'account', 'amount_idr', 'reason', 'order_id', 'payout_id', 'created_at']).where('shop_id', 'in', ownShops).orderBy('id').execute(),
      // A creator's money: the bank accounts, withdrawals and commission lines of their affiliate id.
      affiliateBankAccounts: await db.selectFrom('bank_accounts').select(['id', 'affiliate_id', 'bank_code', 'account_number', 'holder_name', 'validated_name', 'validated_at']).where('affiliate_id', 'in', ownAffiliate).execute(),
      affiliatePayouts: await db.selectFrom('payouts').select(['id', 'affiliate_id', 'amount_idr', 'status', 'failure_code', 'created_at', 'updated_at']).where('affiliate_id', 'in', ownAffiliate).orderBy('created_at').execute(),
      affiliateLedger: await db.selectFrom('ledger_lines').select(['id', 'affiliate_id', 'account', 'amount_idr', 'reason', 'order_id', 'payout_id', 'created_at']).where('affiliate_id', 'in', ownAffiliate).orderBy('id').execute(),
      // Stock sellers set aside for this creator to sell live (the shop's units, the creator's to use).
      creatorAllocations: await db.selectFrom('creator_allocations').selectAll().where('affiliate_id', 'in', ownAffiliate).orderBy('created_at').execute(),
    };
  }

  /**
   * Erasure: cart, address book, followed shops, wishlist and idempotency records go; closed orders stay for tax but lose
   * recipient, phone, address and the subject; open orders are marked and minimised when they
   * close. Reviews (without their photos), payments and the affiliate ledger stay, detached from the subject. The
   * person's shops close: their products leave sale (and the social side hears `product.removed`)
   * and the shop keeps no owner, so nobody can act for it. Their orders stay, for the buyers.
   * Chat: the buyer's own messages and photos go; the shop keeps its side, under "Pembeli #…" only.
   * Returns: unsent photos go; a closed order's return keeps its steps and amounts, without the
   * buyer's words, photos or subject (an open one is minimised with its order when it closes).
   */
  async eraseSubject(subject: string): Promise<{ closedOrdersMinimised: number; openOrdersPending: number; shopsClosed: number }> {
    const result = await this.db.transaction().execute(async (trx) => {
      const shops = (await trx.updateTable('shops').set({ owner_subject: null }).where('owner_subject', '=', subject).returning('id').execute()) as { id: string }[];
      const closedProducts = shops.length
        ? ((await trx
            .updateTable('products')
            .set({ removed_at: sql`now()` })
            .where('shop_id', 'in', shops.map((shop) => shop.id))
            .where('removed_at', 'is', null)
            .returning('id')
            .execute()) as { id: string }[])
        : [];
      if (closedProducts.length > 0) {
        const ids = closedProducts.map((p) => p.id);
        await trx.deleteFrom('cart_items').where('variant_id', 'in', trx.selectFrom('variants').select('id').where('product_id', 'in', ids)).execute();
        for (const id of ids) await publishProduct(trx, id);
      }
      if (shops.length > 0) {
        // The ledger and payouts stay (money law); the bank accounts keep only their last digits.
        await sql`update bank_accounts set account_number = right(account_number, 4), holder_name = ${ERASED}, validated_name = ${ERASED}
          where shop_id in (${sql.join(shops.map((shop) => shop.id))})`.execute(trx);
      }
      const chatPhotos = await this.chat.eraseOf(trx, subject);
      const returnPhotos = await this.returns.eraseOf(trx, subject);
      await this.inbox.eraseOf(trx, subject);
      await trx.deleteFrom('cart_items').where('subject', '=', subject).execute();
      await trx.deleteFrom('addresses').where('subject', '=', subject).execute();
      await trx.deleteFrom('shop_subscribers').where('subject', '=', subject).execute();
      await trx.deleteFrom('wishlist_items').where('subject', '=', subject).execute();
      await trx.deleteFrom('idempotency_keys').where('subject', '=', subject).execute();
      await trx.deleteFrom('voucher_redemptions').where('subject', '=', subject).execute();
      await trx.deleteFrom('flash_deal_buyers').where('subject', '=', subject).execute();
      const orders = (await trx.selectFrom('orders').select(['id', 'status']).where('buyer_subject', '=', subject).forUpdate().execute()) as { id: string; status: string }[];
      let closed = 0;
      let open = 0;
      for (const order of orders) {
        if (CLOSED_STATUSES.has(order.status as never)) {
          await minimiseOrder(trx, order.id);
          closed++;
        } else {
          await trx.updateTable('orders').set({ erase_pending: true }).where('id', '=', order.id).execute();
          open++;
        }
      }
      await trx
        .updateTable('payments')
        .set({ buyer_subject: null })
        .where('buyer_subject', '=', subject)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('orders').select('id').whereRef('orders.payment_id', '=', 'payments.id').where('orders.closed_at', 'is', null))),
        )
        .execute();
      // Reviews stay, detached; their photos (which may show the person or their home) go.
      const reviewed = (await trx.selectFrom('reviews').select('photo_urls').where('subject', '=', subject).forUpdate().execute()) as { photo_urls: string[] }[];
      await trx.updateTable('reviews').set({ subject: null, photo_urls: JSON.stringify([]) }).where('subject', '=', subject).execute();
      // A creator's commission ledger and payouts stay too; their bank accounts keep only the last digits.
      await sql`update bank_accounts set account_number = right(account_number, 4), holder_name = ${ERASED}, validated_name = ${ERASED}
        where affiliate_id in (select id from affiliates where subject = ${subject})`.execute(trx);
      await trx.updateTable('affiliates').set({ subject: null }).where('subject', '=', subject).execute();
      await trx.updateTable('stock_audit').set({ actor_subject: null }).where('actor_subject', '=', subject).execute();
      return {
        closedOrdersMinimised: closed,
        openOrdersPending: open,
        shopsClosed: shops.length,
        closedProducts: closedProducts.map((p) => p.id),
        photos: reviewed.flatMap((r) => r.photo_urls),
        chatPhotos,
        returnPhotos,
      };
    });
    productViews.forget(result.closedProducts);
    await this.reviewPhotos.remove(result.photos);
    await this.chat.removePhotos(result.chatPhotos);
    await this.returns.removeFiles(result.returnPhotos);
    return { closedOrdersMinimised: result.closedOrdersMinimised, openOrdersPending: result.openOrdersPending, shopsClosed: result.shopsClosed };
  }
}
