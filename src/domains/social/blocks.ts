import { sql } from 'kysely';
import { unprocessable } from '../../platform/errors.js';
import type { ProfileView } from './views.js';
import { countFollow } from './counters.js';
import { SocialProfiles } from './profiles.js';

/** What a person keeps from view: blocks, mutes, and their statement of being 18 or older. */
export class SocialBlocks extends SocialProfiles {
  /** The viewer's own statement that they are 18 or older (on), or its withdrawal; it opens age-gated videos and lives. */
  async confirmAdult(subject: string, on: boolean): Promise<{ adultConfirmed: boolean; confirmedAt: string | null }> {
    const row = await this.db
      .updateTable('profiles')
      .set({ adult_confirmed_at: on ? sql<Date>`coalesce(adult_confirmed_at, now())` : null })
      .where('subject', '=', subject)
      .returning('adult_confirmed_at')
      .executeTakeFirstOrThrow();
    this.forgetViewer(subject);
    return { adultConfirmed: row.adult_confirmed_at !== null, confirmedAt: row.adult_confirmed_at ? new Date(row.adult_confirmed_at).toISOString() : null };
  }

  /** Hooks run after a block is committed (the live rooms put the blocked one out of the blocker's lives). */
  readonly onBlock: ((blocker: string, blocked: string) => void)[] = [];

  /** Blocks a profile: each stops seeing the other, and follows between them end both ways. */
  async block(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.visibleProfile(subject, handle);
    if (target.subject === subject) throw unprocessable('You cannot block yourself.', { handle: ['is you'] });
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('blocks').values({ blocker: subject, blocked: target.subject }).onConflict((oc) => oc.doNothing()).execute();
      for (const [follower, followee] of [[subject, target.subject], [target.subject, subject]] as const) {
        const ended = await trx.deleteFrom('follows').where('follower', '=', follower).where('followee', '=', followee).returning('follower').executeTakeFirst();
        if (!ended) continue;
        await countFollow(trx, follower, followee, -1);
      }
    });
    this.forgetViewer(subject);
    this.forgetViewer(target.subject);
    for (const hook of this.onBlock) hook(subject, target.subject);
    return this.getProfile(target.handle, subject);
  }

  async unblock(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.visibleProfile(subject, handle);
    await this.db.deleteFrom('blocks').where('blocker', '=', subject).where('blocked', '=', target.subject).execute();
    this.forgetViewer(subject);
    this.forgetViewer(target.subject);
    return this.getProfile(target.handle, subject);
  }

  /** Mutes (on) or unmutes a profile: their videos and comments leave the muter's feeds, comments and search. */
  async mute(subject: string, handle: string, on: boolean): Promise<ProfileView> {
    const target = await this.visibleProfile(subject, handle);
    if (target.subject === subject) throw unprocessable('You cannot mute yourself.', { handle: ['is you'] });
    if (on) await this.db.insertInto('mutes').values({ muter: subject, muted: target.subject }).onConflict((oc) => oc.doNothing()).execute();
    else await this.db.deleteFrom('mutes').where('muter', '=', subject).where('muted', '=', target.subject).execute();
    this.forgetViewer(subject);
    return this.getProfile(target.handle, subject);
  }

  /** The profiles the caller blocks and mutes. */
  async blockList(subject: string) {
    const blocked = await this.db.selectFrom('blocks as b').innerJoin('profiles as p', 'p.subject', 'b.blocked').select(['p.handle', 'p.display_name', 'b.created_at']).where('b.blocker', '=', subject).orderBy('b.created_at', 'desc').execute();
    const muted = await this.db.selectFrom('mutes as m').innerJoin('profiles as p', 'p.subject', 'm.muted').select(['p.handle', 'p.display_name', 'm.created_at']).where('m.muter', '=', subject).orderBy('m.created_at', 'desc').execute();
    const view = (row: { handle: string; display_name: string; created_at: Date }) => ({
      handle: row.handle, displayName: row.display_name, since: new Date(row.created_at).toISOString(),
    });
    return { blocked: blocked.map(view), muted: muted.map(view) };
  }

}
