import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { replayGuard, SERVICE_TOKEN_TTL_SECONDS } from '../src/server/domain-tokens.js';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** Two processes of one domain share the memory of used service tokens through Redis. */
describe('service-token replay guard', () => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  const down = new Redis('redis://127.0.0.1:9', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });

  afterAll(() => {
    redis.disconnect();
    down.disconnect();
  });

  it('takes a jti once in this process, and once across processes with Redis', async () => {
    await redis.connect();
    const expiresAt = Math.floor(Date.now() / 1000) + SERVICE_TOKEN_TTL_SECONDS;
    const alone = replayGuard();
    const jti = randomUUID();
    expect(await alone.firstUse(jti, expiresAt)).toBe(true);
    expect(await alone.firstUse(jti, expiresAt)).toBe(false);
    // social-1 and social-2: each its own memory, one Redis.
    const one = replayGuard(redis);
    const two = replayGuard(redis);
    const shared = randomUUID();
    expect(await one.firstUse(shared, expiresAt)).toBe(true);
    expect(await two.firstUse(shared, expiresAt)).toBe(false);
    expect(await redis.ttl(`sekat-jti:${shared}`)).toBeGreaterThan(SERVICE_TOKEN_TTL_SECONDS - 5);
    await redis.del(`sekat-jti:${shared}`);
  });

  it('answers 503 when Redis cannot say, never lets the token through', async () => {
    const guard = replayGuard(down);
    await expect(guard.firstUse(randomUUID(), Math.floor(Date.now() / 1000) + 30)).rejects.toMatchObject({ status: 503 });
  });
});
