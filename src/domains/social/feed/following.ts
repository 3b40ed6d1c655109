import type { SocialService } from '../service.js';

/** Newest first from the creators the viewer follows; a new video shows at once. */
export function followingPage(service: SocialService, viewer: string, limit: number, before?: { t: string; id: string }) {
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
