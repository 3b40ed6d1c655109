import { sql, type Kysely } from 'kysely';
import type { AnyDB } from '../../platform/db.js';
import { ModerationEngine, type ModerationDomain } from '../../platform/moderation/engine.js';
import type { SocialDB } from './store.js';

export const SOCIAL_ITEM_KINDS = ['video', 'comment', 'profile'] as const;
export type SocialItemKind = (typeof SOCIAL_ITEM_KINDS)[number];
export const SOCIAL_ACTIONS = ['remove', 'restrict', 'warn', 'suspend_account'] as const;
export type SocialAction = (typeof SOCIAL_ACTIONS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A suspension with no end is kept as a date no one reaches. */
const NO_END = new Date('9999-12-31T00:00:00Z');
const labelOf = (text: string, fallback: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? fallback : [...line].slice(0, 80).join('');
};

/**
 * Social's side of moderation: videos, comments and profiles (a profile by its handle), owned by
 * social pseudonyms, in social's own tables. Nothing here reaches commerce.
 */
export function socialModeration(db: Kysely<SocialDB>, changed: () => void): ModerationEngine<SocialItemKind, SocialAction> {
  const domain: ModerationDomain<SocialItemKind, SocialAction> = {
    name: 'social',
    kinds: SOCIAL_ITEM_KINDS,
    actions: { video: ['remove', 'restrict', 'warn'], comment: ['remove', 'warn'], profile: ['warn', 'suspend_account'] },
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
      const row = await db.selectFrom('profiles').select(['subject', 'handle']).where(sql<string>`lower(handle)`, '=', id.toLowerCase()).executeTakeFirst();
      if (!row) return undefined;
      return { id: row.handle, owner: row.subject, label: `@${row.handle}` };
    },
    async apply(trx, decision, on) {
      const tx = trx as unknown as Kysely<SocialDB>;
      if (decision.action === 'warn') return;
      if (decision.kind === 'video') {
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
