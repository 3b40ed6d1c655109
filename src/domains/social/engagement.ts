import { sql } from 'kysely';
import { uuidv7 } from '../../platform/ids.js';
import { forbidden, notFound, tooManyRequests, validationFailed } from '../../platform/errors.js';
import type { VideoRow } from './store.js';
import { engagementNotice, socialNotificationHub } from './notifications.js';
import { COMMENTS_PER_MINUTE, ready, type PendingCounts } from './views.js';
import { SocialVideos } from './videos.js';

/** Likes, shares and comments, each written with its counter delta in one statement. */
export class SocialEngagement extends SocialVideos {
  // ---- engagement

  /**
   * Engagement writes the fact and its counter delta in one statement and leaves the counter to
   * the fold (counters.ts): no request waits on a popular video's row. A video read right after
   * adds the deltas not yet folded, so the caller sees their own like, comment or share at once.
   */
  async like(id: string, subject: string): Promise<VideoRow> {
    // Nothing is stored for a video the viewer may not see (the read in the same statement says why).
    // The read's snapshot predates the like, so the like it just added is counted on top.
    const { adult } = await this.viewerAudience(subject);
    const { rows } = await sql<VideoRow & PendingCounts>`
      with liked as (
        insert into likes (video_id, subject) select id, ${subject} from videos where id = ${id} and status = 'ready' and moderation <> 'removed'
          and (not age_gated or author = ${subject} or ${adult}::boolean)
          and not exists (select 1 from blocks b where b.blocker = videos.author and b.blocked = ${subject})
        on conflict do nothing returning video_id),
      counted as (insert into video_counter_deltas (video_id, likes) select video_id, 1 from liked returning likes),
      noticed as (${engagementNotice('liked', 'like', subject)})
      select v.*, p.handle, p.display_name, p.avatar_url, d.pending_views, d.pending_likes + (select count(*)::int from counted) as pending_likes,
        d.pending_comments, d.pending_shares, (select coalesce(array_agg(recipient), '{}') from noticed) as noticed_to
      from videos v join profiles p on p.subject = v.author
      cross join lateral (select coalesce(sum(views), 0)::int as pending_views, coalesce(sum(likes), 0)::int as pending_likes,
        coalesce(sum(comments), 0)::int as pending_comments, coalesce(sum(shares), 0)::int as pending_shares
        from video_counter_deltas where video_id = v.id) d
      where v.id = ${id}`.execute(this.db);
    const found = rows[0] as (VideoRow & PendingCounts & { noticed_to?: string[] }) | undefined;
    const noticedTo = found?.noticed_to ?? [];
    if (found) delete found.noticed_to;
    this.noticed(noticedTo.map((recipient) => ({ recipient })));
    const row = ready(await this.visibleVideo(found, subject));
    this.liked.changed(subject, id, true);
    return row;
  }

  /** Wakes the live inbox streams of whoever a committed statement notified. */
  protected noticed(rows: { recipient: string }[]): void {
    for (const row of rows) socialNotificationHub.touch(row.recipient);
  }

  async unlike(id: string, subject: string): Promise<VideoRow> {
    await sql`
      with unliked as (delete from likes where video_id = ${id} and subject = ${subject} returning video_id)
      insert into video_counter_deltas (video_id, likes) select video_id, -1 from unliked`.execute(this.db);
    this.liked.changed(subject, id, false);
    return this.getVideo(id, subject);
  }

  async share(id: string, subject: string | undefined): Promise<VideoRow> {
    await sql`
      with shared as (
        insert into shares (video_id, subject) select id, ${subject ?? null}::text from videos where id = ${id} and status = 'ready' and moderation <> 'removed'
          and not exists (select 1 from blocks b where b.blocker = videos.author and b.blocked = ${subject ?? ''})
        returning video_id)
      insert into video_counter_deltas (video_id, shares) select video_id, 1 from shared`.execute(this.db);
    return this.readyVideo(id, subject);
  }

  async comment(id: string, subject: string, rawText: string) {
    const text = rawText.trim();
    if (text.length < 1 || [...text].length > 500) throw validationFailed({ text: ['must be 1–500 characters after trimming'] });
    await this.readyVideo(id, subject);
    await this.assertMayPost(subject);
    const recent = await this.db
      .selectFrom('comments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('author', '=', subject)
      .where('created_at', '>', sql<Date>`now() - interval '1 minute'`)
      .executeTakeFirstOrThrow();
    if (Number(recent.n) >= COMMENTS_PER_MINUTE) throw tooManyRequests('Too many comments; wait a minute.', 60);
    const commentId = uuidv7();
    await sql`
      with written as (
        insert into comments (id, video_id, author, text, created_at) values (${commentId}, ${id}, ${subject}, ${text}, ${new Date()})
        returning video_id),
      counted as (insert into video_counter_deltas (video_id, comments) select video_id, 1 from written),
      noticed as (${engagementNotice('written', 'comment', subject)})
      select recipient from noticed`.execute(this.db)
      .then((r) => this.noticed(r.rows as { recipient: string }[]));
    return (await this.commentRows(id).where('c.id', '=', commentId).executeTakeFirstOrThrow());
  }

  commentRows(videoId: string) {
    return this.db
      .selectFrom('comments as c')
      .innerJoin('profiles as p', 'p.subject', 'c.author')
      .select(['c.id', 'c.text', 'c.created_at', 'p.handle', 'p.display_name', 'p.avatar_url'])
      .where('c.video_id', '=', videoId)
      .where('c.removed_at', 'is', null);
  }

  async listComments(id: string, viewer: string | undefined, limit: number, before?: { t: string; id: string }) {
    await this.getVideo(id, viewer);
    let query = this.commentRows(id);
    const hidden = await this.hiddenAuthors(viewer);
    if (hidden.size > 0) query = query.where('c.author', 'not in', [...hidden]);
    if (before) query = query.where((eb) => eb.or([eb('c.created_at', '<', new Date(before.t)), eb.and([eb('c.created_at', '=', new Date(before.t)), eb('c.id', '<', before.id)])]));
    return query.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit + 1).execute();
  }

  async deleteComment(videoId: string, commentId: string, subject: string): Promise<void> {
    const found = await this.db
      .selectFrom('comments as c')
      .innerJoin('videos as v', 'v.id', 'c.video_id')
      .select(['c.author', 'v.author as videoAuthor'])
      .where('c.id', '=', commentId)
      .where('c.video_id', '=', videoId)
      .executeTakeFirst();
    if (!found) throw notFound('No such comment.');
    if (found.author !== subject && found.videoAuthor !== subject) throw forbidden('Only the comment author or the video author can delete it.');
    await sql`
      with deleted as (delete from comments where id = ${commentId} returning video_id)
      insert into video_counter_deltas (video_id, comments) select video_id, -1 from deleted`.execute(this.db);
  }

}
