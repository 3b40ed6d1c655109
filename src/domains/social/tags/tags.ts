import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { conflict, forbidden, notFound, unprocessable } from '../../../platform/errors.js';
import { signToken } from '../../../platform/tokens.js';
import { ATTRIBUTION_TTL_SECONDS, type AttributionClaims } from '../../../contracts/attribution.js';
import type { CreatorVideoStats, PromotionCheck } from '../../../contracts/ports.js';
import { CARD_COLUMNS, toCard, type ProductCard, type ProductCards } from './cards.js';
import type { TagsDb } from './store.js';

export const MAX_TAGS_PER_VIDEO = 5;

/** "Today" for daily counts is the Jakarta day. */
const JAKARTA_DAY = sql<string>`(now() at time zone 'Asia/Jakarta')::date`;

export class TagService {
  constructor(
    private readonly db: TagsDb,
    readonly cards: ProductCards,
    private readonly attributionKey: string,
    /** Drops cached ranking signals, so a granted or revoked consent counts at once. */
    private readonly onSignalsChanged: (subject: string) => void = () => undefined,
  ) {}

  private async videoOf(videoId: string) {
    const video = await this.db.selectFrom('videos').select(['id', 'author', 'status']).where('id', '=', videoId).executeTakeFirst();
    if (!video) throw notFound('No such video.');
    return video;
  }

  /**
   * Tags a product on the caller's own video. `authorize` asks the bridge whether the caller may
   * promote it (own shop, or a linked affiliate of a shop with a program).
   */
  async addTag(videoId: string, subject: string, productId: string, authorize: () => Promise<PromotionCheck>): Promise<ProductCard[]> {
    const video = await this.videoOf(videoId);
    if (video.author !== subject) throw notFound('No such video.');
    const card = await this.db.selectFrom('product_cards').select(['product_id', 'removed']).where('product_id', '=', productId).executeTakeFirst();
    if (!card || card.removed) throw notFound('No such product.');
    const check = await authorize();
    if (!check.allowed) throw forbidden(check.reason ?? 'You may not tag this product.');
    await this.db.transaction().execute(async (trx) => {
      // Serialises concurrent tagging of one video so the limit holds.
      await sql`select id from videos where id = ${videoId} for update`.execute(trx);
      const tags = await trx.selectFrom('video_product_tags').select(['product_id', 'position']).where('video_id', '=', videoId).execute();
      if (tags.some((t) => t.product_id === productId)) return;
      if (tags.length >= MAX_TAGS_PER_VIDEO) throw conflict(`A video can carry at most ${MAX_TAGS_PER_VIDEO} product tags.`);
      const position = Math.max(0, ...tags.map((t) => t.position + 1));
      await trx.insertInto('video_product_tags').values({ video_id: videoId, product_id: productId, position }).execute();
    });
    this.cards.forget(videoId);
    return (await this.cards.cardsFor([videoId])).get(videoId) ?? [];
  }

  async removeTag(videoId: string, subject: string, productId: string): Promise<void> {
    const video = await this.videoOf(videoId);
    if (video.author !== subject) throw notFound('No such video.');
    await this.db.deleteFrom('video_product_tags').where('video_id', '=', videoId).where('product_id', '=', productId).execute();
    this.cards.forget(videoId);
  }

  /**
   * A viewer taps a tag: the product card and, when the creator is linked as an affiliate, a
   * signed token naming the affiliate id, the video and the product — nothing about the viewer,
   * signed in or not. The tap is counted per video and day, without who tapped.
   */
  async open(videoId: string, productId: string, viewer?: string): Promise<{ attributionToken: string | null; product: ProductCard }> {
    const row = await this.db
      .selectFrom('video_product_tags as t')
      .innerJoin('videos as v', 'v.id', 't.video_id')
      .innerJoin('product_cards as c', 'c.product_id', 't.product_id')
      .leftJoin('creator_affiliate_refs as r', 'r.subject', 'v.author')
      .select([...CARD_COLUMNS, 'c.removed', 'r.affiliate_ref', 'v.status', 'v.moderation', 'v.age_gated', 'v.author'])
      .where('t.video_id', '=', videoId)
      .where('t.product_id', '=', productId)
      .executeTakeFirst();
    if (!row || row.removed || row.status !== 'ready' || row.moderation === 'removed') throw notFound('This video has no such product tag.');
    // A tap is the one person-to-person act on a tag (it credits the creator): not between two
    // people where either blocks the other, and not on an age-gated video the viewer may not watch.
    if (viewer && viewer !== row.author) {
      const { rows } = await sql<{ blocked: boolean; adult: boolean }>`
        select exists (select 1 from blocks where (blocker = ${viewer} and blocked = ${row.author}) or (blocker = ${row.author} and blocked = ${viewer})) as blocked,
          exists (select 1 from profiles where subject = ${viewer} and adult_confirmed_at is not null) as adult`.execute(this.db);
      if (rows[0]!.blocked) throw notFound('This video has no such product tag.');
      if (row.age_gated && !rows[0]!.adult) throw notFound('This video has no such product tag.');
    } else if (!viewer && row.age_gated) throw notFound('This video has no such product tag.');
    await sql`insert into tag_taps (video_id, day, taps) values (${videoId}, ${JAKARTA_DAY}, 1)
      on conflict (video_id, day) do update set taps = tag_taps.taps + 1`.execute(this.db);
    const claims: AttributionClaims | undefined = row.affiliate_ref
      ? { v: 1, aff: row.affiliate_ref, vid: videoId, pid: productId, exp: Math.floor(Date.now() / 1000) + ATTRIBUTION_TTL_SECONDS, n: randomBytes(9).toString('base64url') }
      : undefined;
    return {
      attributionToken: claims ? signToken(this.attributionKey, { ...claims }) : null,
      product: toCard(row),
    };
  }

  async setAffiliateRef(subject: string, affiliateRef: string | null): Promise<void> {
    if (affiliateRef === null) {
      await this.db.deleteFrom('creator_affiliate_refs').where('subject', '=', subject).execute();
      return;
    }
    const profile = await this.db.selectFrom('profiles').select('subject').where('subject', '=', subject).executeTakeFirst();
    if (!profile) throw unprocessable('Create your profile first: post, follow or open your profile once.');
    await this.db
      .insertInto('creator_affiliate_refs')
      .values({ subject, affiliate_ref: affiliateRef })
      .onConflict((oc) => oc.column('subject').doUpdateSet({ affiliate_ref: affiliateRef, linked_at: sql`now()` }))
      .execute();
  }

  /** Categories only, only under consent; null forgets them at once. */
  async setPurchaseCategories(subject: string, categories: string[] | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('viewer_purchase_categories').where('subject', '=', subject).execute();
      const clean = [...new Set((categories ?? []).filter((c) => typeof c === 'string' && c.length <= 40))];
      if (clean.length > 0) await trx.insertInto('viewer_purchase_categories').values(clean.map((category) => ({ subject, category }))).execute();
    });
    this.onSignalsChanged(subject);
  }

  /** The bridge-related data social holds about a person, for their export. */
  async exportOf(subject: string) {
    const ref = await this.db.selectFrom('creator_affiliate_refs').select(['affiliate_ref', 'linked_at']).where('subject', '=', subject).executeTakeFirst();
    return {
      affiliateLink: ref ? { affiliateId: ref.affiliate_ref, linkedAt: new Date(ref.linked_at).toISOString() } : null,
      purchaseCategories: await this.purchaseCategoriesOf(subject),
    };
  }

  async eraseOf(subject: string): Promise<void> {
    await this.db.deleteFrom('creator_affiliate_refs').where('subject', '=', subject).execute();
    await this.db.deleteFrom('viewer_purchase_categories').where('subject', '=', subject).execute();
    this.onSignalsChanged(subject);
  }

  async purchaseCategoriesOf(subject: string): Promise<string[]> {
    const rows = await this.db.selectFrom('viewer_purchase_categories').select('category').where('subject', '=', subject).execute();
    return rows.map((r) => r.category);
  }

  /** Counts per video of one creator in [from, to): views, completion, taps, views per day. */
  async creatorStats(subject: string, from: Date, to: Date): Promise<CreatorVideoStats[]> {
    const videos = await this.db
      .selectFrom('videos')
      .select(['id', 'caption', 'created_at'])
      .where('author', '=', subject)
      .orderBy('created_at', 'desc')
      .execute();
    if (videos.length === 0) return [];
    const ids = videos.map((v) => v.id);
    const views = await sql<{ video_id: string; day: string; views: number; completed: number }>`
      select video_id, to_char((created_at at time zone 'Asia/Jakarta')::date, 'YYYY-MM-DD') as day,
        count(*)::int as views, count(*) filter (where completed)::int as completed
      from watch_events where video_id in (${sql.join(ids)}) and created_at >= ${from} and created_at < ${to}
      group by 1, 2 order by 2`.execute(this.db);
    const taps = await sql<{ video_id: string; taps: number }>`
      select video_id, sum(taps)::int as taps from tag_taps
      where video_id in (${sql.join(ids)})
        and day >= (${from}::timestamptz at time zone 'Asia/Jakarta')::date
        and day < (${to}::timestamptz at time zone 'Asia/Jakarta')::date + 1
      group by video_id`.execute(this.db);
    return videos.map((video) => {
      const days = views.rows.filter((r) => r.video_id === video.id);
      const total = days.reduce((sum, d) => sum + d.views, 0);
      const completed = days.reduce((sum, d) => sum + d.completed, 0);
      return {
        videoId: video.id,
        caption: video.caption,
        createdAt: new Date(video.created_at).toISOString(),
        views: total,
        completionRate: total === 0 ? 0 : completed / total,
        taps: taps.rows.find((t) => t.video_id === video.id)?.taps ?? 0,
        viewsByDay: days.map((d) => ({ day: d.day, views: d.views })),
      };
    });
  }
}
