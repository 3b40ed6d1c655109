import { describe, expect, it } from 'vitest';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { useSekat } from './support/sekat.js';

// Short HTTP timeouts, so the slow-client tests below take a second, not the defaults' minutes.
const t = useSekat({ background: false, env: { HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '1200' } });

/** Opens a raw connection, writes what `send` writes, and resolves with what came back and when the server closed it. */
function rawConnection(port: number, send: (socket: net.Socket) => void): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => send(socket));
    socket.on('data', (chunk) => (answer += String(chunk)));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
    socket.setTimeout(10_000, () => socket.destroy(new Error('the server kept the connection open')));
  });
}

describe('the HTTP server', () => {
  it('sends security headers on API answers, errors and pages alike', async () => {
    for (const url of ['/healthz', '/api/me', '/api/nope', '/api/social/feed/for-you', '/']) {
      const res = await t.sekat.app.inject({ url });
      const json = String(res.headers['content-type']).includes('json');
      // A JSON answer is never a page: nothing may load from it or frame it.
      expect(res.headers['content-security-policy'], url).toEqual(json ? "default-src 'none'; frame-ancestors 'none'" : expect.stringContaining("default-src 'self'"));
      expect(res.headers['x-frame-options'], url).toBe(json ? 'DENY' : 'SAMEORIGIN');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['strict-transport-security'], url).toContain('max-age=');
      if (!json) expect(res.headers['referrer-policy'], url).toBe('no-referrer');
    }
  });

  it('refuses a JSON body over 1 MB with a 413 problem', async () => {
    const res = await t.sekat.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.id', password: 'x'.repeat(1_100_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('serves the OpenAPI document and the docs', async () => {
    const doc = (await t.sekat.app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/auth/register', '/api/commerce/checkout', '/api/social/videos', '/api/privacy/consents', '/api/creator/analytics']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await t.sekat.app.inject({ url: '/api/docs/' })).statusCode).toBe(200);
  });

  it('closes a connection whose headers never finish, and one whose body never finishes', async () => {
    await t.sekat.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.sekat.app.server.address() as AddressInfo;
    const headers = await rawConnection(port, (socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: '));
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(headers.closedAfterMs).toBeLessThan(3000);
    let trickle: NodeJS.Timeout | undefined;
    const body = await rawConnection(port, (socket) => {
      socket.write('POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
      trickle = setInterval(() => socket.write(' '), 100);
    });
    clearInterval(trickle);
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(body.closedAfterMs).toBeLessThan(4000);
    // A client that sends its request promptly is served as ever.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
