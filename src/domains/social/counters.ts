import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { SocialDB } from './store.js';

/** At most this many deltas are folded in one transaction, so it stays short. */
const FOLD_BATCH = 5_000;
/** Only one process folds at a time: two folding the same hot videos would wait on each other. */
const FOLD_LOCK = sql`hashtext('sekat:social:counter-fold')`;

/**
 * Folds the engagement deltas (migration 003) into the videos' and authors' counters, about
 * once a second, off the request path. A request appends its fact and its delta in one statement
 * and never touches the counter row, so a video everyone is watching is not a lock everyone waits
 * on. The deltas are stored with the facts, so nothing is held in memory: a process killed
 * mid-run loses no increment, and the next fold (in any process) applies what is left.
 */
export class CounterFold {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** Deltas folded by this process since it started. */
  folded = 0;

  constructor(
    private readonly db: Kysely<SocialDB>,
    private readonly log: Logger,
    private readonly everyMs = 1_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.settle().catch((error: unknown) => this.log.warn({ err: error }, 'counter fold failed; will retry'));
    }, this.everyMs);
    this.timer.unref();
  }

  /** Stops the timer and folds what is left, so a clean stop leaves the counters settled. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.settle();
  }

  /** Folds every delta stored so far; resolves with how many this call folded. */
  settle(): Promise<number> {
    const run = this.chain.then(async () => {
      let total = 0;
      for (;;) {
        const folded = await this.foldOnce();
        total += folded;
        if (folded < FOLD_BATCH) return total;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private foldOnce(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { rows: lock } = await sql<{ got: boolean }>`select pg_try_advisory_xact_lock(${FOLD_LOCK}) as got`.execute(trx);
      if (!lock[0]?.got) return 0;
      // One statement: take the oldest deltas, add them to their videos, and add the likes to the
      // videos' authors. Deltas of one fact commit after the fact they follow (an unlike can only
      // delete a committed like), so folding in id order never takes a minus before its plus.
      const { rows } = await sql<{ folded: number }>`
        with claimed as (
          delete from video_counter_deltas
          where id in (select id from video_counter_deltas order by id limit ${FOLD_BATCH})
          returning video_id, views, completed, fraction, likes, comments, shares
        ), per_video as (
          select video_id, sum(views)::int as views, sum(completed)::int as completed, sum(fraction) as fraction,
                 sum(likes)::int as likes, sum(comments)::int as comments, sum(shares)::int as shares
          from claimed group by video_id
        ), bumped as (
          update videos v set
            view_count = v.view_count + p.views,
            completed_count = v.completed_count + p.completed,
            watched_fraction_sum = v.watched_fraction_sum + p.fraction,
            like_count = v.like_count + p.likes,
            comment_count = v.comment_count + p.comments,
            share_count = v.share_count + p.shares
          from per_video p where v.id = p.video_id
          returning v.author, p.likes
        ), authors as (
          update profiles pr set like_count = pr.like_count + a.likes
          from (select author, sum(likes)::int as likes from bumped where likes <> 0 group by author) a
          where pr.subject = a.author
          returning 1
        )
        select (select count(*) from claimed)::int as folded, (select count(*) from authors)::int as authors`.execute(trx);
      const folded = Number(rows[0]?.folded ?? 0);
      this.folded += folded;
      return folded;
    });
  }
}

/** Amounts a change moves a profile's own counters by. */
export type ProfileCountChange = Partial<Record<'follower_count' | 'following_count' | 'video_count' | 'like_count', number>>;

/**
 * Moves a profile's counters by these amounts (never below zero), in the caller's transaction:
 * the one way a profile's counts are written outside the fold above (follows, blocks ending
 * follows, videos deleted, a person erased).
 */
export async function adjustProfileCounts(db: Kysely<SocialDB>, subject: string, change: ProfileCountChange): Promise<void> {
  const moved = Object.entries(change).filter(([, by]) => by !== 0);
  if (moved.length === 0) return;
  const set = Object.fromEntries(moved.map(([column, by]) => [column, sql<number>`greatest(${sql.ref(column)} + ${by}, 0)`]));
  await db.updateTable('profiles').set(set).where('subject', '=', subject).execute();
}

/** A follow made (+1) or ended (-1): the followee's followers and the follower's following. */
export async function countFollow(db: Kysely<SocialDB>, follower: string, followee: string, by: 1 | -1): Promise<void> {
  await adjustProfileCounts(db, followee, { follower_count: by });
  await adjustProfileCounts(db, follower, { following_count: by });
}
