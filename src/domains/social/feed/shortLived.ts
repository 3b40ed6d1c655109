import { LRUCache } from 'lru-cache';

/** What a cache holds and how often it answered: printed by `bench:crowd`. */
export interface CacheStats {
  name: string;
  hits: number;
  misses: number;
  entries: number;
  /** Estimated bytes held (each cache's own `sizeOf`), next to its bound. */
  bytes: number;
  maxEntries: number;
  maxBytes: number;
}

export interface BoundedOptions<V> {
  name: string;
  maxEntries: number;
  maxBytes: number;
  /** An estimate of the bytes an entry keeps alive (its key included by the cache). */
  sizeOf: (value: V) => number;
  ttlMs?: number;
}

/**
 * An LRU cache bounded in entries and in estimated bytes, counting its hits and misses. Every
 * cache the feeds keep is one of these, so a crowd of viewers cannot grow the heap without bound.
 */
export class BoundedCache<V extends NonNullable<unknown>> {
  private readonly lru: LRUCache<string, V>;
  hits = 0;
  misses = 0;

  constructor(private readonly options: BoundedOptions<V>) {
    this.lru = new LRUCache<string, V>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => Math.max(1, 2 * key.length + options.sizeOf(value)),
      ...(options.ttlMs ? { ttl: options.ttlMs, ttlAutopurge: false } : {}),
    });
  }

  get(key: string): V | undefined {
    const value = this.lru.get(key);
    if (value === undefined) this.misses++;
    else this.hits++;
    return value;
  }

  /** Looks without counting (for checks that are not a read of the cache). */
  peek(key: string): V | undefined {
    return this.lru.peek(key);
  }

  /** `keepTtl` replaces the value but keeps the time the entry was first set (and so expires). */
  set(key: string, value: V, options: { keepTtl?: boolean } = {}): void {
    this.lru.set(key, value, options.keepTtl ? { noUpdateTTL: true } : {});
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  deleteWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.lru.keys()]) if (matches(key)) this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): CacheStats {
    return {
      name: this.options.name,
      hits: this.hits,
      misses: this.misses,
      entries: this.lru.size,
      bytes: this.lru.calculatedSize,
      maxEntries: this.options.maxEntries,
      maxBytes: this.options.maxBytes,
    };
  }
}

interface Loaded<T> {
  promise: Promise<T>;
  /** Set once the load resolved: its size is then known. */
  value?: T;
}

/**
 * A keyed cache of loads trusted for `ttlMs`: concurrent readers share one load, a failed load is
 * forgotten. The feed's per-viewer caches (signals, likes, first Following pages) are all one of these.
 */
export class ShortLived<T extends NonNullable<unknown>> {
  private readonly cache: BoundedCache<Loaded<T>>;

  constructor(options: { name: string; ttlMs: number; maxEntries: number; maxBytes: number; sizeOf: (value: T) => number }) {
    this.cache = new BoundedCache<Loaded<T>>({
      ...options,
      // A load in flight is counted small; it is counted again at its size once it resolves.
      sizeOf: (entry) => (entry.value === undefined ? 64 : options.sizeOf(entry.value)),
    });
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit) return hit.promise;
    const entry: Loaded<T> = { promise: load() };
    this.cache.set(key, entry);
    entry.promise.then(
      (value) => {
        if (this.cache.peek(key) !== entry) return;
        entry.value = value;
        this.cache.set(key, entry, { keepTtl: true });
      },
      () => {
        if (this.cache.peek(key) === entry) this.cache.delete(key);
      },
    );
    return entry.promise;
  }

  /** The loaded value, if there is one, without counting a read. */
  peek(key: string): T | undefined {
    return this.cache.peek(key)?.value;
  }

  /** Replaces a loaded value with one this process derived from it, keeping its time to live. */
  replace(key: string, value: T): void {
    if (this.cache.peek(key)?.value === undefined) return;
    this.cache.set(key, { promise: Promise.resolve(value), value }, { keepTtl: true });
  }

  delete(key: string): void {
    this.cache.delete(key);
  }

  deleteWhere(matches: (key: string) => boolean): void {
    this.cache.deleteWhere(matches);
  }

  clear(): void {
    this.cache.clear();
  }

  stats(): CacheStats {
    return this.cache.stats();
  }
}
