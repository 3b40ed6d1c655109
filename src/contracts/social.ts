/**
 * Why a video is in someone's feed, as a code with its parameters: the web app words it in the
 * person's language, so no sentence is fixed on the server.
 */
export type FeedReason =
  | { code: 'followed'; handle: string }
  | { code: 'watched_hashtag'; hashtag: string }
  | { code: 'bought_category'; category: string }
  | { code: 'popular_hashtag'; hashtag: string }
  | { code: 'popular' }
  | { code: 'new' };

export type FeedReasonCode = FeedReason['code'];

/** Every code the feed can send; the web app has text for each in every language (a test checks). */
export const FEED_REASON_CODES: readonly FeedReasonCode[] = ['followed', 'watched_hashtag', 'bought_category', 'popular_hashtag', 'popular', 'new'];
