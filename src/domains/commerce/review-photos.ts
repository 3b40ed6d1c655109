import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Database } from '../../platform/db.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import { storePicture } from '../../platform/pictures.js';

export const REVIEW_PHOTO_URL_PREFIX = '/api/commerce/review-photos/';
export const REVIEW_PHOTO_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jpg$/;
export const MAX_REVIEW_PHOTOS = 5;
/** The longest side a review photo is shown at. */
const REVIEW_PHOTO_SIDE = 1280;

/**
 * Photos buyers add to their reviews, under DATA_DIR/media/commerce/reviews: checked to be pictures
 * by content and re-encoded by ffmpeg (so no photo carries where it was taken).
 */
export class ReviewPhotos {
  private readonly folder: string;
  private readonly incoming: string;

  constructor(
    private readonly db: Database,
    dataDir: string,
  ) {
    this.folder = path.join(dataDir, 'media', 'commerce', 'reviews');
    this.incoming = path.join(dataDir, 'media', 'commerce', 'incoming');
  }

  /** Adds a photo to the caller's own review; at most five. */
  async add(subject: string, reviewId: string, declaredType: string, bytes: Buffer): Promise<string[]> {
    const own = async () => {
      const review = (await this.db.selectFrom('reviews').select(['subject', 'photo_urls']).where('id', '=', reviewId).executeTakeFirst()) as
        | { subject: string | null; photo_urls: string[] }
        | undefined;
      if (!review || review.subject !== subject) throw notFound('No such review.');
      if (review.photo_urls.length >= MAX_REVIEW_PHOTOS) throw unprocessable(`A review has at most ${MAX_REVIEW_PHOTOS} photos.`, { file: [`at most ${MAX_REVIEW_PHOTOS} photos`] });
    };
    await own();
    const name = `${randomUUID()}.jpg`;
    const file = path.join(this.folder, name);
    await storePicture(bytes, declaredType, this.incoming, file, { within: REVIEW_PHOTO_SIDE });
    // The count is checked again where it is taken, so two uploads at once cannot make a sixth.
    const taken = await sql<{ photo_urls: string[] }>`update reviews set photo_urls = photo_urls || ${JSON.stringify([REVIEW_PHOTO_URL_PREFIX + name])}::jsonb
      where id = ${reviewId} and subject = ${subject} and jsonb_array_length(photo_urls) < ${MAX_REVIEW_PHOTOS} returning photo_urls`.execute(this.db);
    if (!taken.rows[0]) {
      await rm(file, { force: true });
      await own();
      throw notFound('No such review.');
    }
    return taken.rows[0].photo_urls;
  }

  open(file: string) {
    const full = path.join(this.folder, file);
    if (!REVIEW_PHOTO_FILE.test(file) || !existsSync(full)) throw notFound('No such photo.');
    return createReadStream(full);
  }

  /** The files behind photo URLs (ours only), for an export. */
  filesOf(urls: string[]): { path: string; name: string }[] {
    return urls
      .filter((url) => url.startsWith(REVIEW_PHOTO_URL_PREFIX) && REVIEW_PHOTO_FILE.test(url.slice(REVIEW_PHOTO_URL_PREFIX.length)))
      .map((url) => ({ path: path.join(this.folder, url.slice(REVIEW_PHOTO_URL_PREFIX.length)), name: `reviews/${url.slice(REVIEW_PHOTO_URL_PREFIX.length)}` }));
  }

  async remove(urls: string[]): Promise<void> {
    for (const file of this.filesOf(urls)) await rm(file.path, { force: true });
  }
}
