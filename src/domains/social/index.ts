import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import type { SocialDB } from './store.js';
import { SocialService, type ProfileSeed } from './service.js';
import { socialRoutes } from './routes.js';
import { MediaPaths } from './media/paths.js';
import { mediaRoutes } from './media/serve.js';
import { TRANSCODE_JOB, transcodeJob } from './media/transcode.job.js';

export const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export interface SocialOptions {
  /**
   * The signed-in person's public handle and display name, from which social creates their
   * profile on first use. Social never sees the account id or email.
   */
  profileSeed?: (request: FastifyRequest) => ProfileSeed | undefined;
  maxUploadBytes?: number;
  /** x264 preset for transcoding. */
  transcodePreset?: string;
}

export interface SocialInstance extends DomainInstance {
  /** Serves /media/videos/… at the root of the app. */
  media: FastifyPluginAsync;
  /** For the bridge: everything social holds about a subject, with the paths of its media files. */
  exportSubject: SocialService['exportSubject'];
  /** For the bridge: removes everything social holds about a subject, media files included. */
  eraseSubject: SocialService['eraseSubject'];
  service: SocialService;
}

export function start(deps: DomainDeps, options: SocialOptions = {}): SocialInstance {
  const db = deps.db as Kysely<SocialDB>;
  const media = new MediaPaths(deps.dataDir);
  const service = new SocialService(db, media, deps.jobs);
  deps.jobs.register(TRANSCODE_JOB, transcodeJob({ db, media, log: deps.log, preset: options.transcodePreset, onReady: () => service.videosChanged() }));
  return {
    routes: socialRoutes({
      service,
      profileSeed: options.profileSeed ?? (() => undefined),
      maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    }),
    media: mediaRoutes(media),
    exportSubject: (subject) => service.exportSubject(subject),
    eraseSubject: (subject) => service.eraseSubject(subject),
    service,
    health: async () => true,
    stop: async () => {},
  };
}
