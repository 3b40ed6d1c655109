import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { problems, requireOperator, requireSubject } from '../http.js';
import { FreeText } from '../text.js';
import { MAX_REASON_TEXT, MAX_REPORT_TEXT, type ModerationEngine } from './engine.js';

/** The categories of REPORT_REASONS, spelled out so the type provider sees each one. */
const Reason = Type.Union([Type.Literal('spam'), Type.Literal('harassment'), Type.Literal('hate'), Type.Literal('violence'), Type.Literal('sexual_content'), Type.Literal('privacy'), Type.Literal('intellectual_property'), Type.Literal('counterfeit'), Type.Literal('prohibited_product'), Type.Literal('scam'), Type.Literal('other')], { description: 'The category of the problem' });
const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const ItemRef = Type.Object({ kind: Type.String(), id: Type.String(), label: Type.String() });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const Report = Type.Object({
  id: Type.String(),
  item: ItemRef,
  reason: Reason,
  text: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('actioned'), Type.Literal('dismissed')]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const Appeal = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('upheld'), Type.Literal('reversed')]),
  text: Type.String(),
  outcome: Nullable(Type.String()),
  createdAt: Type.String(),
  decidedAt: Nullable(Type.String()),
});

export const StatementOfReasonsSchema = Type.Object(
  {
    id: Type.String(),
    item: ItemRef,
    action: Type.String({ description: 'What was done' }),
    reason: Reason,
    rule: Type.String({ description: 'Which rule or law' }),
    explanation: Type.String({ description: 'Why' }),
    automated: Type.Boolean({ description: 'Whether automated means were used' }),
    endsAt: Nullable(Type.String({ description: 'How long: when the action ends; null when it does not' })),
    status: Type.Union([Type.Literal('in_force'), Type.Literal('reversed')]),
    decidedAt: Type.String(),
    appeal: Type.Object({ until: Type.String(), open: Type.Boolean(), howTo: Type.String(), appeal: Nullable(Appeal) }),
  },
  { description: 'A statement of reasons, as the affected person reads it' },
);

export interface ModerationRouteOptions {
  isOperator: (request: FastifyRequest) => boolean;
  /** The caller's subject, with whatever the domain needs first (social makes a profile). */
  me?: (request: FastifyRequest) => Promise<string>;
}

/**
 * The same routes for each domain under `/api/<domain>/…`: reports for everyone, the queue,
 * decisions, appeals and the audit log for operators, and the public transparency counts.
 */
export function moderationRoutes<K extends string, A extends string>(
  engine: ModerationEngine<K, A>, options: ModerationRouteOptions,
): FastifyPluginAsyncTypebox {
  const base = `/${engine.domain.name}`;
  const tags = [engine.domain.name, 'moderation'];
  const kinds = Type.String({ enum: [...engine.domain.kinds] });
  const me = options.me ?? (async (request: FastifyRequest) => requireSubject(request));
  const operator = (request: FastifyRequest) => requireOperator(request, options.isOperator, 'Only the platform’s operators moderate.');
  return async (app) => {
    app.post(
      `${base}/reports`,
      {
        schema: {
          tags,
          summary: `Report a ${engine.domain.kinds.join(', ')}; reporting the same item again updates your report`,
          body: Type.Object({
            itemKind: kinds, itemId: Type.String({ minLength: 1, maxLength: 100 }), reason: Reason,
            text: Type.Optional(FreeText({ maxLength: MAX_REPORT_TEXT * 4 })),
          }),
          response: { 201: Report, ...problems(400, 401, 404, 422) },
        },
      },
      async (request, reply) => reply.code(201).send(await engine.report(await me(request), request.body)),
    );

    app.get(
      `${base}/reports/mine`,
      { schema: { tags, summary: 'Your reports and their status, newest first', response: { 200: Type.Object({ items: Type.Array(Report) }), ...problems(401) } } },
      async (request) => ({ items: await engine.reportsBy(requireSubject(request)) }),
    );

    app.get(
      `${base}/reports/about-me`,
      {
        schema: {
          tags,
          summary: 'Reports about your items: what and why, never who reported',
          response: {
            200: Type.Object({
              items: Type.Array(Type.Object({ id: Type.String(), item: ItemRef, reason: Reason, status: Type.String(), createdAt: Type.String() })),
            }),
            ...problems(401),
          },
        },
      },
      async (request) => ({ items: await engine.reportsAbout(requireSubject(request)) }),
    );

    app.get(
      `${base}/moderation/decisions/mine`,
      { schema: { tags, summary: 'Statements of reasons for decisions about your items or account', response: { 200: Type.Object({ items: Type.Array(StatementOfReasonsSchema) }), ...problems(401) } } },
      async (request) => ({ items: await engine.decisionsAbout(requireSubject(request)) }),
    );

    app.post(
      `${base}/moderation/decisions/:id/appeal`,
      {
        schema: {
          tags,
          summary: 'Appeal a decision about you: once, within the window',
          params: Id,
          body: Type.Object({ text: FreeText({ maxLength: MAX_REPORT_TEXT * 4 }) }),
          response: { 201: StatementOfReasonsSchema, ...problems(400, 401, 404, 409, 422) },
        },
      },
      async (request, reply) => reply.code(201).send(await engine.appeal(requireSubject(request), request.params.id, request.body.text)),
    );

    app.get(
      `${base}/moderation/transparency`,
      {
        schema: {
          tags,
          summary: 'Public counts per month: reports by reason, actions by type, appeals and reversals',
          response: {
            200: Type.Object({
              months: Type.Array(
                Type.Object({
                  month: Type.String(),
                  reportsByReason: Type.Record(Type.String(), Type.Integer()),
                  actionsByType: Type.Record(Type.String(), Type.Integer()),
                  appeals: Type.Integer(),
                  reversals: Type.Integer(),
                }),
              ),
            }),
          },
        },
      },
      async () => engine.transparency(),
    );

    // ---- operators
    const operatorOnly = { ...problems(401, 403) };

    app.get(
      `${base}/moderation/queue`,
      {
        schema: {
          tags,
          summary: 'Open reports grouped by item: deadlines (authority orders, urgent first) and then the oldest first (operators)',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  item: ItemRef,
                  reports: Type.Integer(),
                  reasons: Type.Array(Reason),
                  oldestAt: Type.String(),
                  deadlineAt: Nullable(Type.String()),
                  urgent: Type.Boolean(),
                  actions: Type.Array(Type.String()),
                }),
              ),
            }),
            ...operatorOnly,
          },
        },
      },
      async (request) => {
        operator(request);
        return { items: (await engine.queue()).map((entry) => ({ ...entry, actions: [...entry.actions] })) };
      },
    );

    app.get(
      `${base}/moderation/items/:kind/:id`,
      {
        schema: {
          tags,
          summary: 'One item’s reports and decisions (operators)',
          params: Type.Object({ kind: kinds, id: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: {
            200: Type.Object({
              item: ItemRef,
              actions: Type.Array(Type.String()),
              reports: Type.Array(Type.Object({ ...Report.properties, source: Type.String(), urgent: Type.Boolean(), deadlineAt: Nullable(Type.String()) })),
              decisions: Type.Array(StatementOfReasonsSchema),
            }),
            ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        operator(request);
        const found = await engine.itemReports(request.params.kind, request.params.id);
        return { ...found, actions: [...found.actions] };
      },
    );

    const Explanation = FreeText({ maxLength: MAX_REASON_TEXT * 4, description: 'Why: required, shown to the affected person' });

    app.post(
      `${base}/moderation/orders`,
      {
        schema: {
          tags,
          summary: 'Record an order from an authority: due in 24 h, or 4 h when urgent (operators)',
          body: Type.Object({
            itemKind: kinds, itemId: Type.String({ minLength: 1, maxLength: 100 }), reason: Reason, authority: FreeText({ maxLength: 800 }),
            reference: FreeText({ maxLength: 800 }), urgent: Type.Boolean(),
          }),
          response: {
            201: Type.Object({ ...Report.properties, urgent: Type.Boolean(), deadlineAt: Nullable(Type.String()) }), ...problems(400, 401, 403, 404),
          },
        },
      },
      async (request, reply) => reply.code(201).send(await engine.order(operator(request), request.body)),
    );

    app.post(
      `${base}/moderation/decisions`,
      {
        schema: {
          tags,
          summary: 'Act on an item; writes a statement of reasons the affected person sees (operators)',
          body: Type.Object({
            itemKind: kinds,
            itemId: Type.String({ minLength: 1, maxLength: 100 }),
            action: Type.String({ minLength: 1, maxLength: 40 }),
            reason: Reason,
            rule: FreeText({ maxLength: 1200, description: 'Which rule or law' }),
            explanation: Explanation,
            durationDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'How long; absent for no end' })),
          }),
          response: { 201: StatementOfReasonsSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => reply.code(201).send(await engine.decide(operator(request), request.body)),
    );

    app.post(
      `${base}/moderation/dismissals`,
      {
        schema: {
          tags,
          summary: 'Close an item’s open reports with no action (operators)',
          body: Type.Object({ itemKind: kinds, itemId: Type.String({ minLength: 1, maxLength: 100 }), explanation: Explanation }),
          response: { 200: Type.Object({ dismissed: Type.Integer() }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => engine.dismiss(operator(request), request.body),
    );

    app.get(
      `${base}/moderation/appeals`,
      {
        schema: {
          tags,
          summary: 'Appeals waiting for a decision, oldest first (operators)',
          response: {
            200: Type.Object({ items: Type.Array(Type.Object({ ...Appeal.properties, decision: StatementOfReasonsSchema, decidedByYou: Type.Boolean() })) }),
            ...operatorOnly,
          },
        },
      },
      async (request) => ({ items: await engine.pendingAppeals(operator(request)) }),
    );

    app.post(
      `${base}/moderation/appeals/:id/decision`,
      {
        schema: {
          tags,
          summary: 'Decide an appeal: uphold or reverse; never by the operator who decided (operators)',
          params: Id,
          body: Type.Object({ outcome: Type.Union([Type.Literal('upheld'), Type.Literal('reversed')]), explanation: Explanation }),
          response: { 200: StatementOfReasonsSchema, ...problems(400, 401, 403, 404, 409) },
        },
      },
      async (request) => engine.decideAppeal(operator(request), request.params.id, request.body),
    );

    app.get(
      `${base}/moderation/audit`,
      {
        schema: {
          tags,
          summary: 'The append-only log of every operator action, newest first (operators)',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Type.Integer(), operator: Type.String(), action: Type.String(), item: Type.Object({ kind: Type.String(), id: Type.String() }),
                  decisionId: Nullable(Type.String()), reason: Type.String(), at: Type.String(),
                }),
              ),
            }),
            ...operatorOnly,
          },
        },
      },
      async (request) => {
        operator(request);
        return { items: await engine.auditLog() };
      },
    );
  };
}
