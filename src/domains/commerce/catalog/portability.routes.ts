import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSubject } from '../../../platform/http.js';
import type { CatalogPortability } from './portability.js';

const Problem = Type.Ref('Problem');
const ShopParams = Type.Object({ shopId: Type.String({ format: 'uuid' }) });

export function portabilityRoutes(portability: CatalogPortability): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

    app.get(
      '/commerce/shops/:shopId/export',
      {
        schema: {
          tags: ['commerce'],
          summary: 'Export the whole catalog: CSV (one row per variant) or schema.org JSON-LD (owner only)',
          params: ShopParams,
          querystring: Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('jsonld')], { default: 'csv' }) }),
          response: { 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        const { shopId } = request.params;
        if (request.query.format === 'jsonld') {
          const origin = `${request.protocol}://${request.host}`;
          return reply
            .type('application/ld+json; charset=utf-8')
            .header('content-disposition', `attachment; filename="katalog-${shopId}.jsonld"`)
            .send(JSON.stringify(await portability.exportJsonLd(subject, shopId, origin), null, 2));
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="katalog-${shopId}.csv"`)
          .send(await portability.exportCsv(subject, shopId));
      },
    );

    app.post(
      '/commerce/shops/:shopId/import',
      {
        schema: {
          tags: ['commerce'],
          summary: 'Import products from CSV (the export format); every row is checked, and nothing is written unless all are good',
          description: 'Send `Content-Type: text/csv`. Errors come back per row as `errors["rows.<line>.<column>"]`.',
          params: ShopParams,
          response: {
            201: Type.Object({ products: Type.Integer(), variants: Type.Integer() }), 400: Problem, 401: Problem, 403: Problem, 404: Problem,
            413: Problem, 415: Problem, 422: Problem,
          },
        },
      },
      async (request, reply) => {
        const text = typeof request.body === 'string' ? request.body : '';
        return reply.code(201).send(await portability.importCsv(requireSubject(request), request.params.shopId, text));
      },
    );
  };
}
