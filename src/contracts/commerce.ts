/**
 * Public product facts commerce publishes through its outbox for other domains to project (social
 * renders product tags from them). Public data only. `version` grows with every change to a
 * product, so a consumer keeps the highest it has seen and ignores older events.
 */
export const PRODUCT_UPSERTED = 'product.upserted';
export const PRODUCT_REMOVED = 'product.removed';

export interface ProductUpserted {
  id: string;
  shopId: string;
  shopName: string;
  title: string;
  /** One of commerce's fixed categories (e.g. fashion, kecantikan). */
  category: string;
  priceMinIdr: number;
  priceMaxIdr: number;
  imageUrl: string | null;
  inStock: boolean;
  externalUrl: string | null;
  version: number;
}

export interface ProductRemoved {
  id: string;
  shopId: string;
  version: number;
}

/** What a checkout would charge (`POST /api/commerce/checkout/quote`): per shop and in all. */
export interface CheckoutQuote {
  orders: { shopId: string; shopName: string; subtotalIdr: number; shippingIdr: number; discountIdr: number; shippingDiscountIdr: number; totalIdr: number }[];
  subtotalIdr: number;
  shippingIdr: number;
  /** Taken off the goods. */
  discountIdr: number;
  /** Taken off the shipping by a free-shipping (Gratis Ongkir) voucher. */
  shippingDiscountIdr: number;
  totalIdr: number;
}
