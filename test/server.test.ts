import { describe, expect, it } from 'vitest';
import { useSekat } from './support/sekat.js';

const t = useSekat({ background: false });

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
});
