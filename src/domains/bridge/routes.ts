import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import { badRequest, unauthorized } from '../../platform/errors.js';
import type { ProfileSeed, SubjectSet } from '../../contracts/ports.js';
import type { BridgeService } from './service.js';
import type { PrivacyRequests } from './privacy/requests.js';

/** Hands the bridge the caller's subject in every domain; `evenErasing` for a repeated DELETE /me. */
export type SubjectsOf = (request: FastifyRequest, options?: { evenErasing?: boolean }) => SubjectSet | undefined;

const Problem = Type.Ref('Problem');
const Uuid = Type.String({ format: 'uuid' });
const Localized = Type.Object({ id: Type.String(), en: Type.String() });
const Consent = Type.Object({
  purpose: Type.String(),
  granted: Type.Boolean(),
  version: Type.Integer(),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
  title: Localized,
  description: Localized,
  history: Type.Array(Type.Object({ granted: Type.Boolean(), version: Type.Integer(), at: Type.String() })),
});
const ExportStatus = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed')]),
  createdAt: Type.String(),
  downloadUrl: Type.Optional(Type.String()),
  expiresInSeconds: Type.Optional(Type.Integer()),
});
const OrdersShown = Type.Union([Type.Integer(), Type.String()]);
const Analytics = Type.Object({
  from: Type.String(),
  to: Type.String(),
  linked: Type.Boolean(),
  minimumOrdersShown: Type.Integer(),
  totals: Type.Object({
    views: Type.Integer(),
    taps: Type.Integer(),
    attributedOrders: OrdersShown,
    commissionIdr: Type.Union([Type.Integer(), Type.Null()]),
  }),
  items: Type.Array(
    Type.Object({
      videoId: Type.String(),
      caption: Type.String(),
      createdAt: Type.String(),
      views: Type.Integer(),
      completionRate: Type.Number(),
      taps: Type.Integer(),
      viewsByDay: Type.Array(Type.Object({ day: Type.String(), views: Type.Integer() })),
      attributedOrders: OrdersShown,
      revenueIdr: Type.Union([Type.Integer(), Type.Null()]),
      commissionIdr: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
});

const DAY_MS = 24 * 60 * 60 * 1000;

export function bridgeRoutes(
  service: BridgeService, privacy: PrivacyRequests, subjectsOf: SubjectsOf, profileSeedOf: (request: FastifyRequest) => ProfileSeed | undefined,
): FastifyPluginAsyncTypebox {
  const requireSubjects = (request: FastifyRequest): SubjectSet => {
    const subjects = subjectsOf(request);
    if (!subjects) throw unauthorized();
    return subjects;
  };

  return async (app) => {
    app.post(
      '/creator/affiliate-link',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Link your social profile to your commerce affiliate id (consent creator_affiliate)',
          response: { 200: Type.Object({ linked: Type.Literal(true), affiliateId: Type.String() }), 401: Problem, 409: Problem },
        },
      },
      async (request) => ({ linked: true as const, ...(await service.linkAffiliate(requireSubjects(request), profileSeedOf(request))) }),
    );

    app.delete(
      '/creator/affiliate-link',
      { schema: { tags: ['bridge'], summary: 'Unlink: new tags and attribution stop', response: { 204: Type.Null(), 401: Problem } } },
      async (request, reply) => {
        await service.unlinkAffiliate(requireSubjects(request));
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/creator/lives/:id/analytics',
      {
        schema: {
          tags: ['bridge'],
          summary: 'One of your lives: peak and total viewers, comments, likes, product taps, and the orders attributed to it; order figures below 5 buyers are withheld',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: {
            200: Type.Object({
              liveId: Type.String(),
              title: Type.String(),
              status: Type.String(),
              startedAt: Type.Union([Type.String(), Type.Null()]),
              endedAt: Type.Union([Type.String(), Type.Null()]),
              peakViewers: Type.Integer(),
              totalViewers: Type.Integer(),
              comments: Type.Integer(),
              likes: Type.Integer(),
              productTaps: Type.Integer(),
              linked: Type.Boolean({ description: 'Your creator profile is linked to an affiliate account (orders are attributed only then)' }),
              minimumBuyersShown: Type.Integer(),
              attributedOrders: Type.Union([Type.Integer(), Type.String({ description: '"< 5" when fewer than 5 buyers' })]),
              revenueIdr: Type.Union([Type.Integer(), Type.Null()]),
              commissionIdr: Type.Union([Type.Integer(), Type.Null()]),
            }),
            400: Problem,
            401: Problem,
            404: Problem,
          },
        },
      },
      async (request) => service.liveAnalytics(requireSubjects(request), request.params.id),
    );

    app.get(
      '/creator/analytics',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Per-video views, taps, attributed orders and commission; order figures below 5 are withheld',
          querystring: Type.Object({
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
          }),
          response: { 200: Analytics, 400: Problem, 401: Problem },
        },
      },
      async (request) => {
        const subjects = requireSubjects(request);
        const to = request.query.to ? new Date(request.query.to) : new Date();
        const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 28 * DAY_MS);
        if (!(from < to)) throw badRequest('`from` must be before `to`.', { from: ['must be before to'] });
        if (to.getTime() - from.getTime() > 366 * DAY_MS) throw badRequest('The period can be at most a year.', { from: ['period longer than a year'] });
        return service.creatorAnalytics(subjects, from, to);
      },
    );

    app.get(
      '/privacy/consents',
      { schema: { tags: ['bridge'], summary: 'Your consents, in force and their history', response: { 200: Type.Object({ items: Type.Array(Consent) }), 401: Problem } } },
      async (request) => ({ items: await service.consents.list(requireSubjects(request).bridge) }),
    );

    app.put(
      '/privacy/consents/:purpose',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Grant or revoke a purpose; revoking stops the flow and deletes what was derived',
          params: Type.Object({ purpose: Type.String({ maxLength: 64 }) }),
          body: Type.Object({ granted: Type.Boolean() }),
          response: { 200: Consent, 400: Problem, 401: Problem, 404: Problem, 409: Problem },
        },
      },
      async (request) => service.setConsent(requireSubjects(request), request.params.purpose, request.body.granted, profileSeedOf(request)),
    );

    app.post(
      '/privacy/exports',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Ask for a zip of all your data',
          response: { 202: Type.Object({ id: Type.String(), status: Type.Literal('pending') }), 401: Problem },
        },
        config: { rateLimit: { max: 5, timeWindow: '1 hour', keyGenerator: (request: FastifyRequest) => subjectsOf(request)?.bridge ?? request.ip } },
      },
      async (request, reply) => {
        const created = await privacy.requestExport(requireSubjects(request));
        return reply.code(202).send({ id: created.id, status: 'pending' as const });
      },
    );

    app.get(
      '/privacy/exports',
      { schema: { tags: ['bridge'], summary: 'Your exports', response: { 200: Type.Object({ items: Type.Array(ExportStatus) }), 401: Problem } } },
      async (request) => ({ items: await privacy.listExports(requireSubjects(request).bridge) }),
    );

    app.get(
      '/privacy/exports/:id',
      {
        schema: {
          tags: ['bridge'],
          summary: 'An export’s status and, when ready, a short-lived download link',
          params: Type.Object({ id: Uuid }),
          response: { 200: ExportStatus, 401: Problem, 404: Problem },
        },
      },
      async (request) => privacy.exportStatus(requireSubjects(request).bridge, request.params.id),
    );

    app.get(
      '/privacy/exports/:id/download',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Download the zip (signed in as its owner, or with the signed link)',
          params: Type.Object({ id: Uuid }),
          querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 512 })) }),
          response: { 404: Problem },
        },
      },
      async (request, reply) => {
        const file = await privacy.downloadPath(request.params.id, { bridgeSubject: subjectsOf(request)?.bridge, token: request.query.token });
        return reply
          .type('application/zip')
          .header('content-disposition', `attachment; filename="sekat-data-${request.params.id}.zip"`)
          .header('cache-control', 'private, no-store')
          .send(createReadStream(file));
      },
    );

    const Pending = Type.Object({ id: Type.String(), waitingForOrders: Type.Boolean() });
    app.get(
      '/privacy/erasure',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Before erasing: the orders still open (as buyer, as seller) and any erasure already asked for',
          response: {
            200: Type.Object({ openOrders: Type.Object({ asBuyer: Type.Integer(), asSeller: Type.Integer() }), pending: Type.Union([Pending, Type.Null()]) }),
            401: Problem,
          },
        },
      },
      async (request) => privacy.erasurePreview(requireSubjects(request)),
    );

    app.delete(
      '/privacy/erasure',
      {
        schema: {
          tags: ['bridge'],
          summary: 'Call off an erasure that still waits for open orders (404 when none is asked for, 409 once erasing has begun)',
          response: { 204: Type.Null(), 401: Problem, 404: Problem, 409: Problem },
        },
      },
      async (request, reply) => {
        await privacy.cancelWaitingErasure(requireSubjects(request));
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/me',
      {
        schema: {
          tags: ['identity', 'bridge'],
          summary:
            'Erase your account across every domain. Sign-in is refused at once; with afterOpenOrders=true it stays until every open order (bought or sold) has closed, and the erasure starts then',
          querystring: Type.Object({ afterOpenOrders: Type.Optional(Type.Boolean()) }),
          response: { 202: Type.Object({ id: Type.String(), status: Type.Literal('pending'), waitingForOrders: Type.Boolean() }), 400: Problem, 401: Problem },
        },
      },
      async (request, reply) => {
        const subjects = subjectsOf(request, { evenErasing: true });
        if (!subjects) throw unauthorized();
        const { id, waitingForOrders } = await privacy.requestErasure(subjects, { waitForOpenOrders: request.query.afterOpenOrders });
        return reply.code(202).send({ id, status: 'pending' as const, waitingForOrders });
      },
    );
  };
}
