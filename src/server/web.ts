import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from '../platform/errors.js';

const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Whether the web app is built (web/dist), so it can be served. */
export const webIsBuilt = () => existsSync(path.join(WEB_DIST, 'index.html'));

/** Serves the built web app: the one process does, or in a split the gateway. */
export async function registerWeb(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: WEB_DIST, wildcard: false, index: false, maxAge: '1h' });
}

/**
 * What answers a URL no route took: a GET outside /api/ and /media/ is the web app's (an asset, a
 * file at the root, or index.html for the app's own routes); anything else is a 404 problem.
 */
export function webOrNotFound(hasWeb: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? '/';
    if (hasWeb && request.method === 'GET' && !url.startsWith('/api/') && !url.startsWith('/media/')) {
      if (url.startsWith('/assets/')) {
        const file = url.slice(1);
        if (existsSync(path.join(WEB_DIST, file))) return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(file);
        throw notFound(`No asset ${url}.`);
      }
      const file = url.slice(1);
      if (file && !file.includes('..') && existsSync(path.join(WEB_DIST, file))) return reply.sendFile(file);
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    throw notFound(`No route ${request.method} ${url}.`);
  };
}

/** The web app, when it is built and this process serves it, and the answer to every URL no route took. */
export async function serveWeb(app: FastifyInstance, servesWeb = true): Promise<void> {
  const hasWeb = servesWeb && webIsBuilt();
  if (hasWeb) await registerWeb(app);
  app.setNotFoundHandler(webOrNotFound(hasWeb));
}
