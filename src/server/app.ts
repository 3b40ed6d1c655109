import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { Config, DomainName, TrustProxy } from '../platform/config.js';
import { DOMAINS } from '../platform/config.js';
import { openDomainStore, type DomainStore } from '../platform/db.js';
import { migrate } from '../platform/migrate.js';
import { MemoryBus, type Bus } from '../platform/bus.js';
import { NatsBus } from '../platform/nats-bus.js';
import { JobRunner } from '../platform/jobs.js';
import { OutboxRelay } from '../platform/outbox.js';
import { createLogger, loggerOptions, type Logger } from '../platform/log.js';
import { boundedValidatorCompiler } from '../platform/validation.js';
import { TEXT_FORMATS } from '../platform/text.js';
import type { DestinationStream } from 'pino';
import { notFound, sendProblem, validationFailed } from '../platform/errors.js';
import { fieldWithNul, ProblemSchema, SESSION_COOKIE, sessionTokenOf } from '../platform/http.js';
import type { DomainDeps, DomainInstance } from '../platform/domain.js';
import * as identity from '../domains/identity/index.js';
import * as social from '../domains/social/index.js';
import * as commerce from '../domains/commerce/index.js';
import * as bridge from '../domains/bridge/index.js';
import { setSessionCookie } from '../domains/identity/routes.js';
import { addSecurityHeaders } from './security-headers.js';
import { refuseCrossSiteRequests } from './csrf.js';
import type { SubjectSet } from '../contracts/ports.js';
import { LRUCache } from 'lru-cache';

const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export interface BuildOptions {
  /** In-memory PGlite for every domain (tests). */
  memory?: boolean;
  /** Start job runners and outbox relays (default true). */
  background?: boolean;
  /** Where log lines go (default stdout); tests read them to prove what is never logged. */
  logDestination?: DestinationStream;
  /** The clock session lifetimes are measured by (default Date.now); tests move a fake one. */
  clock?: () => number;
}

/**
 * What Fastify's `trustProxy` is given for TRUST_PROXY. A hop count becomes a function because
 * Fastify (5.12) takes a bare number to mean "trust no peer" and would ignore X-Forwarded-For
 * altogether; proxy-addr calls it with each address from the socket's outwards (i = 0 is the
 * socket), so the client is the address right after the last trusted hop.
 */
export function clientAddressTrust(trust: TrustProxy): false | string[] | ((address: string, i: number) => boolean) {
  if (trust === false) return false;
  if ('hops' in trust) return (_address, i) => i < trust.hops;
  return trust.addresses;
}

export interface Sekat {
  app: FastifyInstance;
  stores: Record<DomainName, DomainStore>;
  domains: { identity: identity.IdentityInstance; social: social.SocialInstance; commerce: commerce.CommerceInstance } & Record<Exclude<DomainName, 'identity' | 'social' | 'commerce'>, DomainInstance>;
  deps: Record<DomainName, DomainDeps>;
  bus: Bus;
  log: Logger;
  close(): Promise<void>;
}

/** Each domain's migrations folder. */
export const MIGRATION_FOLDERS: Record<DomainName, string> = {
  identity: identity.MIGRATIONS,
  social: social.MIGRATIONS,
  commerce: commerce.MIGRATIONS,
  bridge: bridge.MIGRATIONS,
};

/** The composition root: config → stores → domains → one Fastify app. */
export async function buildSekat(config: Config, options: BuildOptions = {}): Promise<Sekat> {
  const log = createLogger(config.logLevel, options.logDestination);
  const stores = {} as Record<DomainName, DomainStore>;
  const deps = {} as Record<DomainName, DomainDeps>;
  // Several processes share events through NATS JetStream; one process needs no server for them.
  const bus: Bus = config.natsUrl ? await NatsBus.connect({ url: config.natsUrl, stream: config.natsStream, log: log.child({ part: 'bus' }) }) : new MemoryBus();
  try {
    // Each domain's store opens and migrates on its own, so they start side by side.
    const opened = await Promise.allSettled(
      DOMAINS.map(async (domain) => {
        const store = await openDomainStore(domain, {
          dataDir: config.dataDir,
          databaseUrl: config.databaseUrl,
          databasePrefix: config.databasePrefix,
          poolMax: config.databasePoolMax,
          memory: options.memory,
          pgliteTemplateDir: config.pgliteTemplateDir,
        });
        stores[domain] = store;
        await migrate(store.db, domain, MIGRATION_FOLDERS[domain]);
        const domainLog = log.child({ domain });
        deps[domain] = {
          db: store.db,
          bus,
          log: domainLog,
          // Social's jobs are transcodes: how many run at once per process is a setting.
          jobs: new JobRunner(store.db, domainLog, domain === 'social' ? { concurrency: config.transcodeConcurrency } : {}),
          outbox: new OutboxRelay(store.db, domain, bus, domainLog),
          dataDir: config.dataDir,
        };
      }),
    );
    const failed = opened.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await Promise.allSettled(Object.values(stores).map((s) => s.close()));
    await bus.close();
    throw error;
  }

  // Who is calling, resolved once per request by the auth hook below. Each domain is then handed
  // only its own view: identity the account id, social and commerce their pairwise subject, and
  // the bridge (which orchestrates consent and privacy requests) the set of them.
  const accountOf = new WeakMap<FastifyRequest, string>();
  const erasingAccountOf = new WeakMap<FastifyRequest, string>();
  // The signed-in account's public handle and display name, which social seeds a profile from
  // on first use. Social gets only these two public facts, never the account id or email.
  const publicProfileOf = new WeakMap<FastifyRequest, { handle: string; displayName: string }>();
  // Requests from the platform's operators (OPERATOR_EMAILS). Commerce hears only yes or no.
  const operatorRequests = new WeakSet<FastifyRequest>();
  // Operators whose session lacks the second factor: their operator routes answer 403
  // `second-factor-required` from here, so the domains still hear only yes or no.
  const operatorRefusals = new WeakMap<FastifyRequest, Exclude<identity.OperatorStanding, 'ready'>>();
  // Requests whose account confirmed its email: every domain hears this claim, and nothing more.
  const verifiedRequests = new WeakSet<FastifyRequest>();
  // Requests whose session signed in or re-authenticated a few minutes ago (identity's claim).
  const recentlyAuthenticatedRequests = new WeakSet<FastifyRequest>();
  const isOperator = (request: FastifyRequest): boolean => {
    const refusal = operatorRefusals.get(request);
    if (refusal) throw identity.secondFactorRequired(refusal);
    return operatorRequests.has(request);
  };
  // Accounts commerce said own no shop, and when it said so: asked again after a minute, so a
  // session takes the seller lifetime within a minute of its shop opening.
  const clock = options.clock ?? Date.now;
  const notSellerAt = new LRUCache<string, number>({ max: 100_000 });
  const knownNonSeller = (accountId: string) => clock() - (notSellerAt.get(accountId) ?? -Infinity) < 60_000;

  // One client for every counter kept in Redis: request rate limits and sign-in throttling.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  const identityDomain = identity.start(
    deps.identity,
    config.secrets,
    { smtpUrl: config.smtpUrl, from: config.mailFrom, publicUrl: config.publicUrl },
    config.operatorEmails,
    redis,
    clock,
  );
  const subjectsFor = (accountId: string): SubjectSet => ({
    identity: accountId,
    social: identityDomain.subjectFor('social', accountId),
    commerce: identityDomain.subjectFor('commerce', accountId),
    bridge: identityDomain.subjectFor('bridge', accountId),
  });
  const subjectsOf: bridge.SubjectsOf = (request, options) => {
    const accountId = accountOf.get(request) ?? (options?.evenErasing ? erasingAccountOf.get(request) : undefined);
    return accountId ? subjectsFor(accountId) : undefined;
  };
  const commerceDomain = commerce.start(
    deps.commerce,
    { attributionKey: config.secrets.attributionKey, paymentServerKey: config.secrets.paymentServerKey },
    {
      paymentProvider: config.paymentProvider,
      paymentExpiry: config.paymentExpiry,
      isOperator,
      iris: config.disbursement.provider === 'iris' ? config.disbursement : undefined,
      biteship: config.courier.provider === 'biteship' ? config.courier : undefined,
    },
  );
  let bridgeDomain: bridge.BridgeInstance | undefined;
  const socialDomain = social.start(deps.social, {
    isOperator,
    profileSeed: (request) => publicProfileOf.get(request),
    maxUploadBytes: config.videoMaxBytes,
    transcodePreset: config.transcodePreset,
    attributionKey: config.secrets.attributionKey,
    rtmp: config.rtmp,
    publicUrl: config.publicUrl,
    authorizeTag: async (request, productId) => {
      const subjects = subjectsOf(request);
      if (!subjects || !bridgeDomain) return { allowed: false, ownShop: false, reason: 'Sign in first.' };
      return bridgeDomain.authorizeTag(subjects, productId);
    },
    liveOffer: async (request, ref) => {
      const subjects = subjectsOf(request);
      if (!subjects || !bridgeDomain) return undefined;
      return bridgeDomain.liveOffer(subjects, ref);
    },
  });
  bridgeDomain = bridge.start(deps.bridge, {
    ports: { identity: identityDomain, social: socialDomain.port, commerce: commerceDomain.port },
    subjectsOf,
    profileSeedOf: (request) => publicProfileOf.get(request),
    linkKey: config.secrets.exportLinkKey,
  });
  const domains = { identity: identityDomain, social: socialDomain, commerce: commerceDomain, bridge: bridgeDomain };
  // Social renders product tags from its own projection; fill it if this is its first start.
  await socialDomain.rebuildProductCards(() => commerceDomain.productSnapshot());

  const app = Fastify({
    logger: loggerOptions(config.logLevel, options.logDestination),
    // A logger per request carries its id into every line; with logging off there are no lines.
    childLoggerFactory: (logger, bindings, childOptions) => (logger.level === 'silent' ? logger : logger.child(bindings, childOptions)),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    trustProxy: clientAddressTrust(config.trustProxy),
    // A connection whose headers never finish is closed after headersTimeout, a request whose body
    // never finishes after requestTimeout (checked every connectionsCheckingInterval).
    http: { headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: Math.min(5000, Math.max(50, Math.floor(config.http.headersTimeoutMs / 4))) },
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // Malformed URLs and over-long path parameters get a problem document like every other error.
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, error),
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true, allErrors: true, formats: TEXT_FORMATS } },
    // Response schemas with anyOf are checked by the serializer's own Ajv: it knows our formats too.
    serializerOpts: { ajv: { formats: TEXT_FORMATS } },
    schemaController: { compilersFactory: { buildValidator: boundedValidatorCompiler() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((error, request, reply) => sendProblem(reply, request, error));
  // Many clients send `Content-Type: application/json` on a POST with no body; that is no body,
  // not broken JSON. Anything else goes through Fastify's own parser (with its poisoning guards).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, String(body), done);
  });
  // No text with a NUL character reaches a store: PostgreSQL cannot keep it, so it is a 400 here.
  // (Hooks that do no I/O take a callback: a promise per hook per request is measurable.)
  app.addHook('preValidation', (request, _reply, done) => {
    const field = fieldWithNul(request.params, 'params') ?? fieldWithNul(request.query, 'query') ?? fieldWithNul(request.body);
    done(field ? validationFailed({ [field]: ['must not contain the NUL character'] }) : undefined);
  });
  app.addSchema(ProblemSchema);

  await app.register(cookie);
  refuseCrossSiteRequests(app);
  addSecurityHeaders(app);
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: 'sekat-rl-' } : {}),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Sekat API', version: '1', description: 'Social commerce, partitioned. See API.md for the contract.' },
      components: {
        securitySchemes: {
          cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ cookie: [] }, { bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  // Resolve the session once; each domain then sees only its own view of the caller.
  app.decorateRequest('subject', undefined);
  app.addHook('onRequest', (request, reply, done) => {
    const token = request.url.startsWith('/api/') ? sessionTokenOf(request) : undefined;
    if (!token) return done();
    domains.identity
      .authenticate(token)
      .then(async (session) => {
        if (!session) return;
        if ('expired' in session) {
          request.sessionExpired = true;
          // Said once: the next page load is simply signed out, and the sign-in page shows.
          if (request.cookies[SESSION_COOKIE] === token) reply.clearCookie(SESSION_COOKIE, { path: '/' });
          return;
        }
        if (session.account.status === 'erasing') {
          erasingAccountOf.set(request, session.account.id);
          return;
        }
        const accountId = session.account.id;
        accountOf.set(request, accountId);
        publicProfileOf.set(request, { handle: session.account.handle, displayName: session.account.displayName });
        const standing = await domains.identity.operatorStanding(session);
        if (standing === 'ready') operatorRequests.add(request);
        else if (standing) operatorRefusals.set(request, standing);
        if (session.account.emailVerified || !config.requireVerifiedEmail) verifiedRequests.add(request);
        if (session.recentlyAuthenticated) recentlyAuthenticatedRequests.add(request);
        // A seller's session runs on the short lifetime. Identity does not ask commerce; this
        // root asks commerce "does this subject own a shop?" and tells identity only the answer.
        if (!session.strict && !knownNonSeller(accountId)) {
          if (await domains.commerce.isSeller(domains.identity.subjectFor('commerce', accountId))) await domains.identity.holdToSellerLifetime(token);
          else notSellerAt.set(accountId, clock());
        }
        if (session.renewedUntil && !request.headers.authorization && request.cookies[SESSION_COOKIE] === token) {
          setSessionCookie(request, reply, token);
        }
      })
      .then(() => done(), done);
  });

  for (const domain of DOMAINS) {
    await app.register(
      async (scope) => {
        scope.addHook('onRequest', (request, _reply, done) => {
          const accountId = accountOf.get(request);
          if (accountId) {
            request.subject = domain === 'identity' ? accountId : domains.identity.subjectFor(domain, accountId);
            request.emailVerified = verifiedRequests.has(request);
            request.recentlyAuthenticated = recentlyAuthenticatedRequests.has(request);
          }
          done();
        });
        await scope.register(domains[domain].routes);
      },
      { prefix: '/api' },
    );
  }

  // Transcoded video (HLS playlists, segments, posters) under /media/videos/.
  await app.register(domains.social.media);

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Every domain store answers',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), domains: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ status: Type.Literal('unavailable'), domains: Type.Record(Type.String(), Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const results: Record<string, string> = {};
      await Promise.all(
        DOMAINS.map(async (domain) => {
          try {
            const ok = (await stores[domain].ping()) && (await domains[domain].health());
            results[domain] = ok ? 'ok' : 'unavailable';
          } catch {
            results[domain] = 'unavailable';
          }
        }),
      );
      const healthy = Object.values(results).every((r) => r === 'ok');
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable', domains: results } as never);
    },
  );

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const hasWeb = existsSync(path.join(WEB_DIST, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: WEB_DIST, wildcard: false, index: false, maxAge: '1h' });
  }
  app.setNotFoundHandler(async (request, reply) => {
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
  });

  let started = false;
  if (options.background !== false) {
    for (const domain of DOMAINS) {
      deps[domain].jobs.start();
      deps[domain].outbox.start();
    }
    started = true;
  }

  let closed = false;
  return {
    app,
    stores,
    domains,
    deps,
    bus,
    log,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (started) {
        await Promise.allSettled(DOMAINS.map((d) => deps[d].jobs.stop()));
        await Promise.allSettled(DOMAINS.map((d) => deps[d].outbox.stop()));
      }
      await Promise.allSettled(DOMAINS.map((d) => domains[d].stop()));
      await bus.close();
      redis?.disconnect();
      await Promise.allSettled(DOMAINS.map((d) => stores[d].close()));
    },
  };
}
