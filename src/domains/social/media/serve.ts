import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { AVATAR_URL_PREFIX, LIVE_URL_PREFIX, MEDIA_URL_PREFIX, type MediaPaths } from './paths.js';

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
};

/**
 * Serves transcoded media under /media/videos/ (and avatars under /media/avatars/) with HLS content types and Range support.
 * Segments and posters never change under a name, so they are cached for a year; playlists
 * briefly, since a re-run of a failed transcode rewrites them.
 */
export function mediaRoutes(media: MediaPaths): FastifyPluginAsync {
  return async (app) => {
    mkdirSync(media.videos, { recursive: true });
    await app.register(fastifyStatic, {
      root: media.videos,
      prefix: MEDIA_URL_PREFIX,
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      acceptRanges: true,
      cacheControl: false,
      setHeaders(reply: FastifyReply, file: string) {
        const ext = path.extname(file);
        const type = TYPES[ext];
        if (type) reply.header('content-type', type);
        reply.header('cache-control', ext === '.m3u8' ? 'public, max-age=60' : 'public, max-age=31536000, immutable');
        reply.header('cross-origin-resource-policy', 'same-site');
      },
    });
    // Live HLS: the playlist changes every second and must never be cached; a segment and the
    // init segment never change under a name. Only what ffmpeg writes there is served.
    mkdirSync(media.live, { recursive: true });
    await app.register(fastifyStatic, {
      root: media.live,
      prefix: LIVE_URL_PREFIX,
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      acceptRanges: true,
      cacheControl: false,
      allowedPath: (pathName) => /^\/[0-9a-f-]{36}\/\d{1,6}\/(index\.m3u8|init\.mp4|seg_\d{5,}\.m4s)$/.test(pathName),
      setHeaders(reply: FastifyReply, file: string) {
        const ext = path.extname(file);
        const type = TYPES[ext];
        if (type) reply.header('content-type', type);
        reply.header('cache-control', ext === '.m3u8' ? 'no-cache, no-store' : 'public, max-age=31536000, immutable');
        reply.header('cross-origin-resource-policy', 'same-site');
      },
    });
    // Avatars never change under a name either: a new picture gets a new one.
    mkdirSync(media.avatars, { recursive: true });
    await app.register(fastifyStatic, {
      root: media.avatars,
      prefix: AVATAR_URL_PREFIX,
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      cacheControl: false,
      setHeaders(reply: FastifyReply) {
        reply.header('content-type', 'image/jpeg');
        reply.header('cache-control', 'public, max-age=31536000, immutable');
        reply.header('cross-origin-resource-policy', 'same-site');
      },
    });
  };
}
