import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import type { AttributedVideoStats, CommerceErasure, CommercePort, CreatorVideoStats, DomainExport, IdentityPort, LiveOffer, LiveStats, OpenOrders, PrivacyPort, PromotionCheck, SocialPort } from '../contracts/ports.js';
import type { DomainName } from '../platform/config.js';
import { HttpProblem, unauthorized, unavailable } from '../platform/errors.js';
import type { Logger } from '../platform/log.js';
import { PORT_ACTIONS, replayGuard, ServiceTokenVerifier, type DomainTokenIssuer, type PortAction, type ServiceAction } from './domain-tokens.js';

/**
 * Service-to-service calls of a split: the bridge reaches the other domains' privacy work (export,
 * erasure, and what an erasure must know first) over HTTP, at internal endpoints under
 * /internal/<domain>/. Each call carries a service token identity signed for that domain and that
 * action, used once. The gateway routes nothing under /internal/, so from outside they are a 404;
 * the domains listen on the cluster's own network only.
 */
export const SERVICE_TOKEN_PATH = '/internal/identity/service-token';
export const internalPath = (domain: RemoteDomain, action: ServiceAction) => `/internal/${domain}/${action.replace('.', '/')}`;

type RemoteDomain = Exclude<DomainName, 'bridge'>;

const SubjectBody = Type.Object({ subject: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
/** An export is a JSON line (the data and the list of files with their sizes), then each file's bytes in turn. */
const EXPORT_STREAM_TYPE = 'application/x-sekat-export';
/** The JSON line of an export stream may be this long at most. */
const MAX_EXPORT_HEADER_BYTES = 64 * 1024 * 1024;

const Subject = Type.String({ minLength: 1, maxLength: 200 });
const Id = Type.String({ minLength: 1, maxLength: 200 });
const When = Type.String({ format: 'date-time' });
const Name = Type.String({ maxLength: 200 });
const Seed = Type.Object({ handle: Name, displayName: Name }, { additionalProperties: false });
// Fastify's Ajv (draft-07, strict) takes no tuple schema: each place takes any of the call's kinds, and the count is exact.
const args = (...items: TSchema[]) =>
  Type.Object({ args: Type.Array(Type.Union(items), { minItems: items.length, maxItems: items.length }) }, { additionalProperties: false });
/**
 * What each port call carries over the network: exactly the arguments of the in-process port,
 * nothing more (no buyer reaches social, no viewer commerce). Dates travel as ISO strings.
 */
const PORT_BODIES: Record<PortAction, TSchema> = {
  'port.affiliate-id': args(Subject),
  'port.may-promote': args(Subject, Id),
  'port.purchase-categories': args(Subject),
  'port.attributed-stats': args(Id, When, When),
  'port.live-offer': args(
    Subject,
    Type.Union([
      Type.Object({ kind: Type.Literal('voucher'), code: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('flash'), dealId: Id }, { additionalProperties: false }),
    ]),
  ),
  'port.live-stats': args(Subject, Id),
  'port.set-affiliate-ref': Type.Object(
    {
      args: Type.Array(Type.Union([Id, Type.Null(), Seed]), { minItems: 2, maxItems: 3 }),
    },
    { additionalProperties: false },
  ),
  'port.set-purchase-categories': args(Subject, Type.Union([Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 }), Type.Null()])),
  'port.creator-stats': args(Subject, When, When),
};

const sha256 = (value: string) => createHash('sha256').update(value).digest();

export interface InternalEndpoints {
  identity?: IdentityPort;
  social?: SocialPort;
  commerce?: CommercePort;
  /** Identity's token signer: present in identity's process, which hands out the service tokens. */
  issuer?: DomainTokenIssuer;
  /** Where identity publishes its keys, for the domains without identity in their process. */
  jwksUrl?: string;
  /** The bridge's credential at identity (BRIDGE_SERVICE_KEY). */
  bridgeServiceKey: string;
  /** Shared memory of used service tokens between the processes of one domain. */
  redis?: Parameters<typeof replayGuard>[0];
}

/** The bytes of one domain's export, streamed: a JSON line, then each file's content. */
async function* exportStream(exported: DomainExport): AsyncGenerator<Buffer> {
  const files: { path: string; name: string; size: number }[] = [];
  for (const file of exported.files ?? []) {
    const info = await stat(file.path).catch(() => undefined);
    if (info?.isFile()) files.push({ ...file, size: info.size });
  }
  yield Buffer.from(`${JSON.stringify({ data: exported.data, files: files.map(({ name, size }) => ({ name, size })) })}\n`);
  for (const file of files) {
    if (file.size === 0) continue;
    let sent = 0;
    for await (const chunk of createReadStream(file.path, { start: 0, end: file.size - 1 })) {
      sent += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    // A file that shrank while it was sent cuts the stream short: the bridge sees it and tries again.
    if (sent !== file.size) throw new Error(`${file.name} changed while it was sent`);
  }
}

/**
 * The internal endpoints of the domains in this process (a split only), and in identity's process
 * the one the bridge gets its service tokens from.
 */
export async function registerInternalEndpoints(app: FastifyInstance, endpoints: InternalEndpoints): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const replays = replayGuard(endpoints.redis);
  const verifierFor = (domain: RemoteDomain) =>
    endpoints.issuer ? new ServiceTokenVerifier(domain, { issuer: endpoints.issuer }, replays) : endpoints.jwksUrl ? new ServiceTokenVerifier(
      domain, { jwksUrl: endpoints.jwksUrl }, replays,
    ) : undefined;

  if (endpoints.issuer) {
    const issuer = endpoints.issuer;
    const expected = sha256(endpoints.bridgeServiceKey);
    api.post(
      SERVICE_TOKEN_PATH,
      {
        schema: {
          hide: true,
          body: Type.Object(
            {
              audience: Type.Union([Type.Literal('identity'), Type.Literal('social'), Type.Literal('commerce')]),
              action: Type.Union([Type.Literal('privacy.export'), Type.Literal('privacy.erase'), Type.Literal('privacy.begin-erasure'), Type.Literal('privacy.open-orders'), ...[...PORT_ACTIONS.commerce, ...PORT_ACTIONS.social].map((a) => Type.Literal(a))]),
            },
            { additionalProperties: false },
          ),
        },
        onRequest: async (request) => {
          const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
          if (!given || !timingSafeEqual(sha256(given), expected)) throw unauthorized('Only the bridge gets service tokens.');
        },
      },
      async (request) => issuer.mintService(request.body.audience, request.body.action),
    );
  }

  const route = <T>(domain: RemoteDomain, action: ServiceAction, handle: (subject: string) => Promise<T>, send?: (result: T, reply: import('fastify').FastifyReply) => unknown) => {
    const verifier = verifierFor(domain);
    if (!verifier) return;
    // The token is checked before anything else, the body included: a caller without one learns nothing.
    const onRequest = async (request: FastifyRequest) => verifier.verify(request.headers.authorization, action);
    api.post(internalPath(domain, action), { schema: { hide: true, body: SubjectBody }, onRequest }, async (request, reply) => {
      const result = await handle(request.body.subject);
      if (send) return send(result, reply);
      if (result === undefined) return reply.code(204).send();
      return result;
    });
  };
  const privacy = (domain: RemoteDomain, port: PrivacyPort) => {
    route(domain, 'privacy.export', (subject) => port.exportSubject(subject), (exported, reply) => reply.type(EXPORT_STREAM_TYPE).send(Readable.from(exportStream(exported))));
    route(domain, 'privacy.erase', (subject) => port.eraseSubject(subject));
  };
  if (endpoints.identity) {
    const identity = endpoints.identity;
    privacy('identity', identity);
    route('identity', 'privacy.begin-erasure', (subject) => identity.beginErasure(subject));
  }
  // The other port calls: the arguments as a JSON list, the answer as `{ result }` (null for none).
  const portRoute = (domain: RemoteDomain, action: PortAction, handle: (args: [never, never, never]) => Promise<unknown>) => {
    const verifier = verifierFor(domain);
    if (!verifier) return;
    const onRequest = async (request: import('fastify').FastifyRequest) => verifier.verify(request.headers.authorization, action);
    api.post(internalPath(domain, action), { schema: { hide: true, body: PORT_BODIES[action] }, onRequest }, async (request) => ({
      result: (await handle((request.body as { args: [never, never, never] }).args)) ?? null,
    }));
  };
  if (endpoints.social) {
    const social = endpoints.social;
    privacy('social', social);
    portRoute('social', 'port.live-stats', ([subject, liveId]) => social.liveStats(subject, liveId));
    portRoute('social', 'port.set-affiliate-ref', ([subject, affiliateId, seed]) => social.setAffiliateRef(subject, affiliateId, seed));
    portRoute('social', 'port.set-purchase-categories', ([subject, categories]) => social.setPurchaseCategories(subject, categories));
    portRoute('social', 'port.creator-stats', ([subject, from, to]) => social.creatorStats(subject, new Date(from), new Date(to)));
  }
  if (endpoints.commerce) {
    const commerce = endpoints.commerce;
    privacy('commerce', commerce);
    route('commerce', 'privacy.open-orders', (subject) => commerce.openOrders(subject));
    portRoute('commerce', 'port.affiliate-id', ([subject]) => commerce.affiliateIdOf(subject));
    portRoute('commerce', 'port.may-promote', ([subject, productId]) => commerce.mayPromote(subject, productId));
    portRoute('commerce', 'port.purchase-categories', ([subject]) => commerce.purchaseCategories(subject));
    portRoute('commerce', 'port.attributed-stats', ([affiliateId, from, to]) => commerce.attributedStats(affiliateId, new Date(from), new Date(to)));
    portRoute('commerce', 'port.live-offer', ([subject, ref]) => commerce.liveOffer(subject, ref));
  }
}

/** Reads an export stream into files under `dir`; what the domain announced must arrive whole. */
async function receiveExport(body: AsyncIterable<Buffer | Uint8Array>, dir: string): Promise<DomainExport> {
  type Header = { data: unknown; files: { name: string; size: number }[] };
  let header: Header | undefined;
  let pending = Buffer.alloc(0);
  let index = 0;
  let left = 0;
  let out: WriteStream | undefined;
  const files: { path: string; name: string }[] = [];
  const openNext = () => {
    while (header && index < header.files.length && header.files[index]!.size === 0) {
      const target = path.join(dir, String(index));
      writeFileSync(target, '');
      files.push({ path: target, name: header.files[index]!.name });
      index++;
    }
    if (header && index < header.files.length) {
      out = createWriteStream(path.join(dir, String(index)));
      left = header.files[index]!.size;
    }
  };
  try {
    for await (const raw of body) {
      let chunk = Buffer.from(raw);
      if (!header) {
        pending = Buffer.concat([pending, chunk]);
        const end = pending.indexOf(10);
        if (end < 0) {
          if (pending.length > MAX_EXPORT_HEADER_BYTES) throw new Error('the export’s data line is too long');
          continue;
        }
        const parsed = JSON.parse(pending.subarray(0, end).toString('utf8')) as Header;
        if (!Array.isArray(parsed.files)) throw new Error('the export stream has no list of files');
        const bad = parsed.files.find((f) => typeof f.name !== 'string' || f.name.startsWith('/') || f.name.split('/').includes('..') || !Number.isSafeInteger(f.size) || f.size < 0);
        if (bad) throw new Error('the export names a file it may not');
        header = parsed;
        chunk = pending.subarray(end + 1);
        mkdirSync(dir, { recursive: true });
        openNext();
      }
      while (chunk.length > 0) {
        if (!out) throw new Error('the export sent more than it announced');
        const take = chunk.subarray(0, left);
        chunk = chunk.subarray(take.length);
        left -= take.length;
        if (!out.write(take)) await once(out, 'drain');
        if (left === 0) {
          const done = out;
          out = undefined;
          done.end();
          await finished(done);
          files.push({ path: done.path as string, name: header!.files[index]!.name });
          index++;
          openNext();
        }
      }
    }
  } finally {
    out?.destroy();
  }
  if (!header || out || index < header.files.length) throw new Error('the export stream was cut short');
  return { data: header.data, files };
}

/** Errors that mean the request never reached the process, so another of the domain may take it. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET']);
const errorCode = (error: unknown): string | undefined => {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
};

export interface RemotePortsOptions {
  /** Base URLs of each domain's processes (SEKAT_SERVICE_<DOMAIN>). */
  urls: Partial<Record<RemoteDomain, string[]>>;
  bridgeServiceKey: string;
  /** Where an export's files are received before they go into the zip (the bridge's exports folder). */
  incomingDir: string;
  log: Logger;
  /** Longest wait for one call (default 60 s; an export with many files streams for longer). */
  timeoutMs?: number;
}

/**
 * The bridge's ports to the domains of other processes: each call takes a fresh service token from
 * identity and goes to the first process of the domain that answers. Any failure is a 503 to a
 * caller in a request, and a retry for the bridge's jobs.
 */
export function remotePorts(options: RemotePortsOptions): { identity: IdentityPort; social: SocialPort; commerce: CommercePort; close(): Promise<void> } {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connect: { timeout: 5000 } });
  const timeoutMs = options.timeoutMs ?? 60_000;

  const post = async (domain: RemoteDomain, url: string, body: unknown, authorization: string): Promise<Dispatcher.ResponseData> => {
    const origins = options.urls[domain] ?? [];
    let last: unknown;
    for (const origin of origins) {
      try {
        return await undiciRequest(`${origin}${url}`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify(body),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (error) {
        last = error;
        if (!NOT_CONNECTED.has(errorCode(error) ?? '')) break;
      }
    }
    options.log.warn({ err: last, domain, url }, 'a service call found no process of the domain');
    throw unavailable(`The ${domain} domain cannot be reached right now.`, 5);
  };

  const refused = async (domain: RemoteDomain, res: Dispatcher.ResponseData): Promise<never> => {
    const text = await res.body.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
    } catch {
      // not a problem document
    }
    if (res.statusCode >= 500) throw new HttpProblem(503, 'unavailable', 'Service unavailable', `The ${domain} domain could not do it: ${detail}`, undefined, { 'retry-after': '5' });
    throw new Error(`${domain} refused the service call (${res.statusCode}): ${detail}`);
  };

  const serviceToken = async (audience: RemoteDomain, action: ServiceAction): Promise<string> => {
    const res = await post('identity', SERVICE_TOKEN_PATH, { audience, action }, `Bearer ${options.bridgeServiceKey}`);
    if (res.statusCode !== 200) return refused('identity', res);
    return ((await res.body.json()) as { token: string }).token;
  };

  const call = async (domain: RemoteDomain, action: ServiceAction, subject: string): Promise<Dispatcher.ResponseData> => {
    const res = await post(domain, internalPath(domain, action), { subject }, `Bearer ${await serviceToken(domain, action)}`);
    if (res.statusCode < 200 || res.statusCode >= 300) return refused(domain, res);
    return res;
  };
  /** One port call: its arguments as they are (dates as ISO strings), its answer or undefined. */
  const portCall = async <T>(domain: RemoteDomain, action: PortAction, ...args: unknown[]): Promise<T | undefined> => {
    const body = { args: args.filter((a) => a !== undefined).map((a) => (a instanceof Date ? a.toISOString() : a)) };
    const res = await post(domain, internalPath(domain, action), body, `Bearer ${await serviceToken(domain, action)}`);
    if (res.statusCode !== 200) return refused(domain, res);
    return (((await res.body.json()) as { result: T | null }).result ?? undefined) as T | undefined;
  };

  const privacy = (domain: RemoteDomain): PrivacyPort => ({
    exportSubject: async (subject) => {
      const res = await call(domain, 'privacy.export', subject);
      const batch = path.join(options.incomingDir, randomUUID());
      try {
        return await receiveExport(res.body, path.join(batch, domain));
      } catch (error) {
        rmSync(batch, { recursive: true, force: true });
        throw unavailable(`The ${domain} domain’s export did not arrive whole: ${(error as Error).message}`, 5);
      }
    },
    eraseSubject: async (subject) => {
      await (await call(domain, 'privacy.erase', subject)).body.dump();
    },
  });

  return {
    identity: {
      ...privacy('identity'),
      beginErasure: async (accountId) => {
        await (await call('identity', 'privacy.begin-erasure', accountId)).body.dump();
      },
    },
    social: {
      ...privacy('social'),
      liveStats: (subject, liveId) => portCall<LiveStats>('social', 'port.live-stats', subject, liveId),
      setAffiliateRef: async (subject, affiliateId, seed) => void (await portCall('social', 'port.set-affiliate-ref', subject, affiliateId, seed)),
      setPurchaseCategories: async (subject, categories) => void (await portCall('social', 'port.set-purchase-categories', subject, categories)),
      creatorStats: async (subject, from, to) => (await portCall<CreatorVideoStats[]>('social', 'port.creator-stats', subject, from, to)) ?? [],
    },
    commerce: {
      ...privacy('commerce'),
      eraseSubject: async (subject) => (await (await call('commerce', 'privacy.erase', subject)).body.json()) as CommerceErasure,
      openOrders: async (subject) => (await (await call('commerce', 'privacy.open-orders', subject)).body.json()) as OpenOrders,
      affiliateIdOf: (subject) => portCall<string>('commerce', 'port.affiliate-id', subject),
      mayPromote: async (subject, productId) => (await portCall<PromotionCheck>('commerce', 'port.may-promote', subject, productId))!,
      purchaseCategories: async (subject) => (await portCall<string[]>('commerce', 'port.purchase-categories', subject)) ?? [],
      attributedStats: async (affiliateId, from, to) => (await portCall<AttributedVideoStats[]>('commerce', 'port.attributed-stats', affiliateId, from, to)) ?? [],
      liveOffer: (subject, ref) => portCall<LiveOffer>('commerce', 'port.live-offer', subject, ref),
    },
    close: () => dispatcher.close(),
  };
}
