import { Type } from '@sinclair/typebox';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AnyDB } from '../../platform/db.js';
import { Inbox, NotificationHub, NotificationItemFields, storeNotifications, type InboxTables, type NotificationItem } from '../../platform/notifications.js';

/**
 * Social's notifications: a new follower, likes and comments on your videos, a live from someone
 * you follow. Social subjects only; nothing of commerce. Each like is one appended row written by
 * the like's own statement (no lock on the video or on an aggregate row); the list shows a
 * video's unread likes as one item, "X and 12 others".
 */
export const SOCIAL_NOTIFICATION_KINDS = ['follow', 'like', 'comment', 'live'] as const;
export type SocialNotificationKind = (typeof SOCIAL_NOTIFICATION_KINDS)[number];

export const socialNotificationHub = new NotificationHub();
export const SOCIAL_NOTIFICATION_TABLES: InboxTables = { items: 'social_notifications', preferences: 'social_notification_preferences' };

export interface SocialNotificationItem extends NotificationItem {
  /** The latest person behind the item, as their public profile shows them (null once erased). */
  actor: { handle: string; displayName: string; avatarUrl: string | null } | null;
}

export function notifySocial(
  trx: Transaction<AnyDB> | Kysely<AnyDB>,
  input: {
    recipient: string; kind: SocialNotificationKind; actor: string; targetType: string; targetId: string; groupKey?: string; data?: Record<string,
    unknown>,
  },
): Promise<number> {
  return storeNotifications(trx, socialNotificationHub, SOCIAL_NOTIFICATION_TABLES, [input]);
}

/**
 * The SQL that appends a video's like or comment notification for its author, as a CTE of the
 * statement that writes the fact (`from` names the CTE returning `video_id`). It only reads the
 * video row; a muted kind or one's own video writes nothing.
 */
export function engagementNotice(from: string, kind: 'like' | 'comment', actor: string) {
  return sql`insert into social_notifications (recipient, kind, group_key, actor, target_type, target_id)
    select v.author, ${kind}::text, ${kind}::text || ':' || v.id::text, ${actor}::text, 'video', v.id::text
    from ${sql.table(from)} f join videos v on v.id = f.video_id
    where v.author <> ${actor}
      and not exists (select 1 from social_notification_preferences p where p.subject = v.author and p.kind = ${kind}::text and p.muted)
    returning recipient`;
}

/** Tells each follower of a host that their live started (one statement, once per live). */
export async function announceLive(db: Kysely<AnyDB>, liveId: string): Promise<number> {
  const written = await sql<{ recipient: string }>`
    insert into social_notifications (recipient, kind, group_key, actor, target_type, target_id, data)
    select f.follower, 'live', null, l.host, 'live', l.id::text, jsonb_build_object('title', l.title)
    from lives l join follows f on f.followee = l.host
    where l.id = ${liveId}
      and not exists (select 1 from social_notification_preferences p where p.subject = f.follower and p.kind = 'live' and p.muted)
      and not exists (select 1 from blocks b where (b.blocker = f.follower and b.blocked = l.host) or (b.blocker = l.host and b.blocked = f.follower))
    on conflict (recipient, target_id) where kind = 'live' do nothing
    returning recipient`.execute(db);
  for (const row of written.rows) socialNotificationHub.touch(row.recipient);
  return written.rows.length;
}

export const SocialNotificationSchema = Type.Object({
  ...NotificationItemFields,
  actor: Type.Union([Type.Object({ handle: Type.String(), displayName: Type.String(), avatarUrl: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
});

export function socialInbox(db: Kysely<AnyDB>): Inbox<SocialNotificationItem> {
  return new Inbox<SocialNotificationItem>(db, {
    domain: 'social',
    tables: SOCIAL_NOTIFICATION_TABLES,
    kinds: SOCIAL_NOTIFICATION_KINDS,
    hub: socialNotificationHub,
    decorate: async (items) => {
      const subjects = [...new Set(items.flatMap((i) => (i.actorSubject ? [i.actorSubject] : [])))];
      const profiles = subjects.length
        ? ((await db.selectFrom('profiles').select(['subject', 'handle', 'display_name', 'avatar_url']).where('subject', 'in', subjects).execute()) as {
            subject: string;
            handle: string;
            display_name: string;
            avatar_url: string | null;
          }[])
        : [];
      const bySubject = new Map(profiles.map((p) => [p.subject, { handle: p.handle, displayName: p.display_name, avatarUrl: p.avatar_url }]));
      return items.map(({ actorSubject, ...item }) => {
        const actor = actorSubject ? (bySubject.get(actorSubject) ?? null) : null;
        // A follower's profile is named by its handle, read now (handles change; subjects are never shown).
        const target = item.target.type === 'profile' ? { type: 'profile', id: actor?.handle ?? '' } : item.target;
        return { ...item, target, actor };
      });
    },
  });
}

/** A block ends what either caused in the other's inbox. */
export async function forgetBetween(db: Kysely<AnyDB>, a: string, b: string): Promise<void> {
  await sql`delete from social_notifications where (recipient = ${a} and actor = ${b}) or (recipient = ${b} and actor = ${a})`.execute(db);
}
