import { rm } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../../platform/db.js';
import { HttpProblem, notFound, unprocessable } from '../../../platform/errors.js';
import { uuidv7 } from '../../../platform/ids.js';
import { storePicture } from '../../../platform/pictures.js';
import { publishProduct } from './events.js';
import { productViews } from './cache.js';

export const IMAGE_TYPES = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const;
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_IMAGES = 10;
export const MEDIA_URL_PREFIX = '/api/commerce/media/';
export const MEDIA_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(jpg|png|webp)$/;

/** The image type the bytes really are (never trust the Content-Type alone). */
export function sniffImage(bytes: Buffer): keyof typeof IMAGE_TYPES | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** The longest side a product photo is kept at. */
const PRODUCT_PHOTO_SIDE = 1600;

/**
 * Product images uploaded by sellers, stored under DATA_DIR/media/commerce: re-encoded as JPEG with
 * no metadata (a phone photo's EXIF would tell every buyer where the seller lives), and deleted from
 * disk once no product shows them any more.
 */
export class ProductImages {
  private readonly folder: string;
  private readonly incoming: string;

  constructor(
    private readonly db: Database,
    dataDir: string,
  ) {
    this.folder = path.join(dataDir, 'media', 'commerce');
    this.incoming = path.join(this.folder, 'incoming');
  }

  async add(subject: string, productId: string, declaredType: string, bytes: Buffer): Promise<string[]> {
    const type = sniffImage(bytes);
    if (!type || type !== declaredType.split(';')[0]!.trim()) {
      throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Upload a JPEG, PNG or WebP image whose Content-Type matches its bytes.');
    }
    const owned = async (trx: Transaction<AnyDB> | Database) => {
      const product = (await trx
        .selectFrom('products')
        .innerJoin('shops', 'shops.id', 'products.shop_id')
        .select(['products.image_urls', 'shops.owner_subject'])
        .where('products.id', '=', productId)
        .where('products.removed_at', 'is', null)
        .executeTakeFirst()) as { image_urls: string[]; owner_subject: string | null } | undefined;
      if (!product) throw notFound('No such product.');
      if (product.owner_subject !== subject) throw new HttpProblem(403, 'forbidden', 'Forbidden', 'Only the shop owner may add images.');
      if (product.image_urls.length >= MAX_IMAGES) throw unprocessable(`A product has at most ${MAX_IMAGES} images.`);
      return product;
    };
    // Asked first so a stranger's upload is never decoded; asked again under the lock below.
    await owned(this.db);
    const file = `${uuidv7()}.jpg`;
    // ffprobe must read it as one picture, and ffmpeg writes it anew, before anything points at it.
    await storePicture(bytes, type, this.incoming, path.join(this.folder, file), { within: PRODUCT_PHOTO_SIDE });
    try {
      const urls = await this.db.transaction().execute(async (trx) => {
        await sql`select id from variants where product_id = ${productId} order by id for update`.execute(trx);
        await sql`select id from products where id = ${productId} for update`.execute(trx);
        const product = await owned(trx);
        const next = [...product.image_urls, MEDIA_URL_PREFIX + file];
        await trx.updateTable('products').set({ image_urls: JSON.stringify(next) }).where('id', '=', productId).execute();
        await publishProduct(trx, productId);
        return next;
      });
      productViews.forget([productId]);
      return urls;
    } catch (error) {
      await rm(path.join(this.folder, file), { force: true });
      throw error;
    }
  }

  /**
   * Deletes the files behind uploaded image URLs that no product for sale shows any more. A URL can
   * be on two products (a catalog import may name one), so a file goes only with its last use.
   */
  async discard(urls: string[]): Promise<void> {
    const ours = [...new Set(urls)].filter((url) => url.startsWith(MEDIA_URL_PREFIX) && MEDIA_FILE.test(url.slice(MEDIA_URL_PREFIX.length)));
    for (const url of ours) {
      const used = await sql`select 1 from products where removed_at is null and image_urls @> ${JSON.stringify([url])}::jsonb limit 1`.execute(this.db);
      if (used.rows.length === 0) await rm(path.join(this.folder, url.slice(MEDIA_URL_PREFIX.length)), { force: true });
    }
  }

  open(file: string): { stream: NodeJS.ReadableStream; type: string } {
    const full = path.join(this.folder, file);
    if (!MEDIA_FILE.test(file) || !existsSync(full)) throw notFound('No such image.');
    const ext = file.split('.').pop();
    const type = Object.entries(IMAGE_TYPES).find(([, e]) => e === ext)![0];
    return { stream: createReadStream(full), type };
  }
}
