import { rename, rm, mkdir } from 'node:fs/promises';
import { sql, type Kysely } from 'kysely';
import { uuidv7 } from '../../platform/ids.js';
import { forbidden, notFound } from '../../platform/errors.js';
import type { SocialDB, VideoRow } from './store.js';
import { adjustProfileCounts } from './counters.js';
import { parseHashtags } from './hashtags.js';
import type { ProbeResult } from './media/probe.js';
import { TRANSCODE_MAX_ATTEMPTS, transcodeJobType } from './media/transcode.job.js';
import { ageConfirmationRequired, checkCaption, ready, type PendingCounts } from './views.js';
import { SocialBlocks } from './blocks.js';

/** Videos: an upload taken in, read as the viewer may see it, captioned, listed, deleted. */
export class SocialVideos extends SocialBlocks {
  // ---- videos

  /**
   * Takes ownership of a probed upload: moves it to the sources folder, records the video and
   * queues its transcode in one transaction.
   */
  async createVideo(subject: string, caption: string, file: string, probe: ProbeResult): Promise<{ id: string; status: 'processing' }> {
    await this.assertMayPost(subject);
    const id = uuidv7();
    await mkdir(this.media.sources, { recursive: true });
    await rename(file, this.media.sourceOf(id));
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('videos')
          // Millisecond timestamps, so keyset cursors (which carry ms) match rows exactly.
          .values({
            id, author: subject, caption, hashtags: parseHashtags(caption), created_at: new Date(), duration_ms: probe.durationMs, width: probe.width,
            height: probe.height, failure_reason: null, ready_at: null,
          })
          .execute();
        await transcodeJobType.enqueue(trx, { videoId: id }, { maxAttempts: TRANSCODE_MAX_ATTEMPTS, dedupeKey: `transcode:${id}` });
      });
    } catch (error) {
      await rm(this.media.sourceOf(id), { force: true });
      throw error;
    }
    this.jobs.kick();
    return { id, status: 'processing' };
  }

  /** A video as the viewer may see it: others see only ready videos. */
  async getVideo(id: string, viewer?: string): Promise<VideoRow> {
    const found = await this.videoRows()
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('video_counter_deltas as d')
            .select([
              sql<number>`coalesce(sum(d.views), 0)::int`.as('pending_views'),
              sql<number>`coalesce(sum(d.likes), 0)::int`.as('pending_likes'),
              sql<number>`coalesce(sum(d.comments), 0)::int`.as('pending_comments'),
              sql<number>`coalesce(sum(d.shares), 0)::int`.as('pending_shares'),
            ])
            .whereRef('d.video_id', '=', 'v.id')
            .as('pending'),
        (join) => join.onTrue(),
      )
      .select(['pending.pending_views', 'pending.pending_likes', 'pending.pending_comments', 'pending.pending_shares'])
      .where('v.id', '=', id)
      .executeTakeFirst();
    return this.visibleVideo(found, viewer);
  }

  /** A video row read with its deltas not folded yet, as the viewer may see it (or the problem why not). */
  protected async visibleVideo(found: (VideoRow & PendingCounts) | undefined, viewer?: string): Promise<VideoRow> {
    if (!found || ((found.status !== 'ready' || found.moderation === 'removed') && found.author !== viewer)) throw notFound('No such video.');
    if (viewer && viewer !== found.author && (await this.viewerAudience(viewer)).blockedBy.has(found.author)) throw notFound('No such video.');
    if (found.age_gated && viewer !== found.author && !(await this.isAdult(viewer))) throw ageConfirmationRequired('video', viewer);
    // One video read alone counts what the fold has not reached yet, so it is exact at once.
    const { pending_views, pending_likes, pending_comments, pending_shares, ...row } = found;
    row.view_count += Number(pending_views ?? 0);
    row.like_count += Number(pending_likes ?? 0);
    row.comment_count += Number(pending_comments ?? 0);
    row.share_count += Number(pending_shares ?? 0);
    return row;
  }

  protected async readyVideo(id: string, viewer?: string): Promise<VideoRow> {
    return ready(await this.getVideo(id, viewer));
  }

  protected async ownVideo(id: string, subject: string): Promise<VideoRow> {
    const row = await this.videoRows().where('v.id', '=', id).executeTakeFirst();
    if (!row || ((row.status !== 'ready' || row.moderation === 'removed') && row.author !== subject)) throw notFound('No such video.');
    if (row.author !== subject) throw forbidden('Only the author can change this video.');
    return row;
  }

  async updateCaption(id: string, subject: string, caption: string): Promise<VideoRow> {
    await this.ownVideo(id, subject);
    checkCaption(caption);
    await this.db.updateTable('videos').set({ caption, hashtags: parseHashtags(caption) }).where('id', '=', id).execute();
    this.videosChanged();
    return this.getVideo(id, subject);
  }

  async deleteVideo(id: string, subject: string): Promise<void> {
    const row = await this.ownVideo(id, subject);
    await this.db.transaction().execute(async (trx) => {
      await this.removeVideos(trx, [row.id]);
    });
    this.videosChanged();
    await this.removeVideoFiles(row.id);
  }

  /** Deletes videos and keeps the counts of everyone who liked or followed in step. */
  protected async removeVideos(trx: Kysely<SocialDB>, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const deleted = await trx.deleteFrom('videos').where('id', 'in', ids).returning(['author', 'status', 'like_count']).execute();
    for (const video of deleted) {
      await adjustProfileCounts(trx, video.author, { video_count: video.status === 'ready' ? -1 : 0, like_count: -video.like_count });
    }
  }

  protected async removeVideoFiles(id: string): Promise<void> {
    await rm(this.media.videoDir(id), { recursive: true, force: true });
    await rm(this.media.sourceOf(id), { force: true });
  }

  async listAuthorVideos(handle: string, viewer: string | undefined, limit: number, before?: { t: string; id: string }) {
    const profile = viewer ? await this.visibleProfile(viewer, handle) : await this.profileByHandle(handle);
    let query = this.videoRows().where('v.author', '=', profile.subject);
    if (profile.subject !== viewer) query = query.where('v.status', '=', 'ready').where('v.moderation', '<>', 'removed');
    if (profile.subject !== viewer && !(await this.isAdult(viewer))) query = query.where('v.age_gated', '=', false);
    if (before) query = query.where((eb) => eb.or([eb('v.created_at', '<', new Date(before.t)), eb.and([eb('v.created_at', '=', new Date(before.t)), eb('v.id', '<', before.id)])]));
    return query.orderBy('v.created_at', 'desc').orderBy('v.id', 'desc').limit(limit + 1).execute();
  }

}
