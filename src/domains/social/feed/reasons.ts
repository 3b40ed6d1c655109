import type { FeedReason } from '../../../contracts/social.js';

/** The reason in Bahasa Indonesia, as `reason` always read, for clients that do not know the codes. */
export function reasonText(why: FeedReason): string {
  switch (why.code) {
    case 'followed':
      return `Karena Anda mengikuti @${why.handle}`;
    case 'watched_hashtag':
      return `Karena Anda sering menonton #${why.hashtag}`;
    case 'bought_category':
      return `Sesuai kategori belanja Anda: ${why.category}`;
    case 'popular_hashtag':
      return `Populer di #${why.hashtag}`;
    case 'popular':
      return 'Populer di Sekat';
    case 'new':
      return 'Video baru';
  }
}
