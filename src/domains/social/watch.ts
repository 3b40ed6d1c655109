import { sql } from 'kysely';
import { validationFailed } from '../../platform/errors.js';
import { isForeignKeyViolation, type Watchable, type WatchEventInput } from './views.js';

/** A play may run a little past the end before the client reports it. */
const WATCH_SLACK_MS = 2_000;
import { SocialEngagement } from './engagement.js';

/** Watch events: checked as a batch, stored together with the viewer's signals. */
export class SocialWatch extends SocialEngagement {
  // ---- watch events

  /**
   * Validates the whole batch first (a bad event rejects all of it), then, in one statement,
   * appends the events, their per-video counter deltas (folded later, counters.ts), and the
   * viewer's completions and hashtag affinity. No video row is locked on the way.
   */
  async recordEvents(subject: string | undefined, events: WatchEventInput[], retried = false): Promise<number> {
    const ids = [...new Set(events.map((e) => e.videoId))];
    const byId = new Map<string, Watchable>();
    const unknown = ids.filter((id) => {
      const known = this.watchable.get(id);
      if (known) byId.set(id, known);
      return !known;
    });
    if (unknown.length > 0) {
      const ready = await this.db
        .selectFrom('videos')
        .select(['id', 'duration_ms', 'hashtags'])
        .where('id', '=', sql<string>`any(${unknown}::uuid[])`)
        .where('status', '=', 'ready')
        .execute();
      for (const { id, ...video } of ready) {
        byId.set(id, video);
        this.watchable.set(id, video);
      }
    }
    const errors: Record<string, string[]> = {};
    events.forEach((event, i) => {
      const video = byId.get(event.videoId);
      if (!video) (errors[`events.${i}.videoId`] ??= []).push('is not a video that can be watched');
      else if (event.watchedMs > (video.duration_ms ?? 0) + WATCH_SLACK_MS) (errors[`events.${i}.watchedMs`] ??= []).push('is longer than the video');
    });
    if (Object.keys(errors).length > 0) throw validationFailed(errors, 'Some watch events are not valid; none were recorded.');

    const perVideo = new Map<string, { views: number; completed: number; fraction: number }>();
    for (const event of events) {
      const duration = byId.get(event.videoId)!.duration_ms ?? 1;
      const stats = perVideo.get(event.videoId) ?? { views: 0, completed: 0, fraction: 0 };
      stats.views += 1;
      stats.completed += event.completed ? 1 : 0;
      stats.fraction += Math.min(1, event.watchedMs / Math.max(1, duration));
      perVideo.set(event.videoId, stats);
    }
    // Anonymous viewers add to the counts only.
    const completedIds = subject ? [...new Set(events.filter((e) => e.completed).map((e) => e.videoId))].sort() : [];
    const affinity = new Map<string, number>();
    for (const id of completedIds) for (const tag of byId.get(id)!.hashtags) affinity.set(tag, (affinity.get(tag) ?? 0) + 1);
    try {
      await this.watchWrites.write({
        subject: subject ?? null,
        events: events.map((e) => ({ videoId: e.videoId, watchedMs: e.watchedMs, completed: e.completed })),
        perVideo,
        completedIds,
        affinity,
      });
    } catch (error) {
      // A video was deleted after it was checked: nothing was stored; check the batch again.
      if (!isForeignKeyViolation(error) || retried) throw error;
      for (const id of ids) this.watchable.delete(id);
      return this.recordEvents(subject, events, true);
    }
    // What was just stored, added to the viewer's cached signals: no query to read it back.
    if (subject) this.signals.watched(subject, completedIds, affinity);
    return events.length;
  }

}
