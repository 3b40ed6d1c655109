import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { decodeCursor, requireSubject } from '../../platform/http.js';
import { DisplayName, FreeText } from '../../platform/text.js';
import { badRequest, tooLarge, unprocessable, validationFailed, HttpProblem } from '../../platform/errors.js';
import { checkCaption, videoView, type ProfileSeed, type SocialService } from './service.js';
import { AVATAR_SIZE, storeAvatar } from './media/avatar.js';
import { MAX_PICTURE_BYTES, PICTURE_TYPES } from '../../platform/pictures.js';
import { MAX_FRAMES, MAX_LONG_SIDE, probeVideo, ProbeError } from './media/probe.js';
import { forYouPage } from './feed/forYou.js';
import { FeedPageWriter, type PageItem, type TagSource } from './feed/pageJson.js';
import { followingPage } from './feed/following.js';
import { tusRoutes } from './media/tus.js';
import { MAX_OUTPUT_FPS } from './media/transcode.job.js';
import { Accepted, Comment, FeedItem, Handle, Profile, Video, VideoId, WatchEvents, problems } from './schemas.js';

export interface SocialRouteOptions {
  service: SocialService;
  /** Each video's product tags as they are now (the projection in tags/). */
  productTags: TagSource;
  profileSeed: (request: FastifyRequest) => ProfileSeed | undefined;
  maxUploadBytes: number;
}

const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 }));
const Cursor = Type.Optional(Type.String({ maxLength: 1024 }));
const TimeCursor = (value: Record<string, unknown>): value is { t: string; id: string } =>
  typeof value.t === 'string' && !Number.isNaN(Date.parse(value.t)) && typeof value.id === 'string' && /^[0-9a-f-]{36}$/.test(value.id);
const timeCursorOf = (row: { created_at: Date | string; id: string }) => ({ t: new Date(row.created_at).toISOString(), id: row.id });

function page<R extends { id: string; created_at: Date | string }, I>(rows: R[], limit: number, toItem: (row: R) => I) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return {
    items: kept.map(toItem),
    nextCursor: more && last ? Buffer.from(JSON.stringify(timeCursorOf(last))).toString('base64url') : null,
  };
}

export function socialRoutes({ service, productTags, profileSeed, maxUploadBytes }: SocialRouteOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(Video);
    app.addSchema(FeedItem);
    app.addSchema(Profile);
    app.addSchema(Comment);

    /** The caller's social subject, with their profile created on first use. */
    const me = async (request: FastifyRequest) => {
      const subject = requireSubject(request);
      await service.ensureProfileExists(subject, profileSeed(request));
      return subject;
    };

    /**
     * A person who signed up and has not acted socially yet has no profile row; their own page
     * (the header links there) creates it rather than answering 404.
     */
    const ensureOwnProfile = async (request: FastifyRequest, handle: string) => {
      const seed = profileSeed(request);
      if (request.subject && seed && seed.handle.toLowerCase() === handle.toLowerCase()) await service.ensureProfile(request.subject, seed);
    };

    // ---- upload (multipart), in its own scope so the multipart parser applies only here
    await app.register(async (scope) => {
      await scope.register(multipart, {
        limits: { fileSize: maxUploadBytes, files: 1, fields: 4, fieldSize: 16 * 1024, parts: 6 },
      });
      scope.post(
        '/social/videos',
        {
          schema: {
            tags: ['social'],
            summary: 'Upload a video (multipart: `file`, `caption`)',
            description: `MP4, MOV or 3GP, WebM or Matroska, told by the content: at most ${maxUploadBytes} bytes, 10 minutes, ${MAX_LONG_SIDE} pixels on the long side and ${MAX_FRAMES} frames. Answers 202 and transcodes in the background (at most ${MAX_OUTPUT_FPS} frames a second).`,
            consumes: ['multipart/form-data'],
            response: { 202: Accepted, ...problems(400, 401, 413, 415, 422) },
          },
        },
        async (request, reply) => {
          const subject = await me(request);
          if (!request.isMultipart()) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the video as multipart/form-data.');
          await mkdir(service.media.incoming, { recursive: true });
          let file: string | undefined;
          let caption = '';
          try {
            for await (const part of request.parts()) {
              if (part.type === 'file') {
                if (part.fieldname !== 'file' || file) {
                  part.file.resume();
                  throw badRequest('Send exactly one file, in the field "file".', { file: ['exactly one file is expected'] });
                }
                file = path.join(service.media.incoming, randomUUID());
                await pipeline(part.file, createWriteStream(file));
                if (part.file.truncated) throw tooLarge(`The video is larger than ${maxUploadBytes} bytes.`);
              } else if (part.fieldname === 'caption') {
                if (part.valueTruncated) throw validationFailed({ caption: ['is too long'] });
                caption = String(part.value ?? '');
              }
            }
            if (!file) throw validationFailed({ file: ['is required'] });
            checkCaption(caption);
            const probe = await probeVideo(file).catch((error: unknown) => {
              if (error instanceof ProbeError) throw unprocessable(`This file is not a video we can use: ${error.message}.`, { file: [error.message] });
              throw error;
            });
            const created = await service.createVideo(subject, caption, file, probe);
            file = undefined;
            return reply.code(202).send(created);
          } catch (error) {
            if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(`The video is larger than ${maxUploadBytes} bytes.`);
            throw error;
          } finally {
            if (file) await rm(file, { force: true });
          }
        },
      );
    });

    // ---- resumable upload (tus), with its body left unparsed for the tus server
    await app.register(tusRoutes({ service, me, maxUploadBytes }));

    // ---- videos
    app.get(
      '/social/videos/:id',
      { schema: { tags: ['social'], summary: 'A video; its author also sees it while processing or failed. An age-gated video answers 403 (age-confirmation-required) to a viewer who has not confirmed being 18 or older', params: VideoId, response: { 200: Video, ...problems(400, 403, 404) } } },
      async (request) => videoView(await service.getVideo(request.params.id, request.subject), request.subject),
    );

    app.patch(
      '/social/videos/:id',
      {
        schema: {
          tags: ['social'],
          summary: 'Change the caption (author only)',
          params: VideoId,
          body: Type.Object({ caption: FreeText() }),
          response: { 200: Video, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const subject = await me(request);
        return videoView(await service.updateCaption(request.params.id, subject, request.body.caption), subject);
      },
    );

    app.delete(
      '/social/videos/:id',
      { schema: { tags: ['social'], summary: 'Delete a video and its media (author only)', params: VideoId, response: { 204: Type.Null(), ...problems(400, 401, 403, 404) } } },
      async (request, reply) => {
        const subject = await me(request);
        await service.deleteVideo(request.params.id, subject);
        return reply.code(204).send(null);
      },
    );

    for (const method of ['post', 'delete'] as const) {
      app[method](
        '/social/videos/:id/like',
        { schema: { tags: ['social'], summary: method === 'post' ? 'Like (idempotent)' : 'Unlike (idempotent)', params: VideoId, response: { 200: Video, ...problems(400, 401, 404, 422) } } },
        async (request) => {
          const subject = await me(request);
          const row = method === 'post' ? await service.like(request.params.id, subject) : await service.unlike(request.params.id, subject);
          return videoView(row, subject);
        },
      );
    }

    app.post(
      '/social/videos/:id/share',
      { schema: { tags: ['social'], summary: 'Count a share', params: VideoId, response: { 200: Video, ...problems(400, 404, 422) } } },
      async (request) => videoView(await service.share(request.params.id, request.subject), request.subject),
    );

    // ---- comments
    const commentView = (row: { id: string; text: string; created_at: Date | string; handle: string; display_name: string; avatar_url: string | null }) => ({
      id: row.id,
      text: row.text,
      author: { handle: row.handle, displayName: row.display_name, avatarUrl: row.avatar_url },
      createdAt: new Date(row.created_at).toISOString(),
    });

    app.post(
      '/social/videos/:id/comments',
      {
        schema: {
          tags: ['social'],
          summary: 'Comment (1–500 characters after trimming; at most 10 a minute)',
          params: VideoId,
          body: Type.Object({ text: FreeText({ maxLength: 4000 }) }),
          response: { 201: Comment, ...problems(400, 401, 404, 422, 429) },
        },
      },
      async (request, reply) => {
        const subject = await me(request);
        return reply.code(201).send(commentView(await service.comment(request.params.id, subject, request.body.text)));
      },
    );

    app.get(
      '/social/videos/:id/comments',
      {
        schema: {
          tags: ['social'],
          summary: 'Comments, newest first',
          params: VideoId,
          querystring: Type.Object({ limit: Limit, cursor: Cursor }),
          response: { 200: Type.Object({ items: Type.Array(Comment), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 404) },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 20;
        const before = decodeCursor(request.query.cursor, TimeCursor);
        const rows = await service.listComments(request.params.id, request.subject, limit, before);
        return page(rows, limit, commentView);
      },
    );

    app.delete(
      '/social/videos/:id/comments/:commentId',
      {
        schema: {
          tags: ['social'],
          summary: 'Delete a comment (its author or the video author)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }), commentId: Type.String({ format: 'uuid' }) }),
          response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const subject = await me(request);
        await service.deleteComment(request.params.id, request.params.commentId, subject);
        return reply.code(204).send(null);
      },
    );

    // ---- profiles and follows
    app.get(
      '/social/me',
      { schema: { tags: ['social'], summary: 'Your own profile, created on first use', response: { 200: Profile, ...problems(401, 422) } } },
      async (request) => {
        const subject = await me(request);
        const profile = await service.db.selectFrom('profiles').select('handle').where('subject', '=', subject).executeTakeFirstOrThrow();
        return service.getProfile(profile.handle, subject);
      },
    );

    const AgeState = Type.Object({ adultConfirmed: Type.Boolean(), confirmedAt: Type.Union([Type.String(), Type.Null()]) });
    app.get(
      '/social/me/age',
      { schema: { tags: ['social'], summary: 'Whether you said you are 18 or older (opens age-gated videos and lives)', response: { 200: AgeState, ...problems(401, 422) } } },
      async (request) => {
        const subject = await me(request);
        const row = await service.db.selectFrom('profiles').select('adult_confirmed_at').where('subject', '=', subject).executeTakeFirstOrThrow();
        return { adultConfirmed: row.adult_confirmed_at !== null, confirmedAt: row.adult_confirmed_at ? new Date(row.adult_confirmed_at).toISOString() : null };
      },
    );
    app.put(
      '/social/me/age',
      {
        schema: {
          tags: ['social'],
          summary: 'Say you are 18 or older (self-declared), or take it back',
          body: Type.Object({ adult: Type.Boolean({ description: 'true: I am 18 or older' }) }),
          response: { 200: AgeState, ...problems(400, 401, 422) },
        },
      },
      async (request) => service.confirmAdult(await me(request), request.body.adult),
    );

    // ---- avatar: the picture's own bytes, in a scope of its own so only here are images parsed
    await app.register(async (scope) => {
      scope.addContentTypeParser([...PICTURE_TYPES], { parseAs: 'buffer', bodyLimit: MAX_PICTURE_BYTES }, (_request, body, done) => done(null, body));
      scope.put(
        '/social/me/avatar',
        {
          schema: {
            tags: ['social'],
            summary: 'Upload your avatar: the JPEG, PNG or WebP bytes as the body',
            description: `At most ${MAX_PICTURE_BYTES} bytes. Checked to be a picture by its content, then cut to a square and scaled to ${AVATAR_SIZE} px.`,
            consumes: [...PICTURE_TYPES],
            response: { 200: Profile, ...problems(401, 413, 415, 422) },
          },
        },
        async (request) => {
          const subject = await me(request);
          if (!Buffer.isBuffer(request.body)) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the picture with Content-Type image/jpeg, image/png or image/webp.');
          const url = await storeAvatar(service.media, String(request.headers['content-type'] ?? ''), request.body);
          return service.replaceAvatar(subject, url);
        },
      );
    });

    app.delete(
      '/social/me/avatar',
      { schema: { tags: ['social'], summary: 'Remove your avatar', response: { 200: Profile, ...problems(401, 422) } } },
      async (request) => service.replaceAvatar(await me(request), null),
    );

    app.get(
      '/social/users/:handle',
      { schema: { tags: ['social'], summary: 'A profile with its counts', params: Handle, response: { 200: Profile, ...problems(400, 404) } } },
      async (request) => {
        await ensureOwnProfile(request, request.params.handle);
        return service.getProfile(request.params.handle, request.subject);
      },
    );

    app.patch(
      '/social/users/:handle',
      {
        schema: {
          tags: ['social'],
          summary: 'Change your own profile',
          params: Handle,
          body: Type.Object({
            displayName: Type.Optional(DisplayName({ maxLength: 100 })),
            bio: Type.Optional(FreeText({ maxLength: 300 })),
            avatarUrl: Type.Optional(Type.Union([Type.String({ maxLength: 500, pattern: '^(https://|/media/)' }), Type.Null()])),
          }),
          response: { 200: Profile, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => service.updateProfile(await me(request), request.params.handle, request.body),
    );

    app.get(
      '/social/users/:handle/videos',
      {
        schema: {
          tags: ['social'],
          summary: "A creator's videos, newest first",
          params: Handle,
          querystring: Type.Object({ limit: Limit, cursor: Cursor }),
          response: { 200: Type.Object({ items: Type.Array(Video), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 404) },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 20;
        await ensureOwnProfile(request, request.params.handle);
        const rows = await service.listAuthorVideos(request.params.handle, request.subject, limit, decodeCursor(request.query.cursor, TimeCursor));
        return page(rows, limit, (row) => videoView(row, request.subject));
      },
    );

    for (const method of ['post', 'delete'] as const) {
      app[method](
        '/social/users/:handle/follow',
        { schema: { tags: ['social'], summary: method === 'post' ? 'Follow (idempotent)' : 'Unfollow (idempotent)', params: Handle, response: { 200: Profile, ...problems(400, 401, 404, 422) } } },
        async (request) => {
          const subject = await me(request);
          return method === 'post' ? service.follow(subject, request.params.handle) : service.unfollow(subject, request.params.handle);
        },
      );
    }

    // ---- blocks and mutes
    for (const [method, on] of [['post', true], ['delete', false]] as const) {
      app[method](
        '/social/users/:handle/block',
        {
          schema: {
            tags: ['social'],
            summary: on ? 'Block: neither sees the other; follows end both ways (idempotent)' : 'Unblock (idempotent)',
            params: Handle,
            response: { 200: Profile, ...problems(400, 401, 404, 422) },
          },
        },
        async (request) => {
          const subject = await me(request);
          return on ? service.block(subject, request.params.handle) : service.unblock(subject, request.params.handle);
        },
      );
      app[method](
        '/social/users/:handle/mute',
        {
          schema: {
            tags: ['social'],
            summary: on ? 'Mute without blocking: their videos and comments leave your feeds, comments and search (idempotent)' : 'Unmute (idempotent)',
            params: Handle,
            response: { 200: Profile, ...problems(400, 401, 404, 422) },
          },
        },
        async (request) => service.mute(await me(request), request.params.handle, on),
      );
    }

    const BlockEntry = Type.Object({ handle: Type.String(), displayName: Type.String(), since: Type.String() });
    app.get(
      '/social/me/blocks',
      { schema: { tags: ['social'], summary: 'The profiles you block and mute', response: { 200: Type.Object({ blocked: Type.Array(BlockEntry), muted: Type.Array(BlockEntry) }), ...problems(401, 422) } } },
      async (request) => service.blockList(await me(request)),
    );

    // ---- hashtags and search
    const HotCursor = (value: Record<string, unknown>): value is { h: number; id: string } =>
      typeof value.h === 'number' && typeof value.id === 'string' && /^[0-9a-f-]{36}$/.test(value.id);

    app.get(
      '/social/hashtags/:tag',
      {
        schema: {
          tags: ['social'],
          summary: 'Videos with a hashtag, most popular first',
          params: Type.Object({ tag: Type.String({ minLength: 1, maxLength: 101 }) }),
          querystring: Type.Object({ limit: Limit, cursor: Cursor }),
          response: {
            200: Type.Object({
              tag: Type.String(), videoCount: Type.Integer(), items: Type.Array(Video), nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...problems(400),
          },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 20;
        const result = await service.hashtagVideos(
          request.params.tag, limit, decodeCursor(request.query.cursor, HotCursor), await service.audience(request.subject),
        );
        const more = result.rows.length > limit;
        const kept = more ? result.rows.slice(0, limit) : result.rows;
        const last = kept.at(-1);
        return {
          tag: result.tag,
          videoCount: result.videoCount,
          items: kept.map((row) => videoView(row, request.subject)),
          nextCursor: more && last ? Buffer.from(JSON.stringify({ h: last.hot, id: last.id })).toString('base64url') : null,
        };
      },
    );

    app.get(
      '/social/search',
      {
        schema: {
          tags: ['social'],
          summary: 'Search captions and hashtags',
          querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 100 }), limit: Limit }),
          response: {
            200: Type.Object({ items: Type.Array(Video), hashtags: Type.Array(Type.Object({ tag: Type.String(), videoCount: Type.Integer() })) }),
            ...problems(400),
          },
        },
      },
      async (request) => {
        if (request.query.q.trim() === '') throw validationFailed({ q: ['must not be blank'] });
        const result = await service.search(request.query.q, request.query.limit ?? 20, request.subject);
        return { items: result.rows.map((row) => videoView(row, request.subject)), hashtags: result.hashtags };
      },
    );

    // ---- feeds
    const feedPages = new FeedPageWriter(productTags, (subject, ids) => service.likedAmong(subject, ids));
    /** Sends a feed page as JSON text (feed/pageJson.ts) with the caller's facts filled in. */
    const sendFeedPage = async (reply: FastifyReply, subject: string | undefined, items: readonly PageItem[], nextCursor: string | null, source?: object) => {
      const text = await feedPages.write(items, nextCursor, subject, source);
      // A string with a content type goes out as is, past the response serializer.
      return reply.type('application/json; charset=utf-8').send(text as never);
    };
    app.get(
      '/social/feed/for-you',
      {
        schema: {
          tags: ['social'],
          summary: 'For You: ranked, each item with its reason',
          description: '`personalized=false` (and every anonymous viewer) gets a ranking that reads no viewing history.',
          querystring: Type.Object({ limit: Limit, cursor: Cursor, personalized: Type.Optional(Type.Boolean({ default: true })) }),
          response: { 200: Type.Object({ items: Type.Array(FeedItem), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400) },
        },
      },
      async (request, reply) => {
        const limit = request.query.limit ?? 20;
        const personalized = request.query.personalized !== false && request.subject !== undefined;
        // Ranking is shared; what a viewer blocked, muted or is blocked by (and age-gated videos for
        // one who has not confirmed being 18 or older) is left out as their page is taken.
        const audience = await service.audience(request.subject);
        const result = await forYouPage(service, request.subject, personalized, limit, request.query.cursor, audience);
        return sendFeedPage(reply, request.subject, result.items, result.nextCursor, request.query.cursor || audience.hidden.size > 0 ? undefined : result);
      },
    );

    app.get(
      '/social/feed/following',
      {
        schema: {
          tags: ['social'],
          summary: 'Following: newest first from creators you follow',
          querystring: Type.Object({ limit: Limit, cursor: Cursor }),
          response: { 200: Type.Object({ items: Type.Array(FeedItem), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 401) },
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        const limit = request.query.limit ?? 20;
        const rows = await followingPage(service, subject, limit, decodeCursor(request.query.cursor, TimeCursor), await service.audience(subject));
        const result = page(rows, limit, (row) => ({ row, why: { code: 'followed' as const, handle: row.handle } }));
        return sendFeedPage(reply, subject, result.items, result.nextCursor, request.query.cursor ? undefined : rows);
      },
    );

    // ---- watch events
    app.post(
      '/social/events',
      {
        schema: {
          tags: ['social'],
          summary: 'Report watch events (at most 100); anonymous viewers count too',
          description: 'At most 30 requests a minute per signed-in viewer, 120 per address for anonymous ones.',
          body: WatchEvents,
          response: { 202: Type.Object({ accepted: Type.Integer() }), ...problems(400, 413, 429) },
        },
        // 100 events are about 12 KB of JSON.
        bodyLimit: 64 * 1024,
        // A player reports every 20 views or 10 seconds. Signed-in viewers are counted by subject;
        // anonymous ones by address, with room for several behind one carrier-grade NAT.
        config: { rateLimit: { max: (request: FastifyRequest) => (request.subject ? 30 : 120), timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => (request.subject ? `subject:${request.subject}` : request.ip) } },
      },
      async (request, reply) => reply.code(202).send({ accepted: await service.recordEvents(request.subject, request.body.events) }),
    );
  };
}

