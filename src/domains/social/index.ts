import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DomainDeps, DomainInstance } from '../../platform/domain.js';
import type { SocialDB, SocialTables } from './store.js';
import { requireSubject } from '../../platform/http.js';
import { SocialService, type ProfileSeed } from './service.js';
import { CounterFold } from './counters.js';
import type { CacheStats } from './feed/shortLived.js';
import { socialRoutes } from './routes.js';
import { avatarFileOf } from './media/avatar.js';
import { MediaPaths } from './media/paths.js';
import { mediaRoutes } from './media/serve.js';
import { registerSocialJobs } from './jobs.js';
import { rememberService } from './internals.js';
import type { LiveOffer, LiveOfferRef, SocialPort } from '../../contracts/ports.js';
import type { ProductUpserted } from '../../contracts/commerce.js';
import { ProductCards } from './tags/cards.js';
import { TagService } from './tags/tags.js';
import { tagRoutes, type AuthorizeTag } from './tags/routes.js';
import { attachVideoFacts } from './tags/attach.js';
import type { TagsDb } from './tags/store.js';
import { socialModeration } from './moderation.js';
import { moderationRoutes } from '../../platform/moderation/routes.js';
import websocket from '@fastify/websocket';
import { MAX_PUBLISH_CHUNK_BYTES } from './live/browser-publish.js';
import { openIngest, RTMP_APP, type Ingest } from './live/ingest.js';
import { Rooms } from './live/room.js';
import { LiveService } from './live/service.js';
import { liveRoutes } from './live/routes.js';
import type { LiveDb } from './live/store.js';
import { notificationRoutes } from '../../platform/notifications.js';
import { announceLive, forgetBetween, socialInbox, SocialNotificationSchema } from './notifications.js';

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
  /** Signs attribution tokens (commerce verifies them with the same key). */
  attributionKey: string;
  /** Asks the bridge whether the caller may tag a product; without it only nothing may be tagged. */
  authorizeTag?: AuthorizeTag;
  /** Asks the bridge for the public facts of one of the caller's own shop's vouchers or flash deals (a live drop). */
  liveOffer?: (request: FastifyRequest, ref: LiveOfferRef) => Promise<LiveOffer | undefined>;
  /** Whether the caller operates the platform (the composition root knows; social hears yes or no). */
  isOperator?: (request: FastifyRequest) => boolean;
  /** Where RTMP listens (null: this process takes no live streams) and the URL creators are told. */
  rtmp?: { host: string; port: number; publicUrl: string | undefined } | null;
  /** Where people reach the app; the RTMP URL shown to creators uses its host name by default. */
  publicUrl?: string;
}

export interface SocialInstance extends DomainInstance {
  /** Serves /media/videos/… at the root of the app. */
  media: FastifyPluginAsync;
  /** For the bridge: everything social holds about a subject, with the paths of its media files. */
  exportSubject: SocialService['exportSubject'];
  /** For the bridge: removes everything social holds about a subject, media files included. */
  eraseSubject: SocialService['eraseSubject'];
  /** Hits, misses and size of every cache social keeps (printed by bench:crowd). */
  cacheStats(): CacheStats[];
  /** Folds engagement into the videos' counters about once a second; `settle()` folds all now. */
  counters: CounterFold;
  /** Fills an empty product-card projection from commerce's snapshot. */
  rebuildProductCards(snapshot: () => Promise<ProductUpserted[]>): Promise<number>;
  /** What the bridge may call (contracts/ports.ts). */
  port: SocialPort;
  lives: LiveService;
  /** The RTMP port this process listens on, once routes are registered (undefined without RTMP). */
  rtmpPort(): number | undefined;
}

export function start(deps: DomainDeps, options: SocialOptions): SocialInstance {
  const db: Kysely<SocialDB> = deps.db.withTables<SocialTables>();
  const media = new MediaPaths(deps.dataDir);
  const service = new SocialService(db, media, deps.jobs);
  const counters = new CounterFold(db, deps.log.child({ part: 'counters' }));
  counters.start();
  registerSocialJobs(deps.jobs, { transcode: { db, media, log: deps.log, preset: options.transcodePreset, onReady: () => service.videosChanged() } });
  const cards = new ProductCards(db as unknown as TagsDb, deps.log);
  cards.subscribe(deps.bus);
  const tags = new TagService(db as unknown as TagsDb, cards, options.attributionKey, (subject) => service.signals.forget(subject));
  const authorizeTag: AuthorizeTag =
    options.authorizeTag ?? (async () => ({ allowed: false, ownShop: false, reason: 'Tagging is not available.' }));
  // A decision that ends a live is carried out at once by the process that packages it (and by
  // any other within its poll).
  const moderation = socialModeration(db, () => {
    service.videosChanged();
    void lives.endWhatOthersEnded();
  });
  let ingest: Ingest | undefined;
  const rtmpUrl = () => {
    if (!ingest || !options.rtmp) return null;
    if (options.rtmp.publicUrl) return options.rtmp.publicUrl;
    const host = options.publicUrl ? new URL(options.publicUrl).hostname : 'localhost';
    return `rtmp://${host}:${ingest.port}/${RTMP_APP}`;
  };
  // eslint-disable-next-line prefer-const -- the room callbacks below read it; it is set once they exist
  let lives: LiveService;
  // With several social processes (NATS_URL) each room is heard on all of them; alone, on this one.
  const rooms = new Rooms((totals) => lives.recordTotals(totals), {
    broadcast: deps.broadcast,
    onRemoteClose: () => void lives.endWhatOthersEnded(),
    warn: (message, detail) => deps.log.warn(detail, message),
  });
  lives = new LiveService({ db: db as unknown as LiveDb, media, social: service, rooms, log: deps.log.child({ part: 'live' }), rtmpUrl, attributionKey: options.attributionKey });
  service.onBlock.push((blocker, blocked) => void lives.separate(blocker, blocked).catch(() => undefined));
  const inbox = socialInbox(db);
  /** Everything social holds of a person: their lives, inbox, tags, reports and then the rest. */
  const eraseSubject = async (subject: string): Promise<void> => {
    await lives.eraseOf(subject);
    await inbox.eraseOf(db as never, subject);
    await tags.eraseOf(subject);
    await moderation.eraseOf(db as never, subject);
    await service.eraseSubject(subject);
  };
  service.onBlock.push((blocker, blocked) => void forgetBetween(db, blocker, blocked).catch(() => undefined));
  lives.whenOnAir.push((liveId) => void announceLive(db, liveId).catch((error: unknown) => deps.log.warn({ err: error, liveId }, 'could not tell followers a live started')));
  const profileSeed = options.profileSeed ?? (() => undefined);
  const core = socialRoutes({
    service,
    productTags: cards,
    profileSeed: options.profileSeed ?? (() => undefined),
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
  });
  const instance: SocialInstance = {
    routes: async (app) => {
      attachVideoFacts(app, cards, (subject, ids) => service.likedAmong(subject, ids));
      await app.register(core);
      await app.register(tagRoutes(tags, authorizeTag));
      await app.register(moderationRoutes(moderation, { isOperator: options.isOperator ?? (() => false) }));
      await app.register(notificationRoutes(inbox, SocialNotificationSchema));
      await rooms.listen();
      await app.register(async (scope) => {
        // The largest frame any of these sockets takes: a browser publisher's chunk; the room checks its own 4 KB.
        await scope.register(websocket, { options: { maxPayload: MAX_PUBLISH_CHUNK_BYTES } });
        await scope.register(
          liveRoutes({
            lives,
            me: async (request) => {
              const subject = requireSubject(request);
              await service.ensureProfile(subject, profileSeed(request));
              return subject;
            },
            ensureViewerProfile: async (request) => {
              if (!request.subject) return undefined;
              await service.ensureProfile(request.subject, profileSeed(request));
              return request.subject;
            },
            authorize: authorizeTag,
            liveOffer: options.liveOffer ?? (async () => undefined),
          }),
        );
      });
      if (options.rtmp && !ingest) ingest = await openIngest(options.rtmp.host, options.rtmp.port, deps.log.child({ part: 'rtmp' }), (publish) => lives.takePublish(publish));
    },
    media: mediaRoutes(media),
    exportSubject: (subject) => service.exportSubject(subject),
    eraseSubject,
    counters,
    cacheStats: () => [...service.cacheStats(), cards.stats()],
    rebuildProductCards: (snapshot) => cards.rebuildIfEmpty(snapshot),
    port: {
      exportSubject: async (subject) => {
        const data = await service.exportSubject(subject);
        const files: { path: string; name: string }[] = [];
        const videos = data.videos.map((video) => ({
          ...video,
          files: video.files.map((file) => {
            const name = `${video.id}/${path.relative(media.videoDir(video.id), file)}`;
            files.push({ path: file, name });
            return `social/files/${name}`;
          }),
        }));
        const avatar = avatarFileOf(media, data.profile?.avatarUrl ?? null);
        if (avatar) files.push({ path: avatar, name: `avatar${path.extname(avatar)}` });
        return {
          data: {
            ...data, videos, ...(await tags.exportOf(subject)), ...(await lives.exportOf(subject)), ...(await inbox.exportOf(subject)),
            moderation: await moderation.exportOf(subject),
          },
          files,
        };
      },
      eraseSubject,
      setAffiliateRef: async (subject, ref, seed) => {
        if (ref !== null && seed) await service.ensureProfile(subject, seed);
        await tags.setAffiliateRef(subject, ref);
      },
      setPurchaseCategories: (subject, categories) => tags.setPurchaseCategories(subject, categories),
      creatorStats: (subject, from, to) => tags.creatorStats(subject, from, to),
      liveStats: (subject, liveId) => lives.statsOf(liveId, subject),
    },
    lives,
    rtmpPort: () => ingest?.port,
    health: async () => true,
    stop: async () => {
      await ingest?.close();
      ingest = undefined;
      await lives.stop();
      await rooms.stop();
      await counters.stop();
    },
  };
  rememberService(instance, service);
  return instance;
}
