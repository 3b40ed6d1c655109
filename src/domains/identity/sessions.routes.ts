import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireRecentAuthentication, requireSubject, sessionTokenOf } from '../../platform/http.js';
import { notFound, unauthorized } from '../../platform/errors.js';
import { REAUTH_WINDOW_MS, type IdentityService } from './service.js';
import { ProofFields, type Reauthentication } from './reauth.js';

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

export function sessionRoutes(service: IdentityService, reauth: Reauthentication): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/reauth',
      {
        schema: {
          tags,
          summary: `Prove it is you again (the password, or a code from the authenticator app): sensitive actions then go through for ${REAUTH_WINDOW_MS / 60_000} minutes`,
          body: Type.Object(ProofFields),
          response: { 204: Type.Null(), 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 403: Type.Ref('Problem'), 429: Type.Ref('Problem') },
        },
        config: { rateLimit: { max: 10, timeWindow: '15 minutes' } },
      },
      async (request, reply) => {
        const accountId = requireSubject(request);
        const token = sessionTokenOf(request);
        if (!token) throw unauthorized();
        await reauth.confirm(accountId, request.body);
        await service.markReauthenticated(token);
        return reply.code(204).send(null);
      },
    );

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
          summary: 'Sign out every device but this one (403 `reauthentication-required` unless signed in or re-authenticated recently)',
          response: { 200: Type.Object({ ended: Type.Integer() }), 401: Type.Ref('Problem'), 403: Type.Ref('Problem') },
        },
      },
      async (request) => {
        const accountId = requireRecentAuthentication(request, 'signing out your other devices');
        const token = sessionTokenOf(request);
        if (!token) throw unauthorized();
        return { ended: await service.endOtherSessions(accountId, token) };
      },
    );
  };
}
