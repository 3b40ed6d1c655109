import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Config, DomainName } from '../platform/config.js';
import { clientAddressTrust } from './trust-proxy.js';
import { DOMAINS } from '../platform/config.js';
import { openDomainStore, type DomainStore } from '../platform/db.js';
import { migrate } from '../platform/migrate.js';
import { MemoryBus, type Bus } from '../platform/bus.js';
import { NatsBus } from '../platform/nats-bus.js';
import { NatsBroadcast, type Broadcast } from '../platform/broadcast.js';
import { JobRunner } from '../platform/jobs.js';
import { OutboxRelay } from '../platform/outbox.js';
import { createLogger, loggerOptions, type Logger } from '../platform/log.js';
import { boundedValidatorCompiler } from '../platform/validation.js';
import { TEXT_FORMATS } from '../platform/text.js';
import type { DestinationStream } from 'pino';
import { sendProblem, unauthorized, validationFailed } from '../platform/errors.js';
import { fieldWithNul, ProblemSchema, SESSION_COOKIE, sessionExpired } from '../platform/http.js';
import type { DomainDeps, DomainInstance } from '../platform/domain.js';
import * as identity from '../domains/identity/index.js';
import * as social from '../domains/social/index.js';
import * as commerce from '../domains/commerce/index.js';
import * as bridge from '../domains/bridge/index.js';
import { addSecurityHeaders } from './security-headers.js';
import { serveWeb } from './web.js';
import { addSessionHook } from './session.js';
import { buildGateway } from './gateway.js';
import { DomainTokenIssuer, DomainTokenVerifier, invalidDomainToken, JWKS_PATH, looksLikeJwt, TOKEN_EXCHANGE_PATH, type DomainClaims } from './domain-tokens.js';
import { refuseCrossSiteRequests } from './csrf.js';
import { registerInternalEndpoints, remotePorts } from './service-calls.js';
import path from 'node:path';
import type { SubjectSet } from '../contracts/ports.js';
import { createMetrics, type ProcessMetrics } from '../platform/metrics.js';
import { registerHealth } from './health.js';


export interface BuildOptions {
  /** In-memory PGlite for every domain (tests). */
  memory?: boolean;
  /** Start job runners and outbox relays (default true). */
  background?: boolean;
  /** Where log lines go (default stdout); tests read them to prove what is never logged. */
  logDestination?: DestinationStream;
  /** The clock session lifetimes are measured by (default Date.now); tests move a fake one. */
  clock?: () => number;
  /**
   * Stores another app of this process already opened, used instead of opening them (and left
   * open at close): two apps on one embedded database, as tests of several processes on PGlite do.
   */
  sharedStores?: Partial<Record<DomainName, DomainStore>>;
}

export { clientAddressTrust } from './trust-proxy.js';

export interface Sekat {
  app: FastifyInstance;
  stores: Record<DomainName, DomainStore>;
  domains: { identity: identity.IdentityInstance; social: social.SocialInstance; commerce: commerce.CommerceInstance } & Record<Exclude<DomainName, 'identity' | 'social' | 'commerce'>, DomainInstance>;
  deps: Record<DomainName, DomainDeps>;
  bus: Bus;
  log: Logger;
  metrics: ProcessMetrics;
  close(): Promise<void>;
}

/** One process of a split (or the whole of Sekat): only the domains it was given, and their stores. */
export interface SekatProcess {
  app: FastifyInstance;
  stores: Partial<Record<DomainName, DomainStore>>;
  domains: Partial<Sekat['domains']>;
  deps: Partial<Record<DomainName, DomainDeps>>;
  bus: Bus | undefined;
  log: Logger;
  /** Every route each domain of this process registered (what the gateway's routing is checked against). */
  routes: { domain: DomainName; method: string; url: string }[];
  /** Its Prometheus metrics (served on METRICS_PORT by main.ts). */
  metrics: ProcessMetrics;
  close(): Promise<void>;
}

/** Each domain's migrations folder. */
export const MIGRATION_FOLDERS: Record<DomainName, string> = {
  identity: identity.MIGRATIONS,
  social: social.MIGRATIONS,
  commerce: commerce.MIGRATIONS,
  bridge: bridge.MIGRATIONS,
};

/** Every domain in one process (the default, SEKAT_DOMAINS=all): what the tests and `npm start` run. */
export async function buildSekat(config: Config, options: BuildOptions = {}): Promise<Sekat> {
  const built = await buildProcess(config, options);
  if (!DOMAINS.every((domain) => built.domains[domain] && built.stores[domain])) {
    await built.close();
    throw new Error(`buildSekat runs every domain; this config runs ${config.gateway ? 'the gateway' : config.domains.join(', ')} (use buildProcess)`);
  }
  return built as Sekat;
}

/**
 * The composition root: config → stores → domains → one Fastify app. It starts only the domains
 * config.domains names (every one by default) and opens only their stores; SEKAT_DOMAINS=gateway
 * builds the gateway instead (src/server/gateway.ts).
 */
export async function buildProcess(config: Config, options: BuildOptions = {}): Promise<SekatProcess> {
  if (config.gateway) {
    const gateway = await buildGateway(config, config.gateway, options.logDestination);
    return { ...gateway, stores: {}, domains: {}, deps: {}, bus: undefined, routes: [] };
  }
  const log = createLogger(config.logLevel, options.logDestination);
  const here = config.domains;
  const has = (domain: DomainName) => here.includes(domain);
  const stores: Partial<Record<DomainName, DomainStore>> = {};
  const deps = {} as Record<DomainName, DomainDeps>;
  // Several processes share events through NATS JetStream; one process needs no server for them.
  const bus: Bus = config.natsUrl ? await NatsBus.connect({ url: config.natsUrl, stream: config.natsStream, log: log.child({ part: 'bus' }) }) : new MemoryBus();
  // Live rooms on several social processes hear each other over NATS core, apart from each stream's.
  let broadcast: Broadcast | undefined;
  try {
    if (config.natsUrl && has('social')) {
      broadcast = await NatsBroadcast.connect({ url: config.natsUrl, namespace: `fanout.${config.natsStream.toLowerCase()}`, log: log.child({ part: 'fanout' }) });
    }
    // Each domain's store opens and migrates on its own, so they start side by side.
    const opened = await Promise.allSettled(
      here.map(async (domain) => {
        const store = options.sharedStores?.[domain] ?? await openDomainStore(domain, {
          dataDir: config.dataDir,
          databaseUrl: config.databaseUrl,
          ownDatabaseUrl: config.databaseUrls[domain],
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
          ...(domain === 'social' && broadcast ? { broadcast } : {}),
        };
      }),
    );
    const failed = opened.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await Promise.allSettled(here.filter((d) => stores[d] && !options.sharedStores?.[d]).map((d) => stores[d]!.close()));
    await broadcast?.close();
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
  // The standing itself, for the domain tokens minted for this request.
  const operatorStandingOf = new WeakMap<FastifyRequest, identity.OperatorStanding>();
  // Requests whose account confirmed its email: every domain hears this claim, and nothing more.
  const verifiedRequests = new WeakSet<FastifyRequest>();
  // Requests whose session signed in or re-authenticated a few minutes ago (identity's claim).
  const recentlyAuthenticatedRequests = new WeakSet<FastifyRequest>();
  const isOperator = (request: FastifyRequest): boolean => {
    const refusal = operatorRefusals.get(request);
    if (refusal) throw identity.secondFactorRequired(refusal);
    return operatorRequests.has(request);
  };
  const clock = options.clock ?? Date.now;

  // One client for every counter kept in Redis: request rate limits and sign-in throttling.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  const identityDomain = has('identity')
    ? identity.start(
      deps.identity, config.secrets, { smtpUrl: config.smtpUrl, from: config.mailFrom, publicUrl: config.publicUrl }, config.operatorEmails, redis, clock,
    )
    : undefined;
  // Identity signs domain tokens for the domains that run in other processes.
  const tokenIssuer = identityDomain && config.split ? new DomainTokenIssuer(config.secrets.tokenSigningKey, clock) : undefined;
  const subjectsFor = (accountId: string): SubjectSet => ({
    identity: accountId,
    social: identityDomain!.subjectFor('social', accountId),
    commerce: identityDomain!.subjectFor('commerce', accountId),
    bridge: identityDomain!.subjectFor('bridge', accountId),
  });
  // Without identity in this process, the bridge's set of subjects arrives in its domain token.
  const subjectsFromToken = new WeakMap<FastifyRequest, SubjectSet>();
  const subjectsOf: bridge.SubjectsOf = (request, options) => {
    const fromToken = subjectsFromToken.get(request);
    if (fromToken) return fromToken;
    const accountId = accountOf.get(request) ?? (options?.evenErasing ? erasingAccountOf.get(request) : undefined);
    return accountId && identityDomain ? subjectsFor(accountId) : undefined;
  };
  const commerceDomain = has('commerce')
    ? commerce.start(
        deps.commerce,
        { attributionKey: config.secrets.attributionKey, paymentServerKey: config.secrets.paymentServerKey },
        {
          paymentProvider: config.paymentProvider,
          paymentExpiry: config.paymentExpiry,
          isOperator,
          iris: config.disbursement.provider === 'iris' ? config.disbursement : undefined,
          biteship: config.courier.provider === 'biteship' ? config.courier : undefined,
        },
      )
    : undefined;
  // eslint-disable-next-line prefer-const -- the ports below read it; the bridge starts after them
  let bridgeDomain: bridge.BridgeInstance | undefined;
  const socialDomain = has('social')
    ? social.start(deps.social, {
        isOperator,
        profileSeed: (request) => publicProfileOf.get(request),
        maxUploadBytes: config.videoMaxBytes,
        transcodePreset: config.transcodePreset,
        attributionKey: config.secrets.attributionKey,
        rtmp: config.rtmp,
        publicUrl: config.publicUrl,
        authorizeTag: async (request, productId) => {
          const subjects = subjectsOf(request);
          if (!subjects) return { allowed: false, ownShop: false, reason: 'Sign in first.' };
          if (!bridgeDomain) return { allowed: false, ownShop: false, reason: 'Tagging products is not available right now; try again later.' };
          return bridgeDomain.authorizeTag(subjects, productId);
        },
        liveOffer: async (request, ref) => {
          const subjects = subjectsOf(request);
          if (!subjects || !bridgeDomain) return undefined;
          return bridgeDomain.liveOffer(subjects, ref);
        },
      })
    : undefined;
  // In a split the bridge calls the domains of other processes over the network, with service tokens
  // (every port call; a domain absent from this process is always reached this way).
  const remote =
    has('bridge') && config.split
      ? remotePorts({ urls: config.serviceUrls, bridgeServiceKey: config.secrets.bridgeServiceKey, incomingDir: path.join(config.dataDir, 'exports', 'incoming'), log: log.child({ part: 'service-calls' }) })
      : undefined;
  bridgeDomain = has('bridge')
    ? bridge.start(deps.bridge, {
        ports: {
          identity: identityDomain ?? remote!.identity,
          social: socialDomain?.port ?? remote!.social,
          commerce: commerceDomain?.port ?? remote!.commerce,
        },
        subjectsOf,
        profileSeedOf: (request) => publicProfileOf.get(request),
        linkKey: config.secrets.exportLinkKey,
      })
    : undefined;
  const domains: SekatProcess['domains'] = {
    ...(identityDomain ? { identity: identityDomain } : {}),
    ...(socialDomain ? { social: socialDomain } : {}),
    ...(commerceDomain ? { commerce: commerceDomain } : {}),
    ...(bridgeDomain ? { bridge: bridgeDomain } : {}),
  };
  const domainOf = (domain: DomainName): DomainInstance => domains[domain]!;
  // Social renders product tags from its own projection; fill it if this is its first start. (In
  // a split the projection fills from commerce's events on the bus alone.)
  if (socialDomain && commerceDomain) await socialDomain.rebuildProductCards(() => commerceDomain.productSnapshot());

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
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(5000, Math.max(50, Math.floor(config.http.headersTimeoutMs / 4))),
    },
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // Malformed URLs and over-long path parameters get a problem document like every other error.
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, error),
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true, allErrors: true, formats: TEXT_FORMATS } },
    // Response schemas with anyOf are checked by the serializer's own Ajv: it knows our formats too.
    serializerOpts: { ajv: { formats: TEXT_FORMATS } },
    schemaController: { compilersFactory: { buildValidator: boundedValidatorCompiler() } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const metrics = createMetrics(config.split ? here.join(',') : 'all');
  metrics.instrument(app);
  for (const domain of here) metrics.watchStore(domain, stores[domain]!.db);
  if (bus.lag) metrics.watchBus(() => bus.lag!());

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
  if (identityDomain) {
    const views = {
      accountOf, erasingAccountOf, publicProfileOf, operatorRequests, operatorRefusals, operatorStandingOf, verifiedRequests, recentlyAuthenticatedRequests,
    };
    addSessionHook(app, views, { identityDomain, commerceDomain, requireVerifiedEmail: config.requireVerifiedEmail, clock });
  }

  if (identityDomain && tokenIssuer) {
    // The exchange the gateway makes per request: this session, seen by one domain only, signed.
    app.post(
      TOKEN_EXCHANGE_PATH,
      {
        schema: {
          tags: ['identity'],
          summary: 'Exchange the session for a short-lived domain token (called by the gateway)',
          body: Type.Object({ audience: Type.Union([Type.Literal('social'), Type.Literal('commerce'), Type.Literal('bridge')]) }, { additionalProperties: false }),
          response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.Integer() }), 401: Type.Ref('Problem') },
        },
      },
      async (request) => {
        const accountId = accountOf.get(request);
        if (!accountId) throw request.sessionExpired ? sessionExpired() : unauthorized();
        const audience = request.body.audience;
        const standing = operatorStandingOf.get(request);
        const claims: DomainClaims = {
          sub: identityDomain.subjectFor(audience, accountId),
          ev: verifiedRequests.has(request),
          ra: recentlyAuthenticatedRequests.has(request),
          ...(standing ? { op: standing } : {}),
          ...(audience !== 'commerce' ? { profile: publicProfileOf.get(request) } : {}),
          ...(audience === 'bridge' ? { subjects: subjectsFor(accountId) } : {}),
        };
        return tokenIssuer.mint(audience, claims);
      },
    );
    app.get(JWKS_PATH, { schema: { hide: true } }, async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return tokenIssuer.jwks();
    });
  }

  // A domain whose identity runs in another process takes the gateway's domain token instead of a session.
  const verifiers = new Map<DomainName, DomainTokenVerifier>();
  if (!identityDomain && config.identityJwksUrl) for (const domain of here) verifiers.set(domain, new DomainTokenVerifier(domain, config.identityJwksUrl));

  const routes: SekatProcess['routes'] = [];
  for (const domain of here) {
    const verifier = verifiers.get(domain);
    await app.register(
      async (scope) => {
        scope.addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) routes.push({ domain, method, url: route.url });
        });
        if (verifier) {
          scope.addHook('onRequest', async (request) => {
            if (request.headers['x-sekat-session'] === 'expired') request.sessionExpired = true;
            const header = request.headers.authorization;
            if (header === undefined) return;
            const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
            if (!token || !looksLikeJwt(token)) throw invalidDomainToken('This process takes a domain token from the gateway, not a session.');
            const claims = await verifier.verify(token);
            request.subject = claims.sub;
            request.emailVerified = claims.ev === true;
            request.recentlyAuthenticated = claims.ra === true;
            if (claims.profile) publicProfileOf.set(request, claims.profile);
            if (claims.op === 'ready') operatorRequests.add(request);
            else if (claims.op) operatorRefusals.set(request, claims.op);
            if (domain === 'bridge' && claims.subjects) subjectsFromToken.set(request, claims.subjects);
          });
        } else {
          scope.addHook('onRequest', (request, _reply, done) => {
            const accountId = accountOf.get(request);
            if (accountId && identityDomain) {
              request.subject = domain === 'identity' ? accountId : identityDomain.subjectFor(domain, accountId);
              request.emailVerified = verifiedRequests.has(request);
              request.recentlyAuthenticated = recentlyAuthenticatedRequests.has(request);
            }
            done();
          });
        }
        await scope.register(domainOf(domain).routes);
      },
      { prefix: '/api' },
    );
  }

  // The internal endpoints the bridge calls in a split (never routed by the gateway).
  if (config.split) {
    await registerInternalEndpoints(app, {
      identity: identityDomain,
      social: socialDomain?.port,
      commerce: commerceDomain?.port,
      issuer: tokenIssuer,
      jwksUrl: config.identityJwksUrl,
      bridgeServiceKey: config.secrets.bridgeServiceKey,
      redis,
    });
  }

  // Transcoded video (HLS playlists, segments, posters) under /media/videos/.
  if (socialDomain) {
    await app.register(async (scope) => {
      scope.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) routes.push({ domain: 'social', method, url: route.url });
      });
      await scope.register(socialDomain.media);
    });
  }

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Every domain store of this process answers',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), domains: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ status: Type.Literal('unavailable'), domains: Type.Record(Type.String(), Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const results: Record<string, string> = {};
      await Promise.all(
        here.map(async (domain) => {
          try {
            const ok = (await stores[domain]!.ping()) && (await domainOf(domain).health());
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

  registerHealth(app, {
    ...Object.fromEntries(here.map((domain) => [domain, () => stores[domain]!.ping()])),
    bus: () => bus.ping?.() ?? Promise.resolve(true),
    ...(redis ? { redis: async () => (await redis.ping()) === 'PONG' } : {}),
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The web app is served by the one process, or in a split by the gateway alone.
  await serveWeb(app, !config.split);

  let started = false;
  if (options.background !== false) {
    for (const domain of here) {
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
    routes,
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (started) {
        await Promise.allSettled(here.map((d) => deps[d].jobs.stop()));
        await Promise.allSettled(here.map((d) => deps[d].outbox.stop()));
      }
      await Promise.allSettled(here.map((d) => domainOf(d).stop()));
      await broadcast?.close();
      await bus.close();
      await remote?.close();
      redis?.disconnect();
      await Promise.allSettled(here.filter((d) => !options.sharedStores?.[d]).map((d) => stores[d]!.close()));
    },
  };
}
