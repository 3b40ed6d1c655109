import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import replyFrom from '@fastify/reply-from';
import { LRUCache } from 'lru-cache';
import { createHash, randomUUID } from 'node:crypto';
import { Agent, request as undiciRequest } from 'undici';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config, DomainName, GatewayConfig } from '../platform/config.js';
import { DOMAINS } from '../platform/config.js';
import { HttpProblem, notFound, sendProblem, unavailable } from '../platform/errors.js';
import { SESSION_COOKIE, sessionTokenOf } from '../platform/http.js';
import { createLogger, loggerOptions } from '../platform/log.js';
import type { DestinationStream } from 'pino';
import type { Logger } from '../platform/log.js';
import { clientAddressTrust } from './trust-proxy.js';
import { refuseCrossSiteRequests } from './csrf.js';
import { TOKEN_EXCHANGE_PATH, TOKEN_TTL_SECONDS } from './domain-tokens.js';
import { addSecurityHeaders } from './security-headers.js';
import { registerWeb, webIsBuilt, webOrNotFound } from './web.js';
import { createMetrics, type ProcessMetrics } from '../platform/metrics.js';
import { registerHealth } from './health.js';

/** Seconds a client is told to wait when every process of a domain is down. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Which domain answers a request, by its path (and for /api/me, its method): the public URL space
 * of API.md. test/gateway.test.ts checks it against every route the domains register.
 */
export function domainOfRoute(method: string, url: string): DomainName | undefined {
  const pathname = url.split('?')[0] ?? '/';
  const under = (prefix: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);
  if (under('/api/social') || under('/media')) return 'social';
  if (under('/api/commerce')) return 'commerce';
  if (under('/api/privacy') || under('/api/creator')) return 'bridge';
  // Erasing the account is a privacy request: the bridge orchestrates it.
  if (pathname === '/api/me' && method === 'DELETE') return 'bridge';
  if (under('/api/auth') || under('/api/me') || under('/api/session') || under('/api/identity')) return 'identity';
  return undefined;
}

interface Upstream {
  origin: string;
  healthy: boolean;
  /** Health checks failed in a row: a busy process that is slow once is not taken out. */
  failures: number;
}

/**
 * The processes of one domain. Each is asked for /healthz every interval; one that does not answer
 * healthy, or refuses a connection, takes no requests until it answers again.
 */
class UpstreamSet {
  private readonly upstreams: Upstream[];
  private next = 0;

  constructor(origins: string[]) {
    this.upstreams = origins.map((origin) => ({ origin, healthy: true, failures: 0 }));
  }

  /** Round robin over the healthy ones, skipping `except`; undefined when none is healthy. */
  pick(except?: string): string | undefined {
    for (let i = 0; i < this.upstreams.length; i++) {
      const upstream = this.upstreams[(this.next + i) % this.upstreams.length]!;
      if (upstream.healthy && upstream.origin !== except) {
        this.next = (this.next + i + 1) % this.upstreams.length;
        return upstream.origin;
      }
    }
    return undefined;
  }

  anyHealthy(): boolean {
    return this.upstreams.some((u) => u.healthy);
  }

  markDown(origin: string): void {
    const upstream = this.upstreams.find((u) => u.origin === origin);
    if (upstream) upstream.healthy = false;
  }

  async check(dispatcher: Agent, timeoutMs: number): Promise<void> {
    await Promise.all(
      this.upstreams.map(async (upstream) => {
        try {
          const res = await undiciRequest(`${upstream.origin}/healthz`, { dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
          await res.body.dump();
          if (res.statusCode === 200) {
            upstream.healthy = true;
            upstream.failures = 0;
          } else upstream.healthy = false;
        } catch (error) {
          // Refused: nobody listens, out at once. Slow: out after a second slow check.
          upstream.failures++;
          if (NOT_CONNECTED.has(errorCode(error) ?? '') || upstream.failures >= 2) upstream.healthy = false;
        }
      }),
    );
  }

  status(): Record<string, 'ok' | 'unavailable'> {
    return Object.fromEntries(this.upstreams.map((u) => [u.origin, u.healthy ? 'ok' : 'unavailable']));
  }
}

/** Errors that mean the request never reached the upstream, so another may take it. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET']);
const errorCode = (error: unknown): string | undefined => {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
};

/** Headers a client may not send on to a domain: the gateway alone says these. */
const GATEWAY_HEADERS = ['x-sekat-session'];

/**
 * The gateway (SEKAT_DOMAINS=gateway): serves the web app and sends `/api/<domain>/…` to that
 * domain's processes. It holds no domain store and no domain secret. For a signed-in caller it
 * exchanges the session with identity for a domain token of the domain called (cached for half its
 * lifetime), and the domain sees that token instead of the session.
 */
export interface GatewayProcess {
  app: FastifyInstance;
  log: Logger;
  metrics: ProcessMetrics;
  close(): Promise<void>;
}

export async function buildGateway(config: Config, gateway: GatewayConfig, logDestination?: DestinationStream): Promise<GatewayProcess> {
  const log = createLogger(config.logLevel, logDestination);
  const sets = Object.fromEntries(DOMAINS.map((domain) => [domain, new UpstreamSet(gateway.upstreams[domain])])) as Record<DomainName, UpstreamSet>;
  // One keep-alive pool per upstream origin, for proxied requests, health checks and exchanges alike.
  const dispatcher = new Agent({
    keepAliveTimeout: 30_000,
    connections: 128,
    connect: { timeout: Math.min(5000, gateway.timeoutMs) },
    headersTimeout: gateway.timeoutMs,
    bodyTimeout: gateway.timeoutMs,
  });
  const healthTimeout = Math.min(5000, Math.max(1000, gateway.healthIntervalMs * 2));
  const checkAll = () => Promise.all(DOMAINS.map((domain) => sets[domain].check(dispatcher, healthTimeout)));
  await checkAll();
  let checking = false;
  const healthTimer = setInterval(() => {
    if (checking) return;
    checking = true;
    void checkAll().finally(() => (checking = false));
  }, gateway.healthIntervalMs);
  healthTimer.unref();

  const app = Fastify({
    logger: loggerOptions(config.logLevel, logDestination),
    childLoggerFactory: (logger, bindings, childOptions) => (logger.level === 'silent' ? logger : logger.child(bindings, childOptions)),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
    },
    trustProxy: clientAddressTrust(config.trustProxy),
    http: { headersTimeout: config.http.headersTimeoutMs },
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    frameworkErrors: (error, request, reply) => sendProblem(reply, request, error),
  });
  app.setErrorHandler((error, request, reply) => sendProblem(reply, request, error));
  // Proxied requests are timed under the domain they went to (the route pattern is only /api/*).
  const metrics = createMetrics('gateway');
  metrics.instrument(app, (request) => {
    const domain = request.routeOptions.url === '/api/*' || request.routeOptions.url === '/media/*' ? domainOfRoute(request.method, request.url) : undefined;
    return domain ? `${request.routeOptions.url} → ${domain}` : undefined;
  });
  // Bodies pass through unread, as a stream: the domain behind validates them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await app.register(cookie);
  // The session cookie authenticates only here: domains behind see bearer domain tokens, so the
  // gateway is where a cross-site request made with the cookie is refused.
  refuseCrossSiteRequests(app);
  addSecurityHeaders(app);
  await app.register(replyFrom, { undici: dispatcher as never, disableRequestLogging: true });

  // Domain tokens by session and audience. Kept for half their lifetime, so a domain always gets
  // one with a minute left, and a signed-out session stops reaching domains within a minute.
  const tokens = new LRUCache<string, { token: string } | { expired: true }>({ max: 50_000, ttl: (TOKEN_TTL_SECONDS / 2) * 1000 });
  const exchange = async (session: string, audience: DomainName): Promise<{ token: string } | { expired: true } | undefined> => {
    const key = `${audience}:${createHash('sha256').update(session).digest('base64url')}`;
    const known = tokens.get(key);
    if (known) return known;
    let tried: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const origin = sets.identity.pick(tried);
      if (!origin) break;
      tried = origin;
      try {
        const res = await undiciRequest(`${origin}${TOKEN_EXCHANGE_PATH}`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
          body: JSON.stringify({ audience }),
        });
        const body = (await res.body.json()) as { token?: string; type?: string };
        if (res.statusCode === 200 && body.token) {
          const value = { token: body.token };
          tokens.set(key, value);
          return value;
        }
        if (res.statusCode === 401) {
          // An expired session says so once to the domain; an unknown one is simply signed out.
          if (body.type?.endsWith('/session-expired')) return { expired: true };
          return undefined;
        }
        throw unavailable('Identity could not confirm who you are right now.', RETRY_AFTER_SECONDS);
      } catch (error) {
        if (!NOT_CONNECTED.has(errorCode(error) ?? '')) throw error;
        sets.identity.markDown(origin);
      }
    }
    throw unavailable('Identity is unavailable right now; try again shortly.', RETRY_AFTER_SECONDS);
  };

  const forward = async (request: FastifyRequest, reply: FastifyReply, domain: DomainName) => {
    const pathname = request.url.split('?')[0] ?? '/';
    // The exchange is the gateway's own call to identity, never a client's.
    if (pathname === TOKEN_EXCHANGE_PATH) throw notFound(`No route ${request.method} ${pathname}.`);
    let domainToken: string | undefined;
    let sessionExpired = false;
    if (domain !== 'identity') {
      const session = sessionTokenOf(request);
      if (session) {
        const result = await exchange(session, domain);
        if (result && 'token' in result) domainToken = result.token;
        else if (result) {
          sessionExpired = true;
          if (request.cookies[SESSION_COOKIE] === session) reply.clearCookie(SESSION_COOKIE, { path: '/' });
        }
      }
    }
    const hasBody = request.headers['content-length'] !== undefined ? request.headers['content-length'] !== '0' : request.headers['transfer-encoding'] !== undefined;
    const send = (origin: string, retried: boolean) =>
      reply.from(`${origin}${request.url}`, {
        // An event stream is quiet between heartbeats (25 s): give it longer than a plain answer.
        ...(String(request.headers.accept ?? '').includes('text/event-stream') ? { timeout: Math.max(gateway.timeoutMs, 120_000) } : {}),
        rewriteRequestHeaders: (_request, headers) => {
          const out: Record<string, string | string[] | undefined> = { ...headers };
          for (const name of GATEWAY_HEADERS) delete out[name];
          if (domain !== 'identity') {
            // The domain learns who calls only from its token: no session reaches it.
            delete out.cookie;
            delete out.authorization;
            if (domainToken) out.authorization = `Bearer ${domainToken}`;
            if (sessionExpired) out['x-sekat-session'] = 'expired';
          }
          const forwardedFor = request.headers['x-forwarded-for'];
          out['x-forwarded-for'] = config.trustProxy !== false && forwardedFor ? `${forwardedFor}, ${request.socket.remoteAddress ?? ''}` : request.ip;
          out['x-forwarded-host'] = request.host;
          out['x-forwarded-proto'] = request.protocol;
          return out;
        },
        onError: (errorReply, { error }) => {
          const code = errorCode(error);
          request.log.debug({ err: error, code, origin }, 'upstream error');
          if (NOT_CONNECTED.has(code ?? '')) {
            sets[domain].markDown(origin);
            // A refused connection reached nothing, so any request without a body can go to the
            // next process; a connection cut mid-request only for a read.
            const refused = code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND';
            const again = refused ? !hasBody : request.method === 'GET' || request.method === 'HEAD';
            const other = !retried && again ? sets[domain].pick(origin) : undefined;
            if (other) return void send(other, true);
            return void sendProblem(errorReply as unknown as FastifyReply, request, unavailable(`The ${domain} service is unavailable right now; try again shortly.`, RETRY_AFTER_SECONDS));
          }
          const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (error as { statusCode?: number }).statusCode === 504;
          request.log.warn({ domain, origin, code }, 'upstream failed');
          const problem = timedOut
            ? new HttpProblem(504, 'upstream-timeout', 'Gateway timeout', `The ${domain} service took too long to answer.`, undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) })
            : unavailable(`The ${domain} service failed to answer.`, RETRY_AFTER_SECONDS);
          return void sendProblem(errorReply as unknown as FastifyReply, request, problem);
        },
      });
    const origin = sets[domain].pick();
    if (!origin) throw unavailable(`The ${domain} service is unavailable right now; try again shortly.`, RETRY_AFTER_SECONDS);
    return send(origin, false);
  };

  const proxied = async (request: FastifyRequest, reply: FastifyReply) => {
    const domain = domainOfRoute(request.method, request.url);
    if (!domain) throw notFound(`No route ${request.method} ${request.url.split('?')[0]}.`);
    return forward(request, reply, domain);
  };
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
  app.route({ method: [...methods], url: '/api/*', handler: proxied });
  app.route({ method: [...methods], url: '/media/*', handler: proxied });

  app.get('/healthz', async (_request, reply) => {
    const upstreams = Object.fromEntries(DOMAINS.map((domain) => [domain, sets[domain].status()]));
    // The gateway itself is up; readiness says whether every domain has a healthy process.
    const ready = DOMAINS.every((domain) => sets[domain].anyHealthy());
    return reply.send({ status: 'ok', ready, upstreams });
  });

  // Ready while every domain has a healthy process (the checks above, every interval).
  registerHealth(app, Object.fromEntries(DOMAINS.map((domain) => [domain, async () => sets[domain].anyHealthy()])));

  // WebSockets (the live room): the upgrade is passed to a healthy process of the domain with the
  // same header rules as every request, then the two sockets are joined.
  app.server.on('upgrade', (raw: IncomingMessage, socket: Duplex, head: Buffer) => {
    void tunnel(raw, socket, head).catch((error: unknown) => {
      log.warn({ err: error, url: raw.url }, 'websocket upgrade failed');
      socket.destroy();
    });
  });
  const refuse = (socket: Duplex, status: string, extra = '') => socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n${extra}\r\n`);
  const tunnel = async (raw: IncomingMessage, socket: Duplex, head: Buffer) => {
    const domain = domainOfRoute('GET', raw.url ?? '/');
    if (!domain || raw.method !== 'GET') return refuse(socket, '404 Not Found');
    const headers: Record<string, string | string[] | undefined> = { ...raw.headers };
    for (const name of GATEWAY_HEADERS) delete headers[name];
    if (domain !== 'identity') {
      const cookies = app.parseCookie(raw.headers.cookie ?? '');
      const bearer = /^Bearer\s+(\S+)$/i.exec(raw.headers.authorization ?? '')?.[1];
      const session = bearer ?? cookies[SESSION_COOKIE];
      delete headers.cookie;
      delete headers.authorization;
      if (session) {
        const result = await exchange(session, domain).catch(() => undefined);
        if (result && 'token' in result) headers.authorization = `Bearer ${result.token}`;
        else if (result) headers['x-sekat-session'] = 'expired';
      }
    }
    const origin = sets[domain].pick();
    if (!origin) return refuse(socket, '503 Service Unavailable', `retry-after: ${RETRY_AFTER_SECONDS}\r\n`);
    const target = new URL(origin);
    headers['x-forwarded-for'] = raw.socket.remoteAddress ?? '';
    headers['x-forwarded-host'] = raw.headers.host ?? target.host;
    headers['x-forwarded-proto'] = 'http';
    headers.host = target.host;
    const upstream = connect(Number(target.port || 80), target.hostname);
    upstream.setNoDelay(true);
    const lines = [`GET ${raw.url} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) for (const v of [value].flat()) if (v !== undefined) lines.push(`${name}: ${v}`);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.once('error', () => {
      if (connected) socket.destroy();
      else if (!socket.destroyed) refuse(socket, '503 Service Unavailable', `retry-after: ${RETRY_AFTER_SECONDS}\r\n`);
    });
    socket.once('error', () => upstream.destroy());
    socket.once('close', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
  };

  const hasWeb = webIsBuilt();
  if (hasWeb) await registerWeb(app);
  app.setNotFoundHandler(webOrNotFound(hasWeb));

  let closed = false;
  return {
    app,
    log,
    metrics,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(healthTimer);
      await app.close();
      await dispatcher.close();
    },
  };
}
