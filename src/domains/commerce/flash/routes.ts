import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSubject } from '../../../platform/http.js';
import {
  MAX_COUNTDOWN_SECONDS,
  MAX_DURATION_MINUTES,
  MAX_PER_BUYER,
  MIN_COUNTDOWN_SECONDS,
  MIN_DURATION_MINUTES,
  type FlashSaleService,
} from './flash.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');
const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(s: T) => Type.Union([s, Type.Null()]);

export const FlashDeal = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  productId: Type.String(),
  variantId: Type.String(),
  title: Type.String(),
  variantName: Type.String(),
  dealPriceIdr: Type.Integer(),
  normalPriceIdr: Type.Integer({ description: 'The variant’s price now, shown struck through' }),
  allocation: Type.Integer({ description: 'Units set aside for the deal' }),
  remaining: Type.Integer({ description: 'Units the deal can still sell' }),
  sold: Type.Integer(),
  perBuyerLimit: Type.Integer(),
  announceAt: Type.String({ description: 'When the countdown starts showing' }),
  startsAt: Type.String(),
  endsAt: Type.String(),
  endedAt: Nullable(Type.String()),
  returned: Nullable(Type.Integer({ description: 'Units that went back to normal stock at the end' })),
  allocationId: Nullable(Type.String({ description: 'The creator’s stock allocation the deal sells from; null for the seller’s own deals' })),
  state: Type.Union([Type.Literal('scheduled'), Type.Literal('upcoming'), Type.Literal('live'), Type.Literal('ended')]),
});

const PublicDeals = Type.Object({
  serverTime: Type.String({ description: 'The server’s clock: count down against this, not the device’s' }),
  items: Type.Array(FlashDeal),
});

const FlashDealBody = Type.Object({
  variantId: Uuid,
  dealPriceIdr: Type.Integer({ minimum: 1, maximum: 100_000_000_000, description: 'Must be below the variant’s lowest price of the last 30 days' }),
  allocation: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Units taken from available stock for the deal; what is left goes back at the end' }),
  perBuyerLimit: Type.Integer({ minimum: 1, maximum: MAX_PER_BUYER }),
  startsAt: Type.Optional(Type.String({ format: 'date-time', description: 'Absent: right after the countdown' })),
  durationMinutes: Type.Integer({ minimum: MIN_DURATION_MINUTES, maximum: MAX_DURATION_MINUTES }),
  countdownSeconds: Type.Integer({ minimum: MIN_COUNTDOWN_SECONDS, maximum: MAX_COUNTDOWN_SECONDS, description: 'How long before the start buyers see the countdown' }),
});

/** Flash sales: the seller's set-up and the public read with the server's clock. */
export function flashRoutes(flash: FlashSaleService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/commerce/shops/:shopId/flash-deals',
      {
        schema: {
          tags,
          summary: 'Set a flash deal for a variant of the shop (shop owner only)',
          params: Type.Object({ shopId: Uuid }),
          body: FlashDealBody,
          response: { 201: FlashDeal, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
        },
      },
      async (request, reply) => reply.code(201).send(await flash.create(requireSubject(request), request.params.shopId, request.body)),
    );
    app.get(
      '/commerce/shops/:shopId/flash-deals',
      {
        schema: {
          tags,
          summary: 'Every flash deal of the shop, latest start first (shop owner only)',
          params: Type.Object({ shopId: Uuid }),
          response: { 200: Type.Object({ items: Type.Array(FlashDeal) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request) => ({ items: await flash.ofShop(requireSubject(request), request.params.shopId) }),
    );
    app.post(
      '/commerce/flash-deals/:id/end',
      {
        schema: {
          tags,
          summary: 'End a flash deal now; what it did not sell goes back to stock (shop owner only)',
          params: Type.Object({ id: Uuid }),
          response: { 200: FlashDeal, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request) => flash.endEarly(requireSubject(request), request.params.id),
    );
    app.get(
      '/commerce/products/:id/flash-deals',
      {
        schema: { tags, summary: 'The product’s upcoming and live flash deals, with the server’s time', params: Type.Object({ id: Uuid }), response: { 200: PublicDeals, 400: Problem } },
      },
      async (request) => flash.publicDeals({ productId: request.params.id }),
    );
    app.get(
      '/commerce/flash-deals',
      {
        schema: {
          tags,
          summary: 'A shop’s upcoming and live flash deals, with the server’s time',
          querystring: Type.Object({ shopId: Uuid }),
          response: { 200: PublicDeals, 400: Problem },
        },
      },
      async (request) => flash.publicDeals({ shopId: request.query.shopId }),
    );
  };
}
