import { sql } from 'kysely';
import { UUID } from './uuid.js';
import type { Database } from '../../platform/db.js';
import { conflict, notFound, validationFailed } from '../../platform/errors.js';
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
      return { id, productId: line.product_id, lineId: line.id, rating: input.rating, text, createdAt: new Date().toISOString() };
    });
  }

  async forProduct(productId: string, limit: number, cursor?: string) {
    const position = decodeCursor(cursor, (v): v is { i: string } => typeof v.i === 'string' && UUID.test(v.i));
    let query = this.db.selectFrom('reviews').select(['id', 'rating', 'text', 'created_at']).where('product_id', '=', productId);
    if (position) query = query.where('id', '<', position.i);
    const rows = (await query.orderBy('id', 'desc').limit(limit + 1).execute()) as { id: string; rating: number; text: string; created_at: Date }[];
    return pageOf(rows, limit, (r) => ({ id: r.id, rating: r.rating, text: r.text, createdAt: new Date(r.created_at).toISOString() }), (r) => ({ i: r.id }));
  }
}
