export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Shop {
  id: string;
  name: string;
  slug: string;
  description: string;
  city: string;
  province: string;
  commissionPercent: number;
  createdAt: string;
}

export type VoucherKind = 'fixed' | 'percent' | 'shipping';

/** A voucher as its issuer sees it: a shop's (shopId set) or the platform's (shopId null). */
export interface Voucher {
  id: string;
  code: string;
  shopId: string | null;
  kind: VoucherKind;
  value: number;
  maxDiscountIdr: number | null;
  minSpendIdr: number;
  startsAt: string;
  endsAt: string;
  quota: number;
  used: number;
}

export interface Variant {
  id: string;
  sku: string;
  name: string;
  priceIdr: number;
  stock: number;
  available: number;
  weightGrams: number;
}

export interface ProductSummary {
  id: string;
  shopId: string;
  shopName: string;
  shopSlug: string;
  title: string;
  category: string;
  priceMinIdr: number;
  priceMaxIdr: number;
  imageUrl: string | null;
  externalUrl: string | null;
  inStock: boolean;
  rating: { average: number | null; count: number };
  createdAt: string;
}

export interface Product extends ProductSummary {
  description: string;
  imageUrls: string[];
  variants: Variant[];
}

export interface Review {
  id: string;
  rating: number;
  text: string;
  photoUrls: string[];
  /** The shop's public reply. */
  reply: { text: string; at: string } | null;
  createdAt: string;
}

export interface CartItem {
  variantId: string;
  productId: string;
  shopId: string;
  shopName: string;
  title: string;
  variantName: string;
  imageUrl: string | null;
  unitPriceIdr: number;
  /** The variant's normal price; the unit price is below it only while a flash deal's window is open. */
  normalPriceIdr: number;
  flashDealEndsAt: string | null;
  quantity: number;
  available: number;
  lineTotalIdr: number;
  hasAttribution: boolean;
}

export interface Cart {
  items: CartItem[];
  subtotalIdr: number;
}

export interface CheckoutOptions {
  couriers: { code: string; name: string; service: string; priceIdr: number; etaDays: number }[];
  paymentMethods: { code: string; name: string; kind: string }[];
}

/** What a checkout would charge: per shop and in all, voucher included (the server's own type). */
export type { CheckoutQuote as Quote } from '../../../src/contracts/commerce';
import type { FeedReason } from '../../../src/contracts/social';

export interface Address {
  recipient: string;
  phone: string;
  line1: string;
  city: string;
  province: string;
  postalCode: string;
}

/** An entry of the buyer's address book. */
export interface AddressEntry extends Address {
  id: string;
  label: string;
  isDefault: boolean;
  lastUsedAt: string | null;
}

export interface OrderLine {
  id: string;
  variantId: string;
  productId: string;
  title: string;
  variantName: string;
  sku: string;
  unitPriceIdr: number;
  quantity: number;
  lineTotalIdr: number;
  attributed: boolean;
  /** The product's cover photo, in order lists and details. */
  imageUrl?: string | null;
}

export interface Order {
  id: string;
  shopId: string;
  paymentId: string;
  status: string;
  subtotalIdr: number;
  shippingIdr: number;
  discountIdr: number;
  shippingDiscountIdr: number;
  totalIdr: number;
  courier: string;
  trackingNumber: string | null;
  shippingAddress: Address;
  lines: OrderLine[];
  returnReason: string | null;
  createdAt: string;
  paidAt: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  closedAt: string | null;
}

export interface OrderDetail extends Order {
  payment: { id: string; method: string; status: string };
  /** Money going back to the buyer through the payment gateway. */
  refund: { amountIdr: number; status: 'requested' | 'sent' | 'failed'; requestedAt: string; sentAt: string | null } | null;
  /** The payment arrived after the order closed; `refund` sends it back. */
  latePayment: { amountIdr: number; receivedAt: string } | null;
  events: { from: string | null; to: string; action: string; actor: string; reason: string | null; at: string }[];
  /** The courier's booking and timeline, oldest first; null before the order ships. */
  shipment: Shipment | null;
}

export type ShipmentStage = 'booked' | 'picked_up' | 'in_transit' | 'out_for_delivery' | 'delivered' | 'returning' | 'returned';

export interface Shipment {
  provider: string;
  courier: string;
  waybill: string;
  status: ShipmentStage;
  events: { status: ShipmentStage | null; providerStatus: string; note: string; at: string }[];
}

export interface PaymentInstructions {
  kind?: string;
  bank?: string;
  vaNumber?: string;
  qrisPayload?: string;
  qrImageDataUrl?: string;
  deeplinkUrl?: string;
  steps?: string[];
}

export interface Payment {
  id: string;
  method: string;
  status: string;
  amountIdr: number;
  instructions: PaymentInstructions;
  expiresAt: string | null;
  paidAt: string | null;
}

export interface Author {
  handle: string;
  displayName: string;
  avatarUrl: string | null;
}

export interface ProductTag {
  productId: string;
  title: string;
  priceMinIdr: number;
  priceMaxIdr: number;
  imageUrl: string | null;
  inStock: boolean;
  shopName: string;
  externalUrl?: string | null;
}

export interface Video {
  id: string;
  status: 'processing' | 'ready' | 'failed';
  failureReason?: string;
  author: Author;
  caption: string;
  hashtags: string[];
  durationMs: number | null;
  posterUrl: string | null;
  sources: { url: string; type: string; height: number }[];
  productTags: ProductTag[];
  counts: { views: number; likes: number; comments: number; shares: number };
  likedByMe: boolean;
  createdAt: string;
}

export interface FeedItem extends Video {
  /** The server's Indonesian sentence; the app words `why` itself. */
  reason: string;
  why: FeedReason;
}

export interface Profile {
  handle: string;
  displayName: string;
  bio: string;
  avatarUrl: string | null;
  counts: { followers: number; following: number; videos: number; likes: number };
  followedByMe: boolean;
  blockedByMe: boolean;
  mutedByMe: boolean;
}

export interface Comment {
  id: string;
  text: string;
  author: Author;
  createdAt: string;
}

export interface Commissions {
  affiliateId: string;
  totals: { pendingIdr: number; confirmedIdr: number; reversedIdr: number };
  items: {
    id: string;
    productId: string;
    productTitle: string;
    shopId: string;
    shopName: string;
    commissionPercent: number;
    amountIdr: number;
    state: string;
    createdAt: string;
    updatedAt: string;
  }[];
  nextCursor: string | null;
}

export interface Consent {
  purpose: string;
  granted: boolean;
  version: number;
  updatedAt: string | null;
  title: { id: string; en: string };
  description: { id: string; en: string };
  history: { granted: boolean; version: number; at: string }[];
}

export interface PrivacyExport {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  createdAt: string;
  downloadUrl?: string;
  expiresInSeconds?: number;
}

export type ShownCount = number | string;

export interface CreatorAnalytics {
  from: string;
  to: string;
  linked: boolean;
  minimumOrdersShown: number;
  totals: { views: number; taps: number; attributedOrders: ShownCount; commissionIdr: number | null };
  items: {
    videoId: string;
    caption: string;
    createdAt: string;
    views: number;
    completionRate: number;
    taps: number;
    viewsByDay: { day: string; views: number }[];
    attributedOrders: ShownCount;
    revenueIdr: number | null;
    commissionIdr: number | null;
  }[];
}

export type FlashDealState = 'scheduled' | 'upcoming' | 'live' | 'ended';

export interface FlashDeal {
  id: string;
  shopId: string;
  productId: string;
  variantId: string;
  title: string;
  variantName: string;
  dealPriceIdr: number;
  normalPriceIdr: number;
  allocation: number;
  remaining: number;
  sold: number;
  perBuyerLimit: number;
  announceAt: string;
  startsAt: string;
  endsAt: string;
  endedAt: string | null;
  returned: number | null;
  state: FlashDealState;
}

export interface FlashDeals {
  serverTime: string;
  items: FlashDeal[];
}

export interface Live {
  id: string;
  title: string;
  status: 'scheduled' | 'live' | 'ended';
  onAir: boolean;
  scheduledAt: string;
  startedAt: string | null;
  endedAt: string | null;
  host: Author;
  playlistUrl: string | null;
  products: ProductTag[];
  pinned: ProductTag | null;
  viewers: number;
  counts: { likes: number; comments: number; peakViewers: number; totalViewers: number };
  replayVideoId: string | null;
}

export interface LiveComment {
  id: string;
  text: string;
  author: Author;
  at: string;
}

export interface StreamAccess {
  rtmpUrl: string | null;
  streamKey: string;
}

/** A voucher or flash deal the host dropped into a live room (public offer facts, as commerce shows them). */
export interface LiveDrop {
  id: string;
  kind: 'voucher' | 'flash';
  offer:
    | { kind: 'voucher'; id: string; shopId: string; code: string; voucherKind: 'fixed' | 'percent' | 'shipping'; value: number; maxDiscountIdr: number | null; minSpendIdr: number; startsAt: string; endsAt: string }
    | { kind: 'flash'; id: string; shopId: string; productId: string; variantName: string; dealPriceIdr: number; normalPriceIdr: number; allocation: number; perBuyerLimit: number; announceAt: string; startsAt: string; endsAt: string };
  startsAt: string;
  endsAt: string;
  droppedAt: string;
}

/** A live's figures for its host; order figures are withheld ("< 5") below five buyers. */
export interface LiveAnalytics {
  liveId: string;
  title: string;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  peakViewers: number;
  totalViewers: number;
  comments: number;
  likes: number;
  productTaps: number;
  linked: boolean;
  minimumBuyersShown: number;
  attributedOrders: number | string;
  revenueIdr: number | null;
  commissionIdr: number | null;
}
