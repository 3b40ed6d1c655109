import { sql, type Kysely } from 'kysely';
import type { AnyDB, Database } from '../../platform/db.js';
import { UUID } from '../../platform/ids.js';
import { ModerationEngine, type ModerationDomain } from '../../platform/moderation/engine.js';
import { publishProduct } from './catalog/events.js';
import { productViews } from './catalog/cache.js';

export const COMMERCE_ITEM_KINDS = ['product', 'shop', 'review', 'chat_message'] as const;
export type CommerceItemKind = (typeof COMMERCE_ITEM_KINDS)[number];
export const COMMERCE_ACTIONS = ['delist_product', 'suspend_shop', 'remove', 'warn'] as const;
export type CommerceAction = (typeof COMMERCE_ACTIONS)[number];

/** A suspension with no end is kept as a date no one reaches. */
const NO_END = new Date('9999-12-31T00:00:00Z');
const labelOf = (text: string, fallback: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? fallback : [...line].slice(0, 80).join('');
};

/**
 * Commerce's side of moderation: products, shops, reviews and chat messages, owned by commerce pseudonyms, in
 * commerce's own tables. A delisting is kept on the product (`delisted_by`), so a reversal puts
 * back exactly what that decision took down and nothing the seller removed themselves.
 */
export function commerceModeration(db: Database, onChatRemoved?: (messageId: string) => void): ModerationEngine<CommerceItemKind, CommerceAction> {
  // Products a decision changed, forgotten by the product cache once the decision is committed.
  const touched = new Set<string>();
  const removedMessages = new Set<string>();
  const domain: ModerationDomain<CommerceItemKind, CommerceAction> = {
    name: 'commerce',
    kinds: COMMERCE_ITEM_KINDS,
    actions: { product: ['delist_product', 'warn'], shop: ['suspend_shop', 'warn'], review: ['remove', 'warn'], chat_message: ['remove', 'warn'] },
    async resolve(kind, id, { asOperator, caller }) {
      if (!UUID.test(id)) return undefined;
      if (kind === 'product') {
        const row = (await sql<{ id: string; title: string; owner_subject: string | null; removed_at: Date | null; delisted_by: string | null; held_rule: string | null }>`
          select p.id, p.title, s.owner_subject, p.removed_at, p.delisted_by, p.held_rule from products p join shops s on s.id = p.shop_id where p.id = ${id}`.execute(db)).rows[0];
        if (!row || (row.removed_at && !(asOperator && (row.delisted_by || row.held_rule)))) return undefined;
        return { id: row.id, owner: row.owner_subject, label: labelOf(row.title, 'product') };
      }
      if (kind === 'shop') {
        const row = (await db.selectFrom('shops').select(['id', 'name', 'owner_subject']).where('id', '=', id).executeTakeFirst()) as { id: string; name: string; owner_subject: string | null } | undefined;
        return row ? { id: row.id, owner: row.owner_subject, label: labelOf(row.name, 'shop') } : undefined;
      }
      if (kind === 'chat_message') {
        // A chat message is seen only by its two sides: only they may report it (not its sender), and
        // its sender is never shown the report (in a chat of two, that would name the reporter).
        const message = (await sql<{ id: string; sender: 'buyer' | 'shop'; kind: string; text: string; removed_by: string | null; buyer_subject: string | null; owner_subject: string | null }>`
          select m.id, m.sender, m.kind, m.text, m.removed_by, c.buyer_subject, s.owner_subject
          from chat_messages m join chat_conversations c on c.id = m.conversation_id join shops s on s.id = c.shop_id where m.id = ${id}`.execute(db)).rows[0];
        if (!message || (!asOperator && message.removed_by)) return undefined;
        if (caller !== undefined && caller !== message.buyer_subject && caller !== message.owner_subject) return undefined;
        const owner = message.sender === 'buyer' ? message.buyer_subject : message.owner_subject;
        return { id: message.id, owner, label: labelOf(message.text, `chat ${message.kind}`), reportsHiddenFromOwner: true };
      }
      const row = (await db.selectFrom('reviews').select(['id', 'subject', 'text', 'removed_at']).where('id', '=', id).executeTakeFirst()) as
        | { id: string; subject: string | null; text: string; removed_at: Date | null }
        | undefined;
      if (!row || (!asOperator && row.removed_at)) return undefined;
      return { id: row.id, owner: row.subject, label: labelOf(row.text, 'review') };
    },
    async apply(trx, decision, on) {
      if (decision.action === 'warn') return;
      if (decision.kind === 'chat_message') {
        const changed = on
          ? await trx.updateTable('chat_messages').set({ removed_by: decision.id }).where('id', '=', decision.itemId).where('removed_by', 'is', null).returning('id').execute()
          : await trx.updateTable('chat_messages').set({ removed_by: null }).where('id', '=', decision.itemId).where('removed_by', '=', decision.id).returning('id').execute();
        if (on) for (const row of changed as { id: string }[]) removedMessages.add(row.id);
        return;
      }
      if (decision.kind === 'review') {
        await trx.updateTable('reviews').set({ removed_at: on ? new Date() : null }).where('id', '=', decision.itemId).execute();
        return;
      }
      if (decision.kind === 'shop') {
        await trx.updateTable('shops').set({ suspended_until: on ? (decision.endsAt ?? NO_END) : null }).where('id', '=', decision.itemId).execute();
      }
      const scope = decision.kind === 'shop' ? sql`shop_id = ${decision.itemId}` : sql`id = ${decision.itemId}`;
      const changed = on
        ? await sql<{ id: string }>`update products set removed_at = coalesce(removed_at, now()), delisted_by = ${decision.id}, held_rule = null
            where ${scope} and (removed_at is null or held_rule is not null) returning id`.execute(trx)
        : await sql<{ id: string }>`update products set removed_at = null, delisted_by = null where ${scope} and delisted_by = ${decision.id} returning id`.execute(trx);
      for (const { id } of changed.rows) {
        await publishProduct(trx, id);
        touched.add(id);
      }
    },
    async dismissed(trx, kind, itemId) {
      if (kind !== 'product') return;
      // No violation: a listing held by the rules goes live.
      const released = await sql<{ id: string }>`update products set removed_at = null, held_rule = null where id = ${itemId} and held_rule is not null returning id`.execute(trx);
      for (const { id } of released.rows) {
        await publishProduct(trx, id);
        touched.add(id);
      }
    },
    changed() {
      productViews.forget([...touched]);
      touched.clear();
      for (const id of removedMessages) onChatRemoved?.(id);
      removedMessages.clear();
    },
  };
  return new ModerationEngine(db as Kysely<AnyDB>, domain);
}
