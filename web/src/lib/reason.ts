import type { TFunction } from 'i18next';
import type { FeedReason } from '../../../src/contracts/social';

/** Words the server's reason code in the person's language; a category is named as the shop names it. */
export function reasonText(t: TFunction, why: FeedReason): string {
  const categoryName = why.code === 'bought_category' ? t(`categories.${why.category}`, { defaultValue: why.category }) : undefined;
  return t(`reason.${why.code}`, { ...why, categoryName });
}
