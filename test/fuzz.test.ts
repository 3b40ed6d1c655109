import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { STORE_LABEL } from '../src/platform/testing.js';
import { useSekat } from './support/sekat.js';

const t = useSekat({ background: false });

/** Routes the walk leaves alone because they end the walker's own session or account. */
const SKIP = new Set(['POST /api/auth/logout', 'DELETE /api/me']);
/** The tus resumable-upload protocol defines its own error responses (plain text, 4xx). */
const TUS = /^\/api\/social\/uploads/;
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
/** Stands for a request with no body and no content type, as a bare form or button sends. */
const NO_BODY = '\u0000no-body';

let token: string;
let operations: { method: string; path: string }[] = [];

beforeAll(async () => {
  const registered = await t.sekat.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { email: 'fuzz@contoh.id', password: 'fuzzing-is-fun-123', handle: 'fuzzer', displayName: 'Fuzz' },
  });
  token = registered.json().token;
  const doc = (await t.sekat.app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((method) => ({ method: method.toUpperCase(), path })),
  );
});

const pathParam = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 40 }),
  fc.integer().map(String),
  fc.constantFrom('0', '-1', '..', '%00', 'null', 'undefined', '9'.repeat(40), 'ä漢字🙂', 'a'.repeat(300)),
);

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', '\ud800', 'x'.repeat(5000), '<script>', "' or 1=1 --", '{}', '[]'),
);

const body = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom('email', 'password', 'handle', 'displayName', 'name', 'slug', 'city', 'title', 'variants', 'items', 'quantity', 'variantId', 'stock', 'text', 'rating', 'caption', 'events', 'granted', 'outcome', 'commissionPercent', 'shippingAddress', 'courier', 'paymentMethod'), fc.oneof(oddString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.object({ maxDepth: 2 }))),
);

const rawBody = fc.oneof(
  fc.constant(NO_BODY),
  body.map((value) => JSON.stringify(value) ?? 'null'),
  fc.constantFrom('{', '{"a":', 'not json', '\u0000\u0001', '[1,2', '{"__proto__":{"x":1}}', 'null', '"'),
);

const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'q', 'shop', 'category', 'personalized', 'variantIds', 'city', 'sort', 'format'), oddString, { maxKeys: 3 });

describe(`every route survives bad and random input (${STORE_LABEL})`, () => {
  it('refuses text with a NUL character, which PostgreSQL cannot store, before any store sees it', async () => {
    const search = await t.sekat.app.inject({ url: '/api/social/search?q=%00' });
    expect(search.statusCode).toBe(400);
    expect(search.json().errors).toHaveProperty(['query.q']);
    const body = await t.sekat.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: 'nul@contoh.id', password: 'tidak-ada-nul-di-sini', handle: 'nul_user', displayName: 'A\u0000B' },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().errors).toHaveProperty(['displayName']);
  });

  it('takes an empty JSON body as no body, and still refuses broken or poisoned JSON', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await t.sekat.app.inject({ method: 'POST', url: '/api/commerce/affiliates', headers, payload: '' })).statusCode).toBe(200);
    const broken = await t.sekat.app.inject({ method: 'POST', url: '/api/commerce/affiliates', headers, payload: '{"a":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().detail).toBe('The body is not valid JSON.');
    const poisoned = await t.sekat.app.inject({ method: 'POST', url: '/api/auth/login', headers, payload: '{"__proto__":{"admin":true},"email":"a@b.id","password":"x"}' });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.headers['content-type']).toContain('application/problem+json');
  });

  it('answers no request with a 5xx, and every error is a problem document', async () => {
    expect(operations.length).toBeGreaterThan(3);
    const failures: string[] = [];
    for (const operation of operations) {
      const key = `${operation.method} ${operation.path}`;
      if (SKIP.has(key)) continue;
      await fc.assert(
        fc.asyncProperty(fc.array(pathParam, { minLength: 4, maxLength: 4 }), rawBody, query, fc.boolean(), async (params, payload, qs, signedIn) => {
          let i = 0;
          const url = operation.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++ % params.length]!));
          const search = new URLSearchParams(qs).toString();
          const res = await t.sekat.app.inject({
            method: operation.method as 'GET',
            url: search ? `${url}?${search}` : url,
            headers: {
              ...(payload === NO_BODY ? {} : { 'content-type': 'application/json' }),
              'idempotency-key': `fuzz-${Math.random()}`,
              ...(signedIn ? { authorization: `Bearer ${token}` } : {}),
            },
            payload: operation.method === 'GET' || operation.method === 'DELETE' || payload === NO_BODY ? undefined : payload,
          });
          if (res.statusCode >= 500) failures.push(`${key} → ${res.statusCode} for ${url} ${payload.slice(0, 200)}: ${res.body.slice(0, 300)}`);
          if (res.statusCode >= 400 && !TUS.test(operation.path) && !String(res.headers['content-type']).includes('application/problem+json')) {
            failures.push(`${key} → ${res.statusCode} without problem+json`);
          }
          return true;
        }),
        { numRuns: RUNS },
      );
    }
    expect(failures).toEqual([]);
  });
});
