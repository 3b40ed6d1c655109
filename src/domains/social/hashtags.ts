export const MAX_CAPTION = 2200;
const HASHTAG = /#([\p{L}\p{M}\p{N}_]+)/gu;

/** Folds a tag the same way whether it comes from a caption or a URL. */
export function foldTag(tag: string): string {
  return tag.normalize('NFKC').toLocaleLowerCase('und');
}

/** Hashtags in a caption: unicode letters (and digits, _), case-folded, each once, in order. */
export function parseHashtags(caption: string): string[] {
  const tags = new Set<string>();
  for (const match of caption.matchAll(HASHTAG)) {
    const tag = foldTag(match[1]!);
    if (/\p{L}/u.test(tag) && tag.length <= 100) tags.add(tag);
    if (tags.size === 30) break;
  }
  return [...tags];
}
