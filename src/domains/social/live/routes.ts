import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { fromOwnSite, requireVerifiedEmail } from '../../../platform/http.js';
import { HttpProblem, problemOf, validationFailed } from '../../../platform/errors.js';
import { Title } from '../../../platform/text.js';
import type { LiveOffer, LiveOfferRef, PromotionCheck } from '../../../contracts/ports.js';
import { ProductCard, problems } from '../schemas.js';
import { FLOOD_MESSAGES, FLOOD_WINDOW_MS, MAX_ROOM_MESSAGE_BYTES, type Viewer } from './room.js';
import { acceptedContainer, BrowserPublish, MAX_PUBLISH_CHUNK_BYTES, PUBLISH_CLOSE, type ClaimedContainer } from './browser-publish.js';
import { LiveService, MAX_LIVE_COMMENT, MAX_LIVE_PRODUCTS } from './service.js';

const Uuid = Type.String({ format: 'uuid' });
const LiveId = Type.Object({ id: Uuid });
const Author = Type.Object({ handle: Type.String(), displayName: Type.String(), avatarUrl: Type.Union([Type.String(), Type.Null()]) });

export const LiveSchema = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    status: Type.Union([Type.Literal('scheduled'), Type.Literal('live'), Type.Literal('ended')]),
    onAir: Type.Boolean({ description: 'A publisher is connected and the stream can be watched now' }),
    scheduledAt: Type.String(),
    startedAt: Type.Union([Type.String(), Type.Null()]),
    endedAt: Type.Union([Type.String(), Type.Null()]),
    host: Author,
    playlistUrl: Type.Union([Type.String(), Type.Null()], { description: 'HLS (fMP4, 1 s segments, program-date-time) while on air' }),
    products: Type.Array(ProductCard),
    pinned: Type.Union([ProductCard, Type.Null()]),
    viewers: Type.Integer({ description: 'Viewers in the room now, on every server process' }),
    counts: Type.Object({ likes: Type.Integer(), comments: Type.Integer(), peakViewers: Type.Integer(), totalViewers: Type.Integer() }),
    replayVideoId: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'SocialLive' },
);
const Live = Type.Ref('SocialLive');
const LiveComment = Type.Object({ id: Type.String(), text: Type.String(), author: Author, at: Type.String() });
const StreamAccess = Type.Object({
  rtmpUrl: Type.Union([Type.String(), Type.Null()], { description: 'Where to publish (null when this server takes no RTMP)' }),
  streamKey: Type.String({ description: 'Secret; shown only here. Rotate it to stop a leaked one.' }),
});

export interface LiveRouteOptions {
  lives: LiveService;
  /** The caller's social subject, with their profile created on first use. */
  me: (request: FastifyRequest) => Promise<string>;
  ensureViewerProfile: (request: FastifyRequest) => Promise<string | undefined>;
  authorize: (request: FastifyRequest, productId: string) => Promise<PromotionCheck>;
  /** The public facts of one of the caller's own shop's offers, through the bridge. */
  liveOffer: (request: FastifyRequest, ref: LiveOfferRef) => Promise<LiveOffer | undefined>;
}

const Drop = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('voucher'), Type.Literal('flash')]),
  offer: Type.Record(Type.String(), Type.Unknown(), { description: 'The public facts of the voucher or flash deal, as its shop shows them' }),
  startsAt: Type.String({ description: 'Count down to this (a flash deal not yet open), then to endsAt' }),
  endsAt: Type.String(),
  droppedAt: Type.String(),
});
const LiveStatsSchema = Type.Object({
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
});

type Incoming = { type: 'comment'; text: string } | { type: 'like'; count: number } | { type: 'ping' };

/** A message a viewer may send, or undefined for anything else (which closes the socket). */
function parseIncoming(data: string): Incoming | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const message = value as Record<string, unknown>;
  if (message.type === 'comment' && typeof message.text === 'string' && message.text.length <= MAX_LIVE_COMMENT * 4) return { type: 'comment', text: message.text };
  if (message.type === 'like') {
    const count = message.count ?? 1;
    if (Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 50) return { type: 'like', count: count as number };
    return undefined;
  }
  if (message.type === 'ping') return { type: 'ping' };
  return undefined;
}

const byteLength = (data: Buffer | ArrayBuffer | Buffer[]) => (Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength);
const asBuffer = (data: Buffer | ArrayBuffer | Buffer[]) => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));

export function liveRoutes({ lives, me, ensureViewerProfile, authorize, liveOffer }: LiveRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(LiveSchema);

    app.post(
      '/social/lives',
      {
        schema: {
          tags: ['social'],
          summary: 'Create a live: now or scheduled, with the products it shows (403 `email-not-verified` until the email is confirmed)',
          description: `Answers the RTMP URL and a secret stream key (kept only hashed; rotate it with POST /social/lives/:id/key). At most ${MAX_LIVE_PRODUCTS} products, each your own shop's or one you promote as a linked affiliate.`,
          body: Type.Object({
            title: Title({ minLength: 1, maxLength: 120 }),
            scheduledAt: Type.Optional(Type.String({ format: 'date-time' })),
            productIds: Type.Optional(Type.Array(Uuid, { maxItems: MAX_LIVE_PRODUCTS })),
          }),
          response: { 201: Type.Object({ live: Live, rtmpUrl: StreamAccess.properties.rtmpUrl, streamKey: Type.String() }), ...problems(400, 401, 403, 422) },
        },
      },
      async (request, reply) => {
        requireVerifiedEmail(request, 'going live');
        const subject = await me(request);
        const created = await lives.create(subject, {
          title: request.body.title, scheduledAt: request.body.scheduledAt, productIds: request.body.productIds ?? [],
        }, (productId) =>
          authorize(request, productId),
        );
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/social/lives',
      {
        schema: {
          tags: ['social'],
          summary: 'Lives on air now, for the top of For You (`feed=for-you`) or Following (`feed=following`)',
          querystring: Type.Object({ feed: Type.Optional(Type.Union([Type.Literal('for-you'), Type.Literal('following')], { default: 'for-you' })) }),
          response: { 200: Type.Object({ items: Type.Array(Live) }), ...problems(400) },
        },
      },
      async (request) => ({ items: await lives.onAir(request.subject, request.query.feed === 'following') }),
    );

    app.get(
      '/social/me/lives',
      { schema: { tags: ['social'], summary: 'Your lives, newest first', response: { 200: Type.Object({ items: Type.Array(Live) }), ...problems(401, 422) } } },
      async (request) => ({ items: await lives.hostLives(await me(request)) }),
    );

    app.get(
      '/social/lives/:id',
      { schema: { tags: ['social'], summary: 'A live; not found where you and the host block each other; 403 for an age-gated one until you confirm being 18 or older', params: LiveId, response: { 200: Live, ...problems(400, 403, 404) } } },
      async (request) => {
        await lives.assertReachable(request.params.id, request.subject);
        if ((await lives.standing(request.params.id, request.subject)) === 'removed') throw new HttpProblem(404, 'not-found', 'Not found', 'No such live.');
        return lives.get(request.params.id);
      },
    );

    app.post(
      '/social/lives/:id/key',
      { schema: { tags: ['social'], summary: 'A new stream key (host only, verified email): the old one stops working and its publisher is cut off', params: LiveId, response: { 200: StreamAccess, ...problems(400, 401, 403, 404, 409) } } },
      async (request) => {
        requireVerifiedEmail(request, 'going live');
        return lives.rotateKey(request.params.id, await me(request));
      },
    );

    app.put(
      '/social/lives/:id/pin',
      {
        schema: {
          tags: ['social'],
          summary: 'Pin one of the live’s products for every viewer (host only); null unpins',
          params: LiveId,
          body: Type.Object({ productId: Type.Union([Uuid, Type.Null()]) }),
          response: { 200: Live, ...problems(400, 401, 404, 409) },
        },
      },
      async (request) => lives.pin(request.params.id, await me(request), request.body.productId),
    );

    app.post(
      '/social/lives/:id/end',
      { schema: { tags: ['social'], summary: 'End the live (host only); the recording becomes a video on your profile', params: LiveId, response: { 200: Live, ...problems(400, 401, 404, 409) } } },
      async (request) => lives.end(request.params.id, await me(request)),
    );

    app.post(
      '/social/lives/:id/comments',
      {
        schema: {
          tags: ['social'],
          summary: `Comment in a live (1–${MAX_LIVE_COMMENT} characters; about one a second, ten per 30 s)`,
          params: LiveId,
          body: Type.Object({ text: Type.String({ maxLength: 2000 }) }),
          response: { 201: LiveComment, ...problems(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request, reply) => reply.code(201).send(await lives.comment(request.params.id, await me(request), request.body.text)),
    );

    app.get(
      '/social/lives/:id/comments',
      { schema: { tags: ['social'], summary: 'The latest comments of a live, oldest first', params: LiveId, response: { 200: Type.Object({ items: Type.Array(LiveComment) }), ...problems(400, 403, 404) } } },
      async (request) => {
        await lives.assertReachable(request.params.id, request.subject);
        return { items: await lives.recentComments(request.params.id, 50, await lives.hiddenFrom(request.subject)) };
      },
    );

    app.delete(
      '/social/lives/:id/comments/:commentId',
      {
        schema: { tags: ['social'], summary: 'Delete a comment (host only)', params: Type.Object({ id: Uuid, commentId: Uuid }), response: { 204: Type.Null(), ...problems(400, 401, 404) } },
      },
      async (request, reply) => {
        await lives.deleteComment(request.params.id, await me(request), request.params.commentId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/social/lives/:id/moderation',
      {
        schema: {
          tags: ['social'],
          summary: 'Mute, unmute or remove a viewer (host only); a removed viewer cannot come back to this live',
          params: LiveId,
          body: Type.Object({ handle: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.]+$' }), action: Type.Union([Type.Literal('mute'), Type.Literal('unmute'), Type.Literal('remove')]) }),
          response: { 204: Type.Null(), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await lives.moderate(request.params.id, await me(request), request.body.handle, request.body.action);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/social/lives/:id/drops',
      {
        schema: {
          tags: ['social'],
          summary: 'Drop one of your shop’s vouchers, or start the countdown of one of its flash deals, in the room (host only)',
          description: 'Give exactly one of `voucherCode` and `flashDealId`. Commerce answers only a current offer of your own shop, and a flash deal only for a product this live shows (400 naming the field otherwise). Every viewer gets a `drop` message stamped with the server time.',
          params: LiveId,
          body: Type.Object({ voucherCode: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })), flashDealId: Type.Optional(Uuid) }),
          response: { 201: Drop, ...problems(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const { voucherCode, flashDealId } = request.body;
        if ((voucherCode === undefined) === (flashDealId === undefined)) {
          throw validationFailed({ voucherCode: ['give this or flashDealId, not both'] }, 'Give exactly one of voucherCode and flashDealId.');
        }
        const ref: LiveOfferRef = voucherCode !== undefined ? { kind: 'voucher', code: voucherCode.trim() } : { kind: 'flash', dealId: flashDealId! };
        const host = await me(request);
        return reply.code(201).send(await lives.drop(request.params.id, host, ref, (r) => liveOffer(request, r)));
      },
    );

    app.get(
      '/social/lives/:id/drops',
      {
        schema: {
          tags: ['social'],
          summary: 'The vouchers and flash deals in the room now, with the server time to count down against',
          params: LiveId,
          response: { 200: Type.Object({ items: Type.Array(Drop), serverTime: Type.String() }), ...problems(400, 403, 404) },
        },
      },
      async (request) => {
        await lives.assertReachable(request.params.id, request.subject);
        return { items: await lives.activeDrops(request.params.id), serverTime: new Date().toISOString() };
      },
    );

    app.delete(
      '/social/lives/:id/drops/:dropId',
      { schema: { tags: ['social'], summary: 'Take a drop out of the room (host only)', params: Type.Object({ id: Uuid, dropId: Uuid }), response: { 204: Type.Null(), ...problems(400, 401, 404) } } },
      async (request, reply) => {
        await lives.withdrawDrop(request.params.id, await me(request), request.params.dropId);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/social/lives/:id/products/:productId/open',
      {
        schema: {
          tags: ['social'],
          summary: 'A viewer taps one of the live’s products: counted for the host, with an attribution token that names the live and no viewer',
          params: Type.Object({ id: Uuid, productId: Uuid }),
          response: { 200: Type.Object({ attributionToken: Type.Union([Type.String(), Type.Null()]), product: ProductCard }), ...problems(400, 403, 404) },
        },
      },
      async (request) => lives.openProduct(request.params.id, request.params.productId, request.subject),
    );

    app.get(
      '/social/lives/:id/stats',
      { schema: { tags: ['social'], summary: 'Your live’s viewers, comments, likes and product taps (host only; orders are at /api/creator/lives/:id/analytics)', params: LiveId, response: { 200: LiveStatsSchema, ...problems(400, 401, 404) } } },
      async (request) => {
        const stats = await lives.statsOf(request.params.id, await me(request));
        if (!stats) throw new HttpProblem(404, 'not-found', 'Not found', 'No such live.');
        return stats;
      },
    );

    // ---- "Live dari kamera": the host's browser publishes its MediaRecorder chunks
    app.route({
      method: 'GET',
      url: '/social/lives/:id/publish',
      schema: {
        tags: ['social'],
        summary: 'Publish to your live from the browser (WebSocket; host only, verified email)',
        description: `Say what the recorder writes with \`?container=webm\` (Chromium, Firefox: VP8/VP9 and Opus) or \`?container=mp4\` (Safari: fragmented MP4, H.264 and AAC); the first bytes must be that container (without it they are recognised). Send the MediaRecorder's chunks as binary frames, each at most ${MAX_PUBLISH_CHUNK_BYTES} bytes, after the server's \`{type:"ready"}\`; one ffmpeg per live encodes them to H.264/AAC HLS as for RTMP. Closing the socket ends the publish. Server → client: \`ready\` (send now), \`publishing\` (ffmpeg took the stream; the room hears \`stream\` once it can be watched), \`error\`. Closed with 1003 for bytes that are no recording (or that ffmpeg cannot read), 1008 cross-site, 1009 for a chunk too big, 4401 without sign-in, 4403 without a verified email, 4404 for a live not yours, 4409 for an ended live or one someone already publishes to.`,
        params: LiveId,
        querystring: Type.Object({ container: Type.Optional(Type.Union([Type.Literal('webm'), Type.Literal('mp4')], { description: 'What the recorder writes' })) }),
        response: { ...problems(400, 426) },
      },
      handler: async () => {
        throw new HttpProblem(426, 'upgrade-required', 'Upgrade required', 'Publish with a WebSocket.');
      },
      wsHandler: (socket: WebSocket, request) => {
        const { id: liveId } = request.params as { id: string };
        const claimed = (request.query as { container?: ClaimedContainer }).container;
        const send = (message: Record<string, unknown>) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ ...message, at: new Date().toISOString() }));
        };
        const refuse = (error: unknown) => {
          const problem = problemOf(error);
          const code =
            problem.status === 401 ? PUBLISH_CLOSE.signIn
            : problem.status === 403 ? PUBLISH_CLOSE.forbidden
            : problem.status === 409 ? PUBLISH_CLOSE.busy
            : PUBLISH_CLOSE.notFound;
          send({ type: 'error', status: problem.status, detail: problem.detail });
          socket.close(code, problem.title.slice(0, 120));
        };
        let host: string | undefined;
        let publish: BrowserPublish | undefined;
        let chain: Promise<void> = (async () => {
          if (!fromOwnSite(request)) return socket.close(PUBLISH_CLOSE.crossSite, 'cross-site');
          try {
            requireVerifiedEmail(request, 'going live');
            const subject = await me(request);
            await lives.assertCanPublish(liveId, subject);
            host = subject;
            send({ type: 'ready' });
          } catch (error) {
            refuse(error);
          }
        })();
        socket.on('message', (data, isBinary) => {
          if (byteLength(data) > MAX_PUBLISH_CHUNK_BYTES) return socket.close(PUBLISH_CLOSE.tooBig, 'chunk too big');
          if (!isBinary) return socket.close(PUBLISH_CLOSE.unplayable, 'send the recording as binary frames');
          const chunk = asBuffer(data);
          if (publish) return publish.push(chunk);
          chain = chain.then(async () => {
            if (!host || socket.readyState !== socket.OPEN) return;
            if (publish) return publish.push(chunk);
            const container = acceptedContainer(chunk, claimed);
            if (!container) return socket.close(PUBLISH_CLOSE.unplayable, claimed ? `not a ${claimed === 'mp4' ? 'MP4' : 'WebM'} recording` : 'not a WebM or MP4 recording');
            const taking = new BrowserPublish(container, socket);
            taking.push(chunk);
            try {
              await lives.takeBrowserPublish(liveId, host, taking);
              publish = taking;
              send({ type: 'publishing' });
            } catch (error) {
              refuse(error);
            }
          });
        });
      },
    });

    // ---- the room
    app.route({
      method: 'GET',
      url: '/social/lives/:id/room',
      schema: {
          tags: ['social'],
          summary: 'The live room (WebSocket)',
          description:
            'Server → client JSON: `hello` (the live, recent comments, the drops in the room, you), `comment`, `drop` and `undrop` (vouchers and flash-sale countdowns), `deleted`, `likes` (batched, twice a second), `viewers`, `pin`, `stream`, `offair`, `ended`, `error`; each with `at`, the server time. Client → server: `{type:"comment",text}`, `{type:"like",count}`, `{type:"ping"}`. A viewer the host removed is closed with 4403, one who may not reach the live (blocks) with 4404, one who has not confirmed being 18 or older for an age-gated live with 4451. Anything else, a binary frame, over 4 KB, or more than 20 messages in 5 s closes the socket (1008).',
          params: LiveId,
          response: { ...problems(400, 426) },
      },
      handler: async () => {
        throw new HttpProblem(426, 'upgrade-required', 'Upgrade required', 'Open the live room with a WebSocket.');
      },
      wsHandler: (socket: WebSocket, request) => {
        const { id: liveId } = request.params as { id: string };
        let viewer: Viewer | undefined;
        const recent: number[] = [];
        const send = (message: Record<string, unknown>) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ ...message, at: new Date().toISOString() }));
        };
        // Messages are handled in order, each after the room was joined.
        let chain: Promise<void>;
        const ready = (async () => {
          if (!fromOwnSite(request)) return socket.close(1008, 'cross-site');
          const subject = await ensureViewerProfile(request);
          const reachable = await lives.assertReachable(liveId, subject).then(
            () => 'ok' as const,
            (error: unknown) => (problemOf(error).status === 403 ? ('age' as const) : ('none' as const)),
          );
          if (reachable === 'age') return socket.close(4451, 'age confirmation required');
          const live = reachable === 'ok' ? await lives.get(liveId).catch(() => undefined) : undefined;
          if (!live || live.status === 'ended') return socket.close(4404, 'no such live');
          const standing = await lives.standing(liveId, subject);
          if (standing === 'removed') return socket.close(4403, 'removed by the host');
          if (socket.readyState !== socket.OPEN) return;
          const hidden = await lives.hiddenFrom(subject);
          viewer = { socket, subject, handle: undefined, host: subject !== undefined && (await lives.isHost(liveId, subject)), recent, hidden };
          const count = lives.rooms.join(liveId, viewer, live.counts.likes);
          socket.once('close', () => viewer && lives.rooms.leave(liveId, viewer));
          // A removal made (on any process) while this viewer was being let in: its kick may have
          // passed the room before they were in it, so their standing is read once more.
          if (subject !== undefined && (await lives.standing(liveId, subject)) === 'removed') return socket.close(4403, 'removed by the host');
          send({ type: 'hello', live: { ...live, viewers: count }, comments: await lives.recentComments(liveId, 50, hidden), drops: await lives.activeDrops(liveId), you: { signedIn: subject !== undefined, host: viewer.host, muted: standing === 'muted' } });
        })().catch((error: unknown) => {
          request.log.warn({ err: error }, 'live room join failed');
          socket.close(1011, 'try again');
        });
        chain = ready;
        socket.on('message', (data, isBinary) => {
          const now = Date.now();
          while (recent.length > 0 && now - recent[0]! > FLOOD_WINDOW_MS) recent.shift();
          recent.push(now);
          if (recent.length > FLOOD_MESSAGES) return socket.close(1008, 'too many messages');
          // The socket layer admits a browser publisher's larger chunks; a room message stays small.
          if (byteLength(data) > MAX_ROOM_MESSAGE_BYTES) return socket.close(1009, 'message too big');
          const message = isBinary ? undefined : parseIncoming(data.toString());
          if (!message) return socket.close(1008, 'not a room message');
          chain = chain.then(async () => {
            if (!viewer || socket.readyState !== socket.OPEN) return;
            if (message.type === 'ping') return send({ type: 'pong' });
            if (message.type === 'like') return lives.rooms.like(liveId, message.count);
            if (!viewer.subject) return send({ type: 'error', status: 401, detail: 'Sign in to comment.' });
            try {
              await lives.comment(liveId, viewer.subject, message.text);
            } catch (error) {
              const problem = problemOf(error);
              send({ type: 'error', status: problem.status, detail: problem.detail, errors: problem.errors });
            }
          });
        });
      },
    });
  };
}
