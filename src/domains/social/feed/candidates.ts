import type { VideoRow } from '../store.js';
import type { CacheStats } from './shortLived.js';
import { ROW_BYTES } from './followingCache.js';

/** How deep For You can go: the ranked list holds this many videos. */
export const RANKED_DEPTH = 1500;
export const FRESH_DEPTH = 500;
export const FRESH_MAX_VIEWS = 50;
export const FRESH_DAYS = 3;

export interface Candidates {
  /** Ready videos by `hot` (engagement per view with time decay), best first. */
  ranked: VideoRow[];
  /** Fresh videos with few views, newest first: the exploration pool. */
  fresh: VideoRow[];
}

/**
 * The For You candidate lists, precomputed and shared by every request in the process, so the
 * request path runs no ranking query. Refreshed when older than `ttlMs` (stale-while-revalidate,
 * one load at a time) and dropped at once when this process changes something that ranks.
 * Another process's change shows within `ttlMs`: the feed is eventually consistent by design.
 */
export class CandidateCache {
  private current: Candidates | undefined;
  private loadedAt = 0;
  private loading: { generation: number; promise: Promise<Candidates> } | undefined;
  private generation = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly load: () => Promise<Candidates>,
    private readonly ttlMs = 2_000,
  ) {}

  async get(): Promise<Candidates> {
    if (this.current && Date.now() - this.loadedAt <= this.ttlMs) {
      this.hits++;
      return this.current;
    }
    this.misses++;
    const refresh = this.refresh();
    return this.current ?? refresh;
  }

  /** One entry of at most RANKED_DEPTH + FRESH_DEPTH rows: bounded by construction. */
  stats(): CacheStats {
    const rows = (this.current?.ranked.length ?? 0) + (this.current?.fresh.length ?? 0);
    return { name: 'For You candidates', hits: this.hits, misses: this.misses, entries: this.current ? 1 : 0, bytes: rows * ROW_BYTES, maxEntries: 1, maxBytes: (RANKED_DEPTH + FRESH_DEPTH) * ROW_BYTES };
  }

  /** Forget the lists; the next request loads them again. */
  invalidate(): void {
    this.generation++;
    this.current = undefined;
  }

  private refresh(): Promise<Candidates> {
    if (this.loading?.generation === this.generation) return this.loading.promise;
    const generation = this.generation;
    const promise = this.load().then((candidates) => {
      if (generation === this.generation) {
        this.current = candidates;
        this.loadedAt = Date.now();
      }
      return candidates;
    });
    this.loading = { generation, promise };
    void promise.finally(() => {
      if (this.loading?.promise === promise) this.loading = undefined;
    }).catch(() => undefined);
    return promise;
  }
}
