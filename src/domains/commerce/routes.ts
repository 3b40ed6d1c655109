import { Type, type TSchema } from '@sinclair/typebox';
import { UUID } from '../../platform/ids.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest, forbidden, HttpProblem, notFound } from '../../platform/errors.js';
import { PageQuery, problems, requireOperator, requireSubject, requireVerifiedEmail } from '../../platform/http.js';
import { DisplayName, FreeText, Title } from '../../platform/text.js';
import { shopView, type CatalogService } from './catalog/catalog.js';
import { CATEGORY_CODES } from './catalog/categories.js';
import type { CartService } from './checkout/cart.js';
import type { CheckoutService } from './checkout/checkout.js';
import { defaultAddressOf, forgetAddressBook, normaliseDestination } from './checkout/address.js';
import { createVoucher, vouchersOf } from './checkout/vouchers.js';
import type { OrderService } from './orders/orders.js';
import { ORDER_STATUSES } from './orders/state.js';
import type { ReviewService } from './reviews.js';
import type { AffiliateService } from './affiliates.js';
import { receiveNotification, simulatePayment } from './payments/ledger.js';
import { PAYMENT_METHOD_CODES, PAYMENT_METHODS } from './payments/methods.js';
import type { PaymentProvider } from './payments/provider.js';
import { COURIER_CODES } from './shipping/rates.js';
import { shippingOptions } from './shipping/options.js';
import type { ShipmentService } from './shipping/shipments.js';
import { SHIPMENT_STAGES, type ShipmentStage } from './shipping/courier.js';
import type { Database } from '../../platform/db.js';
import { IMAGE_TYPES, MAX_IMAGE_BYTES, type ProductImages } from './catalog/images.js';

export interface CommerceServices {
  db: Database;
  catalog: CatalogService;
  images: ProductImages;
  cart: CartService;
  checkout: CheckoutService;
  orders: OrderService;
  shipments: ShipmentService;
  reviews: ReviewService;
  affiliates: AffiliateService;
  provider: PaymentProvider;
  paymentProvider: string;
  isOperator: (request: FastifyRequest) => boolean;
}

const tags = ['commerce'];
const Uuid = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Uuid });
const ShopIdParams = Type.Object({ shopId: Uuid });
const Price = Type.Integer({ minimum: 1, maximum: 100_000_000_000 });
const Quantity = Type.Integer({ minimum: 1, maximum: 999 });
// Spelled out so the types narrow; the lists they mirror are the source of truth (checked below).
const Stage = Type.Unsafe<ShipmentStage>({ type: 'string', enum: [...SHIPMENT_STAGES] });
const Courier = Type.Union([Type.Literal('jne_reg'), Type.Literal('jnt_ez'), Type.Literal('sicepat_reg'), Type.Literal('anteraja_reg'), Type.Literal('gosend_instant')]);
const PaymentMethod = Type.Union([Type.Literal('va_bca'), Type.Literal('va_bni'), Type.Literal('va_bri'), Type.Literal('va_mandiri'), Type.Literal('va_permata'), Type.Literal('qris'), Type.Literal('gopay'), Type.Literal('ovo'), Type.Literal('dana'), Type.Literal('shopeepay'), Type.Literal('cod')]);
const Category = Type.Union([Type.Literal('fashion'), Type.Literal('kecantikan'), Type.Literal('elektronik'), Type.Literal('makanan'), Type.Literal('rumah'), Type.Literal('hobi'), Type.Literal('olahraga'), Type.Literal('kesehatan'), Type.Literal('ibu_bayi'), Type.Literal('otomotif'), Type.Literal('buku')]);
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
if (
  !sameList(Courier.anyOf.map((l) => l.const), COURIER_CODES) ||
  !sameList(PaymentMethod.anyOf.map((l) => l.const), PAYMENT_METHOD_CODES) ||
  !sameList(Category.anyOf.map((l) => l.const), CATEGORY_CODES)
) {
  throw new Error('commerce route enums differ from their source lists');
}
const Idr = Type.Integer();
const DateTime = Type.String({ format: 'date-time' });
const VoucherInputSchema = Type.Object({
  code: Type.String({ minLength: 3, maxLength: 32 }),
  kind: Type.Union([Type.Literal('fixed'), Type.Literal('percent'), Type.Literal('shipping')], {
    description: '`fixed` rupiah or `percent` off the goods; `shipping` (Gratis Ongkir): up to `value` rupiah off the shipping',
  }),
  value: Type.Integer({ minimum: 1, maximum: 100_000_000_000 }),
  maxDiscountIdr: Type.Optional(Type.Integer({ minimum: 1 })),
  minSpendIdr: Type.Optional(Type.Integer({ minimum: 0 })),
  startsAt: DateTime,
  endsAt: DateTime,
  quota: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
});

export const Shop = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  description: Type.String(),
  city: Type.String(),
  province: Type.String(),
  commissionPercent: Type.Integer(),
  createdAt: Type.String(),
});

export const ProductSummary = {
  id: Type.String(),
  shopId: Type.String(),
  shopName: Type.String(),
  shopSlug: Type.String(),
  title: Type.String(),
  category: Type.String(),
  priceMinIdr: Idr,
  priceMaxIdr: Idr,
  imageUrl: Type.Union([Type.String(), Type.Null()]),
  externalUrl: Type.Union([Type.String(), Type.Null()]),
  inStock: Type.Boolean(),
  rating: Type.Object({ average: Type.Union([Type.Number(), Type.Null()]), count: Type.Integer() }),
  createdAt: Type.String(),
};
const Product = Type.Object({
  ...ProductSummary,
  description: Type.String(),
  imageUrls: Type.Array(Type.String()),
  variants: Type.Array(
    Type.Object({
      id: Type.String(), sku: Type.String(), name: Type.String(), priceIdr: Idr, stock: Type.Integer(), available: Type.Integer(),
      weightGrams: Type.Integer(),
    }),
  ),
});

const VariantBody = Type.Object({
  sku: Title({ minLength: 1, maxLength: 64 }),
  name: Title({ minLength: 1, maxLength: 120 }),
  priceIdr: Price,
  stock: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  weightGrams: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
});
const ImageUrls = Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 10 });

export const Address = Type.Object({
  recipient: DisplayName({ minLength: 1, maxLength: 120 }),
  phone: Type.String({ minLength: 1, maxLength: 32 }),
  line1: Title({ minLength: 1, maxLength: 300 }),
  city: Title({ minLength: 1, maxLength: 100 }),
  province: Title({ minLength: 1, maxLength: 100 }),
  postalCode: Type.String({ minLength: 1, maxLength: 10 }),
});

/** What checkout and its quote take, but the payment method. */
const QuoteBody = Type.Object({
  items: Type.Optional(
    Type.Array(
      Type.Object({ variantId: Uuid, quantity: Quantity, attributionToken: Type.Optional(Type.String({ maxLength: 2048 })) }),
      { minItems: 1, maxItems: 100 },
    ),
  ),
  shippingAddress: Address,
  courier: Courier,
  voucherCode: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
});

const OrderLine = Type.Object({
  id: Type.String(),
  variantId: Type.String(),
  productId: Type.String(),
  title: Type.String(),
  variantName: Type.String(),
  sku: Type.String(),
  unitPriceIdr: Idr,
  quantity: Type.Integer(),
  lineTotalIdr: Idr,
  attributed: Type.Boolean(),
  imageUrl: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the product's cover photo now; in order lists and details" })),
});
const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
const OrderFields = {
  id: Type.String(),
  shopId: Type.String(),
  paymentId: Type.String(),
  status: Type.String(),
  subtotalIdr: Idr,
  shippingIdr: Idr,
  discountIdr: Idr,
  shippingDiscountIdr: Idr,
  totalIdr: Idr,
  courier: Type.String(),
  trackingNumber: Nullable(Type.String()),
  shippingAddress: Address,
  lines: Type.Array(OrderLine),
  returnReason: Nullable(Type.String()),
  createdAt: Type.String(),
  paidAt: Nullable(Type.String()),
  shippedAt: Nullable(Type.String()),
  deliveredAt: Nullable(Type.String()),
  closedAt: Nullable(Type.String()),
};
const Order = Type.Object(OrderFields);
const Payment = Type.Object({
  id: Type.String(),
  method: Type.String(),
  status: Type.String(),
  amountIdr: Idr,
  instructions: Type.Object(
    {
      kind: Type.Optional(Type.String({ description: '`virtual_account`, `qris`, `ewallet` or `cod`' })),
      bank: Type.Optional(Type.String()),
      vaNumber: Type.Optional(Type.String()),
      qrisPayload: Type.Optional(Type.String()),
      qrImageDataUrl: Type.Optional(Type.String({ description: 'The QRIS payload drawn as a PNG data URL' })),
      wallet: Type.Optional(Type.String()),
      deeplinkUrl: Type.Optional(Type.String()),
      amountIdr: Type.Optional(Idr),
      steps: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: true, description: 'What the buyer needs to pay; the fields depend on the kind' },
  ),
  expiresAt: Nullable(Type.String()),
  paidAt: Nullable(Type.String()),
});
const OrderDetail = Type.Object({
  ...OrderFields,
  refund: Nullable(
    Type.Object(
      {
        amountIdr: Idr,
        status: Type.Union([Type.Literal('requested'), Type.Literal('sent'), Type.Literal('failed')]),
        requestedAt: Type.String(),
        sentAt: Nullable(Type.String()),
      },
      { description: 'Money going back to the buyer through the payment gateway, when the order was refunded or paid after it closed' },
    ),
  ),
  latePayment: Nullable(
    Type.Object(
      { amountIdr: Idr, receivedAt: Type.String() },
      { description: 'The payment arrived after the order had closed (expired, failed or cancelled); it is refunded, see `refund`' },
    ),
  ),
  payment: Type.Object({ id: Type.String(), method: Type.String(), status: Type.String() }, { additionalProperties: true }),
  events: Type.Array(
    Type.Object({
      from: Nullable(Type.String()), to: Type.String(), action: Type.String(), actor: Type.String(), reason: Nullable(Type.String()), at: Type.String(),
    }),
  ),
  shipment: Nullable(
    Type.Object(
      {
        provider: Type.String(),
        courier: Type.String(),
        waybill: Type.String({ description: 'The AWB (resi)' }),
        status: Stage,
        events: Type.Array(
          Type.Object({
            status: Nullable(Stage),
            providerStatus: Type.String(),
            note: Type.String(),
            at: Type.String(),
          }),
        ),
      },
      { description: 'The courier’s booking and timeline, oldest first; null before the order ships' },
    ),
  ),
});
const CartView = Type.Object({
  items: Type.Array(
    Type.Object({
      variantId: Type.String(),
      productId: Type.String(),
      shopId: Type.String(),
      shopName: Type.String(),
      title: Type.String(),
      variantName: Type.String(),
      imageUrl: Nullable(Type.String()),
      unitPriceIdr: Idr,
      normalPriceIdr: Idr,
      flashDealEndsAt: Nullable(Type.String({ description: 'Set while the line is priced at a flash deal inside its window' })),
      quantity: Type.Integer(),
      available: Type.Integer(),
      lineTotalIdr: Idr,
      hasAttribution: Type.Boolean(),
    }),
  ),
  subtotalIdr: Idr,
});
const Voucher = Type.Object({
  id: Type.String(),
  code: Type.String(),
  shopId: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('fixed'), Type.Literal('percent'), Type.Literal('shipping')]),
  value: Type.Integer(),
  maxDiscountIdr: Nullable(Type.Integer()),
  minSpendIdr: Type.Integer(),
  startsAt: Type.String(),
  endsAt: Type.String(),
  quota: Type.Integer(),
  used: Type.Integer(),
});
export const ReviewSchema = Type.Object({
  id: Type.String(),
  rating: Type.Integer(),
  text: Type.String(),
  photoUrls: Type.Array(Type.String(), { description: 'The buyer’s photos, re-encoded (no metadata)' }),
  reply: Nullable(Type.Object({ text: Type.String(), at: Type.String() }, { description: 'The shop’s public reply' })),
  createdAt: Type.String(),
});
const NotificationResult = Type.Object({
  paymentId: Type.String(), status: Type.String(), applied: Type.Boolean(), duplicate: Type.Boolean(), latePayment: Type.Boolean(),
});
/** A gateway notification is a few hundred bytes; anything near this is not one. */
const WEBHOOK_BODY_LIMIT = 16 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function commerceRoutes(s: CommerceServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    // ── Shops and catalog ────────────────────────────────────────────────────────────────────
    app.post(
      '/commerce/shops',
      {
        schema: {
          tags,
          summary: 'Open a shop (the caller owns it)',
          body: Type.Object({
            name: Title({ minLength: 1, maxLength: 100 }),
            slug: Type.String({ minLength: 1, maxLength: 40 }),
            description: Type.Optional(FreeText({ maxLength: 2000 })),
            city: Title({ minLength: 1, maxLength: 100 }),
            province: Type.Optional(Title({ maxLength: 100, description: 'Needed when the city is not a well-known one' })),
          }),
          response: { 201: Shop, ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) => reply.code(201).send(await s.catalog.createShop(requireVerifiedEmail(request, 'opening a shop'), request.body)),
    );

    app.get(
      '/commerce/me/shops',
      { schema: { tags, summary: 'The shops the caller owns', response: { 200: Type.Object({ items: Type.Array(Shop) }), ...problems(401) } } },
      async (request) => ({ items: (await s.catalog.shopsOf(requireSubject(request))).map(shopView) }),
    );

    app.get(
      '/commerce/shops/:slug',
      { schema: { tags, summary: 'A public shop', params: Type.Object({ slug: Type.String({ maxLength: 64 }) }), response: { 200: Shop, ...problems(404) } } },
      async (request) => shopView(await s.catalog.shopBySlug(request.params.slug)),
    );

    app.put(
      '/commerce/shops/:shopId/affiliate',
      {
        schema: {
          tags,
          summary: 'Set the commission the shop pays creators (0–50 %)',
          params: ShopIdParams,
          body: Type.Object({ commissionPercent: Type.Integer({ minimum: 0, maximum: 50 }) }),
          response: { 200: Shop, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => s.catalog.setCommission(requireSubject(request), request.params.shopId, request.body.commissionPercent),
    );

    app.post(
      '/commerce/shops/:shopId/vouchers',
      {
        schema: {
          tags,
          summary: 'Create a shop voucher',
          params: ShopIdParams,
          body: VoucherInputSchema,
          response: { 201: Voucher, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await s.catalog.ownedShop(s.db, requireSubject(request), request.params.shopId);
        return reply.code(201).send(await createVoucher(s.db, request.params.shopId, request.body));
      },
    );

    app.get(
      '/commerce/shops/:shopId/vouchers',
      {
        schema: {
          tags,
          summary: "The shop's vouchers with how many were used, newest first (shop owner only)",
          params: ShopIdParams,
          response: { 200: Type.Object({ items: Type.Array(Voucher) }), ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        await s.catalog.ownedShop(s.db, requireSubject(request), request.params.shopId);
        return { items: await vouchersOf(s.db, request.params.shopId) };
      },
    );

    app.post(
      '/commerce/vouchers',
      {
        schema: {
          tags,
          summary: 'Create a platform voucher, good in every shop (platform operators only)',
          body: VoucherInputSchema,
          response: { 201: Voucher, ...problems(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        requireOperator(request, s.isOperator, 'Only the platform’s operators may create platform vouchers.');
        return reply.code(201).send(await createVoucher(s.db, null, request.body));
      },
    );

    app.get(
      '/commerce/vouchers',
      {
        schema: {
          tags,
          summary: 'Platform vouchers, newest first (platform operators only)',
          response: { 200: Type.Object({ items: Type.Array(Voucher) }), ...problems(401, 403) },
        },
      },
      async (request) => {
        requireOperator(request, s.isOperator, 'Only the platform’s operators may see platform vouchers.');
        return { items: await vouchersOf(s.db, null) };
      },
    );

    app.post(
      '/commerce/shops/:shopId/products',
      {
        schema: {
          tags,
          summary: 'List a product with its variants',
          params: ShopIdParams,
          body: Type.Object({
            title: Title({ minLength: 1, maxLength: 200 }),
            description: FreeText({ maxLength: 10_000 }),
            category: Category,
            imageUrls: Type.Optional(ImageUrls),
            externalUrl: Type.Optional(Type.String({ maxLength: 2048 })),
            crossBorder: Type.Optional(Type.Boolean({ description: 'Sold directly from abroad: at least USD 100 a unit (Permendag 31/2023), else 422' })),
            variants: Type.Array(VariantBody, { minItems: 1, maxItems: 100 }),
          }),
          response: {
            201: Product,
            202: Type.Object(
              { id: Type.String(), status: Type.Literal('held_for_review'), rule: Type.Object({ id: Type.String(), description: Type.String() }) },
              { description: 'The listing matched a prohibited-item rule: it is held, not live, until an operator reviews it' },
            ),
            ...problems(400, 401, 403, 404, 409, 422),
          },
        },
      },
      async (request, reply) => {
        const created = await s.catalog.listProduct(requireSubject(request), request.params.shopId, request.body);
        return 'held' in created ? reply.code(202).send(created.held) : reply.code(201).send(created);
      },
    );

    app.get(
      '/commerce/products',
      {
        schema: {
          tags,
          summary: 'Search products',
          querystring: Type.Object({
            ...PageQuery.properties,
            q: Type.Optional(Type.String({ maxLength: 200 })),
            shop: Type.Optional(Type.String({ maxLength: 64, description: 'Shop id or slug' })),
            category: Type.Optional(Category),
            sort: Type.Optional(Type.Union([Type.Literal('relevance'), Type.Literal('price_asc'), Type.Literal('price_desc'), Type.Literal('newest')])),
          }),
          response: { 200: Type.Object({ items: Type.Array(Type.Object(ProductSummary)), nextCursor: Nullable(Type.String()) }), ...problems(400) },
        },
      },
      async (request) => s.catalog.search(request.query),
    );

    const productTexts = new WeakMap<object, string>();
    app.get(
      '/commerce/products/:id',
      { schema: { tags, summary: 'A product with variants, availability and rating', params: IdParams, response: { 200: Product, ...problems(400, 404) } } },
      async (request, reply) => {
        // The view is shared for as long as the product cache keeps it: write its JSON once.
        const view = await s.catalog.product(request.params.id);
        let text = productTexts.get(view);
        if (text === undefined) {
          text = String(reply.serialize(view));
          productTexts.set(view, text);
        }
        return reply.type('application/json; charset=utf-8').send(text as never);
      },
    );

    app.patch(
      '/commerce/products/:id',
      {
        schema: {
          tags,
          summary: 'Change a product (shop owner only)',
          params: IdParams,
          body: Type.Object({
            title: Type.Optional(Title({ minLength: 1, maxLength: 200 })),
            description: Type.Optional(FreeText({ maxLength: 10_000 })),
            category: Type.Optional(Category),
            imageUrls: Type.Optional(ImageUrls),
            externalUrl: Type.Optional(Nullable(Type.String({ maxLength: 2048 }))),
            variants: Type.Optional(
              Type.Array(
                Type.Object({
                  id: Uuid, name: Type.Optional(Title({ minLength: 1, maxLength: 120 })), priceIdr: Type.Optional(Price),
                  weightGrams: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
                }),
                { maxItems: 100 },
              ),
            ),
          }),
          response: {
            200: Product,
            202: Type.Object(
              { id: Type.String(), status: Type.Literal('held_for_review'), rule: Type.Object({ id: Type.String(), description: Type.String() }) },
              { description: 'The edited listing matched a prohibited-item rule: it is taken down and held until an operator reviews it' },
            ),
            ...problems(400, 401, 403, 404, 422),
          },
        },
      },
      async (request, reply) => {
        const changed = await s.catalog.patchProduct(requireSubject(request), request.params.id, request.body);
        return 'held' in changed ? reply.code(202).send(changed.held) : changed;
      },
    );

    app.delete(
      '/commerce/products/:id',
      { schema: { tags, summary: 'Remove a product from sale (shop owner only)', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
      async (request, reply) => {
        await s.catalog.removeProduct(requireSubject(request), request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/commerce/products/:id/variants',
      {
        schema: {
          tags,
          summary: 'Add a variant to a product (shop owner only; its SKU must be new in the shop)',
          params: IdParams,
          body: VariantBody,
          response: { 201: Product, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => reply.code(201).send(await s.catalog.addVariant(requireSubject(request), request.params.id, request.body)),
    );

    app.delete(
      '/commerce/variants/:id',
      {
        schema: {
          tags,
          summary: 'Remove a variant (shop owner only). 409 while unpaid orders reserve it, open orders include it, or it is the last one',
          params: IdParams,
          response: { 200: Product, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => s.catalog.removeVariant(requireSubject(request), request.params.id),
    );

    app.addContentTypeParser(Object.keys(IMAGE_TYPES), { parseAs: 'buffer', bodyLimit: MAX_IMAGE_BYTES }, (_request, body, done) => done(null, body));

    app.post(
      '/commerce/products/:id/images',
      {
        schema: {
          tags,
          summary: 'Upload a product image (JPEG, PNG or WebP, at most 5 MB; the raw bytes as the body)',
          consumes: Object.keys(IMAGE_TYPES),
          params: IdParams,
          response: { 201: Type.Object({ imageUrls: Type.Array(Type.String()) }), ...problems(400, 401, 403, 404, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!Buffer.isBuffer(request.body)) {
          throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the image bytes with Content-Type image/jpeg, image/png or image/webp.');
        }
        const imageUrls = await s.images.add(subject, request.params.id, String(request.headers['content-type'] ?? ''), request.body);
        return reply.code(201).send({ imageUrls });
      },
    );

    app.get(
      '/commerce/media/:file',
      {
        schema: {
          tags,
          summary: 'An uploaded product image (re-encoded as JPEG without metadata; older uploads may be PNG or WebP)',
          params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.(jpg|png|webp)$' }) }),
          response: problems(404),
        },
      },
      async (request, reply) => {
        const { stream, type } = s.images.open(request.params.file);
        return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(stream);
      },
    );

    app.put(
      '/commerce/variants/:id/stock',
      {
        schema: {
          tags,
          summary: 'Set the units on hand (shop owner only; audited)',
          params: IdParams,
          body: Type.Object({ stock: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }),
          response: {
            200: Type.Object({ id: Type.String(), stock: Type.Integer(), reserved: Type.Integer(), available: Type.Integer() }),
            ...problems(400, 401, 403, 404, 409),
          },
        },
      },
      async (request) => s.catalog.setStock(requireSubject(request), request.params.id, request.body.stock),
    );

    app.get(
      '/commerce/products/:id/reviews',
      {
        schema: {
          tags,
          summary: 'Reviews of a product',
          params: IdParams,
          querystring: PageQuery,
          response: {
            200: Type.Object({ items: Type.Array(ReviewSchema), nextCursor: Nullable(Type.String()) }),
            ...problems(400),
          },
        },
      },
      async (request) => s.reviews.forProduct(request.params.id, request.query.limit ?? 20, request.query.cursor),
    );

    // ── Cart ─────────────────────────────────────────────────────────────────────────────────
    app.get('/commerce/cart', { schema: { tags, summary: 'Your cart', response: { 200: CartView, ...problems(401) } } }, async (request) =>
      s.cart.cart(requireSubject(request)),
    );

    app.post(
      '/commerce/cart/items',
      {
        schema: {
          tags,
          summary: 'Add to cart (adds to the quantity already there)',
          body: Type.Object({ variantId: Uuid, quantity: Quantity, attributionToken: Type.Optional(Type.String({ maxLength: 2048 })) }),
          response: { 200: CartView, ...problems(400, 401, 422) },
        },
      },
      async (request) => s.cart.addItem(requireSubject(request), request.body),
    );

    app.patch(
      '/commerce/cart/items/:variantId',
      {
        schema: {
          tags,
          summary: 'Set the quantity of a cart item',
          params: Type.Object({ variantId: Uuid }),
          body: Type.Object({ quantity: Quantity }),
          response: { 200: CartView, ...problems(400, 401, 404) },
        },
      },
      async (request) => s.cart.setQuantity(requireSubject(request), request.params.variantId, request.body.quantity),
    );

    app.delete(
      '/commerce/cart/items/:variantId',
      { schema: { tags, summary: 'Remove a cart item', params: Type.Object({ variantId: Uuid }), response: { 200: CartView, ...problems(400, 401, 404) } } },
      async (request) => s.cart.removeItem(requireSubject(request), request.params.variantId),
    );

    // ── Saved address ────────────────────────────────────────────────────────────────────────
    // Kept from before the address book (/commerce/addresses): the book's default address, so
    // checkout is filled in on any device; kept on the server (not in the browser).
    app.get(
      '/commerce/addresses/saved',
      {
        schema: {
          tags,
          summary: 'Your default address: the one you chose in your address book, else the one your last checkout shipped to',
          response: { 200: Type.Object({ address: Type.Union([Address, Type.Null()]) }), ...problems(401) },
        },
      },
      async (request) => ({ address: await defaultAddressOf(s.db, requireSubject(request)) }),
    );

    app.delete(
      '/commerce/addresses/saved',
      { schema: { tags, summary: 'Forget your whole address book (orders keep their addresses)', response: { 204: Type.Null(), ...problems(401) } } },
      async (request, reply) => {
        await forgetAddressBook(s.db, requireSubject(request));
        return reply.code(204).send(null);
      },
    );

    // ── Checkout ─────────────────────────────────────────────────────────────────────────────
    app.get(
      '/commerce/checkout/options',
      {
        // The query holds part of an address: keep this route out of the request log.
        logLevel: 'warn',
        schema: {
          tags,
          summary: 'Couriers (with prices) and payment methods for a destination',
          querystring: Type.Object({
            variantIds: Type.String({ minLength: 1, maxLength: 4000, description: 'Comma-separated variant ids' }),
            city: Type.String({ minLength: 1, maxLength: 100 }),
            province: Type.String({ minLength: 1, maxLength: 100 }),
            postalCode: Type.String({ minLength: 1, maxLength: 10 }),
          }),
          response: {
            200: Type.Object({
              couriers: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), service: Type.String(), priceIdr: Idr, etaDays: Type.Integer() })),
              paymentMethods: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), kind: Type.String() })),
            }),
            ...problems(400, 422),
          },
        },
      },
      async (request) => {
        const ids = request.query.variantIds.split(',').map((id) => id.trim()).filter(Boolean);
        if (ids.length === 0 || ids.length > 100 || ids.some((id) => !UUID.test(id))) {
          throw badRequest('variantIds must be 1–100 variant ids.', { variantIds: ['must be comma-separated variant ids'] });
        }
        const destination = normaliseDestination(request.query);
        return {
          couriers: shippingOptions(await s.catalog.parcelsFor(ids), destination),
          paymentMethods: PAYMENT_METHOD_CODES.map((code) => ({ code, name: PAYMENT_METHODS[code].name, kind: PAYMENT_METHODS[code].kind })),
        };
      },
    );

    app.post(
      '/commerce/checkout/quote',
      {
        schema: {
          tags,
          summary: 'What a checkout would charge (per shop and in all, voucher included), without placing it',
          body: QuoteBody,
          response: {
            200: Type.Object({
              orders: Type.Array(
                Type.Object({
                  shopId: Type.String(), shopName: Type.String(), subtotalIdr: Idr, shippingIdr: Idr, discountIdr: Idr, shippingDiscountIdr: Idr, totalIdr: Idr,
                }),
              ),
              subtotalIdr: Idr,
              shippingIdr: Idr,
              discountIdr: Idr,
              shippingDiscountIdr: Idr,
              totalIdr: Idr,
            }),
            ...problems(400, 401, 409, 422),
          },
        },
      },
      async (request) => s.checkout.quote(requireSubject(request), request.body),
    );

    app.post(
      '/commerce/checkout',
      {
        schema: {
          tags,
          summary: 'Check out the cart, or buy now with `items` (header Idempotency-Key required)',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
          body: Type.Object({ ...QuoteBody.properties, paymentMethod: PaymentMethod }),
          response: { 201: Type.Object({ order: Order, orders: Type.Array(Order), payment: Payment }), ...problems(400, 401, 409, 422) },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
          throw badRequest('The Idempotency-Key header is required: 1–255 visible ASCII characters.', { 'Idempotency-Key': ['is required'] });
        }
        const result = await s.checkout.checkout(subject, key, request.body);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(result.status).send(result.body);
      },
    );

    // ── Payments ─────────────────────────────────────────────────────────────────────────────
    app.get(
      '/commerce/payments/:id',
      { schema: { tags, summary: 'Your payment with its instructions', params: IdParams, response: { 200: Payment, ...problems(401, 404) } } },
      async (request) => s.orders.payment(requireSubject(request), request.params.id),
    );

    app.post(
      '/commerce/payments/:id/simulate',
      {
        schema: {
          tags,
          summary: 'Sandbox only: the gateway reports this payment paid or failed (through the signed webhook path)',
          params: IdParams,
          body: Type.Object({ outcome: Type.Union([Type.Literal('paid'), Type.Literal('failed')]) }),
          response: { 200: NotificationResult, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const subject = requireSubject(request);
        if (s.paymentProvider !== 'sandbox') throw forbidden('Payments can be simulated only with the sandbox provider.');
        return simulatePayment(s.db, s.provider, subject, request.params.id, request.body.outcome);
      },
    );

    app.post(
      '/commerce/payments/webhooks/:provider',
      {
        schema: {
          tags,
          summary: 'Gateway notifications (Midtrans protocol for the sandbox), signature-verified, confirmed with the gateway, applied once',
          params: Type.Object({ provider: Type.String({ maxLength: 32 }) }),
          body: Type.Object({
            order_id: Type.String({ maxLength: 64 }),
            status_code: Type.String({ maxLength: 3 }),
            gross_amount: Type.String({ maxLength: 20 }),
            transaction_status: Type.String({ maxLength: 32 }),
            signature_key: Type.String({ maxLength: 256 }),
          }, { additionalProperties: true }),
          response: { 200: NotificationResult, ...problems(400, 401, 404, 413, 422) },
        },
        bodyLimit: WEBHOOK_BODY_LIMIT,
      },
      async (request) => {
        if (request.params.provider !== s.provider.name) throw notFound('No such payment provider.');
        return receiveNotification(s.db, s.provider, request.body);
      },
    );

    // ── Orders ───────────────────────────────────────────────────────────────────────────────
    app.get(
      '/commerce/orders',
      { schema: { tags, summary: 'Your orders', querystring: PageQuery, response: { 200: Type.Object({ items: Type.Array(Order), nextCursor: Nullable(Type.String()) }), ...problems(400, 401) } } },
      async (request) => s.orders.buyerOrders(requireSubject(request), request.query.limit ?? 20, request.query.cursor),
    );

    app.get(
      '/commerce/orders/:id',
      { schema: { tags, summary: 'One order (its buyer or seller)', params: IdParams, response: { 200: OrderDetail, ...problems(401, 404) } } },
      async (request) => s.orders.order(requireSubject(request), request.params.id),
    );

    app.get(
      '/commerce/shops/:shopId/orders',
      {
        schema: {
          tags,
          summary: "A shop's orders (owner only), narrowed by status and by text in the order number, recipient or a product title",
          params: ShopIdParams,
          querystring: Type.Composite([
            PageQuery,
            Type.Object({
              status: Type.Optional(Type.Union(ORDER_STATUSES.map((status) => Type.Literal(status)))),
              q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            }),
          ]),
          response: { 200: Type.Object({ items: Type.Array(Order), nextCursor: Nullable(Type.String()) }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { limit, cursor, status, q } = request.query;
        return s.orders.shopOrders(requireSubject(request), request.params.shopId, limit ?? 20, cursor, { status, q: q?.trim() || undefined });
      },
    );

    // A POST with no body counts as `{}`: actions without fields need none, and actions with
    // required fields then get a field-by-field 400.
    const action = (
      path: string, summary: string, run: (subject: string, id: string, body: Record<string, unknown>) => Promise<unknown>,
      body: TSchema = Type.Object({}),
    ) =>
      app.post(
        `/commerce/orders/:id/${path}`,
        {
          preValidation: async (request) => {
            request.body ??= {};
          },
          schema: { tags, summary, params: IdParams, body, response: { 200: OrderDetail, ...problems(400, 401, 403, 404, 409) } },
        },
        async (request) => run(requireSubject(request), request.params.id, (request.body ?? {}) as Record<string, unknown>) as never,
      );

    action(
      'ship',
      'Seller hands the parcel to the courier: the order is booked with the courier aggregator (Biteship), whose AWB becomes its tracking number; its tracking then marks it delivered',
      async (subject, id, body) => {
        await s.shipments.ship(subject, id, body.courier as never);
        return s.orders.order(subject, id);
      },
      Type.Object({ courier: Type.Optional(Courier) }),
    );
    action('complete', 'Buyer confirms receipt', (subject, id) => s.orders.act(subject, id, 'complete'));
    action(
      'cancel',
      'Buyer cancels before payment (the whole payment), or seller cancels before shipping (refunded if paid)',
      (subject, id, body) => s.orders.cancel(subject, id, typeof body.reason === 'string' ? body.reason : undefined),
      Type.Object({ reason: Type.Optional(FreeText({ maxLength: 500 })) }),
    );
    // Returns have their own routes (returns/routes.ts).

    app.post(
      '/commerce/orders/:id/reviews',
      {
        schema: {
          tags,
          summary: 'Review a line of a completed order (once per line)',
          params: IdParams,
          body: Type.Object({ rating: Type.Integer({ minimum: 1, maximum: 5 }), text: FreeText({ maxLength: 2000 }), lineId: Type.Optional(Uuid) }),
          response: {
            201: Type.Object({
              id: Type.String(), productId: Type.String(), lineId: Type.String(), rating: Type.Integer(), text: Type.String(),
              photoUrls: Type.Array(Type.String()), createdAt: Type.String(),
            }),
            ...problems(400, 401, 404, 409),
          },
        },
      },
      async (request, reply) => reply.code(201).send(await s.reviews.review(requireSubject(request), request.params.id, request.body)),
    );

    // ── Affiliates ───────────────────────────────────────────────────────────────────────────
    app.post(
      '/commerce/affiliates',
      { schema: { tags, summary: 'Enrol as a creator affiliate', response: { 200: Type.Object({ affiliateId: Type.String() }), ...problems(401) } } },
      async (request) => s.affiliates.enrol(requireSubject(request)),
    );
    app.get(
      '/commerce/affiliates/me',
      {
        schema: {
          tags,
          summary: 'Whether the caller is enrolled as an affiliate (their affiliate id, or null): asked before anything that needs enrolment, so not enrolling is no error',
          response: { 200: Type.Object({ affiliateId: Type.Union([Type.String(), Type.Null()]) }), ...problems(401) },
        },
      },
      async (request) => s.affiliates.enrolment(requireSubject(request)),
    );

    app.get(
      '/commerce/affiliates/me/commissions',
      {
        schema: {
          tags,
          summary: 'Your commissions: amounts, products, states, dates (nothing about buyers)',
          querystring: PageQuery,
          response: {
            200: Type.Object({
              affiliateId: Type.String(),
              totals: Type.Object({ pendingIdr: Idr, confirmedIdr: Idr, reversedIdr: Idr }),
              items: Type.Array(
                Type.Object({
                  id: Type.String(),
                  productId: Type.String(),
                  productTitle: Type.String(),
                  shopId: Type.String(),
                  shopName: Type.String(),
                  commissionPercent: Type.Integer(),
                  amountIdr: Idr,
                  state: Type.String(),
                  createdAt: Type.String(),
                  updatedAt: Type.String(),
                }),
              ),
              nextCursor: Nullable(Type.String()),
            }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) => s.affiliates.commissions(requireSubject(request), request.query.limit ?? 20, request.query.cursor),
    );

  };
}
