import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { requireSubject } from '../../../platform/http.js';
import type { PromotionCheck } from '../../../contracts/ports.js';
import type { TagService } from './tags.js';
import { ProductCard } from '../schemas.js';

/** Asks the bridge whether the signed-in caller may promote a product (wired by the composition root). */
export type AuthorizeTag = (request: FastifyRequest, productId: string) => Promise<PromotionCheck>;

const Problem = Type.Ref('Problem');
const Uuid = Type.String({ format: 'uuid' });

export function tagRoutes(tags: TagService, authorizeTag: AuthorizeTag): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/social/videos/:id/product-tags',
      {
        schema: {
          tags: ['social'],
          summary: 'Tag a product on your video (own shop, or as a linked affiliate; at most 5)',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ productId: Uuid }),
          response: { 201: Type.Object({ productTags: Type.Array(ProductCard) }), 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        const productTags = await tags.addTag(request.params.id, subject, request.body.productId, () => authorizeTag(request, request.body.productId));
        return reply.code(201).send({ productTags });
      },
    );

    app.delete(
      '/social/videos/:id/product-tags/:productId',
      {
        schema: {
          tags: ['social'],
          summary: 'Remove a product tag from your video',
          params: Type.Object({ id: Uuid, productId: Uuid }),
          response: { 204: Type.Null(), 401: Problem, 404: Problem },
        },
      },
      async (request, reply) => {
        await tags.removeTag(request.params.id, requireSubject(request), request.params.productId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/social/videos/:id/product-tags/:productId/open',
      {
        schema: {
          tags: ['social'],
          summary: 'A viewer taps a tag: the product card and an attribution token that names no viewer',
          description:
            'Works signed in or not. `attributionToken` is null when the creator has no affiliate link (e.g. their own shop). Pass it to commerce with the purchase.',
          params: Type.Object({ id: Uuid, productId: Uuid }),
          response: { 200: Type.Object({ attributionToken: Type.Union([Type.String(), Type.Null()]), product: ProductCard }), 404: Problem },
        },
        config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
      },
      async (request) => tags.open(request.params.id, request.params.productId, request.subject),
    );
  };
}
