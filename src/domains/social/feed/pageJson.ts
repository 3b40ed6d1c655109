import { videoView, type VideoRow } from '../service.js';
import type { ProductCard } from '../tags/cards.js';
import type { FeedReason } from '../../../contracts/social.js';
import { reasonText } from './reasons.js';

export interface PageItem {
  row: VideoRow;
  why: FeedReason;
}

/**
 * Feed pages are written as JSON text from pieces kept per video row: a page is mostly videos
 * the process has already written out (the candidate lists and first pages are shared), so only
 * the per-viewer facts — product tags as they are now, `likedByMe`, the reason — are written per
 * response. The text matches the `SocialFeedItem` schema (a test compares it with the serializer's).
 */
const rowJson = new WeakMap<VideoRow, string>();
const cardsJson = new WeakMap<ProductCard[], string>();

/** The row's video view up to and including `"productTags":`, written once per row object. */
function rowPrefix(row: VideoRow): string {
  let prefix = rowJson.get(row);
  if (prefix === undefined) {
    const { productTags: _tags, likedByMe: _liked, ...view } = videoView(row);
    prefix = `${JSON.stringify(view).slice(0, -1)},"productTags":`;
    rowJson.set(row, prefix);
  }
  return prefix;
}

function tagsText(cards: ProductCard[] | undefined): string {
  if (!cards || cards.length === 0) return '[]';
  let text = cardsJson.get(cards);
  if (text === undefined) {
    text = JSON.stringify(cards);
    cardsJson.set(cards, text);
  }
  return text;
}

/** Where a page's product tags come from (tags/cards.ts). */
export interface TagSource {
  cardsFor(videoIds: string[]): Promise<Map<string, ProductCard[]>>;
  readonly generation: number;
  readonly ttlMs: number;
}

interface Written {
  generation: number;
  at: number;
  liked: string;
  text: string;
}

/**
 * Writes feed pages, and keeps the text of each shared page (a first page, the same rows) for as
 * long as its product tags are trusted and the caller likes the same videos on it, so that the
 * pages every app open asks for are written once, not per request.
 */
export class FeedPageWriter {
  private readonly written = new WeakMap<object, Written>();
  private static readonly noLikes = new Set<string>();

  constructor(
    private readonly tags: TagSource,
    private readonly likedAmong: (subject: string, videoIds: string[]) => Promise<Set<string>>,
  ) {}

  /** `source` is the object the page was made from, when it is shared (a cached page or rows). */
  async write(items: readonly PageItem[], nextCursor: string | null, subject: string | undefined, source?: object): Promise<string> {
    const ids = items.map((item) => item.row.id);
    const liked = subject ? await this.likedAmong(subject, ids) : FeedPageWriter.noLikes;
    const likedKey = liked.size === 0 ? '' : ids.filter((id) => liked.has(id)).join(',');
    const generation = this.tags.generation;
    const now = Date.now();
    const known = source ? this.written.get(source) : undefined;
    if (known && known.generation === generation && known.liked === likedKey && now - known.at <= this.tags.ttlMs) return known.text;
    const text = feedPageJson(items, nextCursor, await this.tags.cardsFor(ids), liked);
    if (source) this.written.set(source, { generation, at: now, liked: likedKey, text });
    return text;
  }
}

export function feedPageJson(items: readonly PageItem[], nextCursor: string | null, tags: Map<string, ProductCard[]>, liked: Set<string>): string {
  let out = '{"items":[';
  for (let i = 0; i < items.length; i++) {
    const { row, why } = items[i]!;
    if (i > 0) out += ',';
    out += rowPrefix(row);
    out += tagsText(tags.get(row.id));
    out += liked.has(row.id) ? ',"likedByMe":true,"reason":' : ',"likedByMe":false,"reason":';
    out += JSON.stringify(reasonText(why));
    out += ',"why":';
    out += JSON.stringify(why);
    out += '}';
  }
  return `${out}],"nextCursor":${JSON.stringify(nextCursor)}}`;
}
