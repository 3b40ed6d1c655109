import type { FastifyInstance } from 'fastify';
import type { ProductCards } from './cards.js';

interface VideoLike {
  id: string;
  productTags: unknown[];
  likedByMe?: boolean;
}

const isVideo = (value: unknown): value is VideoLike =>
  typeof value === 'object' && value !== null && typeof (value as VideoLike).id === 'string' && Array.isArray((value as VideoLike).productTags);

/**
 * Every video view social sends (one video, or a page of them) carries its product tags, read
 * from the local projection, and whether the caller likes it: one query each per response, so no
 * route has to remember them, and no call goes to commerce.
 */
export function attachVideoFacts(app: FastifyInstance, cards: ProductCards, likedBy: (subject: string, videoIds: string[]) => Promise<Set<string>>): void {
  app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    const videos: VideoLike[] = [];
    if (isVideo(payload)) videos.push(payload);
    const items = (payload as { items?: unknown } | null)?.items;
    if (Array.isArray(items)) for (const item of items) if (isVideo(item)) videos.push(item);
    if (videos.length === 0) return payload;
    const ids = [...new Set(videos.map((v) => v.id))];
    const [byVideo, liked] = await Promise.all([cards.cardsFor(ids), request.subject ? likedBy(request.subject, ids) : Promise.resolve(new Set<string>())]);
    for (const video of videos) {
      video.productTags = byVideo.get(video.id) ?? [];
      video.likedByMe = liked.has(video.id);
    }
    return payload;
  });
}
