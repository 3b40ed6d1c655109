import { sql } from 'kysely';
import type { Audience, SocialService } from '../service.js';
import type { VideoRow } from '../store.js';

/**
 * Newest first from the creators the viewer follows: each followed creator's newest ready videos
 * before the cursor come from their own `(author, created_at, id)` index range, and the newest of
 * those make the page. A page reads at most `limit + 1` index entries per followed creator,
 * however deep the cursor is.
 */
export async function followingRows(
  service: SocialService, viewer: string, limit: number, before: { t: string; id: string } | undefined, audience: Audience,
): Promise<VideoRow[]> {
  const after = before ? sql`and (n.created_at, n.id) < (${new Date(before.t)}::timestamptz, ${before.id}::uuid)` : sql``;
  // Muted creators (and age-gated videos for a viewer who has not confirmed being 18 or older) are
  // left out before the page is cut, so a page is full while more videos exist.
  const shown = audience.hidden.size > 0 ? sql`and f.followee not in (${sql.join([...audience.hidden])})` : sql``;
  const { rows } = await sql<VideoRow>`
    select v.*, p.handle, p.display_name, p.avatar_url
    from (
      select n.* from follows f
      cross join lateral (
        select * from videos n
        where n.author = f.followee and n.status = 'ready' and n.moderation <> 'removed' ${after} ${audience.adult ? sql`` : sql`and not n.age_gated`}
        order by n.created_at desc, n.id desc
        limit ${limit + 1}
      ) n
      where f.follower = ${viewer} ${shown}
      order by n.created_at desc, n.id desc
      limit ${limit + 1}
    ) v
    join profiles p on p.subject = v.author
    order by v.created_at desc, v.id desc`.execute(service.db);
  return rows;
}

/** A page of Following: the first page from the short-lived cache, later pages from the store. */
export function followingPage(
  service: SocialService, viewer: string, limit: number, before: { t: string; id: string } | undefined, audience: Audience,
): Promise<VideoRow[]> {
  if (before) return followingRows(service, viewer, limit, before, audience);
  // The cached first page is the viewer's own and is forgotten when they block, mute or confirm their age.
  return service.followingFirstPages.get(viewer, limit, () => followingRows(service, viewer, limit, undefined, audience));
}
