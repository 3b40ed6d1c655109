import { sql, type RawBuilder, type Transaction } from 'kysely';
import { UUID } from '../../../platform/ids.js';
import type { AnyDB, Database } from '../../../platform/db.js';
import { conflict, forbidden, notFound, unprocessable, validationFailed, type FieldErrors } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { decodeCursor, pageOf } from '../../../platform/http.js';
import { textProblem } from '../../../platform/text.js';
import { canonicalProvince, provinceOfCity } from '../shipping/regions.js';
import { CATEGORIES, type Category } from './categories.js';
import { publishProduct } from './events.js';
import type { OrderStatus } from '../orders/state.js';
import { productViews } from './cache.js';
import { MEDIA_FILE, MEDIA_URL_PREFIX } from './images.js';
import { assertCrossBorderPrice, CROSS_BORDER_MIN_PRICE_IDR, crossBorderRule, LISTING_RULES, listingRuleMatched, type ListingRule } from './prohibited.js';
import { fileAutomatedReport } from '../../../platform/moderation/engine.js';

/** The most variants a product has. */
export const MAX_VARIANTS = 100;
/** Orders whose lines still matter to the seller: to ship, in transit, or open to a return. */
const OPEN_ORDER_STATUSES: OrderStatus[] = ['awaiting_payment', 'confirmed', 'paid', 'shipped', 'delivered', 'return_requested'];

export const MAX_PRICE_IDR = 100_000_000_000;

export interface ShopRow {
  id: string;
  owner_subject: string | null;
  name: string;
  slug: string;
  description: string;
  city: string;
  province: string;
  commission_percent: number;
  created_at: Date;
  /** Set by a moderation decision (suspend_shop). */
  suspended_until?: Date | null;
}

export const shopView = (row: ShopRow) => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  description: row.description,
  city: row.city,
  province: row.province,
  commissionPercent: row.commission_percent,
  createdAt: new Date(row.created_at).toISOString(),
});

export interface VariantInput {
  sku: string;
  name: string;
  priceIdr: number;
  stock: number;
  weightGrams: number;
}

export interface ProductInput {
  title: string;
  description: string;
  category: string;
  imageUrls?: string[];
  externalUrl?: string;
  /** Sold directly from abroad: Permendag 31/2023's minimum price applies (catalog/prohibited.ts). */
  crossBorder?: boolean;
  variants: VariantInput[];
}

export interface ProductPatch {
  title?: string;
  description?: string;
  category?: string;
  imageUrls?: string[];
  externalUrl?: string | null;
  variants?: { id: string; name?: string; priceIdr?: number; weightGrams?: number }[];
}

export interface ProductRow {
  id: string;
  shop_id: string;
  title: string;
  description: string;
  category: string;
  image_urls: string[];
  external_url: string | null;
  price_min_idr: number;
  price_max_idr: number;
  in_stock: boolean;
  rating_sum: number;
  rating_count: number;
  created_at: Date;
  updated_at: Date;
  shop_name: string;
  shop_slug: string;
}

interface VariantRow {
  id: string;
  product_id: string;
  sku: string;
  name: string;
  price_idr: number;
  stock: number;
  reserved: number;
  weight_grams: number;
}

const clean = (text: string) => text.normalize('NFC').trim();

function checkHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function validateProductFields(
  input: { title?: string; description?: string; category?: string; imageUrls?: string[]; externalUrl?: string | null }, errors: FieldErrors,
): void {
  // The JSON routes check these kinds in their schema; a CSV import comes through here only.
  const titleProblem = input.title === undefined ? undefined : clean(input.title).length === 0 ? 'must not be empty' : textProblem('title', input.title);
  if (titleProblem) errors.title = [titleProblem];
  const descriptionProblem = input.description === undefined ? undefined : textProblem('free-text', input.description);
  if (descriptionProblem) errors.description = [descriptionProblem];
  if (input.category !== undefined && !(input.category in CATEGORIES)) {
    errors.category = [`must be one of ${Object.keys(CATEGORIES).join(', ')}`];
  }
  input.imageUrls?.forEach((url, i) => {
    if (!checkHttpUrl(url) && !(url.startsWith(MEDIA_URL_PREFIX) && MEDIA_FILE.test(url.slice(MEDIA_URL_PREFIX.length)))) {
      errors[`imageUrls.${i}`] = ['must be an http(s) URL or an uploaded image'];
    }
  });
  if (input.externalUrl && !checkHttpUrl(input.externalUrl)) errors.externalUrl = ['must be an http(s) URL'];
}

type ProductView = Awaited<ReturnType<CatalogService['loadProduct']>>;

/** Deletes the files of uploaded product photos that no product shows any more. */
export type DiscardImages = (urls: string[]) => Promise<void>;

export class CatalogService {
  constructor(
    private readonly db: Database,
    private readonly discardImages: DiscardImages = async () => {},
  ) {}

  private forget(productId: string): void {
    productViews.forget([productId]);
  }

  async createShop(subject: string, input: { name: string; slug: string; description?: string; city: string; province?: string }) {
    const errors: FieldErrors = {};
    const name = clean(input.name);
    if (!name) errors.name = ['must not be empty'];
    const slug = input.slug.trim().toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/.test(slug)) errors.slug = ['must be 3–40 characters of a–z, 0–9 and -'];
    const city = clean(input.city);
    if (!city) errors.city = ['must not be empty'];
    const province = input.province ? canonicalProvince(input.province) : provinceOfCity(city);
    if (!province) {
      errors.province = input.province ? ['must be one of the 38 provinces of Indonesia'] : ['is needed: the city is not one we know'];
    }
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    const id = uuidv7();
    const inserted = await this.db
      .insertInto('shops')
      .values({ id, owner_subject: subject, name, slug, description: clean(input.description ?? ''), city, province })
      .onConflict((oc) => oc.column('slug').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw conflict('That shop address is taken.', { slug: ['is taken'] });
    return shopView(inserted as ShopRow);
  }

  async shopsOf(subject: string): Promise<ShopRow[]> {
    return (await this.db.selectFrom('shops').selectAll().where('owner_subject', '=', subject).orderBy('created_at').execute()) as ShopRow[];
  }

  async shopBySlug(slug: string): Promise<ShopRow> {
    const row = await this.db.selectFrom('shops').selectAll().where('slug', '=', slug.toLowerCase()).executeTakeFirst();
    if (!row) throw notFound('No such shop.');
    return row as ShopRow;
  }

  /** The shop, when the caller owns it: 404 when it does not exist, 403 when it is someone else's. */
  async ownedShop(db: Database | Transaction<AnyDB>, subject: string, shopId: string): Promise<ShopRow> {
    const row = (await db.selectFrom('shops').selectAll().where('id', '=', shopId).executeTakeFirst()) as ShopRow | undefined;
    if (!row) throw notFound('No such shop.');
    if (row.owner_subject !== subject) throw forbidden('Only the shop owner may do this.');
    return row;
  }

  async setCommission(subject: string, shopId: string, commissionPercent: number) {
    await this.ownedShop(this.db, subject, shopId);
    const row = await this.db
      .updateTable('shops')
      .set({ commission_percent: commissionPercent })
      .where('id', '=', shopId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return shopView(row as ShopRow);
  }

  /** Field errors of a product as given (price, stock and weight ranges are checked by the schema). */
  productErrors(input: ProductInput): FieldErrors {
    const errors: FieldErrors = {};
    validateProductFields(input, errors);
    const skus = new Set<string>();
    input.variants.forEach((variant, i) => {
      const sku = variant.sku.trim();
      if (!sku) errors[`variants.${i}.sku`] = ['must not be empty'];
      for (const field of ['name', 'sku'] as const) {
        const problem = textProblem('title', variant[field]);
        if (problem) errors[`variants.${i}.${field}`] = [problem];
      }
      if (skus.has(sku)) errors[`variants.${i}.sku`] = ['is used twice'];
      skus.add(sku);
    });
    return errors;
  }

  /** Lists a product that no listing rule holds (the harness's seeds); a held one is an error here. */
  async createProduct(subject: string, shopId: string, input: ProductInput): Promise<ProductView> {
    const listed = await this.listProduct(subject, shopId, input);
    if ('held' in listed) throw conflict(`The listing is held for review under rule ${listed.held.rule.id}.`);
    return listed;
  }

  /** Lists a product: live at once, or held for an operator when it matches a prohibited-item rule. */
  async listProduct(subject: string, shopId: string, input: ProductInput) {
    const errors = this.productErrors(input);
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    const productId = await this.db.transaction().execute(async (trx) => {
      const shop = await this.ownedShop(trx, subject, shopId);
      assertShopMayList(shop);
      return this.insertProduct(trx, shopId, input);
    });
    const held = (await this.db.selectFrom('products').select('held_rule').where('id', '=', productId).executeTakeFirstOrThrow()) as { held_rule: string | null };
    const rule = LISTING_RULES.find((r) => r.id === held.held_rule);
    if (rule) return { held: { id: productId, status: 'held_for_review' as const, rule: { id: rule.id, description: rule.description } } };
    return this.product(productId);
  }
  /** Inserts a validated product with its variants and publishes it, in the caller's transaction. */
  async insertProduct(trx: Transaction<AnyDB>, shopId: string, input: ProductInput): Promise<string> {
    assertCrossBorderPrice(input.crossBorder, input.variants);
    const productId = uuidv7();
    // A listing that matches a prohibited-item rule is held (not live) and queued for an operator.
    const rule = listingRuleMatched(input);
    const skus = input.variants.map((variant) => variant.sku.trim());
    await trx
      .insertInto('products')
      .values({
        id: productId,
        shop_id: shopId,
        title: clean(input.title),
        description: clean(input.description),
        category: input.category,
        image_urls: JSON.stringify(input.imageUrls ?? []),
        external_url: input.externalUrl ?? null,
        cross_border: input.crossBorder ?? false,
        held_rule: rule?.id ?? null,
        removed_at: rule ? new Date() : null,
      })
      .execute();
    const taken = await trx.selectFrom('variants').select('sku').where('shop_id', '=', shopId).where('sku', 'in', skus).execute();
    if (taken.length > 0) throw conflict('A SKU is already used in this shop.', { sku: taken.map((t) => `${t.sku} is taken`) });
    // The check above gives a readable answer; the unique index settles a race between two.
    await trx
      .insertInto('variants')
      .values(
        input.variants.map((variant) => ({
          id: uuidv7(),
          product_id: productId,
          shop_id: shopId,
          sku: variant.sku.trim(),
          name: clean(variant.name),
          price_idr: variant.priceIdr,
          stock: variant.stock,
          weight_grams: variant.weightGrams,
        })),
      )
      .execute()
      .catch((error: unknown) => {
        if ((error as { code?: string }).code === '23505') throw conflict('A SKU is already used in this shop.', { sku: ['is taken'] });
        throw error;
      });
    if (rule) {
      await fileAutomatedReport(trx, 'commerce', { kind: 'product', id: productId, owner: (await this.shopOwner(trx, shopId)) ?? null, label: clean(input.title), reason: 'prohibited_product', text: `Listing rule ${rule.id}: ${rule.description}` });
      return productId;
    }
    await publishProduct(trx, productId);
    return productId;
  }


  private async shopOwner(trx: Transaction<AnyDB>, shopId: string): Promise<string | null> {
    const row = (await trx.selectFrom('shops').select('owner_subject').where('id', '=', shopId).executeTakeFirst()) as { owner_subject: string | null } | undefined;
    return row?.owner_subject ?? null;
  }

  product(productId: string): Promise<ProductView> {
    return productViews.get(productId, () => this.loadProduct(productId));
  }

  private async loadProduct(productId: string) {
    const result = await sql<ProductRow>`
      select p.*, s.name as shop_name, s.slug as shop_slug from products p join shops s on s.id = p.shop_id
      where p.id = ${productId} and p.removed_at is null`.execute(this.db);
    const row = result.rows[0];
    if (!row) throw notFound('No such product.');
    const variants = (await this.db
      .selectFrom('variants')
      .select(['id', 'product_id', 'sku', 'name', 'price_idr', 'stock', 'reserved', 'weight_grams'])
      .where('product_id', '=', productId)
      .where('removed_at', 'is', null)
      .orderBy('price_idr')
      .orderBy('id')
      .execute()) as VariantRow[];
    return {
      ...productSummary(row),
      description: row.description,
      imageUrls: row.image_urls,
      variants: variants.map((v) => ({
        id: v.id,
        sku: v.sku,
        name: v.name,
        priceIdr: v.price_idr,
        stock: v.stock,
        available: v.stock - v.reserved,
        weightGrams: v.weight_grams,
      })),
    };
  }

  /**
   * Locks a product for change: its variants first, in id order, then the product — the order
   * checkout and payment take them in, so they never deadlock.
   */
  private async ownedProduct(trx: Transaction<AnyDB>, subject: string, productId: string) {
    await sql`select id from variants where product_id = ${productId} order by id for update`.execute(trx);
    const row = await trx
      .selectFrom('products')
      .innerJoin('shops', 'shops.id', 'products.shop_id')
      .select(['products.id', 'products.shop_id', 'shops.owner_subject'])
      .where('products.id', '=', productId)
      .where('products.removed_at', 'is', null)
      .forUpdate('products')
      .executeTakeFirst();
    if (!row) throw notFound('No such product.');
    if (row.owner_subject !== subject) throw forbidden('Only the shop owner may change this product.');
    return row as { id: string; shop_id: string };
  }

  async patchProduct(subject: string, productId: string, patch: ProductPatch) {
    const errors: FieldErrors = {};
    validateProductFields(patch, errors);
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    const { dropped, held } = await this.db.transaction().execute(async (trx) => {
      await this.ownedProduct(trx, subject, productId);
      const set: Record<string, unknown> = {};
      if (patch.title !== undefined) set.title = clean(patch.title);
      if (patch.description !== undefined) set.description = clean(patch.description);
      if (patch.category !== undefined) set.category = patch.category;
      let dropped: string[] = [];
      if (patch.imageUrls !== undefined) {
        const { image_urls: current } = (await trx.selectFrom('products').select('image_urls').where('id', '=', productId).executeTakeFirstOrThrow()) as { image_urls: string[] };
        // Uploaded photos come in through the upload route only: a patch may keep, reorder or drop
        // this product's own, never take another product's file (its removal would delete it).
        const foreign: FieldErrors = {};
        patch.imageUrls.forEach((url, i) => {
          if (url.startsWith(MEDIA_URL_PREFIX) && !current.includes(url)) foreign[`imageUrls.${i}`] = ['is not a photo uploaded to this product'];
        });
        if (Object.keys(foreign).length > 0) throw validationFailed(foreign);
        set.image_urls = JSON.stringify(patch.imageUrls);
        dropped = current.filter((url) => !patch.imageUrls!.includes(url));
      }
      if (patch.externalUrl !== undefined) set.external_url = patch.externalUrl;
      if (Object.keys(set).length > 0) await trx.updateTable('products').set(set).where('id', '=', productId).execute();
      for (const [i, variant] of (patch.variants ?? []).entries()) {
        const vset: Record<string, unknown> = {};
        if (variant.name !== undefined) vset.name = clean(variant.name);
        if (variant.priceIdr !== undefined) vset.price_idr = variant.priceIdr;
        if (variant.weightGrams !== undefined) vset.weight_grams = variant.weightGrams;
        if (Object.keys(vset).length === 0) continue;
        const updated = await trx
          .updateTable('variants')
          .set(vset)
          .where('id', '=', variant.id)
          .where('product_id', '=', productId)
          .where('removed_at', 'is', null)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw validationFailed({ [`variants.${i}.id`]: ['is not a variant of this product'] });
      }
      const held = await this.recheckListing(trx, productId, patch);
      await publishProduct(trx, productId);
      return { dropped, held };
    });
    this.forget(productId);
    // After the commit: a rolled-back change must not have lost its photos.
    await this.discardImages(dropped);
    if (held) return { held: { id: productId, status: 'held_for_review' as const, rule: { id: held.id, description: held.description } } };
    return this.product(productId);
  }

  /**
   * The listing rules again after an edit, as when it was listed: the cross-border minimum price
   * for every live variant (refused), and the prohibited-item rules when the title, description or
   * category changed (the product is taken down and held for an operator). In the edit's transaction.
   */
  private async recheckListing(trx: Transaction<AnyDB>, productId: string, patch: ProductPatch): Promise<ListingRule | undefined> {
    const product = (await trx.selectFrom('products').select(['shop_id', 'title', 'description', 'category', 'cross_border']).where('id', '=', productId).executeTakeFirstOrThrow()) as {
      shop_id: string;
      title: string;
      description: string;
      category: string;
      cross_border: boolean;
    };
    if (product.cross_border) {
      const variants = (await trx.selectFrom('variants').select(['id', 'price_idr']).where('product_id', '=', productId).where('removed_at', 'is', null).orderBy('id').execute()) as { id: string; price_idr: number }[];
      const edited = new Map((patch.variants ?? []).map((variant, i) => [variant.id, i]));
      const errors: FieldErrors = {};
      for (const variant of variants) {
        if (Number(variant.price_idr) >= CROSS_BORDER_MIN_PRICE_IDR) continue;
        // Named as the seller sent it: the index in the patch, else the variant's id.
        const at = edited.get(variant.id);
        errors[at === undefined ? `variant.${variant.id}.priceIdr` : `variants.${at}.priceIdr`] = [`must be at least ${CROSS_BORDER_MIN_PRICE_IDR} for a cross-border listing`];
      }
      if (Object.keys(errors).length > 0) throw unprocessable(crossBorderRule(), errors);
    }
    if (patch.title === undefined && patch.description === undefined && patch.category === undefined) return undefined;
    const rule = listingRuleMatched(product);
    if (!rule) return undefined;
    await trx.updateTable('products').set({ held_rule: rule.id, removed_at: sql`coalesce(removed_at, now())` }).where('id', '=', productId).execute();
    await fileAutomatedReport(trx, 'commerce', { kind: 'product', id: productId, owner: await this.shopOwner(trx, product.shop_id), label: product.title, reason: 'prohibited_product', text: `Listing rule ${rule.id} (after an edit): ${rule.description}` });
    return rule;
  }

  async removeProduct(subject: string, productId: string): Promise<void> {
    const photos = await this.db.transaction().execute(async (trx) => {
      await this.ownedProduct(trx, subject, productId);
      const { image_urls: photos } = (await trx.selectFrom('products').select('image_urls').where('id', '=', productId).executeTakeFirstOrThrow()) as { image_urls: string[] };
      // Its photos go with it, so orders of it show no thumbnail rather than a broken one.
      await trx.updateTable('products').set({ removed_at: sql`now()`, image_urls: JSON.stringify([]) }).where('id', '=', productId).execute();
      await trx.deleteFrom('cart_items').where('variant_id', 'in', trx.selectFrom('variants').select('id').where('product_id', '=', productId)).execute();
      await publishProduct(trx, productId);
      return photos;
    });
    this.forget(productId);
    await this.discardImages(photos);
  }

  /** Adds a variant to a product already for sale; its SKU must be new in the shop. */
  async addVariant(subject: string, productId: string, input: VariantInput) {
    const errors: FieldErrors = {};
    const sku = input.sku.trim();
    if (!sku) errors.sku = ['must not be empty'];
    for (const field of ['name', 'sku'] as const) {
      const problem = textProblem('title', input[field]);
      if (problem) errors[field] = [problem];
    }
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    await this.db.transaction().execute(async (trx) => {
      const product = await this.ownedProduct(trx, subject, productId);
      const live = await trx.selectFrom('variants').select('id').where('product_id', '=', productId).where('removed_at', 'is', null).execute();
      if (live.length >= MAX_VARIANTS) throw unprocessable(`A product has at most ${MAX_VARIANTS} variants.`, { variants: [`at most ${MAX_VARIANTS}`] });
      const taken = await trx.selectFrom('variants').select('sku').where('shop_id', '=', product.shop_id).where('sku', '=', sku).executeTakeFirst();
      if (taken) throw conflict('A SKU is already used in this shop.', { sku: [`${sku} is taken`] });
      const { cross_border: crossBorder } = (await trx.selectFrom('products').select('cross_border').where('id', '=', productId).executeTakeFirstOrThrow()) as { cross_border: boolean };
      if (crossBorder && input.priceIdr < CROSS_BORDER_MIN_PRICE_IDR) throw unprocessable(crossBorderRule(), { priceIdr: [`must be at least ${CROSS_BORDER_MIN_PRICE_IDR} for a cross-border listing`] });
      await trx
        .insertInto('variants')
        .values({
          id: uuidv7(), product_id: productId, shop_id: product.shop_id, sku, name: clean(input.name), price_idr: input.priceIdr, stock: input.stock,
          weight_grams: input.weightGrams,
        })
        .execute()
        .catch((error: unknown) => {
          if ((error as { code?: string }).code === '23505') throw conflict('A SKU is already used in this shop.', { sku: ['is taken'] });
          throw error;
        });
      await publishProduct(trx, productId);
    });
    this.forget(productId);
    return this.product(productId);
  }

  /**
   * Takes a variant off a product. Refused while units of it are reserved by unpaid orders or sold in
   * orders not yet finished (the seller still has to ship them, the buyer may return them), and for
   * the last variant (delete the product instead).
   */
  async removeVariant(subject: string, variantId: string) {
    const productId = await this.db.transaction().execute(async (trx) => {
      const found = (await trx.selectFrom('variants').select('product_id').where('id', '=', variantId).where('removed_at', 'is', null).executeTakeFirst()) as
        | { product_id: string }
        | undefined;
      if (!found) throw notFound('No such variant.');
      await this.ownedProduct(trx, subject, found.product_id);
      const variant = (await trx.selectFrom('variants').select(['reserved', 'removed_at']).where('id', '=', variantId).executeTakeFirstOrThrow()) as { reserved: number; removed_at: Date | null };
      if (variant.removed_at) throw notFound('No such variant.');
      const live = await trx.selectFrom('variants').select('id').where('product_id', '=', found.product_id).where('removed_at', 'is', null).execute();
      if (live.length <= 1) throw conflict('A product keeps at least one variant; delete the product instead.', { variant: ['is the last variant of this product'] });
      if (variant.reserved > 0) {
        throw conflict(`${variant.reserved} units are reserved by orders awaiting payment; remove the variant once they are paid or expired.`, { variant: ['has units reserved by orders awaiting payment'] });
      }
      const open = await sql<{ n: number }>`select count(distinct o.id)::int as n from order_lines l join orders o on o.id = l.order_id
        where l.variant_id = ${variantId} and o.status in (${sql.join(OPEN_ORDER_STATUSES)})`.execute(trx);
      const openOrders = open.rows[0]?.n ?? 0;
      if (openOrders > 0) {
        throw conflict(`${openOrders} open orders include this variant; remove it once they are completed, cancelled or refunded.`, { variant: ['is in orders not yet finished'] });
      }
      await trx.updateTable('variants').set({ removed_at: sql`now()` }).where('id', '=', variantId).execute();
      await trx.deleteFrom('cart_items').where('variant_id', '=', variantId).execute();
      await publishProduct(trx, found.product_id);
      return found.product_id;
    });
    this.forget(productId);
    return this.product(productId);
  }

  /** Sets the units on hand; refused below what unpaid orders hold. Every change is audited. */
  async setStock(subject: string, variantId: string, stock: number) {
    const result = await this.db.transaction().execute(async (trx) => {
      const variant = (await trx
        .selectFrom('variants')
        .innerJoin('shops', 'shops.id', 'variants.shop_id')
        .select(['variants.id', 'variants.product_id', 'variants.stock', 'variants.reserved', 'shops.owner_subject'])
        .where('variants.id', '=', variantId)
        .where('variants.removed_at', 'is', null)
        .forUpdate('variants')
        .executeTakeFirst()) as { id: string; product_id: string; stock: number; reserved: number; owner_subject: string } | undefined;
      if (!variant) throw notFound('No such variant.');
      if (variant.owner_subject !== subject) throw forbidden('Only the shop owner may change stock.');
      if (stock < variant.reserved) {
        throw conflict(`${variant.reserved} units are held by unpaid orders; stock cannot go below that.`, { stock: [`must be at least ${variant.reserved}`] });
      }
      await trx.updateTable('variants').set({ stock }).where('id', '=', variantId).execute();
      await trx
        .insertInto('stock_audit')
        .values({ variant_id: variantId, actor_subject: subject, old_stock: variant.stock, new_stock: stock, reason: 'set by owner' })
        .execute();
      await publishProduct(trx, variant.product_id);
      return { productId: variant.product_id, view: { id: variantId, stock, reserved: variant.reserved, available: stock - variant.reserved } };
    });
    this.forget(result.productId);
    return result.view;
  }

  /** Origin and weight (one of each variant) of every shop in a would-be checkout. */
  async parcelsFor(variantIds: string[]): Promise<{ shopId: string; city: string; province: string; weightGrams: number }[]> {
    const rows = await sql<{ shop_id: string; city: string; province: string; weight: number }>`
      select s.id as shop_id, s.city, s.province, sum(v.weight_grams)::int as weight
      from variants v join products p on p.id = v.product_id join shops s on s.id = v.shop_id
      where v.id in (${sql.join(variantIds)}) and v.removed_at is null and p.removed_at is null
      group by s.id, s.city, s.province order by s.id`.execute(this.db);
    if (rows.rows.length === 0) throw unprocessable('None of these variants is for sale.', { variantIds: ['are not variants for sale'] });
    return rows.rows.map((r) => ({ shopId: r.shop_id, city: r.city, province: r.province, weightGrams: r.weight }));
  }

  /**
   * Search. Pages are keyset pages: the cursor holds the sort, the last item's sort key and id, so
   * a product listed or changed between two pages neither repeats nor hides an item.
   */
  async search(query: { q?: string; shop?: string; category?: string; sort?: string; limit?: number; cursor?: string }) {
    const limit = query.limit ?? 20;
    const q = query.q?.trim() ?? '';
    const sort = (query.sort ?? (q ? 'relevance' : 'newest')) as SearchSort;
    const effective: SearchSort = sort === 'relevance' && !q ? 'newest' : sort;
    const after = decodeCursor(
      query.cursor,
      (v): v is SearchCursor => v.s === effective && (typeof v.k === 'string' || typeof v.k === 'number') && typeof v.i === 'string' && UUID.test(v.i),
    );
    const conditions = [sql`p.removed_at is null`];
    if (query.category) conditions.push(sql`p.category = ${query.category}`);
    if (query.shop) {
      conditions.push(UUID.test(query.shop) ? sql`p.shop_id = ${query.shop}::uuid` : sql`s.slug = ${query.shop.toLowerCase()}`);
    }
    if (q) conditions.push(sql`(p.search @@ websearch_to_tsquery('simple', ${q}) or p.title % ${q} or p.title ilike ${'%' + q.replace(/[\\%_]/g, '\\$&') + '%'})`);
    // Each sort: its key, the order, and the rows after a given key and id.
    const score = sql<number>`(ts_rank(p.search, websearch_to_tsquery('simple', ${q})) + similarity(p.title, ${q}))::float8`;
    const sorts: Record<SearchSort, {
      key: RawBuilder<string | number>; order: RawBuilder<unknown>; after: (k: string | number, id: string) => RawBuilder<unknown>;
    }> = {
      newest: {
        key: sql<string>`p.created_at::text`,
        order: sql`p.created_at desc, p.id desc`,
        after: (k, id) => sql`(p.created_at, p.id) < (${String(k)}::timestamptz, ${id}::uuid)`,
      },
      price_asc: {
        key: sql<number>`p.price_min_idr`,
        order: sql`p.price_min_idr asc, p.id asc`,
        after: (k, id) => sql`(p.price_min_idr, p.id) > (${Number(k)}::bigint, ${id}::uuid)`,
      },
      price_desc: {
        key: sql<number>`p.price_max_idr`,
        order: sql`p.price_max_idr desc, p.id asc`,
        after: (k, id) => sql`(p.price_max_idr < ${Number(k)}::bigint or (p.price_max_idr = ${Number(k)}::bigint and p.id > ${id}::uuid))`,
      },
      relevance: {
        key: score,
        order: sql`${score} desc, p.id desc`,
        after: (k, id) => sql`(${score} < ${Number(k)}::float8 or (${score} = ${Number(k)}::float8 and p.id < ${id}::uuid))`,
      },
    };
    const chosen = sorts[effective];
    if (after) conditions.push(chosen.after(after.k, after.i));
    const rows = await sql<ProductRow & { sort_key: string | number }>`
      select p.*, s.name as shop_name, s.slug as shop_slug, ${chosen.key} as sort_key from products p join shops s on s.id = p.shop_id
      where ${sql.join(conditions, sql` and `)}
      order by ${chosen.order} limit ${limit + 1}`.execute(this.db);
    return pageOf(rows.rows, limit, productSummary, (row): SearchCursor => ({ s: effective, k: row.sort_key, i: row.id }));
  }
}

type SearchSort = 'relevance' | 'price_asc' | 'price_desc' | 'newest';
interface SearchCursor extends Record<string, unknown> {
  s: SearchSort;
  k: string | number;
  i: string;
}

export function productSummary(row: ProductRow) {
  return {
    id: row.id,
    shopId: row.shop_id,
    shopName: row.shop_name,
    shopSlug: row.shop_slug,
    title: row.title,
    category: row.category as Category,
    priceMinIdr: row.price_min_idr,
    priceMaxIdr: row.price_max_idr,
    imageUrl: row.image_urls[0] ?? null,
    externalUrl: row.external_url,
    inStock: row.in_stock,
    rating: { average: row.rating_count ? Math.round((row.rating_sum / row.rating_count) * 10) / 10 : null, count: row.rating_count },
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** A shop suspended by a moderation decision lists nothing new until the suspension ends. */
export function assertShopMayList(shop: { suspended_until?: Date | string | null }): void {
  if (shop.suspended_until && new Date(shop.suspended_until) > new Date()) {
    throw forbidden(`This shop is suspended until ${new Date(shop.suspended_until).toISOString()}; the statement of reasons and how to appeal are on your moderation page.`);
  }
}
