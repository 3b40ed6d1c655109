import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/platform/config.js';
import { buildProcess, type SekatProcess } from '../src/server/app.js';

/**
 * The gateway's own faults, against plain HTTP servers standing in for domain processes: one that
 * never answers, and two of one domain of which one dies while requests go on.
 */
describe('the gateway in front of failing processes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sekat-gateway-'));
  const upstreams: FastifyInstance[] = [];
  let gateway: SekatProcess;
  const upstream = async (name: string, options: { hang?: boolean } = {}) => {
    const app = Fastify();
    app.get('/healthz', async () => ({ status: 'ok' }));
    // As identity answers an exchange for a session it does not know.
    app.post('/api/identity/domain-token', async (_request, reply) => reply.code(401).send({ type: 'https://sekat.id/problems/unauthorized', status: 401 }));
    app.all('/*', async (request, reply) => {
      if (options.hang) return new Promise(() => undefined);
      return reply.send({ name, url: request.url, authorization: request.headers.authorization ?? null, cookie: request.headers.cookie ?? null, session: request.headers['x-sekat-session'] ?? null });
    });
    upstreams.push(app);
    return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
  };
  let socialOne: FastifyInstance;

  beforeAll(async () => {
    const one = await upstream('social-1');
    socialOne = one.app;
    const two = await upstream('social-2');
    const hanging = await upstream('commerce', { hang: true });
    const identity = await upstream('identity');
    gateway = await buildProcess(
      loadConfig({
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        SEKAT_DOMAINS: 'gateway',
        SEKAT_UPSTREAM_IDENTITY: identity.url,
        SEKAT_UPSTREAM_SOCIAL: `${one.url},${two.url}`,
        SEKAT_UPSTREAM_COMMERCE: hanging.url,
        SEKAT_UPSTREAM_BRIDGE: 'http://127.0.0.1:9',
        GATEWAY_UPSTREAM_TIMEOUT_MS: '400',
        GATEWAY_HEALTH_INTERVAL_MS: '100',
      }),
    );
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.allSettled(upstreams.map((app) => app.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads a domain over its processes and keeps answering when one of them stops', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) names.add((await gateway.app.inject({ url: '/api/social/feed/for-you' })).json().name);
    expect(names).toEqual(new Set(['social-1', 'social-2']));
    await socialOne.close();
    for (let i = 0; i < 6; i++) {
      const res = await gateway.app.inject({ url: '/api/social/feed/for-you' });
      expect(res.statusCode).toBe(200);
      expect(res.json().name).toBe('social-2');
    }
  });

  it('answers 504 when a process takes too long, and 503 with Retry-After when none is up', async () => {
    const began = Date.now();
    const slow = await gateway.app.inject({ url: '/api/commerce/products' });
    expect(slow.statusCode).toBe(504);
    expect(slow.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Date.now() - began).toBeLessThan(3000);
    const down = await gateway.app.inject({ url: '/api/privacy/consents' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.json()).toMatchObject({ status: 503, type: expect.stringMatching(/unavailable$/) });
  });

  it('passes identity the session, keeps it from other domains, and takes no say-so from clients', async () => {
    const toIdentity = (await gateway.app.inject({ url: '/api/me', headers: { authorization: 'Bearer sesi', 'x-sekat-session': 'expired' } })).json();
    expect(toIdentity).toMatchObject({ name: 'identity', authorization: 'Bearer sesi', session: null });
    // Identity knows no such session: the caller goes on signed out, and the session stays behind.
    const toSocial = (await gateway.app.inject({ url: '/api/social/feed/for-you', cookies: { sid: 'sesi' } })).json();
    expect(toSocial).toMatchObject({ authorization: null, cookie: null });
    expect((await gateway.app.inject({ method: 'POST', url: '/api/identity/domain-token', payload: {} })).statusCode).toBe(404);
    expect((await gateway.app.inject({ url: '/api/nowhere' })).statusCode).toBe(404);
  });
});
