import { sql } from 'kysely';
import type { Logger } from 'pino';
import { BoundedCache } from '../feed/shortLived.js';
import type { Bus } from '../../../platform/bus.js';
import { handleOnce } from '../../../platform/outbox.js';
import type { Database } from '../../../platform/db.js';
import { PRODUCT_REMOVED, PRODUCT_UPSERTED, type ProductRemoved, type ProductUpserted } from '../../../contracts/commerce.js';
import type { TagsDb } from './store.js';
import type { ProductCard } from '../schemas.js';

export const CARDS_CONSUMER = 'social.product-cards';

export type { ProductCard };

type Upserted = ProductUpserted;

/** The card columns a query selects, in the projection's names. */
export const CARD_COLUMNS = ['c.product_id', 'c.title', 'c.price_min_idr', 'c.price_max_idr', 'c.image_url', 'c.in_stock', 'c.shop_name', 'c.external_url'] as const;

export const toCard = (row: {
  product_id: string;
  title: string;
  price_min_idr: number;
  price_max_idr: number;
  image_url: string | null;
  in_stock: boolean;
  shop_name: string;
  external_url: string | null;
}): ProductCard => ({
  productId: row.product_id,
  title: row.title,
  priceMinIdr: row.price_min_idr,
  priceMaxIdr: row.price_max_idr,
  imageUrl: row.image_url,
  inStock: row.in_stock,
  shopName: row.shop_name,
  externalUrl: row.external_url,
});

/** Applies one product fact, keeping only the newest version per product. */
async function applyUpsert(db: TagsDb, fact: Upserted): Promise<void> {
  await db
    .insertInto('product_cards')
    .values({
      product_id: fact.id,
      shop_id: fact.shopId,
      shop_name: fact.shopName,
      title: fact.title,
      category: fact.category ?? null,
      price_min_idr: fact.priceMinIdr,
      price_max_idr: fact.priceMaxIdr,
      image_url: fact.imageUrl,
      in_stock: fact.inStock,
      external_url: fact.externalUrl,
      version: fact.version,
      removed: false,
    })
    .onConflict((oc) =>
      oc
        .column('product_id')
        .doUpdateSet((eb) => ({
          shop_id: eb.ref('excluded.shop_id'),
          shop_name: eb.ref('excluded.shop_name'),
          title: eb.ref('excluded.title'),
          category: eb.ref('excluded.category'),
          price_min_idr: eb.ref('excluded.price_min_idr'),
          price_max_idr: eb.ref('excluded.price_max_idr'),
          image_url: eb.ref('excluded.image_url'),
          in_stock: eb.ref('excluded.in_stock'),
          external_url: eb.ref('excluded.external_url'),
          version: eb.ref('excluded.version'),
          removed: false,
          updated_at: sql`now()`,
        }))
        .where('product_cards.version', '<', fact.version),
    )
    .execute();
}

async function applyRemove(db: TagsDb, fact: ProductRemoved): Promise<void> {
  await db
    .updateTable('product_cards')
    .set({ removed: true, version: fact.version, updated_at: sql`now()` })
    .where('product_id', '=', fact.id)
    .where('version', '<', fact.version)
    .execute();
}

/**
 * Social's projection of commerce's public product facts: tags render from it with no call to
 * commerce. Consumed once per event (inbox), newest version wins, so order and repeats are safe.
 */
/**
 * How long a video's tags are served from memory. Changes in this process clear them at once;
 * another process's changes show within this time (product facts are eventually consistent).
 */
const TAGS_CACHE_TTL_MS = 5_000;

export class ProductCards {
  private readonly cache = new BoundedCache<ProductCard[]>({
    name: 'product tags per video',
    maxEntries: 20_000,
    maxBytes: 16 * 1024 * 1024,
    ttlMs: TAGS_CACHE_TTL_MS,
    sizeOf: (cards) => 80 + 400 * cards.length,
  });
  /** Moves on whenever a tag or card changed in this process: text written from older cards is stale. */
  generation = 0;
  /** How long cards read from the store are trusted (another process's change shows within it). */
  readonly ttlMs = TAGS_CACHE_TTL_MS;

  constructor(
    private readonly db: TagsDb,
    private readonly log: Logger,
  ) {}

  /** After a tag or a product card changed: the next response reads the store again. */
  forget(videoId?: string): void {
    this.generation++;
    if (videoId) this.cache.delete(videoId);
    else this.cache.clear();
  }

  stats() {
    return this.cache.stats();
  }

  subscribe(bus: Bus): void {
    bus.subscribe(CARDS_CONSUMER, [PRODUCT_UPSERTED, PRODUCT_REMOVED], async (event) => {
      await handleOnce(this.db as unknown as Database, CARDS_CONSUMER, event.id, async (trx) => {
        const tx = trx as unknown as TagsDb;
        if (event.topic === PRODUCT_UPSERTED) await applyUpsert(tx, event.payload as unknown as Upserted);
        else await applyRemove(tx, event.payload as unknown as ProductRemoved);
      });
      this.forget();
    });
  }

  /** Fills an empty projection from a snapshot of commerce's catalog (first start, or rebuild). */
  async rebuildIfEmpty(snapshot: () => Promise<Upserted[]>): Promise<number> {
    const existing = await this.db.selectFrom('product_cards').select('product_id').limit(1).execute();
    if (existing.length > 0) return 0;
    const facts = await snapshot();
    for (const fact of facts) await applyUpsert(this.db, fact);
    this.forget();
    this.log.info({ products: facts.length }, 'product cards rebuilt from the commerce snapshot');
    return facts.length;
  }

  async cardsFor(videoIds: string[]): Promise<Map<string, ProductCard[]>> {
    const byVideo = new Map<string, ProductCard[]>();
    const missing = videoIds.filter((id) => {
      const cached = this.cache.get(id);
      if (cached) byVideo.set(id, cached);
      return !cached;
    });
    if (missing.length === 0) return byVideo;
    const rows = await this.db
      .selectFrom('video_product_tags as t')
      .innerJoin('product_cards as c', 'c.product_id', 't.product_id')
      .select(['t.video_id', ...CARD_COLUMNS])
      .where('t.video_id', 'in', missing)
      .where('c.removed', '=', false)
      .orderBy('t.position')
      .execute();
    for (const id of missing) byVideo.set(id, []);
    for (const row of rows) byVideo.get(row.video_id)!.push(toCard(row));
    for (const id of missing) this.cache.set(id, byVideo.get(id)!);
    return byVideo;
  }
}
