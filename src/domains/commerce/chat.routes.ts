import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpProblem } from '../../platform/errors.js';
import { fromOwnSite, PageQuery, problems, requireSubject } from '../../platform/http.js';
import { MAX_PICTURE_BYTES, PICTURE_TYPES } from '../../platform/pictures.js';
import { CHAT_FLOOD_MESSAGES, CHAT_FLOOD_WINDOW_MS, MAX_CHAT_TEXT, type ChatEvent, type ChatService } from './chat.js';

const tags = ['commerce', 'chat'];
const Uuid = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Uuid });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Side = Type.Union([Type.Literal('buyer'), Type.Literal('shop')]);
/** How long the stream stays quiet before a comment line keeps proxies from closing it. */
const HEARTBEAT_MS = 25_000;

export const ChatConversationSchema = Type.Object(
  {
    id: Type.String(),
    you: Side,
    shop: Type.Object({ id: Type.String(), name: Type.String(), slug: Type.String() }),
    buyer: Type.Object({ label: Type.String({ description: '"Pembeli #XXXX": the shop never sees the buyer’s account, handle or social profile' }) }),
    blocked: Type.Boolean(),
    unread: Type.Integer(),
    otherReadUpTo: Nullable(Type.String({ description: 'The newest message the other side has read' })),
    lastMessage: Nullable(Type.Object({ preview: Type.String(), from: Side, at: Type.String() })),
    createdAt: Type.String(),
  },
  { $id: 'ChatConversation' },
);
export const ChatMessageSchema = Type.Object(
  {
    id: Type.String(),
    conversationId: Type.String(),
    from: Side,
    mine: Type.Boolean(),
    kind: Type.Union([Type.Literal('text'), Type.Literal('product'), Type.Literal('order'), Type.Literal('photo')]),
    text: Type.String(),
    product: Nullable(Type.Object({ id: Type.String(), title: Type.String(), priceMinIdr: Type.Integer(), imageUrl: Nullable(Type.String()) })),
    order: Nullable(
      Type.Object({
        id: Type.String(),
        status: Type.String(),
        totalIdr: Type.Integer(),
        items: Type.Integer(),
        firstItem: Type.String(),
        recipient: Type.Optional(Type.String({ description: 'Only for the shop, whose order it is' })),
      }),
    ),
    photoUrl: Nullable(Type.String()),
    removed: Type.Boolean({ description: 'Taken down by a moderation decision' }),
    at: Type.String(),
  },
  { $id: 'ChatMessage' },
);
const Conversation = Type.Ref('ChatConversation');
const Message = Type.Ref('ChatMessage');
const NextCursor = Nullable(Type.String());

/** Buyer–seller chat: conversations, messages, photos, read markers, blocks, the live stream. */
export function chatRoutes(chat: ChatService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(ChatConversationSchema);
    app.addSchema(ChatMessageSchema);
    app.addContentTypeParser([...PICTURE_TYPES], { parseAs: 'buffer', bodyLimit: MAX_PICTURE_BYTES }, (_request, body, done) => done(null, body));

    const streams = new Set<ServerResponse>();
    app.addHook('preClose', (done) => {
      for (const stream of streams) stream.end();
      done();
    });

    app.post(
      '/commerce/chat/conversations',
      {
        schema: {
          tags,
          summary: 'Open your conversation with a shop (from a product, an order or the shop page); opening again returns the same one',
          body: Type.Object({ shopId: Uuid }, { additionalProperties: false }),
          response: { 200: Conversation, 201: Conversation, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const opened = await chat.open(requireSubject(request), request.body.shopId);
        return reply.code(opened.created ? 201 : 200).send(opened.conversation);
      },
    );

    app.get(
      '/commerce/chat/conversations',
      {
        schema: {
          tags,
          summary: 'Your conversations with shops (as a buyer), latest first',
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(Conversation), nextCursor: NextCursor }), ...problems(400, 401) },
        },
      },
      async (request) => chat.list(requireSubject(request), { side: 'buyer' }, request.query.limit ?? 20, request.query.cursor),
    );

    app.get(
      '/commerce/shops/:shopId/chat/conversations',
      {
        schema: {
          tags,
          summary: 'Your shop’s conversations with buyers, latest first (owner only)',
          params: Type.Object({ shopId: Uuid }),
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(Conversation), nextCursor: NextCursor }), ...problems(400, 401, 404) },
        },
      },
      async (request) => chat.list(requireSubject(request), { side: 'shop', shopId: request.params.shopId }, request.query.limit ?? 20, request.query.cursor),
    );

    app.get(
      '/commerce/shops/:shopId/chat/response-rate',
      {
        schema: {
          tags,
          summary: 'The share of buyer-opened conversations of the last 30 days the shop answered within 12 hours (public)',
          params: Type.Object({ shopId: Uuid }),
          response: {
            200: Type.Object({
              conversations: Type.Integer(), answeredWithin12h: Type.Integer(), responseRatePercent: Nullable(Type.Integer()), windowDays: Type.Integer(),
              withinHours: Type.Integer(),
            }),
            ...problems(400, 404),
          },
        },
      },
      async (request) => chat.responseRate(request.params.shopId),
    );

    app.get(
      '/commerce/chat/unread',
      {
        schema: {
          tags,
          summary: 'Unread messages: in all, as a buyer, per shop you own and per conversation',
          response: {
            200: Type.Object({
              total: Type.Integer(),
              asBuyer: Type.Integer(),
              shops: Type.Array(Type.Object({ shopId: Type.String(), unread: Type.Integer() })),
              conversations: Type.Array(Type.Object({ id: Type.String(), unread: Type.Integer() })),
            }),
            ...problems(401),
          },
        },
      },
      async (request) => chat.unread(requireSubject(request)),
    );

    app.get(
      '/commerce/chat/conversations/:id',
      { schema: { tags, summary: 'One of your conversations', params: IdParams, response: { 200: Conversation, ...problems(400, 401, 404) } } },
      async (request) => chat.view(requireSubject(request), request.params.id),
    );

    app.get(
      '/commerce/chat/conversations/:id/messages',
      {
        schema: {
          tags,
          summary: 'Messages of a conversation, newest first',
          params: IdParams,
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(Message), nextCursor: NextCursor }), ...problems(400, 401, 404) },
        },
      },
      async (request) => chat.messages(requireSubject(request), request.params.id, request.query.limit ?? 50, request.query.cursor),
    );

    app.post(
      '/commerce/chat/conversations/:id/messages',
      {
        schema: {
          tags,
          summary: `Send a text (at most ${MAX_CHAT_TEXT} characters), a product card (one of the shop’s) or an order card (this buyer’s order with this shop)`,
          description: `Exactly one of \`text\`, \`productId\`, \`orderId\`. A buyer the shop blocked gets 403 \`chat-blocked\`; more than ${CHAT_FLOOD_MESSAGES} messages in ${CHAT_FLOOD_WINDOW_MS / 1000} s from one sender get 429 \`chat-flood\`.`,
          params: IdParams,
          body: Type.Object(
            { text: Type.Optional(Type.String({ maxLength: MAX_CHAT_TEXT * 4 })), productId: Type.Optional(Uuid), orderId: Type.Optional(Uuid) },
            { additionalProperties: false },
          ),
          response: { 201: Message, ...problems(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request, reply) => reply.code(201).send(await chat.send(requireSubject(request), request.params.id, request.body)),
    );

    app.post(
      '/commerce/chat/conversations/:id/photos',
      {
        schema: {
          tags,
          summary: 'Send a photo (the JPEG, PNG or WebP bytes as the body)',
          description: 'Checked to be a picture by its content, then re-encoded without metadata and scaled to at most 1280 px; anything else gets 415.',
          params: IdParams,
          consumes: [...PICTURE_TYPES],
          response: { 201: Message, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 429) },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!Buffer.isBuffer(request.body)) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the photo with Content-Type image/jpeg, image/png or image/webp.');
        return reply.code(201).send(await chat.sendPhoto(subject, request.params.id, String(request.headers['content-type'] ?? ''), request.body));
      },
    );

    app.get(
      '/commerce/chat/conversations/:id/photos/:file',
      {
        schema: {
          tags,
          summary: 'A photo of a conversation (its two sides only)',
          params: Type.Object({ id: Uuid, file: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.jpg$' }) }),
          response: problems(400, 401, 404),
        },
      },
      async (request, reply) => reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(await chat.photo(requireSubject(request), request.params.id, request.params.file)),
    );

    app.post(
      '/commerce/chat/conversations/:id/read',
      {
        schema: {
          tags,
          summary: 'Mark messages read up to one (default: the newest); a marker never moves back',
          params: IdParams,
          body: Type.Optional(Type.Object({ upTo: Type.Optional(Uuid) }, { additionalProperties: false })),
          response: { 200: Type.Object({ readUpTo: Nullable(Type.String()) }), ...problems(400, 401, 404, 422) },
        },
      },
      async (request) => chat.markRead(requireSubject(request), request.params.id, request.body?.upTo),
    );

    for (const [method, blocked] of [['PUT', true], ['DELETE', false]] as const) {
      app.route({
        method,
        url: '/commerce/chat/conversations/:id/block',
        schema: {
          tags,
          summary: blocked ? 'Block this conversation’s buyer from your shop’s chat (shop owner only)' : 'Unblock the buyer',
          params: IdParams,
          response: { 200: Conversation, ...problems(400, 401, 403, 404, 409) },
        },
        handler: async (request) => chat.setBlocked(requireSubject(request), (request.params as { id: string }).id, blocked),
      });
    }

    app.get(
      '/commerce/chat/events',
      {
        schema: {
          tags,
          summary: 'Your chat, live (Server-Sent Events)',
          description:
            'text/event-stream. `hello` (unread counts), then `message` (`{conversationId, message}`), `read` (`{conversationId, by, upTo}`) and `removed` (`{conversationId, messageId}`) as they happen, for every conversation you are in (as a buyer and for your shops). Only from Sekat’s own pages: another origin gets 403; a request without `Accept: text/event-stream` gets 406.',
          response: problems(401, 403, 406),
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!fromOwnSite(request)) throw new HttpProblem(403, 'cross-site', 'Forbidden', 'The chat stream opens only from Sekat’s own pages.');
        // An EventSource asks for the stream; anything else would hold a connection it cannot read.
        if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
          throw new HttpProblem(406, 'not-acceptable', 'Not acceptable', 'Open the chat stream with Accept: text/event-stream (an EventSource does).');
        }
        const unread = await chat.unread(subject);
        reply.hijack();
        const stream = reply.raw;
        stream.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', 'x-content-type-options': 'nosniff' });
        const write = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        write('hello', { unread });
        const stop = chat.hub.listen(subject, (event: ChatEvent) => write(event.type, event));
        const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
        streams.add(stream);
        stream.on('close', () => {
          stop();
          clearInterval(heartbeat);
          streams.delete(stream);
        });
      },
    );
  };
}
