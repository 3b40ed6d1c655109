import { rm } from 'node:fs/promises';
import { sql, type Selectable } from 'kysely';
import { textProblem } from '../../platform/text.js';
import { conflict, forbidden, notFound, unprocessable, validationFailed } from '../../platform/errors.js';
import type { ProfileTable } from './store.js';
import { AVATAR_URL_PREFIX } from './media/paths.js';
import { avatarFileOf } from './media/avatar.js';
import type { ProfileSeed } from '../../contracts/ports.js';
import { notifySocial } from './notifications.js';
import { countFollow } from './counters.js';
import { isUniqueViolation, type ProfileView } from './views.js';
import { SocialCore } from './core.js';

/** Profiles: created on first use, read with their counts, edited, followed. */
export class SocialProfiles extends SocialCore {
  // ---- profiles

  /** The caller's profile, created from the seed the first time they act socially. */
  /** `ensureProfile` for a caller who only needs the row to exist: no read once this process has seen it. */
  async ensureProfileExists(subject: string, seed: ProfileSeed | undefined): Promise<void> {
    if (this.profiled.get(subject)) return;
    await this.ensureProfile(subject, seed);
    this.profiled.set(subject, true);
  }

  async ensureProfile(subject: string, seed: ProfileSeed | undefined): Promise<Selectable<ProfileTable>> {
    const existing = await this.db.selectFrom('profiles').selectAll().where('subject', '=', subject).executeTakeFirst();
    if (existing) return existing;
    if (!seed) throw unprocessable('A social profile needs a public handle first.');
    for (let attempt = 0; attempt < 5; attempt++) {
      const handle = attempt === 0 ? seed.handle : `${seed.handle.slice(0, 19)}_${Math.random().toString(36).slice(2, 6)}`;
      try {
        await this.db
          .insertInto('profiles')
          .values({ subject, handle, display_name: seed.displayName.slice(0, 100), avatar_url: null })
          .onConflict((oc) => oc.column('subject').doNothing())
          .execute();
        break;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    const created = await this.db.selectFrom('profiles').selectAll().where('subject', '=', subject).executeTakeFirst();
    if (!created) throw conflict('Could not create a profile; try again.');
    return created;
  }

  async getProfile(handle: string, viewer?: string): Promise<ProfileView> {
    // The profile row and the likes the fold has not reached yet are read in one statement, so
    // one snapshot: read apart, a fold between them would move a like out of the deltas after
    // the row was read and the like would be counted nowhere.
    const row = await this.db
      .selectFrom('profiles as p')
      .selectAll('p')
      .select((eb) =>
        eb
          .selectFrom('video_counter_deltas as d')
          .innerJoin('videos as v', 'v.id', 'd.video_id')
          .select(sql<number>`coalesce(sum(d.likes), 0)::int`.as('likes'))
          .whereRef('v.author', '=', 'p.subject')
          .as('pending_likes'),
      )
      .where(sql<string>`lower(p.handle)`, '=', handle.toLowerCase())
      .executeTakeFirst();
    if (!row) throw notFound(`No user @${handle}.`);
    const between = viewer && viewer !== row.subject ? await this.blockBetween(viewer, row.subject) : { blocks: false, blockedBy: false, mutes: false };
    // A person who blocked the viewer is, to the viewer, not there.
    if (between.blockedBy) throw notFound(`No user @${handle}.`);
    const follows = viewer
      ? await this.db.selectFrom('follows').select('follower').where('follower', '=', viewer).where('followee', '=', row.subject).executeTakeFirst()
      : undefined;
    return {
      handle: row.handle,
      displayName: row.display_name,
      bio: row.bio,
      avatarUrl: row.avatar_url,
      counts: {
        followers: row.follower_count, following: row.following_count, videos: row.video_count, likes: row.like_count + Number(row.pending_likes ?? 0),
      },
      followedByMe: Boolean(follows),
      blockedByMe: between.blocks,
      mutedByMe: between.mutes,
    };
  }


  async updateProfile(subject: string, handle: string, patch: { displayName?: string; bio?: string; avatarUrl?: string | null }) {
    const row = await this.profileByHandle(handle);
    if (row.subject !== subject) throw forbidden('Only the owner can change this profile.');
    const displayName = patch.displayName?.normalize('NFC').trim();
    const bio = patch.bio?.normalize('NFC');
    const errors: Record<string, string[]> = {};
    if (displayName !== undefined && displayName.length === 0) errors.displayName = ['must not be empty'];
    else if (displayName !== undefined && [...displayName].length > 50) errors.displayName = ['must be 1–50 characters'];
    else if (displayName !== undefined && textProblem('display-name', displayName)) errors.displayName = [textProblem('display-name', displayName)!];
    const bioProblem = bio === undefined ? undefined : textProblem('free-text', bio);
    if (bioProblem) errors.bio = [bioProblem];
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    // Our avatar files are set only by uploading one: naming another person's would let erasing
    // this profile delete their picture.
    if (patch.avatarUrl?.startsWith(AVATAR_URL_PREFIX) && patch.avatarUrl !== row.avatar_url) {
      throw validationFailed({ avatarUrl: ['must be uploaded: PUT /api/social/me/avatar'] });
    }
    if (patch.avatarUrl !== undefined && patch.avatarUrl !== row.avatar_url) return this.replaceAvatar(subject, patch.avatarUrl, { displayName, bio });
    await this.db
      .updateTable('profiles')
      .set({
        ...(displayName !== undefined ? { display_name: displayName } : {}),
        ...(bio !== undefined ? { bio: bio.trim() } : {}),
        ...(patch.avatarUrl !== undefined ? { avatar_url: patch.avatarUrl } : {}),
      })
      .where('subject', '=', subject)
      .execute();
    this.videosChanged();
    return this.getProfile(handle, subject);
  }

  /**
   * Points the caller's profile at a new avatar (or none), with any text changes, and deletes the
   * avatar file it replaces. The profile row is locked so two uploads at once cannot both keep
   * the file they replaced.
   */
  async replaceAvatar(subject: string, avatarUrl: string | null, text: { displayName?: string; bio?: string } = {}): Promise<ProfileView> {
    const { handle, replaced } = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('profiles').select(['handle', 'avatar_url']).where('subject', '=', subject).forUpdate().executeTakeFirstOrThrow();
      await trx
        .updateTable('profiles')
        .set({
          avatar_url: avatarUrl,
          ...(text.displayName !== undefined ? { display_name: text.displayName } : {}),
          ...(text.bio !== undefined ? { bio: text.bio.trim() } : {}),
        })
        .where('subject', '=', subject)
        .execute();
      return { handle: row.handle, replaced: row.avatar_url };
    });
    const file = avatarFileOf(this.media, replaced);
    if (file && replaced !== avatarUrl) await rm(file, { force: true });
    this.videosChanged();
    return this.getProfile(handle, subject);
  }

  async follow(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.profileByHandle(handle);
    if (target.subject === subject) throw unprocessable('You cannot follow yourself.', { handle: ['is you'] });
    const between = await this.blockBetween(subject, target.subject);
    if (between.blockedBy) throw notFound(`No user @${handle}.`);
    if (between.blocks) throw conflict('You block this profile; unblock it before following.', { handle: ['is blocked by you'] });
    await this.assertMayPost(subject);
    await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('follows')
        .values({ follower: subject, followee: target.subject })
        .onConflict((oc) => oc.doNothing())
        .returning('follower')
        .executeTakeFirst();
      if (!inserted) return;
      await countFollow(trx, subject, target.subject, 1);
      await notifySocial(trx, { recipient: target.subject, kind: 'follow', groupKey: 'follow', actor: subject, targetType: 'profile', targetId: '' });
    });
    this.signals.forget(subject);
    this.followingFirstPages.forget(subject);
    return this.getProfile(handle, subject);
  }

  async unfollow(subject: string, handle: string): Promise<ProfileView> {
    const target = await this.profileByHandle(handle);
    await this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('follows')
        .where('follower', '=', subject)
        .where('followee', '=', target.subject)
        .returning('follower')
        .executeTakeFirst();
      if (!deleted) return;
      await countFollow(trx, subject, target.subject, -1);
    });
    this.signals.forget(subject);
    this.followingFirstPages.forget(subject);
    return this.getProfile(handle, subject);
  }

}
