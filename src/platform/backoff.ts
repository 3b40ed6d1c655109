import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * Counters of attempts that back off exponentially, per key: the first `free` attempts go through,
 * then each must wait `baseMs × 2^(n − free)` (at most `maxMs`) after the one before. A key forgets
 * `memoryMs` after its last attempt. An attempt is counted when it is let through, so parallel
 * attempts cannot slip past together; one that turns out right is forgiven afterwards.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  memoryMs: number;
}

export interface BackoffKey {
  key: string;
  free: number;
}

export interface BackoffStore {
  /** How many attempts a key remembers. */
  count(key: string): Promise<number>;
  /** Lets an attempt through (0) and counts it on every key, or answers how many ms to wait. */
  attempt(keys: BackoffKey[], now?: number): Promise<number>;
  /** Takes one attempt back from `forgive` and forgets `clear` altogether. */
  settle(forgive: string[], clear: string[]): Promise<void>;
}

function waitMs(policy: BackoffPolicy, state: { n: number; at: number } | undefined, free: number, now: number): number {
  if (!state || state.n < free) return 0;
  return Math.max(0, state.at + Math.min(policy.maxMs, policy.baseMs * 2 ** (state.n - free)) - now);
}

/** One process's counters (the default without REDIS_URL). */
export class MemoryBackoff implements BackoffStore {
  private readonly counters: LRUCache<string, { n: number; at: number }>;

  constructor(private readonly policy: BackoffPolicy) {
    this.counters = new LRUCache({ max: 200_000, ttl: policy.memoryMs });
  }

  async count(key: string): Promise<number> {
    return this.counters.get(key)?.n ?? 0;
  }

  async attempt(keys: BackoffKey[], now = Date.now()): Promise<number> {
    const wait = Math.max(0, ...keys.map(({ key, free }) => waitMs(this.policy, this.counters.get(key), free, now)));
    if (wait > 0) return Math.ceil(wait);
    for (const { key } of keys) this.counters.set(key, { n: (this.counters.get(key)?.n ?? 0) + 1, at: now });
    return 0;
  }

  async settle(forgive: string[], clear: string[]): Promise<void> {
    for (const key of forgive) {
      const state = this.counters.get(key);
      if (state && state.n > 0) this.counters.set(key, { ...state, n: state.n - 1 }, { noUpdateTTL: true });
    }
    for (const key of clear) this.counters.delete(key);
  }
}

// The same rule as `waitMs`, run inside Redis so that checking and counting are one step for
// every process. ARGV: now, base, max, memory, then each key's `free`.
const ATTEMPT = `
local now, base, max, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local wait = 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'n', 'at')
  local n, free = tonumber(state[1]) or 0, tonumber(ARGV[4 + i])
  if n >= free then wait = math.max(wait, tonumber(state[2]) + math.min(max, base * 2 ^ (n - free)) - now) end
end
if wait > 0 then return math.ceil(wait) end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'n', 1)
  redis.call('HSET', key, 'at', now)
  redis.call('PEXPIRE', key, memory)
end
return 0`;

// ARGV[1]: how many of KEYS (from the start) to forgive one attempt; the rest are cleared.
const SETTLE = `
for i, key in ipairs(KEYS) do
  if i <= tonumber(ARGV[1]) then
    if (tonumber(redis.call('HGET', key, 'n')) or 0) > 0 then redis.call('HINCRBY', key, 'n', -1) end
  else
    redis.call('DEL', key)
  end
end
return 0`;

/** Counters every process shares (REDIS_URL). */
export class RedisBackoff implements BackoffStore {
  constructor(
    private readonly redis: Redis,
    private readonly policy: BackoffPolicy,
    private readonly prefix: string,
  ) {}

  async count(key: string): Promise<number> {
    return Number((await this.redis.hget(this.prefix + key, 'n')) ?? 0);
  }

  async attempt(keys: BackoffKey[], now = Date.now()): Promise<number> {
    const { baseMs, maxMs, memoryMs } = this.policy;
    const names = keys.map((k) => this.prefix + k.key);
    return Number(await this.redis.eval(ATTEMPT, names.length, ...names, now, baseMs, maxMs, memoryMs, ...keys.map((k) => k.free)));
  }

  async settle(forgive: string[], clear: string[]): Promise<void> {
    const names = [...forgive, ...clear].map((key) => this.prefix + key);
    if (names.length > 0) await this.redis.eval(SETTLE, names.length, ...names, forgive.length);
  }
}
