import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { conflict, HttpProblem } from '../../../platform/errors.js';
import { problems, requireOperator, requireSubject } from '../../../platform/http.js';
import { MAX_PICTURE_BYTES, PICTURE_TYPES } from '../../../platform/pictures.js';
import { FreeText } from '../../../platform/text.js';
import type { BiteshipSandbox } from '../shipping/biteship-sandbox.js';
import type { ShipmentService } from '../shipping/shipments.js';
import { MAX_RETURN_PHOTOS, RETURN_REASONS, RETURN_STATES, type ReturnService } from './returns.js';
import { MAX_VIDEO_BYTES, MAX_VIDEO_SECONDS, VIDEO_TYPES } from './video.js';

const tags = ['commerce', 'returns'];
const Uuid = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Uuid });
const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
const Idr = Type.Integer();
const Reason = Type.Unsafe<(typeof RETURN_REASONS)[number]>({ type: 'string', enum: [...RETURN_REASONS] });
const Courier = Type.Unsafe<'jne_reg' | 'jnt_ez' | 'sicepat_reg' | 'anteraja_reg' | 'gosend_instant'>({ type: 'string', enum: ['jne_reg', 'jnt_ez', 'sicepat_reg', 'anteraja_reg', 'gosend_instant'] });
const PhotoIds = Type.Array(Uuid, { maxItems: MAX_RETURN_PHOTOS });

const ReturnView = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  orderStatus: Type.String(),
  orderTotalIdr: Idr,
  state: Type.String({ enum: [...RETURN_STATES] }),
  reasonCode: Type.String(),
  reasonText: Type.String(),
  buyer: Type.Object({ label: Type.String({ description: 'The buyer as the shop sees them: a tag drawn for this return, never a name or social profile' }) }),
  sellerReason: Nullable(Type.String()),
  sellerResponse: Nullable(Type.String()),
  offerIdr: Nullable(Idr),
  refundIdr: Nullable(Idr),
  deadlineAt: Nullable(Type.String({ description: 'When the current state’s timer acts (null: none)' })),
  requestedAt: Type.String(),
  closedAt: Nullable(Type.String()),
  evidence: Type.Array(Type.Object({ party: Type.String(), kind: Type.String({ enum: ['photo', 'video'] }), url: Type.String(), at: Type.String() })),
  events: Type.Array(
    Type.Object({
      from: Nullable(Type.String()),
      to: Type.String(),
      action: Type.String(),
      actor: Type.String(),
      note: Nullable(Type.String()),
      amountIdr: Nullable(Idr),
      deadlineAt: Nullable(Type.String()),
      at: Type.String(),
    }),
  ),
  shipment: Nullable(
    Type.Object({
      provider: Type.String(),
      courier: Type.String(),
      waybill: Type.String(),
      status: Type.String(),
      events: Type.Array(Type.Object({ status: Nullable(Type.String()), providerStatus: Type.String(), note: Type.String(), at: Type.String() })),
    }),
  ),
});

/** Returns with evidence: the buyer's request and photos, the seller's answer, the parcel back, operators' decisions. */
export function returnRoutes(
  returns: ReturnService, shipments: ShipmentService, sandbox: BiteshipSandbox | undefined, isOperator: (request: FastifyRequest) => boolean,
): FastifyPluginAsyncTypebox {
  const operator = (request: FastifyRequest) => {
    requireOperator(request, isOperator, 'Only the platform’s operators decide escalated returns.');
  };
  return async (app) => {
    app.addContentTypeParser([...PICTURE_TYPES], { parseAs: 'buffer', bodyLimit: MAX_PICTURE_BYTES }, (_request, body, done) => done(null, body));

    app.post(
      '/commerce/returns/photos',
      {
        schema: {
          tags,
          summary: 'Upload a photo for a return request or a seller’s response (the JPEG, PNG or WebP bytes as the body); send its id with the request',
          description: 'Checked to be a picture by its content, then re-encoded (no metadata) and scaled to at most 1600 px. Seen only by its uploader until sent, then by both sides and operators.',
          consumes: [...PICTURE_TYPES],
          response: { 201: Type.Object({ photoId: Type.String(), url: Type.String() }), ...problems(400, 401, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!Buffer.isBuffer(request.body)) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the photo with Content-Type image/jpeg, image/png or image/webp.');
        return reply.code(201).send(await returns.uploadPhoto(subject, String(request.headers['content-type'] ?? ''), request.body));
      },
    );

    app.addContentTypeParser([...VIDEO_TYPES], { parseAs: 'buffer', bodyLimit: MAX_VIDEO_BYTES }, (_request, body, done) => done(null, body));
    app.post(
      '/commerce/returns/videos',
      {
        schema: {
          tags,
          summary: `Upload a short video (MP4 or WebM, at most ${MAX_VIDEO_SECONDS} s) for a return request or a seller’s response; one per side`,
          description: 'Checked by ffprobe as the container its Content-Type claims (and no other), then remuxed with every metadata tag dropped.',
          consumes: [...VIDEO_TYPES],
          response: { 201: Type.Object({ videoId: Type.String(), url: Type.String() }), ...problems(400, 401, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!Buffer.isBuffer(request.body)) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the video with Content-Type video/mp4 or video/webm.');
        return reply.code(201).send(await returns.uploadVideo(subject, String(request.headers['content-type'] ?? ''), request.body));
      },
    );

    app.get(
      '/commerce/returns/photos/:file',
      {
        schema: {
          tags,
          summary: 'A return photo or video, for its uploader, the return’s buyer and seller, and operators',
          params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.(jpg|mp4|webm)$' }) }),
          response: problems(400, 401, 404),
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        let asOperator = false;
        try {
          asOperator = isOperator(request);
        } catch {
          asOperator = false;
        }
        const { stream, contentType } = await returns.photo(subject, request.params.file, asOperator);
        return reply.type(contentType).header('cache-control', 'private, max-age=3600').send(stream);
      },
    );

    app.post(
      '/commerce/orders/:id/returns',
      {
        schema: {
          tags,
          summary: 'Buyer asks for a return within 6 days of delivery: a reason, words, and photos (at least one for damaged, wrong_item, not_as_described, missing_parts)',
          params: IdParams,
          body: Type.Object({ reasonCode: Reason, text: FreeText({ maxLength: 1000 }), photoIds: Type.Optional(PhotoIds), videoId: Type.Optional(Uuid) }),
          response: { 201: ReturnView, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { reasonCode, text, photoIds, videoId } = request.body;
        const asked = { reasonCode: reasonCode as (typeof RETURN_REASONS)[number], text: text.trim(), photoIds: photoIds ?? [], videoId };
        return reply.code(201).send(await returns.request(requireSubject(request), request.params.id, asked));
      },
    );

    app.get(
      '/commerce/orders/:id/return',
      { schema: { tags, summary: 'The order’s return: state, deadline, timeline, both sides’ evidence, return parcel (buyer and seller)', params: IdParams, response: { 200: ReturnView, ...problems(400, 401, 404) } } },
      async (request) => returns.view(requireSubject(request), request.params.id),
    );

    const step = (path: string, summary: string, body: TSchema, run: (subject: string, id: string, body: Record<string, unknown>) => Promise<unknown>) =>
      app.post(
        `/commerce/orders/:id/return/${path}`,
        {
          preValidation: async (request) => {
            request.body ??= {};
          },
          schema: { tags, summary, params: IdParams, body, response: { 200: ReturnView, ...problems(400, 401, 403, 404, 409, 422, 502, 503) } },
        },
        async (request) => run(requireSubject(request), request.params.id, (request.body ?? {}) as Record<string, unknown>) as never,
      );
    const Empty = Type.Object({});
    step('accept', 'Seller accepts the return: the buyer sends it back within 5 days', Empty, (subject, id) => returns.accept(subject, id));
    step('refuse', 'Seller refuses the return, saying why; the buyer may escalate within 3 days', Type.Object({ reason: FreeText({ minLength: 1, maxLength: 1000 }) }), (subject, id, body) =>
      returns.refuse(subject, id, String(body.reason).trim()),
    );
    step(
      'offer',
      'Seller offers a partial refund (less than the order’s total) with the buyer keeping the goods; the buyer answers within 48 h',
      Type.Object({ amountIdr: Type.Integer({ minimum: 1 }), note: Type.Optional(FreeText({ maxLength: 1000 })) }),
      (subject, id, body) => returns.offer(subject, id, Number(body.amountIdr), typeof body.note === 'string' ? body.note.trim() : ''),
    );
    step('offer/accept', 'Buyer accepts the partial refund: it is refunded and the order completes', Empty, (subject, id) => returns.acceptOffer(subject, id));
    step('offer/decline', 'Buyer declines the partial refund; they may escalate within 3 days', Empty, (subject, id) => returns.declineOffer(subject, id));
    step('escalate', 'Buyer takes a refused return (or a declined offer) to the platform’s operators', Type.Object({ note: Type.Optional(FreeText({ maxLength: 1000 })) }), (subject, id, body) =>
      returns.escalate(subject, id, typeof body.note === 'string' ? body.note.trim() : ''),
    );
    step(
      'response',
      'Seller’s side of the story, with photos (uploaded first), while the return is open',
      Type.Object({ text: FreeText({ minLength: 1, maxLength: 1000 }), photoIds: Type.Optional(PhotoIds), videoId: Type.Optional(Uuid) }),
      (subject, id, body) => returns.respond(
        subject, id, String(body.text).trim(), (body.photoIds as string[] | undefined) ?? [], body.videoId as string | undefined,
      ),
    );
    step('ship', 'Buyer books the return parcel with the courier (a return AWB); refunded when it reaches the shop, or 14 days after it left', Type.Object({ courier: Type.Optional(Courier) }), (subject, id, body) =>
      returns.ship(subject, id, body.courier as never),
    );

    if (sandbox) {
      app.post(
        '/commerce/orders/:id/return/courier/simulate',
        {
          schema: {
            tags,
            summary: 'Sandbox courier only: move the return parcel to a stage; the sandbox sends its webhooks through the same path a real courier would',
            params: IdParams,
            body: Type.Object({ stage: Type.Union(['picked_up', 'in_transit', 'out_for_delivery', 'delivered'].map((s) => Type.Literal(s))) }),
            response: { 200: Type.Object({ moved: Type.Boolean() }), ...problems(400, 401, 404, 409) },
          },
        },
        async (request) => {
          const trackingId = await shipments.trackingIdFor(requireSubject(request), request.params.id, 'return');
          const moved = await sandbox.advance(trackingId, request.body.stage as never);
          if (!moved) throw conflict('The parcel cannot go there from where it is.', undefined, 'courier-stage');
          return { moved };
        },
      );
    }

    // ---- operators (their sessions carry a second factor; the composition root refuses others)
    app.get(
      '/commerce/operator/returns',
      { schema: { tags, summary: 'Escalated returns waiting for a decision, oldest first (operators)', response: { 200: Type.Object({ items: Type.Array(ReturnView) }), ...problems(401, 403) } } },
      async (request) => {
        operator(request);
        return returns.escalated();
      },
    );
    app.get(
      '/commerce/operator/returns/:id',
      { schema: { tags, summary: 'One return with both sides’ evidence (operators)', params: IdParams, response: { 200: ReturnView, ...problems(400, 401, 403, 404) } } },
      async (request) => {
        operator(request);
        return returns.operatorView(request.params.id);
      },
    );
    app.post(
      '/commerce/operator/returns/:id/decision',
      {
        schema: {
          tags,
          summary: 'Decide an escalated return: full refund, partial refund (amountIdr) or reject, with a statement both sides read (operators)',
          params: IdParams,
          body: Type.Object({
            outcome: Type.Union([Type.Literal('refund'), Type.Literal('partial_refund'), Type.Literal('reject')]),
            amountIdr: Type.Optional(Type.Integer({ minimum: 1 })),
            statement: FreeText({ minLength: 1, maxLength: 2000 }),
          }),
          response: { 200: ReturnView, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        operator(request);
        return returns.decide(request.params.id, { ...request.body, statement: request.body.statement.trim() });
      },
    );
  };
}
