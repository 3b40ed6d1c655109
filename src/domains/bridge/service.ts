import type { Logger } from 'pino';
import type { BridgeDatabase } from './store.js';
import { conflict, notFound } from '../../platform/errors.js';
import type { CommercePort, ProfileSeed, PromotionCheck, SocialPort, SubjectSet } from '../../contracts/ports.js';
import { ConsentLedger } from './consent/ledger.js';
import { purposeById } from './consent/purposes.js';

export const CREATOR_AFFILIATE = 'creator_affiliate';
export const PERSONALIZE = 'personalize_feed_with_purchases';
/** Below this many distinct attributed orders a video's order figures are withheld. */
export const MIN_ORDERS_SHOWN = 5;

export interface BridgePorts {
  social: SocialPort;
  commerce: CommercePort;
}

export class BridgeService {
  readonly consents: ConsentLedger;

  constructor(
    private readonly db: BridgeDatabase,
    private readonly ports: BridgePorts,
    private readonly log: Logger,
  ) {
    this.consents = new ConsentLedger(db);
  }

  /**
   * Grants or revokes a purpose and makes it take effect: the data flow it allows starts, or
   * stops and what was derived from it is deleted.
   */
  async setConsent(subjects: SubjectSet, purposeId: string, granted: boolean, seed?: ProfileSeed) {
    const purpose = purposeById(purposeId);
    if (!purpose) throw notFound(`There is no consent purpose "${purposeId}".`);
    if (purpose.id === CREATOR_AFFILIATE) {
      if (granted) await this.linkAffiliate(subjects, seed);
      else await this.unlinkAffiliate(subjects);
    } else if (purpose.id === PERSONALIZE) {
      if (granted) await this.startPersonalization(subjects);
      else await this.stopPersonalization(subjects);
    }
    return (await this.consents.list(subjects.bridge)).find((c) => c.purpose === purpose.id)!;
  }

  async linkAffiliate(subjects: SubjectSet, seed?: ProfileSeed): Promise<{ affiliateId: string }> {
    const affiliateId = await this.ports.commerce.affiliateIdOf(subjects.commerce);
    if (!affiliateId) {
      throw conflict('Enrol as a creator affiliate first (POST /api/commerce/affiliates), then link your profile.');
    }
    await this.ports.social.setAffiliateRef(subjects.social, affiliateId, seed);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('affiliate_links')
        .values({ subject: subjects.bridge, affiliate_id: affiliateId })
        .onConflict((oc) => oc.column('subject').doUpdateSet({ affiliate_id: affiliateId }))
        .execute();
      await this.consents.record(trx, subjects.bridge, purposeById(CREATOR_AFFILIATE)!, true);
    });
    return { affiliateId };
  }

  async unlinkAffiliate(subjects: SubjectSet): Promise<void> {
    // Stop the flow first: social forgets the affiliate id, so no new tag or token names it.
    await this.ports.social.setAffiliateRef(subjects.social, null);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('affiliate_links').where('subject', '=', subjects.bridge).execute();
      await this.consents.record(trx, subjects.bridge, purposeById(CREATOR_AFFILIATE)!, false);
    });
  }

  async affiliateLinkOf(bridgeSubject: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('affiliate_links').select('affiliate_id').where('subject', '=', bridgeSubject).executeTakeFirst();
    return row?.affiliate_id;
  }

  /**
   * May this creator tag this product? Their own shop's products always; another shop's only
   * while their profile is linked to their affiliate id (consent creator_affiliate).
   */
  async authorizeTag(subjects: SubjectSet, productId: string): Promise<PromotionCheck> {
    const check = await this.ports.commerce.mayPromote(subjects.commerce, productId);
    if (!check.allowed || check.ownShop) return check;
    if (!(await this.consents.isGranted(subjects.bridge, CREATOR_AFFILIATE))) {
      return { allowed: false, ownShop: false, reason: 'Link your creator profile to your affiliate account first (POST /api/creator/affiliate-link).' };
    }
    return check;
  }

  private async startPersonalization(subjects: SubjectSet): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('personalization_links')
        .values({ subject: subjects.bridge, social_subject: subjects.social, commerce_subject: subjects.commerce })
        .onConflict((oc) => oc.column('subject').doUpdateSet({ social_subject: subjects.social, commerce_subject: subjects.commerce }))
        .execute();
      await this.consents.record(trx, subjects.bridge, purposeById(PERSONALIZE)!, true);
    });
    await this.refreshPurchaseCategories(subjects.bridge);
  }

  private async stopPersonalization(subjects: SubjectSet): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('personalization_links').where('subject', '=', subjects.bridge).execute();
      await this.consents.record(trx, subjects.bridge, purposeById(PERSONALIZE)!, false);
    });
    // Delete what was derived: social forgets the categories at once.
    await this.ports.social.setPurchaseCategories(subjects.social, null);
  }

  /** Copies the purchase categories (only) to social, for one person or everyone who consented. */
  async refreshPurchaseCategories(bridgeSubject?: string): Promise<number> {
    let query = this.db.selectFrom('personalization_links').select(['subject', 'social_subject', 'commerce_subject']);
    if (bridgeSubject) query = query.where('subject', '=', bridgeSubject);
    const links = await query.execute();
    for (const link of links) {
      // Re-check the ledger: a revoke that raced this refresh must win.
      if (!(await this.consents.isGranted(link.subject, PERSONALIZE))) continue;
      const categories = await this.ports.commerce.purchaseCategories(link.commerce_subject);
      await this.ports.social.setPurchaseCategories(link.social_subject, categories);
      await this.db.updateTable('personalization_links').set({ refreshed_at: new Date() }).where('subject', '=', link.subject).execute();
    }
    this.log.debug({ count: links.length }, 'purchase categories refreshed');
    return links.length;
  }

  /**
   * One live of the creator after (or during) it: its viewers, comments, likes and product taps
   * from social; the orders attributed to it, with revenue and commission, from commerce. Order
   * figures are shown only from MIN_ORDERS_SHOWN distinct buyers on, so no buyer can be picked out.
   */
  async liveAnalytics(subjects: SubjectSet, liveId: string) {
    const live = await this.ports.social.liveStats(subjects.social, liveId);
    if (!live) throw notFound('No such live.');
    const affiliateId = await this.affiliateLinkOf(subjects.bridge);
    const from = new Date(live.startedAt ?? 0);
    const stats = affiliateId ? await this.ports.commerce.attributedStats(affiliateId, from, new Date(Date.now() + 1000)) : undefined;
    const sales = stats?.find((a) => a.videoId === liveId);
    const buyers = sales?.buyers ?? sales?.orders ?? 0;
    const withheld = buyers > 0 && buyers < MIN_ORDERS_SHOWN;
    return {
      ...live,
      linked: Boolean(affiliateId),
      minimumBuyersShown: MIN_ORDERS_SHOWN,
      attributedOrders: withheld ? `< ${MIN_ORDERS_SHOWN}` : (sales?.orders ?? 0),
      revenueIdr: withheld ? null : (sales?.revenueIdr ?? 0),
      commissionIdr: withheld ? null : (sales?.commissionIdr ?? 0),
    };
  }

  /**
   * Per video: views, completion and taps from social; attributed orders, revenue and commission
   * from commerce. Order figures are shown only from MIN_ORDERS_SHOWN distinct orders on.
   */
  async creatorAnalytics(subjects: SubjectSet, from: Date, to: Date) {
    const videos = await this.ports.social.creatorStats(subjects.social, from, to);
    const affiliateId = await this.affiliateLinkOf(subjects.bridge);
    const attributed = affiliateId ? await this.ports.commerce.attributedStats(affiliateId, from, to) : [];
    const byVideo = new Map(attributed.map((a) => [a.videoId, a]));
    const withheld = (orders: number) => orders > 0 && orders < MIN_ORDERS_SHOWN;
    const items = videos.map((video) => {
      const sales = byVideo.get(video.videoId);
      const orders = sales?.orders ?? 0;
      return {
        videoId: video.videoId,
        caption: video.caption,
        createdAt: video.createdAt,
        views: video.views,
        completionRate: video.completionRate,
        taps: video.taps,
        viewsByDay: video.viewsByDay,
        attributedOrders: withheld(orders) ? `< ${MIN_ORDERS_SHOWN}` : orders,
        revenueIdr: withheld(orders) ? null : (sales?.revenueIdr ?? 0),
        commissionIdr: withheld(orders) ? null : (sales?.commissionIdr ?? 0),
      };
    });
    const totalOrders = attributed.reduce((sum, a) => sum + a.orders, 0);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      linked: Boolean(affiliateId),
      minimumOrdersShown: MIN_ORDERS_SHOWN,
      totals: {
        views: videos.reduce((sum, v) => sum + v.views, 0),
        taps: videos.reduce((sum, v) => sum + v.taps, 0),
        attributedOrders: withheld(totalOrders) ? `< ${MIN_ORDERS_SHOWN}` : totalOrders,
        commissionIdr: withheld(totalOrders) ? null : attributed.reduce((sum, a) => sum + a.commissionIdr, 0),
      },
      items,
    };
  }
}
