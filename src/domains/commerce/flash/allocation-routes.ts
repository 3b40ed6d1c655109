import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemSchema, requireSubject } from '../../../platform/http.js';
import { MAX_COUNTDOWN_SECONDS, MAX_DURATION_MINUTES, MAX_PER_BUYER, MIN_COUNTDOWN_SECONDS, MIN_DURATION_MINUTES, type FlashSaleService } from './flash.js';
import { MAX_ALLOCATION_UNITS, type AllocationService } from './allocations.js';
import { FlashDeal } from './routes.js';

const tags = ['commerce'];
const Problem = Type.Ref('Problem');
const Uuid = Type.String({ format: 'uuid' });
/** The problem of a deal over what is left of the allocation carries what is left (RFC 9457 §3.2). */
const AllocationProblem = Type.Object(
  { ...ProblemSchema.properties, remaining: Type.Optional(Type.Integer({ description: '`allocation-exceeded`: units left in the allocation' })) },
  { description: 'RFC 9457 problem details' },
);
const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(s: T) => Type.Union([s, Type.Null()]);

export const CreatorAllocation = Type.Object({
  id: Type.String(),
  shopId: Type.String(),
  shopName: Type.String(),
  productId: Type.String(),
  variantId: Type.String(),
  title: Type.String(),
  variantName: Type.String(),
  priceIdr: Type.Integer({ description: 'The variant’s price now' }),
  affiliateId: Type.String({ description: 'The creator, as commerce knows them: their affiliate id' }),
  units: Type.Integer({ description: 'Units the seller set aside for the creator' }),
  remaining: Type.Integer({ description: 'Units the creator can still put into a flash deal' }),
  inDeals: Type.Integer({ description: 'Units inside the creator’s running deals, not yet sold' }),
  sold: Type.Integer(),
  floorPriceIdr: Nullable(Type.Integer({ description: 'The lowest deal price the seller allows' })),
  endsAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  returned: Nullable(Type.Integer({ description: 'Units that went back to normal stock when it ended' })),
  state: Type.Union([Type.Literal('open'), Type.Literal('ended')]),
  createdAt: Type.String(),
});

const AllocationBody = Type.Object({
  variantId: Uuid,
  affiliateId: Type.String({ minLength: 1, maxLength: 64, description: 'The creator’s affiliate id (they see it on their affiliate page)' }),
  units: Type.Integer({ minimum: 1, maximum: MAX_ALLOCATION_UNITS, description: 'Taken from available stock at once; what is unused comes back on revoke or at the end' }),
  floorPriceIdr: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000_000, description: 'The lowest deal price the creator may set' })),
  endsAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the allocation ends by itself; absent: when revoked' })),
});

const CreatorFlashBody = Type.Object({
  dealPriceIdr: Type.Integer({ minimum: 1, maximum: 100_000_000_000, description: 'Below the 30-day lowest and not under the seller’s floor' }),
  allocation: Type.Integer({ minimum: 1, maximum: MAX_ALLOCATION_UNITS, description: 'Units of the creator’s allocation the deal sells; at most what is left of it' }),
  perBuyerLimit: Type.Integer({ minimum: 1, maximum: MAX_PER_BUYER }),
  startsAt: Type.Optional(Type.String({ format: 'date-time', description: 'Absent: right after the countdown' })),
  durationMinutes: Type.Integer({ minimum: MIN_DURATION_MINUTES, maximum: MAX_DURATION_MINUTES }),
  countdownSeconds: Type.Integer({ minimum: MIN_COUNTDOWN_SECONDS, maximum: MAX_COUNTDOWN_SECONDS }),
});

/** Creator stock allocations: the seller gives and revokes them; the creator sells them in flash deals. */
export function allocationRoutes(allocations: AllocationService, flash: FlashSaleService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/commerce/shops/:shopId/allocations',
      {
        schema: {
          tags,
          summary: 'Give an affiliate creator units of a variant to sell in their live flash deals (shop owner only)',
          params: Type.Object({ shopId: Uuid }),
          body: AllocationBody,
          response: { 201: CreatorAllocation, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request, reply) => reply.code(201).send(await allocations.create(requireSubject(request), request.params.shopId, request.body)),
    );
    app.get(
      '/commerce/shops/:shopId/allocations',
      {
        schema: {
          tags,
          summary: 'The shop’s creator allocations, newest first (shop owner only)',
          params: Type.Object({ shopId: Uuid }),
          response: { 200: Type.Object({ items: Type.Array(CreatorAllocation) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request) => ({ items: await allocations.ofShop(requireSubject(request), request.params.shopId) }),
    );
    app.post(
      '/commerce/allocations/:id/revoke',
      {
        schema: {
          tags,
          summary: 'Take back what the creator has not used; units in a running deal come back when it ends (shop owner only)',
          params: Type.Object({ id: Uuid }),
          response: { 200: CreatorAllocation, 400: Problem, 401: Problem, 404: Problem },
        },
      },
      async (request) => allocations.revoke(requireSubject(request), request.params.id),
    );
    app.get(
      '/commerce/affiliates/me/allocations',
      {
        schema: {
          tags,
          summary: 'The caller’s stock allocations as a creator, open ones first',
          response: { 200: Type.Object({ items: Type.Array(CreatorAllocation) }), 401: Problem },
        },
      },
      async (request) => ({ items: await allocations.mine(requireSubject(request)) }),
    );
    app.post(
      '/commerce/allocations/:id/flash-deals',
      {
        schema: {
          tags,
          summary: 'Start a flash deal from the caller’s allocation (the creator it was given to only)',
          params: Type.Object({ id: Uuid }),
          body: CreatorFlashBody,
          response: { 201: FlashDeal, 400: Problem, 401: Problem, 404: Problem, 409: AllocationProblem },
        },
      },
      async (request, reply) => reply.code(201).send(await flash.view(await allocations.startFlash(requireSubject(request), request.params.id, request.body))),
    );
  };
}
