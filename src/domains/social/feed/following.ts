import type { SocialService } from '../service.js';
import type { VideoRow } from '../store.js';

/** Newest first from the creators the viewer follows. */
export function followingRows(service: SocialService, viewer: string, limit: number, before?: { t: string; id: string }): Promise<VideoRow[]> {
  let query = service
    .videoRows()
    .where('v.status', '=', 'ready')
    .where('v.author', 'in', (eb) => eb.selectFrom('follows').select('followee').where('follower', '=', viewer));
  if (before) {
    query = query.where((eb) =>
      eb.or([eb('v.created_at', '<', new Date(before.t)), eb.and([eb('v.created_at', '=', new Date(before.t)), eb('v.id', '<', before.id)])]),
    );
  }
  return query.orderBy('v.created_at', 'desc').orderBy('v.id', 'desc').limit(limit + 1).execute();
}

/** A page of Following: the first page from the short-lived cache, later pages from the store. */
export function followingPage(service: SocialService, viewer: string, limit: number, before?: { t: string; id: string }): Promise<VideoRow[]> {
  if (before) return followingRows(service, viewer, limit, before);
  return service.followingFirstPages.get(viewer, limit, () => followingRows(service, viewer, limit));
}
