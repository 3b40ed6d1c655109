import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { createServer } from 'node:net';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfig, DOMAINS, type DomainName } from '../src/platform/config.js';
import { databaseName, dropPostgresDatabase } from '../src/platform/db.js';
import { buildProcess, type SekatProcess } from '../src/server/app.js';
import { DomainTokenIssuer, JWKS_PATH, PORT_ACTIONS, TOKEN_EXCHANGE_PATH } from '../src/server/domain-tokens.js';
import { domainOfRoute } from '../src/server/gateway.js';
import { internalPath, SERVICE_TOKEN_PATH } from '../src/server/service-calls.js';
import { listProduct, openShop, registerUser } from '../src/domains/commerce/testkit.js';

const DATABASE_URL = process.env.DATABASE_URL;
// Processes of a split share their events through NATS JetStream only.
const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const STORE = DATABASE_URL ? 'postgres' : 'pglite';
const secret = () => randomBytes(32).toString('base64url');

/** A port nothing listens on: an upstream that is down. */
const deadPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * Sekat split into its parts inside one test process: identity, social, commerce and bridge each
 * built as SEKAT_DOMAINS=<one> with its own secrets and data folder, listening on its own port,
 * and the gateway in front of them. What crosses between them crosses over HTTP.
 */
describe(`Sekat split into processes (${STORE})`, () => {
  const prefix = `sekat_p${randomBytes(5).toString('hex')}`;
  const dirs: string[] = [];
  const parts: SekatProcess[] = [];
  const secrets = {
    SESSION_PEPPER: secret(),
    TOKEN_SIGNING_KEY: secret(),
    ...Object.fromEntries(DOMAINS.map((d) => [`SUBJECT_KEY_${d.toUpperCase()}`, secret()])),
    ATTRIBUTION_KEY: secret(),
    PAYMENT_SERVER_KEY: secret(),
    EXPORT_LINK_KEY: secret(),
    BRIDGE_SERVICE_KEY: secret(),
  } as Record<string, string>;
  const stream = `SEKATP_${randomBytes(5).toString('hex')}`;
  const url: Partial<Record<DomainName | 'gateway', string>> = {};
  let social: SekatProcess;
  let commerce: SekatProcess;
  let gateway: SekatProcess;
  let bridge: SekatProcess;
  let jwks: string;

  const start = async (domains: string, env: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), `sekat-${domains}-`));
    dirs.push(dir);
    const config = loadConfig({
      DATA_DIR: dir,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATABASE_PREFIX: prefix,
      REQUIRE_VERIFIED_EMAIL: 'false',
      RTMP_PORT: 'off',
      TRUST_PROXY: 'loopback',
      PGLITE_TEMPLATE_DIR: process.env.PGLITE_TEMPLATE_DIR,
      SEKAT_DOMAINS: domains,
      ...(domains === 'gateway' ? {} : { NATS_URL, NATS_STREAM: stream }),
      ...(domains === 'gateway' || !DATABASE_URL ? {} : { DATABASE_URL }),
      ...env,
    });
    const part = await buildProcess(config);
    parts.push(part);
    const address = await part.app.listen({ port: 0, host: '127.0.0.1' });
    return { part, address, dir };
  };
  const only = (names: string[]) => Object.fromEntries(names.map((name) => [name, secrets[name]!]));

  beforeAll(async () => {
    const started = await start('identity', only(['SESSION_PEPPER', 'TOKEN_SIGNING_KEY', 'BRIDGE_SERVICE_KEY', ...DOMAINS.map((d) => `SUBJECT_KEY_${d.toUpperCase()}`)]));
    url.identity = started.address;
    jwks = `${url.identity}${JWKS_PATH}`;
    const domainEnv = (names: string[]) => ({ ...only(names), IDENTITY_JWKS_URL: jwks });
    // One after another: on a busy machine, building them all at once can outlast Fastify's plugin timeout.
    const s = await start('social', domainEnv(['ATTRIBUTION_KEY']));
    const c = await start('commerce', domainEnv(['ATTRIBUTION_KEY', 'PAYMENT_SERVER_KEY']));
    const b = await start('bridge', { ...domainEnv(['EXPORT_LINK_KEY', 'BRIDGE_SERVICE_KEY']), SEKAT_SERVICE_IDENTITY: url.identity, SEKAT_SERVICE_SOCIAL: s.address, SEKAT_SERVICE_COMMERCE: c.address });
    social = s.part;
    commerce = c.part;
    bridge = b.part;
    url.social = s.address;
    url.commerce = c.address;
    url.bridge = b.address;
    // Social has a second upstream that is down from the start: the gateway must pass it by.
    const g = await start('gateway', {
      SEKAT_UPSTREAM_IDENTITY: url.identity,
      SEKAT_UPSTREAM_SOCIAL: `http://127.0.0.1:${await deadPort()},${url.social}`,
      SEKAT_UPSTREAM_COMMERCE: url.commerce,
      SEKAT_UPSTREAM_BRIDGE: url.bridge,
      GATEWAY_HEALTH_INTERVAL_MS: '100',
    });
    gateway = g.part;
    url.gateway = g.address;
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(parts.map((part) => part.close()));
    if (DATABASE_URL) for (const domain of DOMAINS) await dropPostgresDatabase(DATABASE_URL, databaseName(prefix, domain));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('starts only the domains it is given and opens only their stores', async () => {
    expect(Object.keys(commerce.stores)).toEqual(['commerce']);
    expect(Object.keys(commerce.domains)).toEqual(['commerce']);
    expect(Object.keys(gateway.stores)).toEqual([]);
    const health = await (await fetch(`${url.commerce}/healthz`)).json();
    expect(health).toEqual({ status: 'ok', domains: { commerce: 'ok' } });
    if (!DATABASE_URL) {
      // One folder of PGlite per process: the commerce process made only commerce's.
      const commerceDir = dirs.find((dir) => path.basename(dir).startsWith('sekat-commerce-'))!;
      expect(readdirSync(commerceDir).filter((name) => DOMAINS.includes(name as DomainName))).toEqual(['commerce']);
      const bridgeDir = dirs.find((dir) => path.basename(dir).startsWith('sekat-bridge-'))!;
      expect(existsSync(path.join(bridgeDir, 'identity'))).toBe(false);
    }
    // The commerce process answers commerce routes only, and serves no web app.
    expect((await fetch(`${url.commerce}/api/me`)).status).toBe(404);
    expect((await fetch(`${url.commerce}/api/commerce/products?q=batik`)).status).toBe(200);
    expect((await fetch(`${url.commerce}/`)).status).toBe(404);
  });

  it('routes every path a domain registers to that domain', () => {
    const routes = parts.flatMap((part) => part.routes).filter((route) => route.method !== 'HEAD' && route.url !== JWKS_PATH && route.url !== TOKEN_EXCHANGE_PATH);
    expect(routes.length).toBeGreaterThan(100);
    const wrong = routes.filter((route) => domainOfRoute(route.method, route.url) !== route.domain);
    expect(wrong).toEqual([]);
  });

  it('serves the whole app through the gateway: identity, social and commerce', async () => {
    const seller = await registerUser(gateway.app, 'penjual');
    expect((await gateway.app.inject({ url: '/api/me', headers: seller.headers })).statusCode).toBe(200);
    const shop = await openShop(gateway.app, seller);
    const product = await listProduct(gateway.app, seller, shop.id);
    const page = await gateway.app.inject({ url: `/api/commerce/products/${product.id}` });
    expect(page.statusCode).toBe(200);
    // The session cookie works through the gateway too; the domains see only a domain token.
    const mine = await gateway.app.inject({ url: '/api/commerce/shops/mine', cookies: { sid: seller.token } });
    expect([200, 404]).toContain(mine.statusCode);
    for (let i = 0; i < 6; i++) {
      // Round robin would send every other request to the dead social upstream.
      const feed = await gateway.app.inject({ url: '/api/social/feed/for-you', headers: seller.headers });
      expect(feed.statusCode).toBe(200);
    }
    const consents = await gateway.app.inject({ url: '/api/privacy/consents', headers: seller.headers });
    expect(consents.statusCode).toBe(200);
    // The live room's WebSocket goes through too: social answers the upgrade, then says there is no such live.
    const room = new WebSocket(`${url.gateway!.replace('http', 'ws')}/api/social/lives/${randomUUID()}/room`, { headers: seller.headers });
    const opened = await new Promise<{ open: boolean; first?: string; code?: number }>((resolve) => {
      let open = false;
      room.on('open', () => (open = true));
      room.on('message', (data) => {
        resolve({ open, first: String(data) });
        room.close();
      });
      room.on('close', (code) => resolve({ open, code }));
      room.on('error', () => resolve({ open }));
    });
    expect(opened.open).toBe(true);
    expect(opened.first ?? opened.code).toBeDefined();
  });

  it('hands each domain a token for it alone: social’s token is refused by commerce', async () => {
    const buyer = await registerUser(gateway.app, 'pembeli');
    const exchange = async (audience: string) => {
      const res = await fetch(`${url.identity}${TOKEN_EXCHANGE_PATH}`, { method: 'POST', headers: { ...buyer.headers, 'content-type': 'application/json' }, body: JSON.stringify({ audience }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { token: string }).token;
    };
    const cart = (token: string) => fetch(`${url.commerce}/api/commerce/cart`, { headers: { authorization: `Bearer ${token}` } });
    expect((await cart(await exchange('commerce'))).status).toBe(200);
    const refused = await cart(await exchange('social'));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ status: 401, type: expect.stringMatching(/invalid-token$/) });
    // The social token names social's pseudonym, not commerce's, and not the account.
    const [, payload] = (await exchange('social')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const commerceClaims = JSON.parse(Buffer.from((await exchange('commerce')).split('.')[1]!, 'base64url').toString());
    expect(claims.sub).not.toBe(commerceClaims.sub);
    expect(claims.aud).toBe('social');
    expect(commerceClaims.profile).toBeUndefined();
    const me = (await (await fetch(`${url.identity}/api/me`, { headers: buyer.headers })).json()) as { id: string };
    expect(JSON.stringify([claims, commerceClaims])).not.toContain(me.id);
  });

  it('refuses an expired token, one signed by another key, a session, and a bad exchange', async () => {
    const buyer = await registerUser(gateway.app, 'penipu');
    const cart = (token: string) => fetch(`${url.commerce}/api/commerce/cart`, { headers: { authorization: `Bearer ${token}` } });
    const sameKeyLongAgo = new DomainTokenIssuer(secrets.TOKEN_SIGNING_KEY!, () => Date.now() - 10 * 60 * 1000);
    const expired = await cart((await sameKeyLongAgo.mint('commerce', { sub: 'x', ev: true, ra: false })).token);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { detail: string }).detail).toMatch(/expired/);
    const otherKey = new DomainTokenIssuer(secret());
    expect((await cart((await otherKey.mint('commerce', { sub: 'x', ev: true, ra: false })).token)).status).toBe(401);
    // A session token is for identity only; a domain behind the gateway never takes one.
    expect((await cart(buyer.token)).status).toBe(401);
    expect((await cart('a.b.c')).status).toBe(401);
    const exchange = (body: unknown, headers: Record<string, string> = buyer.headers) =>
      fetch(`${url.identity}${TOKEN_EXCHANGE_PATH}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await exchange({ audience: 'commerce' }, {})).status).toBe(401);
    expect((await exchange({ audience: 'identity' })).status).toBe(400);
    // Only the gateway makes the exchange: from outside it is no route.
    const outside = await gateway.app.inject({ method: 'POST', url: TOKEN_EXCHANGE_PATH, headers: buyer.headers, payload: { audience: 'commerce' } });
    expect(outside.statusCode).toBe(404);
    const keys = (await (await fetch(jwks)).json()) as { keys: { kid: string; kty: string; crv: string; d?: string }[] };
    expect(keys.keys).toHaveLength(3);
    expect(keys.keys.every((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && k.d === undefined)).toBe(true);
  });

  it('the bridge exports and erases over the network with one-use service tokens; nobody else gets in', async () => {
    const person = await registerUser(gateway.app, 'rahasia');
    await openShop(gateway.app, person);
    const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
      for (let i = 0; i < 200; i++) {
        const value = await probe();
        if (value !== undefined) return value;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`${what} did not happen`);
    };
    const created = await gateway.app.inject({ method: 'POST', url: '/api/privacy/exports', headers: person.headers });
    expect(created.statusCode).toBe(202);
    const ready = await waitFor('the export', async () => {
      const status = (await gateway.app.inject({ url: `/api/privacy/exports/${created.json().id}`, headers: person.headers })).json();
      expect(status.status).not.toBe('failed');
      return status.status === 'ready' ? status : undefined;
    });
    const zip = await gateway.app.inject({ url: ready.downloadUrl });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');

    const erase = `${url.social}${internalPath('social', 'privacy.erase')}`;
    const post = (target: string, headers: Record<string, string>, body: unknown = { subject: randomUUID() }) =>
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    // Before the body is even looked at: no token, a session, a session cookie, a domain token.
    expect((await post(erase, {}, { nonsense: true })).status).toBe(401);
    expect((await post(erase, person.headers)).status).toBe(401);
    expect((await post(erase, { cookie: `sid=${person.token}` })).status).toBe(401);
    const domainToken = await post(`${url.identity}${TOKEN_EXCHANGE_PATH}`, person.headers, { audience: 'social' });
    expect((await post(erase, { authorization: `Bearer ${((await domainToken.json()) as { token: string }).token}` })).status).toBe(401);
    const mint = async (audience: string, action: string, key = secrets.BRIDGE_SERVICE_KEY!) => {
      const res = await post(`${url.identity}${SERVICE_TOKEN_PATH}`, { authorization: `Bearer ${key}` }, { audience, action });
      return { status: res.status, token: res.status === 200 ? ((await res.json()) as { token: string }).token : '' };
    };
    expect((await mint('social', 'privacy.erase', secret())).status).toBe(401);
    expect((await mint('bridge', 'privacy.erase')).status).toBe(400);
    const good = (await mint('social', 'privacy.erase')).token;
    expect((await post(erase, { authorization: `Bearer ${(await mint('commerce', 'privacy.erase')).token}` })).status).toBe(401);
    expect((await post(erase, { authorization: `Bearer ${(await mint('social', 'privacy.export')).token}` })).status).toBe(401);
    // A token signed by another key with every claim right is refused too.
    const forged = await new DomainTokenIssuer(secret()).mintService('social', 'privacy.erase');
    expect((await post(erase, { authorization: `Bearer ${forged.token}` })).status).toBe(401);
    expect((await post(erase, { authorization: `Bearer ${good}` })).status).toBe(204);
    const replayed = await post(erase, { authorization: `Bearer ${good}` });
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { detail: string }).detail).toMatch(/used before/);
    // From outside, through the gateway, there are no such paths.
    expect((await gateway.app.inject({ method: 'POST', url: internalPath('social', 'privacy.erase'), headers: { authorization: `Bearer ${good}` }, payload: { subject: 'x' } })).statusCode).toBe(404);
    expect((await gateway.app.inject({ method: 'POST', url: SERVICE_TOKEN_PATH, payload: { audience: 'social', action: 'privacy.erase' } })).statusCode).toBe(404);

    const erased = await gateway.app.inject({ method: 'DELETE', url: '/api/me', headers: person.headers });
    expect(erased.statusCode).toBe(202);
    await waitFor('the erasure', async () => {
      const row = await bridge.stores.bridge!.db.selectFrom('privacy_requests').select('status').where('id', '=', erased.json().id).executeTakeFirst();
      return row?.status === 'done' ? true : undefined;
    });
    expect((await gateway.app.inject({ url: '/api/me', headers: person.headers })).statusCode).toBe(401);
  });

  it('the bridge’s other port calls go over the network: a creator’s analytics answer; each action takes only its own service token', async () => {
    const creator = await registerUser(gateway.app, 'kreator');
    // Social's creatorStats and commerce's affiliateIdOf, each in its own process, through the bridge's.
    const stats = await gateway.app.inject({ url: '/api/creator/analytics', headers: creator.headers });
    expect(stats.statusCode).toBe(200);
    // Enrolled as an affiliate in commerce, the creator links their profile: commerce's affiliate id
    // reaches social as an opaque reference, and the analytics then ask commerce's attributed stats too.
    expect((await gateway.app.inject({ method: 'POST', url: '/api/commerce/affiliates', headers: creator.headers })).statusCode).toBeLessThan(300);
    const linked = await gateway.app.inject({ method: 'POST', url: '/api/creator/affiliate-link', headers: creator.headers });
    expect(linked.statusCode).toBeLessThan(300);
    expect(linked.json().affiliateId).toEqual(expect.any(String));
    expect((await gateway.app.inject({ url: '/api/creator/analytics', headers: creator.headers })).statusCode).toBe(200);
    const post = (target: string, headers: Record<string, string>, body: unknown) =>
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const mint = async (audience: string, action: string) => {
      const res = await post(`${url.identity}${SERVICE_TOKEN_PATH}`, { authorization: `Bearer ${secrets.BRIDGE_SERVICE_KEY!}` }, { audience, action });
      expect(res.status).toBe(200);
      return ((await res.json()) as { token: string }).token;
    };
    for (const domain of ['social', 'commerce'] as const) {
      for (const action of PORT_ACTIONS[domain]) {
        const target = `${url[domain]}${internalPath(domain, action)}`;
        const body = { args: [randomUUID()] };
        // No token, a session, a token for another action: 401 before the body is read; never through the gateway.
        expect((await post(target, {}, body)).status).toBe(401);
        expect((await post(target, creator.headers, body)).status).toBe(401);
        expect((await post(target, { authorization: `Bearer ${await mint(domain, 'privacy.erase')}` }, body)).status).toBe(401);
        expect((await gateway.app.inject({ method: 'POST', url: internalPath(domain, action), payload: body })).statusCode).toBe(404);
      }
    }
    // A good token for the one action answers, once.
    const good = await mint('commerce', 'port.affiliate-id');
    const target = `${url.commerce}${internalPath('commerce', 'port.affiliate-id')}`;
    const first = await post(target, { authorization: `Bearer ${good}` }, { args: [randomUUID()] });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ result: null });
    expect((await post(target, { authorization: `Bearer ${good}` }, { args: [randomUUID()] })).status).toBe(401);
  });

  it('answers 503 with Retry-After, at once, when every process of a domain is down; the others go on', async () => {
    const seller = await registerUser(gateway.app, 'tetap');
    const shop = await openShop(gateway.app, seller);
    const product = await listProduct(gateway.app, seller, shop.id);
    await social.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const began = Date.now();
    const down = await gateway.app.inject({ url: '/api/social/feed/for-you', headers: seller.headers });
    expect(Date.now() - began).toBeLessThan(2000);
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
    // Commerce goes on without social: the product page and the cart.
    expect((await gateway.app.inject({ url: `/api/commerce/products/${product.id}` })).statusCode).toBe(200);
    const added = await gateway.app.inject({ method: 'POST', url: '/api/commerce/cart/items', headers: seller.headers, payload: { variantId: product.variants[0]!.id, quantity: 1 } });
    expect(added.statusCode).toBeLessThan(300);
    const health = (await (await fetch(`${url.gateway}/healthz`)).json()) as { ready: boolean };
    expect(health.ready).toBe(false);
  });
});

describe.skipIf(!DATABASE_URL)('a domain on its own database and role (postgres)', () => {
  const name = `sekat_own${randomBytes(4).toString('hex')}`;
  const admin = () => new pg.Client({ connectionString: DATABASE_URL });
  let part: SekatProcess | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    await part?.close();
    await dropPostgresDatabase(DATABASE_URL!, name);
    const client = admin();
    await client.connect();
    await client.query(`drop role if exists ${name}`);
    await client.end();
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(`SEKATOWN_${name}`).catch(() => undefined);
    await nc.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens DATABASE_URL_COMMERCE as given, with a role that owns only that database', async () => {
    const client = admin();
    await client.connect();
    const password = randomBytes(12).toString('hex');
    await client.query(`create role ${name} login password '${password}'`);
    await client.query(`create database ${name} owner ${name}`);
    await client.end();
    const own = new URL(DATABASE_URL!);
    own.username = name;
    own.password = password;
    own.pathname = `/${name}`;
    dir = mkdtempSync(path.join(tmpdir(), 'sekat-own-'));
    const config = loadConfig({
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      RTMP_PORT: 'off',
      SEKAT_DOMAINS: 'commerce',
      NATS_URL,
      NATS_STREAM: `SEKATOWN_${name}`,
      DATABASE_URL_COMMERCE: own.toString(),
      ATTRIBUTION_KEY: secret(),
      PAYMENT_SERVER_KEY: secret(),
      IDENTITY_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    });
    part = await buildProcess(config);
    const health = await part.app.inject({ url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok', domains: { commerce: 'ok' } });
    const check = new pg.Client({ connectionString: own.toString() });
    await check.connect();
    const owned = await check.query(`select count(*)::int as n from pg_tables where schemaname = 'public' and tableowner = $1`, [name]);
    await check.end();
    expect(owned.rows[0].n).toBeGreaterThan(10);
    // A token-bearing request while identity's keys cannot be fetched is a 503, not a 401 or a hang.
    const away = await part.app.inject({ url: '/api/commerce/cart', headers: { authorization: 'Bearer a.b.c' } });
    expect([401, 503]).toContain(away.statusCode);
  });
});
