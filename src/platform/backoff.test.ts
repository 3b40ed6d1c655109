import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { MemoryBackoff, RedisBackoff, type BackoffStore } from './backoff.js';

const POLICY = { baseMs: 1_000, maxMs: 8_000, memoryMs: 60_000 };
const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 }) : undefined;
afterAll(() => redis?.disconnect());

const stores: [string, () => BackoffStore][] = [['memory', () => new MemoryBackoff(POLICY)]];
// Each run gets its own key prefix, so runs never see each other's counters.
if (redis) stores.push(['redis', () => new RedisBackoff(redis, POLICY, `sekat-test-${randomBytes(4).toString('hex')}-`)]);

describe.each(stores)('backoff counters (%s)', (_name, make) => {
  it('lets the free attempts through, then doubles the wait after each one, up to the cap', async () => {
    const store = make();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(await store.attempt([{ key: 'k', free: 3 }], t0)).toBe(0);
    expect(await store.count('k')).toBe(3);
    expect(await store.attempt([{ key: 'k', free: 3 }], t0 + 400)).toBe(600);
    expect(await store.count('k')).toBe(3);
    expect(await store.attempt([{ key: 'k', free: 3 }], t0 + 1_000)).toBe(0);
    expect(await store.attempt([{ key: 'k', free: 3 }], t0 + 2_000)).toBe(1_000);
    expect(await store.attempt([{ key: 'k', free: 3 }], t0 + 3_000)).toBe(0);
    // The wait stops growing at the cap: an attempt every 8 s keeps going through.
    let at = t0 + 3_000;
    for (let i = 0; i < 6; i++) expect(await store.attempt([{ key: 'k', free: 3 }], (at += 8_000))).toBe(0);
    expect(await store.attempt([{ key: 'k', free: 3 }], at + 7_999)).toBe(1);
  });

  it('waits for the slowest key and counts an attempt on every key only when it goes through', async () => {
    const store = make();
    const t0 = 2_000_000;
    expect(await store.attempt([{ key: 'a', free: 1 }], t0)).toBe(0);
    expect(await store.attempt([{ key: 'a', free: 1 }, { key: 'b', free: 9 }], t0)).toBe(1_000);
    expect(await store.count('b')).toBe(0);
    expect(await store.attempt([{ key: 'a', free: 1 }, { key: 'b', free: 9 }], t0 + 1_000)).toBe(0);
    expect([await store.count('a'), await store.count('b')]).toEqual([2, 1]);
  });

  it('forgives one attempt on some keys and forgets others', async () => {
    const store = make();
    const t0 = 3_000_000;
    for (let i = 0; i < 2; i++) expect(await store.attempt([{ key: 'x', free: 9 }, { key: 'y', free: 9 }], t0)).toBe(0);
    await store.settle(['x'], ['y']);
    expect([await store.count('x'), await store.count('y')]).toEqual([1, 0]);
    await store.settle(['x', 'x', 'never-seen'], []);
    expect(await store.count('x')).toBe(0);
    expect(await store.count('never-seen')).toBe(0);
  });
});
