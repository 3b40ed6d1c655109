/**
 * The API's shapes as the web uses them, all taken from schema.gen.ts (generated from the OpenAPI
 * document by `npm run gen:api`; test/api-types.test.ts fails when it is stale). Nothing here is
 * restated by hand: a named component where the server gives the schema an `$id`, otherwise the
 * JSON answer of the route that sends it.
 */
import type { LiveOffer } from '../../../src/contracts/ports';
import type { components, paths } from './schema.gen';

type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Json<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON body of a route's success answer (200, else 201). */
export type Reply<P extends keyof paths, M extends Method = 'get'> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer Ok } ? Json<Ok> : R extends { 201: infer Created } ? Json<Created> : never
  : never;

/** The JSON body a route takes. */
export type RequestBody<P extends keyof paths, M extends Method = 'post'> = paths[P][M] extends { requestBody?: infer B }
  ? Json<NonNullable<B>>
  : never;

/** One element of a list answer's `items`. */
export type Item<T> = T extends { items: (infer I)[] } ? I : never;

/** One page of a cursor-paged list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type { Problem, User } from './client';

// Commerce: shops, catalog, cart and checkout.
export type Shop = Reply<'/api/commerce/shops/{slug}'>;
/** A voucher as its issuer sees it: a shop's (shopId set) or the platform's (shopId null). */
export type Voucher = Item<Reply<'/api/commerce/shops/{shopId}/vouchers'>>;
/** A creator stock allocation, as the shop owner and the creator both see it. */
export type CreatorAllocation = Item<Reply<'/api/commerce/shops/{shopId}/allocations'>>;
export type VoucherKind = Voucher['kind'];
export type Product = Reply<'/api/commerce/products/{id}'>;
export type Variant = Product['variants'][number];
export type ProductSummary = Item<Reply<'/api/commerce/products'>>;
export type Review = Item<Reply<'/api/commerce/products/{id}/reviews'>>;
export type Cart = Reply<'/api/commerce/cart'>;
export type CartItem = Cart['items'][number];
export type CheckoutOptions = Reply<'/api/commerce/checkout/options'>;
/** What a checkout would charge: per shop and in all, voucher included. */
export type Quote = Reply<'/api/commerce/checkout/quote', 'post'>;

// Commerce: addresses, orders, payments.
/** An entry of the buyer's address book. */
export type AddressEntry = Item<Reply<'/api/commerce/addresses'>>;
export type Order = Item<Reply<'/api/commerce/orders'>>;
export type Address = Order['shippingAddress'];
export type OrderLine = Order['lines'][number];
export type OrderDetail = Reply<'/api/commerce/orders/{id}'>;
/** The courier's booking and timeline, oldest first. */
export type Shipment = NonNullable<OrderDetail['shipment']>;
export type ShipmentStage = Shipment['status'];
export type Payment = Reply<'/api/commerce/payments/{id}'>;
export type PaymentInstructions = Payment['instructions'];
export type Commissions = Reply<'/api/commerce/affiliates/me/commissions'>;
export type FlashDeals = Reply<'/api/commerce/flash-deals'>;
export type FlashDeal = FlashDeals['items'][number];
export type FlashDealState = FlashDeal['state'];

// Social.
export type Video = Schemas['SocialVideo'];
export type Author = Video['author'];
export type ProductTag = Video['productTags'][number];
export type FeedItem = Schemas['SocialFeedItem'];
export type Profile = Schemas['SocialProfile'];
export type Comment = Schemas['SocialComment'];
export type Live = Schemas['SocialLive'];
export type LiveComment = Item<Reply<'/api/social/lives/{id}/comments'>>;
export type StreamAccess = Reply<'/api/social/lives/{id}/key', 'post'>;
/**
 * A voucher or flash deal the host dropped into a live room. Social's schema keeps the offer opaque
 * (its facts are commerce's, carried through the bridge port), so the offer is the port's type.
 */
export type LiveDrop = Omit<Item<Reply<'/api/social/lives/{id}/drops'>>, 'offer'> & { offer: LiveOffer };

// Privacy and the creator's figures (the client joins social's and commerce's).
export type Consent = Item<Reply<'/api/privacy/consents'>>;
export type PrivacyExport = Reply<'/api/privacy/exports/{id}'>;
export type CreatorAnalytics = Reply<'/api/creator/analytics'>;
/** An order figure, or "< 5" when fewer buyers than the minimum would be shown. */
export type ShownCount = CreatorAnalytics['totals']['attributedOrders'];
/** A live's figures for its host; order figures are withheld ("< 5") below five buyers. */
export type LiveAnalytics = Reply<'/api/creator/lives/{id}/analytics'>;
