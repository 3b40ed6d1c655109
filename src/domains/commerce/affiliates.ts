import { randomBytes } from 'node:crypto';
import { UUID } from '../../platform/ids.js';
import { sql } from 'kysely';
import type { Database } from '../../platform/db.js';
import { notFound } from '../../platform/errors.js';
import { decodeCursor, pageOf } from '../../platform/http.js';

const MICROSECOND_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export class AffiliateService {
  constructor(private readonly db: Database) {}

  /** Enrols the caller as a creator affiliate; enrolling again returns the same id. */
  async enrol(subject: string): Promise<{ affiliateId: string }> {
    const id = `aff_${randomBytes(12).toString('base64url')}`;
    await this.db.insertInto('affiliates').values({ id, subject }).onConflict((oc) => oc.column('subject').doNothing()).execute();
    const row = (await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()) as { id: string };
    return { affiliateId: row.id };
  }

  /** The caller's affiliate id, or null when they have not enrolled. */
  async enrolment(subject: string): Promise<{ affiliateId: string | null }> {
    const row = (await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirst()) as { id: string } | undefined;
    return { affiliateId: row?.id ?? null };
  }

  /** Amounts, products, states and dates; nothing about who bought. */
  async commissions(subject: string, limit: number, cursor?: string) {
    const affiliate = (await this.db.selectFrom('affiliates').select('id').where('subject', '=', subject).executeTakeFirst()) as { id: string } | undefined;
    if (!affiliate) throw notFound('You are not enrolled as an affiliate.');
    // The cursor carries the timestamp as PostgreSQL prints it (microseconds), so it is exact.
    const position = decodeCursor(cursor, (v): v is { c: string; i: string } => typeof v.c === 'string' && MICROSECOND_INSTANT.test(v.c) && typeof v.i === 'string' && UUID.test(v.i));
    const rows = await sql<{ id: string; product_id: string; title: string; shop_id: string; shop_name: string; percent: number; amount_idr: number; state: string; created_at: Date; created_text: string; updated_at: Date }>`
      select c.id, c.product_id, p.title, c.shop_id, s.name as shop_name, c.percent, c.amount_idr, c.state, c.created_at,
        to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_text, c.updated_at
      from commissions c join products p on p.id = c.product_id join shops s on s.id = c.shop_id
      where c.affiliate_id = ${affiliate.id} ${position ? sql`and (c.created_at, c.id) < (${position.c}::timestamptz, ${position.i}::uuid)` : sql``}
      order by c.created_at desc, c.id desc limit ${limit + 1}`.execute(this.db);
    const totals = await sql<{ state: string; total: number }>`select state, coalesce(sum(amount_idr), 0)::bigint as total from commissions
      where affiliate_id = ${affiliate.id} group by state`.execute(this.db);
    const sum = (state: string) => totals.rows.find((t) => t.state === state)?.total ?? 0;
    return {
      affiliateId: affiliate.id,
      totals: { pendingIdr: sum('pending'), confirmedIdr: sum('confirmed'), reversedIdr: sum('reversed') },
      ...pageOf(
        rows.rows,
        limit,
        (r) => ({
          id: r.id,
          productId: r.product_id,
          productTitle: r.title,
          shopId: r.shop_id,
          shopName: r.shop_name,
          commissionPercent: r.percent,
          amountIdr: r.amount_idr,
          state: r.state,
          createdAt: new Date(r.created_at).toISOString(),
          updatedAt: new Date(r.updated_at).toISOString(),
        }),
        (r) => ({ c: r.created_text, i: r.id }),
      ),
    };
  }
}
