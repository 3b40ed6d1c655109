import type { FastifyInstance } from 'fastify';
import type { ProductCards } from './cards.js';

interface VideoLike {
  id: string;
  productTags: unknown[];
}

const isVideo = (value: unknown): value is VideoLike =>
  typeof value === 'object' && value !== null && typeof (value as VideoLike).id === 'string' && Array.isArray((value as VideoLike).productTags);

/**
 * Every video view social sends (one video, or a page of them) carries its product tags, read
 * from the local projection in one query per response: no route has to remember it, and no call
 * goes to commerce.
 */
export function attachProductTags(app: FastifyInstance, cards: ProductCards): void {
  app.addHook('preSerialization', async (_request, _reply, payload: unknown) => {
    const videos: VideoLike[] = [];
    if (isVideo(payload)) videos.push(payload);
    const items = (payload as { items?: unknown } | null)?.items;
    if (Array.isArray(items)) for (const item of items) if (isVideo(item)) videos.push(item);
    if (videos.length === 0) return payload;
    const byVideo = await cards.cardsFor([...new Set(videos.map((v) => v.id))]);
    for (const video of videos) video.productTags = byVideo.get(video.id) ?? [];
    return payload;
  });
}
