import { afterAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/platform/config.js';
import { STORE_LABEL } from '../src/platform/testing.js';
import { clientAddressTrust } from '../src/server/app.js';
import { useSekat } from './support/sekat.js';

/**
 * What each TRUST_PROXY form makes of `X-Forwarded-For: <what the client wrote>, <what the proxies
 * appended>` from a loopback peer: Fastify's request.ip, which every rate limit is keyed on.
 */
const FORMS = [
  // Nobody is trusted: the peer is the client, whatever the header says.
  { env: 'false', header: '198.51.100.1, 203.0.113.7', client: '127.0.0.1' },
  // One proxy: the client is the address it appended, the rightmost.
  { env: 'true', header: '198.51.100.1, 203.0.113.7', client: '203.0.113.7' },
  { env: '1', header: '198.51.100.1, 203.0.113.7', client: '203.0.113.7' },
  // Two proxies: the second appended the first one's address.
  { env: '2', header: '198.51.100.1, 203.0.113.7, 10.0.0.2', client: '203.0.113.7' },
  // Listed proxies: the client is the rightmost address that is not one of them.
  { env: 'loopback, 10.0.0.0/8', header: '198.51.100.1, 203.0.113.7, 10.0.0.2', client: '203.0.113.7' },
  { env: '127.0.0.1,10.0.0.2', header: '198.51.100.1, 203.0.113.7, 10.0.0.2', client: '203.0.113.7' },
  // The loopback peer is not a listed proxy, so its header is not believed.
  { env: '10.0.0.1', header: '198.51.100.1, 203.0.113.7', client: '127.0.0.1' },
];

const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-proxy-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('TRUST_PROXY', () => {
  it.each(FORMS)('$env: X-Forwarded-For "$header" from loopback is client $client, for request.ip and the rate limit', async ({ env, header, client }) => {
    const app = Fastify({ trustProxy: clientAddressTrust(loadConfig({ DATA_DIR: dataDir, TRUST_PROXY: env }).trustProxy) });
    await app.register(rateLimit, { global: false });
    app.get('/ip', { config: { rateLimit: { max: 2, timeWindow: '1 minute' } } }, async (request) => ({ ip: request.ip }));
    const spoofed = (i: number) => header.replace('198.51.100.1', `198.51.100.${i}`);
    const first = await app.inject({ url: '/ip', headers: { 'x-forwarded-for': spoofed(1) } });
    expect(first.json()).toEqual({ ip: client });
    // Changing what the client wrote does not give it a fresh allowance.
    expect((await app.inject({ url: '/ip', headers: { 'x-forwarded-for': spoofed(2) } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/ip', headers: { 'x-forwarded-for': spoofed(3) } })).statusCode).toBe(429);
    await app.close();
  });
});

describe(`the app behind one proxy (TRUST_PROXY=true, ${STORE_LABEL})`, () => {
  const t = useSekat({ background: false, env: { TRUST_PROXY: 'true' } });

  it('keys its rate limits on the address the proxy appended', async () => {
    // Registration allows 10 attempts a minute per client; an empty body is refused after the count, writing nothing.
    const register = (forwardedFor: string) => t.sekat.app.inject({ method: 'POST', url: '/api/auth/register', payload: {}, headers: { 'x-forwarded-for': forwardedFor } });
    const codes: number[] = [];
    for (let i = 1; i <= 11; i++) codes.push((await register(`198.51.100.${i}, 203.0.113.7`)).statusCode);
    expect(codes).toEqual([...Array(10).fill(400), 429]);
    expect((await register('198.51.100.1, 203.0.113.8')).statusCode).toBe(400);
  });
});
