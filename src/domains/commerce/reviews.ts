import { sql } from 'kysely';
import { UUID } from '../../platform/ids.js';
import type { Database } from '../../platform/db.js';
import { conflict, forbidden, notFound, validationFailed } from '../../platform/errors.js';
import { decodeCursor, pageOf } from '../../platform/http.js';
import { uuidv7 } from '../../platform/ids.js';

export class ReviewService {
  constructor(private readonly db: Database) {}

  /** Only the buyer of a completed order, once per line. */
  async review(subject: string, orderId: string, input: { rating: number; text: string; lineId?: string }) {
    const text = input.text.normalize('NFC').trim();
    if ([...text].length > 2000) throw validationFailed({ text: ['must be at most 2000 characters'] });
    return this.db.transaction().execute(async (trx) => {
      const order = (await trx.selectFrom('orders').select(['id', 'status', 'buyer_subject']).where('id', '=', orderId).executeTakeFirst()) as
        | { id: string; status: string; buyer_subject: string | null }
        | undefined;
      if (!order || order.buyer_subject !== subject) throw notFound('No such order.');
      if (order.status !== 'completed') throw conflict('Reviews open once the order is completed.', undefined, 'transition-not-allowed');
      const lines = (await trx.selectFrom('order_lines').select(['id', 'product_id']).where('order_id', '=', orderId).orderBy('id').execute()) as {
        id: string;
        product_id: string;
      }[];
      const line = input.lineId ? lines.find((l) => l.id === input.lineId) : lines.length === 1 ? lines[0] : undefined;
      if (!line) throw validationFailed({ lineId: [input.lineId ? 'is not a line of this order' : 'is needed: the order has several lines'] });
      const id = uuidv7();
      const inserted = await trx
        .insertInto('reviews')
        .values({ id, order_line_id: line.id, product_id: line.product_id, subject, rating: input.rating, text })
        .onConflict((oc) => oc.column('order_line_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) throw conflict('This item is already reviewed.', { lineId: ['already reviewed'] });
      await sql`update products set rating_sum = rating_sum + ${input.rating}, rating_count = rating_count + 1 where id = ${line.product_id}`.execute(trx);
      return { id, productId: line.product_id, lineId: line.id, rating: input.rating, text, photoUrls: [] as string[], createdAt: new Date().toISOString() };
    });
  }

  async forProduct(productId: string, limit: number, cursor?: string) {
    const position = decodeCursor(cursor, (v): v is { i: string } => typeof v.i === 'string' && UUID.test(v.i));
    let query = this.db
      .selectFrom('reviews')
      .select(['id', 'rating', 'text', 'photo_urls', 'seller_reply', 'seller_reply_at', 'created_at'])
      .where('product_id', '=', productId)
      .where('removed_at', 'is', null);
    if (position) query = query.where('id', '<', position.i);
    const rows = (await query.orderBy('id', 'desc').limit(limit + 1).execute()) as ReviewRow[];
    return pageOf(rows, limit, reviewView, (r) => ({ i: r.id }));
  }

  /** The shop's public reply to a review of one of its products: one per review, replaced when edited. */
  async reply(subject: string, reviewId: string, input: { text: string }) {
    const text = input.text.normalize('NFC').trim();
    if (!text) throw validationFailed({ text: ['must not be empty'] });
    if ([...text].length > 1000) throw validationFailed({ text: ['must be at most 1000 characters'] });
    const owner = (await sql<{ owner_subject: string | null }>`
      select s.owner_subject from reviews r join products p on p.id = r.product_id join shops s on s.id = p.shop_id where r.id = ${reviewId}`.execute(this.db)).rows[0];
    if (!owner) throw notFound('No such review.');
    if (owner.owner_subject !== subject) throw forbidden('Only the shop may reply to reviews of its products.');
    const row = (await this.db
      .updateTable('reviews')
      .set({ seller_reply: text, seller_reply_at: sql`now()` })
      .where('id', '=', reviewId)
      .returning(['id', 'rating', 'text', 'photo_urls', 'seller_reply', 'seller_reply_at', 'created_at'])
      .executeTakeFirstOrThrow()) as ReviewRow;
    return reviewView(row);
  }
}

interface ReviewRow {
  id: string;
  rating: number;
  text: string;
  photo_urls: string[];
  seller_reply: string | null;
  seller_reply_at: Date | null;
  created_at: Date;
}

const reviewView = (r: ReviewRow) => ({
  id: r.id,
  rating: r.rating,
  text: r.text,
  photoUrls: r.photo_urls,
  reply: r.seller_reply === null ? null : { text: r.seller_reply, at: new Date(r.seller_reply_at!).toISOString() },
  createdAt: new Date(r.created_at).toISOString(),
});
