/**
 * The narrow, typed calls the bridge makes into the other domains. The composition root wires
 * them to each domain's instance in one process; scaled out they are internal HTTP endpoints with
 * the same shapes. Every call takes only the pseudonymous subject of the domain it goes to.
 */

/** One person's subject in every domain, known only to the composition root and the bridge. */
export interface SubjectSet {
  /** The identity account id. */
  identity: string;
  social: string;
  commerce: string;
  bridge: string;
}

/** A domain's part of a personal-data export: JSON data and the files that belong to it. */
export interface DomainExport {
  data: unknown;
  files?: { path: string; name: string }[];
}

export interface PrivacyPort {
  exportSubject(subject: string): Promise<DomainExport>;
  /** Idempotent: erasing twice is the same as erasing once. Resolves to what it did, where the domain says (commerce does). */
  eraseSubject(subject: string): Promise<unknown>;
}

export interface IdentityPort extends PrivacyPort {
  /** Refuses sign-in and revokes every session at once; the erasure itself follows later. */
  beginErasure(accountId: string): Promise<void>;
}

export interface PromotionCheck {
  allowed: boolean;
  /** Why not, in words a creator can act on. */
  reason?: string;
  /** The product belongs to the caller's own shop. */
  ownShop: boolean;
}

/** Per attributed video (or live): distinct orders and buyers, revenue and commission (no buyer data). */
export interface AttributedVideoStats {
  videoId: string;
  orders: number;
  /** How many different buyers; what the k ≥ 5 withholding rule counts for a live. */
  buyers?: number;
  revenueIdr: number;
  commissionIdr: number;
}

export interface OpenOrders {
  asBuyer: number;
  asSeller: number;
}

/** Which offer a live's host drops: a voucher of their shop by its code, or a flash deal of their shop. */
export type LiveOfferRef = { kind: 'voucher'; code: string } | { kind: 'flash'; dealId: string };

/** The public facts of an offer, as a shop shows it to every buyer: what social may keep to show it in a live room. */
export type LiveOffer =
  | {
      kind: 'voucher';
      id: string;
      shopId: string;
      code: string;
      voucherKind: 'fixed' | 'percent' | 'shipping';
      value: number;
      maxDiscountIdr: number | null;
      minSpendIdr: number;
      startsAt: string;
      endsAt: string;
    }
  | {
      kind: 'flash';
      id: string;
      shopId: string;
      productId: string;
      variantName: string;
      dealPriceIdr: number;
      normalPriceIdr: number;
      allocation: number;
      perBuyerLimit: number;
      announceAt: string;
      startsAt: string;
      endsAt: string;
    };

/** What a commerce erasure did: closed orders kept but minimised, open ones left to finish, shops closed. */
export interface CommerceErasure {
  closedOrdersMinimised: number;
  openOrdersPending: number;
  shopsClosed: number;
}

export interface CommercePort extends PrivacyPort {
  /** Idempotent, as every erasure; says what it did. */
  eraseSubject(subject: string): Promise<CommerceErasure>;
  /** A voucher or flash deal of a shop this person owns, not yet over; undefined otherwise. */
  liveOffer(commerceSubject: string, ref: LiveOfferRef): Promise<LiveOffer | undefined>;
  /** The caller's affiliate id if they enrolled as a creator affiliate. */
  affiliateIdOf(commerceSubject: string): Promise<string | undefined>;
  /** May this person promote this product (own shop, or an affiliate of a shop with a program)? */
  mayPromote(commerceSubject: string, productId: string): Promise<PromotionCheck>;
  /** The categories of what this person bought (nothing else): for consented personalisation. */
  purchaseCategories(commerceSubject: string): Promise<string[]>;
  /** Orders not yet closed, bought by this person or sold by their shops: what an erasure would leave open. */
  openOrders(commerceSubject: string): Promise<OpenOrders>;
  /** Aggregates of orders attributed to this affiliate, per video, in [from, to). */
  attributedStats(affiliateId: string, from: Date, to: Date): Promise<AttributedVideoStats[]>;
}

/** Per video of one creator: counts only. */
export interface CreatorVideoStats {
  videoId: string;
  caption: string;
  createdAt: string;
  views: number;
  completionRate: number;
  taps: number;
  /** Views per day (Asia/Jakarta date) in the period. */
  viewsByDay: { day: string; views: number }[];
}

/** The public handle and display name a signed-in person shows; social seeds a profile from them. */
export interface ProfileSeed {
  handle: string;
  displayName: string;
}

/** A live's figures for its host, from social alone (commerce's are added by the bridge). */
export interface LiveStats {
  liveId: string;
  title: string;
  status: 'scheduled' | 'live' | 'ended';
  startedAt: string | null;
  endedAt: string | null;
  peakViewers: number;
  totalViewers: number;
  comments: number;
  likes: number;
  productTaps: number;
}

export interface SocialPort extends PrivacyPort {
  /** The host's own figures of one of their lives; undefined when it is not theirs. */
  liveStats(socialSubject: string, liveId: string): Promise<LiveStats | undefined>;
  /**
   * Records (or clears, with null) the creator's affiliate id as an opaque reference. Linking is a
   * social act like posting or following, so with a seed it creates the profile on first use.
   */
  setAffiliateRef(socialSubject: string, affiliateId: string | null, seed?: ProfileSeed): Promise<void>;
  /** Purchase categories for feed ranking under consent; null deletes them. */
  setPurchaseCategories(socialSubject: string, categories: string[] | null): Promise<void>;
  creatorStats(socialSubject: string, from: Date, to: Date): Promise<CreatorVideoStats[]>;
}
