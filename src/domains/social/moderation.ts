import { sql, type Kysely } from 'kysely';
import type { AnyDB } from '../../platform/db.js';
import { UUID } from '../../platform/ids.js';
import { ModerationEngine, type ModerationDomain } from '../../platform/moderation/engine.js';
import type { SocialDB } from './store.js';
import type { LiveDb } from './live/store.js';

export const SOCIAL_ITEM_KINDS = ['video', 'comment', 'profile', 'live'] as const;
export type SocialItemKind = (typeof SOCIAL_ITEM_KINDS)[number];
export const SOCIAL_ACTIONS = ['remove', 'restrict', 'age_gate', 'warn', 'suspend_account', 'end_live', 'remove_replay'] as const;
export type SocialAction = (typeof SOCIAL_ACTIONS)[number];

/** A suspension with no end is kept as a date no one reaches. */
const NO_END = new Date('9999-12-31T00:00:00Z');
const labelOf = (text: string, fallback: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? fallback : [...line].slice(0, 80).join('');
};

/**
 * Social's side of moderation: videos, comments, profiles (a profile by its handle) and lives,
 * owned by social pseudonyms, in social's own tables. Nothing here reaches commerce.
 *
 * On a live: `end_live` ends it now (the publisher is cut off by the live service, which finishes
 * lives ended elsewhere; a reversal cannot put a live back on air, it only records the reversal),
 * `remove_replay` takes its replay down (or the replay it will make), `restrict` keeps it off the
 * LIVE strip, `age_gate` shows it only to viewers who confirmed they are 18 or older.
 */
export function socialModeration(db: Kysely<SocialDB>, changed: () => void): ModerationEngine<SocialItemKind, SocialAction> {
  const domain: ModerationDomain<SocialItemKind, SocialAction> = {
    name: 'social',
    kinds: SOCIAL_ITEM_KINDS,
    actions: {
      video: ['remove', 'restrict', 'age_gate', 'warn'],
      comment: ['remove', 'warn'],
      profile: ['warn', 'suspend_account'],
      live: ['end_live', 'remove_replay', 'restrict', 'age_gate', 'warn'],
    },
    async resolve(kind, id, { asOperator }) {
      if (kind === 'video') {
        if (!UUID.test(id)) return undefined;
        const row = await db.selectFrom('videos').select(['id', 'author', 'caption', 'status', 'moderation']).where('id', '=', id).executeTakeFirst();
        if (!row || (!asOperator && (row.status !== 'ready' || row.moderation === 'removed'))) return undefined;
        return { id: row.id, owner: row.author, label: labelOf(row.caption, 'video') };
      }
      if (kind === 'comment') {
        if (!UUID.test(id)) return undefined;
        const row = await db.selectFrom('comments').select(['id', 'author', 'text', 'removed_at']).where('id', '=', id).executeTakeFirst();
        if (!row || (!asOperator && row.removed_at)) return undefined;
        return { id: row.id, owner: row.author, label: labelOf(row.text, 'comment') };
      }
      if (kind === 'live') {
        if (!UUID.test(id)) return undefined;
        const row = await (db as unknown as LiveDb).selectFrom('lives').select(['id', 'host', 'title']).where('id', '=', id).executeTakeFirst();
        return row ? { id: row.id, owner: row.host, label: labelOf(row.title, 'live') } : undefined;
      }
      const row = await db.selectFrom('profiles').select(['subject', 'handle']).where(sql<string>`lower(handle)`, '=', id.toLowerCase()).executeTakeFirst();
      if (!row) return undefined;
      return { id: row.handle, owner: row.subject, label: `@${row.handle}` };
    },
    async apply(trx, decision, on) {
      const tx = trx as unknown as Kysely<SocialDB>;
      if (decision.action === 'warn') return;
      if (decision.kind === 'live') return applyToLive(trx as unknown as LiveDb, decision.itemId, decision.action, on);
      if (decision.kind === 'video') {
        if (decision.action === 'age_gate') {
          await tx.updateTable('videos').set({ age_gated: on }).where('id', '=', decision.itemId).execute();
          return;
        }
        const moderation = on ? (decision.action === 'remove' ? 'removed' : 'restricted') : 'none';
        await tx.updateTable('videos').set({ moderation }).where('id', '=', decision.itemId).execute();
      } else if (decision.kind === 'comment') {
        await tx.updateTable('comments').set({ removed_at: on ? new Date() : null }).where('id', '=', decision.itemId).execute();
      } else {
        await tx.updateTable('profiles').set({ suspended_until: on ? (decision.endsAt ?? NO_END) : null }).where(sql<string>`lower(handle)`, '=', decision.itemId.toLowerCase()).execute();
      }
    },
    changed,
  };
  return new ModerationEngine(db as unknown as Kysely<AnyDB>, domain);
}

async function applyToLive(db: LiveDb, liveId: string, action: SocialAction, on: boolean): Promise<void> {
  if (action === 'end_live') {
    // Ended is final: the host goes live again with a new live, not this one.
    if (on) await db.updateTable('lives').set({ status: 'ended', on_air: false, ended_at: sql`coalesce(ended_at, now())` }).where('id', '=', liveId).execute();
    return;
  }
  if (action === 'remove_replay') {
    await db.updateTable('lives').set({ replay_removed: on }).where('id', '=', liveId).execute();
    await sql`update videos set moderation = ${on ? 'removed' : 'none'} where id = (select replay_video_id from lives where id = ${liveId})`.execute(db);
    return;
  }
  if (action === 'restrict') await db.updateTable('lives').set({ restricted: on }).where('id', '=', liveId).execute();
  if (action === 'age_gate') await db.updateTable('lives').set({ age_gated: on }).where('id', '=', liveId).execute();
}
