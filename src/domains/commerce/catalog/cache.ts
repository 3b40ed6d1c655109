/**
 * Product pages are read far more than written: each process keeps a product's public view for
 * a second (one query serves every concurrent reader of a product) and drops it whenever this
 * process changes the product or its stock. Another process's change shows within the second;
 * checkout always re-checks stock atomically, so a stale `available` never sells a unit twice.
 * Keys are UUIDv7 product ids, so one cache serves every store in the process.
 */
const TTL_MS = 1000;
const MAX_ENTRIES = 10_000;

class ProductViewCache {
  private readonly entries = new Map<string, { at: number; view: Promise<unknown> }>();

  get<T>(productId: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const cached = this.entries.get(productId);
    if (cached && now - cached.at < TTL_MS) return cached.view as Promise<T>;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const view = load();
    this.entries.set(productId, { at: now, view });
    view.catch(() => {
      if (this.entries.get(productId)?.view === view) this.entries.delete(productId);
    });
    return view;
  }

  forget(productIds: Iterable<string>): void {
    for (const id of productIds) this.entries.delete(id);
  }
}

export const productViews = new ProductViewCache();
