import { rm, readdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { avatarFileOf } from './media/avatar.js';
import { adjustProfileCounts } from './counters.js';
import { SocialSearch } from './search.js';

/** A person's data, taken out (export) or removed (erasure), for the bridge's privacy requests. */
export class SocialPrivacy extends SocialSearch {
  // ---- privacy (called by the bridge through the domain instance)

  async exportSubject(subject: string) {
    const profile = await this.db.selectFrom('profiles').selectAll().where('subject', '=', subject).executeTakeFirst();
    const videos = await this.db.selectFrom('videos').selectAll().where('author', '=', subject).orderBy('created_at').execute();
    const withFiles = await Promise.all(
      videos.map(async (v) => ({
        id: v.id,
        caption: v.caption,
        hashtags: v.hashtags,
        status: v.status,
        durationMs: v.duration_ms,
        createdAt: v.created_at,
        counts: { views: v.view_count, likes: v.like_count, comments: v.comment_count, shares: v.share_count },
        files: await listFiles(this.media.videoDir(v.id)),
      })),
    );
    const comments = await this.db.selectFrom('comments').select(['id', 'video_id as videoId', 'text', 'created_at as createdAt']).where('author', '=', subject).orderBy('created_at').execute();
    const likes = await this.db.selectFrom('likes').select(['video_id as videoId', 'created_at as createdAt']).where('subject', '=', subject).orderBy('created_at').execute();
    const following = await this.db
      .selectFrom('follows as f')
      .innerJoin('profiles as p', 'p.subject', 'f.followee')
      .select(['p.handle', 'f.created_at as createdAt'])
      .where('f.follower', '=', subject)
      .execute();
    const followers = await this.db
      .selectFrom('follows as f')
      .innerJoin('profiles as p', 'p.subject', 'f.follower')
      .select(['p.handle', 'f.created_at as createdAt'])
      .where('f.followee', '=', subject)
      .execute();
    const watchHistory = await this.db
      .selectFrom('watch_events')
      .select(['video_id as videoId', 'watched_ms as watchedMs', 'completed', 'created_at as createdAt'])
      .where('subject', '=', subject)
      .orderBy('id')
      .execute();
    const shares = await this.db.selectFrom('shares').select(['video_id as videoId', 'created_at as createdAt']).where('subject', '=', subject).execute();
    const hashtagAffinity = await this.db.selectFrom('viewer_hashtags').select(['tag', 'score']).where('subject', '=', subject).execute();
    const blocks = await this.blockList(subject);
    return {
      profile: profile ? {
        handle: profile.handle, displayName: profile.display_name, bio: profile.bio, avatarUrl: profile.avatar_url, createdAt: profile.created_at,
      } : null,
      videos: withFiles,
      comments,
      likes,
      follows: { following, followers },
      watchHistory,
      shares,
      hashtagAffinity,
      blocks,
    };
  }

  /** Removes everything social holds about the subject, media files included. */
  async eraseSubject(subject: string): Promise<void> {
    const avatar = avatarFileOf(this.media, (await this.db.selectFrom('profiles').select('avatar_url').where('subject', '=', subject).executeTakeFirst())?.avatar_url ?? null);
    const videoIds = (await this.db.selectFrom('videos').select('id').where('author', '=', subject).execute()).map((v) => v.id);
    const uploadIds = (await this.db.selectFrom('uploads').select('id').where('owner', '=', subject).execute()).map((u) => u.id);
    await this.db.transaction().execute(async (trx) => {
      await this.removeVideos(trx, videoIds);
      await sql`
        with unliked as (delete from likes where subject = ${subject} returning video_id)
        insert into video_counter_deltas (video_id, likes) select video_id, -1 from unliked`.execute(trx);
      await sql`
        with deleted as (delete from comments where author = ${subject} returning video_id)
        insert into video_counter_deltas (video_id, comments) select video_id, -1 from deleted`.execute(trx);
      const following = await trx.deleteFrom('follows').where('follower', '=', subject).returning('followee').execute();
      for (const { followee } of following) {
        await adjustProfileCounts(trx, followee, { follower_count: -1 });
      }
      const followers = await trx.deleteFrom('follows').where('followee', '=', subject).returning('follower').execute();
      for (const { follower } of followers) {
        await adjustProfileCounts(trx, follower, { following_count: -1 });
      }
      await trx.deleteFrom('watch_events').where('subject', '=', subject).execute();
      await trx.deleteFrom('viewer_completions').where('subject', '=', subject).execute();
      await trx.deleteFrom('viewer_hashtags').where('subject', '=', subject).execute();
      await trx.updateTable('shares').set({ subject: null }).where('subject', '=', subject).execute();
      await trx.deleteFrom('uploads').where('owner', '=', subject).execute();
      await trx.deleteFrom('profiles').where('subject', '=', subject).execute();
    });
    this.videosChanged();
    this.forgetViewer(subject);
    this.profiled.delete(subject);
    this.liked.forget(subject);
    this.followingFirstPages.forget(subject);
    for (const id of videoIds) await this.removeVideoFiles(id);
    if (avatar) await rm(avatar, { force: true });
    for (const id of uploadIds) {
      await rm(path.join(this.media.uploads, id), { force: true });
      await rm(path.join(this.media.uploads, `${id}.json`), { force: true });
    }
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  } catch {
    return [];
  }
}
