import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { EVENTS, Server, type ServerOptions } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { uuidv7 } from '../../../platform/ids.js';
import { notFound, problemOf, unprocessable } from '../../../platform/errors.js';
import { checkCaption, type SocialService } from '../service.js';
import { probeVideo, ProbeError } from './probe.js';

export const TUS_PATH = '/api/social/uploads';
/** An upload not finished within a day is dropped, files and record. */
const UPLOAD_EXPIRY_MS = 24 * 3600_000;

type TusRequest = Parameters<NonNullable<ServerOptions['onUploadCreate']>>[0];

interface TusOptions {
  service: SocialService;
  me: (request: FastifyRequest) => Promise<string>;
  maxUploadBytes: number;
}

/** A tus hook error: the status and an RFC 9457 body. */
function tusError(error: unknown): { status_code: number; body: string } {
  const { headers: _headers, ...problem } = problemOf(error);
  return { status_code: problem.status, body: JSON.stringify({ ...problem, instance: TUS_PATH }) };
}

/**
 * Resumable uploads (tus 1.0) at /api/social/uploads. Fastify authenticates and checks that an
 * upload belongs to the caller, then hands the raw request to the tus server. A finished upload
 * goes through the same probe and `createVideo` as a multipart one.
 */
export function tusRoutes({ service, me, maxUploadBytes }: TusOptions): FastifyPluginAsync {
  return async (app) => {
    const owners = new WeakMap<IncomingMessage, string>();
    const ownerOf = (req: TusRequest): string => {
      const raw = (req as unknown as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
      const subject = raw ? owners.get(raw) : undefined;
      if (!subject) throw { status_code: 401, body: 'Sign in first.' };
      return subject;
    };
    const discard = async (id: string) => {
      await rm(path.join(service.media.uploads, id), { force: true });
      await rm(path.join(service.media.uploads, `${id}.json`), { force: true });
      await service.db.deleteFrom('uploads').where('id', '=', id).execute();
    };

    const tus = new Server({
      path: TUS_PATH,
      datastore: new FileStore({ directory: service.media.uploads, expirationPeriodInMilliseconds: UPLOAD_EXPIRY_MS }),
      maxSize: maxUploadBytes,
      relativeLocation: true,
      respectForwardedHeaders: false,
      namingFunction: () => uuidv7(),
      async onUploadCreate(req, upload) {
        const owner = ownerOf(req);
        const caption = upload.metadata?.caption ?? '';
        try {
          checkCaption(caption);
        } catch (error) {
          throw tusError(error);
        }
        await service.db.insertInto('uploads').values({ id: upload.id, owner, caption }).execute();
        return {};
      },
      async onUploadFinish(req, upload) {
        const owner = ownerOf(req);
        const file = path.join(service.media.uploads, upload.id);
        const record = await service.db.selectFrom('uploads').select(['owner', 'caption']).where('id', '=', upload.id).executeTakeFirst();
        if (!record || record.owner !== owner) throw tusError(notFound('No such upload.'));
        try {
          const probe = await probeVideo(file);
          const created = await service.createVideo(owner, record.caption, file, probe);
          await discard(upload.id);
          return { status_code: 204, headers: { 'Sekat-Video-Id': created.id, 'Access-Control-Expose-Headers': 'Sekat-Video-Id' } };
        } catch (error) {
          await discard(upload.id);
          if (error instanceof ProbeError) throw tusError(unprocessable(`This file is not a video we can use: ${error.message}.`, { file: [error.message] }));
          throw tusError(error);
        }
      },
    });

    tus.on(EVENTS.POST_TERMINATE, (_req, _res, id: string) => {
      void service.db.deleteFrom('uploads').where('id', '=', id).execute();
    });

    const sweep = setInterval(() => {
      void (async () => {
        await tus.cleanUpExpiredUploads();
        await service.db.deleteFrom('uploads').where('created_at', '<', new Date(Date.now() - UPLOAD_EXPIRY_MS)).execute();
      })().catch((error: unknown) => app.log.warn({ err: error }, 'could not sweep expired uploads'));
    }, 3600_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));

    // tus reads the body itself: leave it unparsed in this scope.
    app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));

    const handle = async (request: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
      if (request.method === 'OPTIONS') {
        reply.hijack();
        return tus.handle(request.raw, reply.raw);
      }
      const subject = await me(request);
      const id = request.params.id;
      if (id !== undefined) {
        const upload = await service.db.selectFrom('uploads').select('owner').where('id', '=', id).executeTakeFirst();
        if (!upload || upload.owner !== subject) throw notFound('No such upload.');
      }
      owners.set(request.raw, subject);
      reply.hijack();
      await tus.handle(request.raw, reply.raw);
    };

    const schema = { tags: ['social'], summary: 'tus 1.0 resumable upload (creation, core, termination); metadata `caption`', hide: false };
    app.route({ method: ['POST', 'OPTIONS'], url: '/social/uploads', schema, handler: handle });
    app.route({
      method: ['HEAD', 'PATCH', 'DELETE'],
      url: '/social/uploads/:id',
      schema: { ...schema, params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } }, required: ['id'] } },
      handler: handle,
    });
  };
}
