import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireSubject, sessionTokenOf } from '../../platform/http.js';
import { notFound, unauthorized } from '../../platform/errors.js';
import type { IdentityService } from './service.js';

const tags = ['identity'];
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const SessionItem = Type.Object({
  id: Type.String(),
  browser: Nullable(Type.String()),
  os: Nullable(Type.String()),
  country: Nullable(Type.String({ description: 'ISO 3166 alpha-2, only when known' })),
  createdAt: Type.String(),
  lastSeenAt: Type.String({ description: 'To within an hour' }),
  current: Type.Boolean({ description: 'The session this request came with' }),
});

export function sessionRoutes(service: IdentityService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/auth/sessions',
      { schema: { tags, summary: 'The devices signed in to this account', response: { 200: Type.Object({ items: Type.Array(SessionItem) }), 401: Type.Ref('Problem') } } },
      async (request) => ({ items: await service.listSessions(requireSubject(request), sessionTokenOf(request)) }),
    );

    app.delete(
      '/auth/sessions/:id',
      {
        schema: {
          tags,
          summary: 'Sign one device out (one of the caller’s own sessions)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: { 204: Type.Null(), 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 404: Type.Ref('Problem') },
        },
      },
      async (request, reply) => {
        if (!(await service.endSession(requireSubject(request), request.params.id))) throw notFound('No such signed-in device.');
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/auth/sessions/end-others',
      {
        schema: {
          tags,
          summary: 'Sign out every device but this one',
          response: { 200: Type.Object({ ended: Type.Integer() }), 401: Type.Ref('Problem') },
        },
      },
      async (request) => {
        const accountId = requireSubject(request);
        const token = sessionTokenOf(request);
        if (!token) throw unauthorized();
        return { ended: await service.endOtherSessions(accountId, token) };
      },
    );
  };
}
