import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Transaction } from 'kysely';
import type { AnyDB, Database } from '../../platform/db.js';
import { HttpProblem, notFound, unprocessable, validationFailed } from '../../platform/errors.js';
import { decodeCursor, pageOf } from '../../platform/http.js';
import { uuidv7 } from '../../platform/ids.js';
import { writeOutbox } from '../../platform/outbox.js';
import { storePicture } from '../../platform/pictures.js';
import { textProblem } from '../../platform/text.js';
import { notify } from './notifications.js';

export const MAX_CHAT_TEXT = 1000;
/** Flood limit: at most this many messages from one sender in the window. */
export const CHAT_FLOOD_MESSAGES = 10;
export const CHAT_FLOOD_WINDOW_MS = 10_000;
/** A shop "answered in time" when its first reply came within this many hours of the buyer's first message. */
export const RESPONSE_HOURS = 12;
export const RESPONSE_WINDOW_DAYS = 30;
export const CHAT_MESSAGE = 'chat.message';
export const CHAT_PHOTO_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jpg$/;
const CHAT_PHOTO_SIDE = 1280;
const TAG_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export type Side = 'buyer' | 'shop';

interface ConversationRow {
  id: string;
  shop_id: string;
  buyer_subject: string | null;
  buyer_tag: string;
  created_at: Date;
  last_message_at: Date | null;
  buyer_read_up_to: string | null;
  shop_read_up_to: string | null;
  shop_name: string;
  shop_slug: string;
  owner_subject: string | null;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  sender: Side;
  kind: 'text' | 'product' | 'order' | 'photo';
  text: string;
  product_id: string | null;
  order_id: string | null;
  photo_url: string | null;
  removed_by: string | null;
  created_at: Date;
}

/** A conversation as one of its two sides sees it. */
export interface ConversationView {
  id: string;
  you: Side;
  shop: { id: string; name: string; slug: string };
  /** The buyer as the shop sees them: never their account, handle or social profile. */
  buyer: { label: string };
  blocked: boolean;
  unread: number;
  /** The newest message the other side has read (for "Dibaca"). */
  otherReadUpTo: string | null;
  lastMessage: { preview: string; from: Side; at: string } | null;
  createdAt: string;
}

export interface MessageView {
  id: string;
  conversationId: string;
  from: Side;
  mine: boolean;
  kind: MessageRow['kind'];
  text: string;
  product: { id: string; title: string; priceMinIdr: number; imageUrl: string | null } | null;
  order: { id: string; status: string; totalIdr: number; items: number; firstItem: string; recipient?: string } | null;
  photoUrl: string | null;
  removed: boolean;
  at: string;
}

/** What the live stream tells each subject. */
export type ChatEvent =
  | { type: 'message'; conversationId: string; message: MessageView }
  | { type: 'read'; conversationId: string; by: Side; upTo: string }
  | { type: 'removed'; conversationId: string; messageId: string };

export const buyerLabel = (tag: string) => `Pembeli #${tag}`;
const iso = (value: Date | string) => new Date(value).toISOString();

/**
 * Who is listening, per commerce subject, in this process. Several processes need a shared
 * channel instead (NATS or PostgreSQL LISTEN/NOTIFY carrying `{subject, event}`), see the README.
 */
export class ChatHub {
  private readonly listeners = new Map<string, Set<(event: ChatEvent) => void>>();

  listen(subject: string, listener: (event: ChatEvent) => void): () => void {
    let set = this.listeners.get(subject);
    if (!set) this.listeners.set(subject, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(subject);
    };
  }

  send(subject: string | null, event: ChatEvent): void {
    if (!subject) return;
    for (const listener of this.listeners.get(subject) ?? []) listener(event);
  }

  listening(subject: string): number {
    return this.listeners.get(subject)?.size ?? 0;
  }
}

/**
 * Per-sender flood limit, a sliding window kept in this process. Several processes would each
 * allow the limit; they need one shared counter (Redis, as the rate limits use) instead.
 */
export class FloodGate {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly limit = CHAT_FLOOD_MESSAGES,
    private readonly windowMs = CHAT_FLOOD_WINDOW_MS,
  ) {}

  take(sender: string, now = Date.now()): void {
    const recent = (this.sent.get(sender) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.sent.set(sender, recent);
      const retry = Math.max(1, Math.ceil((recent[0]! + this.windowMs - now) / 1000));
      throw new HttpProblem(429, 'chat-flood', 'Too many messages', `At most ${this.limit} messages in ${this.windowMs / 1000} seconds; wait ${retry} s.`, undefined, { 'retry-after': String(retry) });
    }
    recent.push(now);
    this.sent.set(sender, recent);
    if (this.sent.size > 10_000) for (const [key, times] of this.sent) if (times.every((at) => now - at >= this.windowMs)) this.sent.delete(key);
  }
}

const blockedProblem = () =>
  new HttpProblem(403, 'chat-blocked', 'Blocked by the shop', 'Rule chat-blocked: this shop has blocked you from its chat, so it takes no messages from you.');

/**
 * Buyer–seller chat: one conversation per buyer (commerce pseudonym) and shop; text, product and
 * order cards, photos; read markers, unread counts, blocks, the shop's response rate.
 */
export class ChatService {
  private readonly photoFolder: string;
  private readonly incoming: string;

  constructor(
    private readonly db: Database,
    dataDir: string,
    readonly hub = new ChatHub(),
    private readonly flood = new FloodGate(),
  ) {
    this.photoFolder = path.join(dataDir, 'media', 'commerce', 'chat');
    this.incoming = path.join(dataDir, 'media', 'commerce', 'incoming');
  }

  private async conversationRow(id: string): Promise<ConversationRow | undefined> {
    return (
      await sql<ConversationRow>`select c.*, s.name as shop_name, s.slug as shop_slug, s.owner_subject
        from chat_conversations c join shops s on s.id = c.shop_id where c.id = ${id}`.execute(this.db)
    ).rows[0];
  }

  /** The conversation and the caller's side of it; 404 for anyone else. */
  private async access(subject: string, conversationId: string): Promise<{ row: ConversationRow; you: Side }> {
    const row = await this.conversationRow(conversationId);
    if (row && row.buyer_subject === subject) return { row, you: 'buyer' };
    if (row && row.owner_subject === subject) return { row, you: 'shop' };
    throw notFound('No such conversation.');
  }

  private async isBlocked(shopId: string, buyer: string | null): Promise<boolean> {
    if (!buyer) return false;
    return !!(await this.db.selectFrom('chat_blocks').select('shop_id').where('shop_id', '=', shopId).where('buyer_subject', '=', buyer).executeTakeFirst());
  }

  /** Opens (or finds) the caller's conversation with a shop. */
  async open(subject: string, shopId: string): Promise<{ created: boolean; conversation: ConversationView }> {
    const shop = (await this.db.selectFrom('shops').select(['id', 'owner_subject']).where('id', '=', shopId).executeTakeFirst()) as { id: string; owner_subject: string | null } | undefined;
    if (!shop || !shop.owner_subject) throw notFound('No such shop.');
    if (shop.owner_subject === subject) throw unprocessable('This is your own shop: chat is between a buyer and a shop.', { shopId: ['is your own shop'] });
    const existing = (await this.db.selectFrom('chat_conversations').select('id').where('shop_id', '=', shopId).where('buyer_subject', '=', subject).executeTakeFirst()) as { id: string } | undefined;
    if (existing) return { created: false, conversation: await this.view(subject, existing.id) };
    if (await this.isBlocked(shopId, subject)) throw blockedProblem();
    const tag = [...randomBytes(4)].map((b) => TAG_LETTERS[b % TAG_LETTERS.length]).join('');
    const id = uuidv7();
    const inserted = await sql<{ id: string }>`insert into chat_conversations (id, shop_id, buyer_subject, buyer_tag) values (${id}, ${shopId}, ${subject}, ${tag})
      on conflict (shop_id, buyer_subject) do nothing returning id`.execute(this.db);
    if (!inserted.rows[0]) return this.open(subject, shopId);
    return { created: true, conversation: await this.view(subject, id) };
  }

  async view(subject: string, conversationId: string): Promise<ConversationView> {
    const { row, you } = await this.access(subject, conversationId);
    const [view] = await this.views([row], you);
    return view!;
  }

  private async views(rows: ConversationRow[], you: Side): Promise<ConversationView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const stats = await sql<{ id: string; unread: number; last_id: string | null; last_sender: Side | null; last_kind: MessageRow['kind'] | null; last_text: string | null; last_removed: boolean | null; last_at: Date | null; blocked: boolean }>`
      select c.id,
        (select count(*)::int from chat_messages m where m.conversation_id = c.id and m.sender <> ${you}
          and (${sql.ref(you === 'buyer' ? 'c.buyer_read_up_to' : 'c.shop_read_up_to')} is null or m.id > ${sql.ref(you === 'buyer' ? 'c.buyer_read_up_to' : 'c.shop_read_up_to')})) as unread,
        l.id as last_id, l.sender as last_sender, l.kind as last_kind, l.text as last_text, l.removed_by is not null as last_removed, l.created_at as last_at,
        exists (select 1 from chat_blocks b where b.shop_id = c.shop_id and b.buyer_subject = c.buyer_subject) as blocked
      from chat_conversations c
      left join lateral (select * from chat_messages m where m.conversation_id = c.id order by m.id desc limit 1) l on true
      where c.id in (${sql.join(ids)})`.execute(this.db);
    const byId = new Map(stats.rows.map((s) => [s.id, s]));
    return rows.map((row) => {
      const s = byId.get(row.id)!;
      const preview = !s.last_kind ? '' : s.last_removed ? '' : s.last_kind === 'text' ? [...s.last_text!].slice(0, 80).join('') : `[${s.last_kind}]`;
      return {
        id: row.id,
        you,
        shop: { id: row.shop_id, name: row.shop_name, slug: row.shop_slug },
        buyer: { label: buyerLabel(row.buyer_tag) },
        blocked: s.blocked,
        unread: Number(s.unread),
        otherReadUpTo: you === 'buyer' ? row.shop_read_up_to : row.buyer_read_up_to,
        lastMessage: s.last_id ? { preview, from: s.last_sender!, at: iso(s.last_at!) } : null,
        createdAt: iso(row.created_at),
      };
    });
  }

  private listCursor = (v: Record<string, unknown>): v is { at: string; id: string } => typeof v.at === 'string' && typeof v.id === 'string' && !Number.isNaN(Date.parse(v.at));

  /** The buyer's conversations (or one shop's, for its owner) with a message, latest first. */
  async list(subject: string, as: { side: 'buyer' } | { side: 'shop'; shopId: string }, limit: number, cursor?: string) {
    const after = decodeCursor(cursor, this.listCursor);
    if (as.side === 'shop') await this.ownShop(subject, as.shopId);
    const rows = (
      await sql<ConversationRow>`select c.*, s.name as shop_name, s.slug as shop_slug, s.owner_subject
        from chat_conversations c join shops s on s.id = c.shop_id
        where ${as.side === 'buyer' ? sql`c.buyer_subject = ${subject}` : sql`c.shop_id = ${as.shopId}`} and c.last_message_at is not null
          ${after ? sql`and (c.last_message_at, c.id) < (${new Date(after.at)}, ${after.id})` : sql``}
        order by c.last_message_at desc, c.id desc limit ${limit + 1}`.execute(this.db)
    ).rows;
    const page = pageOf(rows, limit, (r) => r, (r) => ({ at: iso(r.last_message_at!), id: r.id }));
    return { items: await this.views(page.items, as.side), nextCursor: page.nextCursor };
  }

  private async ownShop(subject: string, shopId: string) {
    const shop = await this.db.selectFrom('shops').select('id').where('id', '=', shopId).where('owner_subject', '=', subject).executeTakeFirst();
    if (!shop) throw notFound('No such shop of yours.');
  }

  /** Unread messages per conversation the caller is in, as buyer and for each of their shops, and in all. */
  async unread(subject: string) {
    const rows = await sql<{ id: string; side: Side; shop_id: string; unread: number }>`
      select c.id, case when c.buyer_subject = ${subject} then 'buyer' else 'shop' end as side, c.shop_id,
        (select count(*)::int from chat_messages m where m.conversation_id = c.id
          and m.sender <> (case when c.buyer_subject = ${subject} then 'buyer' else 'shop' end)
          and m.id > coalesce(case when c.buyer_subject = ${subject} then c.buyer_read_up_to else c.shop_read_up_to end, '00000000-0000-0000-0000-000000000000'::uuid)) as unread
      from chat_conversations c join shops s on s.id = c.shop_id
      where c.buyer_subject = ${subject} or s.owner_subject = ${subject}`.execute(this.db);
    const withUnread = rows.rows.filter((r) => Number(r.unread) > 0);
    const shops = new Map<string, number>();
    for (const r of withUnread) if (r.side === 'shop') shops.set(r.shop_id, (shops.get(r.shop_id) ?? 0) + Number(r.unread));
    return {
      total: withUnread.reduce((sum, r) => sum + Number(r.unread), 0),
      asBuyer: withUnread.filter((r) => r.side === 'buyer').reduce((sum, r) => sum + Number(r.unread), 0),
      shops: [...shops].map(([shopId, unread]) => ({ shopId, unread })),
      conversations: withUnread.map((r) => ({ id: r.id, unread: Number(r.unread) })),
    };
  }

  private messageCursor = (v: Record<string, unknown>): v is { id: string } => typeof v.id === 'string' && /^[0-9a-f-]{36}$/.test(v.id);

  /** Messages, newest first in pages. */
  async messages(subject: string, conversationId: string, limit: number, cursor?: string) {
    const { row, you } = await this.access(subject, conversationId);
    const before = decodeCursor(cursor, this.messageCursor);
    let query = this.db.selectFrom('chat_messages').selectAll().where('conversation_id', '=', conversationId);
    if (before) query = query.where('id', '<', before.id);
    const rows = (await query.orderBy('id', 'desc').limit(limit + 1).execute()) as MessageRow[];
    const page = pageOf(rows, limit, (r) => r, (r) => ({ id: r.id }));
    return { items: await this.messageViews(page.items, row, you), nextCursor: page.nextCursor };
  }

  private async messageViews(rows: MessageRow[], conversation: ConversationRow, you: Side): Promise<MessageView[]> {
    const productIds = [...new Set(rows.flatMap((r) => (r.product_id && !r.removed_by ? [r.product_id] : [])))];
    const orderIds = [...new Set(rows.flatMap((r) => (r.order_id && !r.removed_by ? [r.order_id] : [])))];
    const products = productIds.length
      ? ((await this.db.selectFrom('products').select(['id', 'title', 'price_min_idr', 'image_urls']).where('id', 'in', productIds).execute()) as { id: string; title: string; price_min_idr: number; image_urls: string[] }[])
      : [];
    const orders = orderIds.length
      ? (
          await sql<{ id: string; status: string; total_idr: number; recipient: string; items: number; first_item: string | null }>`
            select o.id, o.status, o.total_idr, o.recipient,
              (select coalesce(sum(quantity), 0)::int from order_lines l where l.order_id = o.id) as items,
              (select l.title from order_lines l where l.order_id = o.id order by l.id limit 1) as first_item
            from orders o where o.id in (${sql.join(orderIds)}) and o.shop_id = ${conversation.shop_id}`.execute(this.db)
        ).rows
      : [];
    const productOf = new Map(products.map((p) => [p.id, p]));
    const orderOf = new Map(orders.map((o) => [o.id, o]));
    return rows.map((r) => {
      const removed = r.removed_by !== null;
      const p = r.product_id ? productOf.get(r.product_id) : undefined;
      const o = r.order_id ? orderOf.get(r.order_id) : undefined;
      return {
        id: r.id,
        conversationId: r.conversation_id,
        from: r.sender,
        mine: r.sender === you,
        kind: r.kind,
        text: removed ? '' : r.text,
        product: p ? { id: p.id, title: p.title, priceMinIdr: Number(p.price_min_idr), imageUrl: p.image_urls[0] ?? null } : null,
        // The recipient's name only for the shop whose order it is, which already sees it on the order.
        order: o ? { id: o.id, status: o.status, totalIdr: Number(o.total_idr), items: Number(o.items), firstItem: o.first_item ?? '', ...(you === 'shop' ? { recipient: o.recipient } : {}) } : null,
        photoUrl: removed || !r.photo_url ? null : `/api/commerce/chat/conversations/${r.conversation_id}/photos/${r.photo_url}`,
        removed,
        at: iso(r.created_at),
      };
    });
  }

  /** Sends a text, a product card or an order card. */
  async send(subject: string, conversationId: string, input: { text?: string; productId?: string; orderId?: string }): Promise<MessageView> {
    const given = (['text', 'productId', 'orderId'] as const).filter((k) => input[k] !== undefined);
    if (given.length !== 1) throw validationFailed({ body: ['give exactly one of text, productId, orderId'] }, 'A message is a text, a product card or an order card.');
    const { row, you } = await this.access(subject, conversationId);
    await this.mayWrite(row, you);
    if (input.text !== undefined) {
      const text = input.text.normalize('NFC').trim();
      if (text === '') throw validationFailed({ text: ['must not be empty'] });
      if ([...text].length > MAX_CHAT_TEXT) throw validationFailed({ text: [`must be at most ${MAX_CHAT_TEXT} characters`] }, `A message has at most ${MAX_CHAT_TEXT} characters.`);
      const problem = textProblem('free-text', text);
      if (problem) throw validationFailed({ text: [problem] });
      this.flood.take(subject);
      return this.insert(row, you, { kind: 'text', text });
    }
    if (input.productId !== undefined) {
      const product = await this.db.selectFrom('products').select('id').where('id', '=', input.productId).where('shop_id', '=', row.shop_id).where('removed_at', 'is', null).executeTakeFirst();
      if (!product) throw unprocessable('A product card shows one of this shop’s products on sale.', { productId: ['is not a product of this shop on sale'] });
      this.flood.take(subject);
      return this.insert(row, you, { kind: 'product', product_id: input.productId });
    }
    const order = await this.db.selectFrom('orders').select('id').where('id', '=', input.orderId!).where('shop_id', '=', row.shop_id).where('buyer_subject', '=', row.buyer_subject).executeTakeFirst();
    if (!order) throw unprocessable('An order card shows an order of this buyer with this shop.', { orderId: ['is not an order of this buyer with this shop'] });
    this.flood.take(subject);
    return this.insert(row, you, { kind: 'order', order_id: input.orderId! });
  }

  /** Sends a photo: checked to be a picture by content, re-encoded without metadata (as review photos). */
  async sendPhoto(subject: string, conversationId: string, declaredType: string, bytes: Buffer): Promise<MessageView> {
    const { row, you } = await this.access(subject, conversationId);
    await this.mayWrite(row, you);
    this.flood.take(subject);
    const name = `${randomUUID()}.jpg`;
    const file = path.join(this.photoFolder, name);
    await storePicture(bytes, declaredType, this.incoming, file, { within: CHAT_PHOTO_SIDE });
    try {
      return await this.insert(row, you, { kind: 'photo', photo_url: name });
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  }

  private async mayWrite(row: ConversationRow, you: Side) {
    if (!row.buyer_subject || !row.owner_subject) throw new HttpProblem(409, 'chat-closed', 'Conversation closed', 'One side of this conversation was erased (or the shop closed); it takes no new messages.');
    if (you === 'buyer' && (await this.isBlocked(row.shop_id, row.buyer_subject))) throw blockedProblem();
  }

  private async insert(row: ConversationRow, you: Side, values: Partial<MessageRow> & { kind: MessageRow['kind'] }): Promise<MessageView> {
    const now = new Date();
    const id = uuidv7(now.getTime());
    const message = await this.db.transaction().execute(async (trx) => {
      const inserted = (await trx
        .insertInto('chat_messages')
        .values({ id, conversation_id: row.id, sender: you, text: '', ...values, created_at: now })
        .returningAll()
        .executeTakeFirstOrThrow()) as MessageRow;
      // Writing is reading: everything before one's own message counts as read.
      await trx
        .updateTable('chat_conversations')
        .set({ last_message_at: now, [you === 'buyer' ? 'buyer_read_up_to' : 'shop_read_up_to']: id })
        .where('id', '=', row.id)
        .execute();
      // For notifications later (commerce's own); ids only, no words and no person.
      await notify(
        trx,
        you === 'buyer'
          ? { recipient: row.owner_subject, kind: 'chat_message', groupKey: `chat:${row.id}`, targetType: 'seller_chat', targetId: row.id, data: { buyer: buyerLabel(row.buyer_tag), shopId: row.shop_id, shopName: row.shop_name } }
          : { recipient: row.buyer_subject, kind: 'chat_message', groupKey: `chat:${row.id}`, targetType: 'chat', targetId: row.id, data: { shopName: row.shop_name } },
      );
      await writeOutbox(trx, CHAT_MESSAGE, { conversationId: row.id, messageId: id, shopId: row.shop_id, from: you, kind: values.kind }, row.id);
      return inserted;
    });
    for (const side of ['buyer', 'shop'] as const) {
      const [view] = await this.messageViews([message], row, side);
      this.hub.send(side === 'buyer' ? row.buyer_subject : row.owner_subject, { type: 'message', conversationId: row.id, message: view! });
    }
    const [mine] = await this.messageViews([message], row, you);
    return mine!;
  }

  /** Marks messages read up to `upTo` (default: the newest); a marker never moves back. */
  async markRead(subject: string, conversationId: string, upTo?: string): Promise<{ readUpTo: string | null }> {
    const { row, you } = await this.access(subject, conversationId);
    const column = you === 'buyer' ? 'buyer_read_up_to' : 'shop_read_up_to';
    const target = upTo
      ? ((await this.db.selectFrom('chat_messages').select('id').where('id', '=', upTo).where('conversation_id', '=', conversationId).executeTakeFirst()) as { id: string } | undefined)
      : ((await this.db.selectFrom('chat_messages').select('id').where('conversation_id', '=', conversationId).orderBy('id', 'desc').limit(1).executeTakeFirst()) as { id: string } | undefined);
    if (upTo && !target) throw unprocessable('No such message in this conversation.', { upTo: ['is not a message of this conversation'] });
    if (!target) return { readUpTo: row[column] };
    const moved = await sql<{ id: string }>`update chat_conversations set ${sql.ref(column)} = ${target.id}
      where id = ${conversationId} and (${sql.ref(column)} is null or ${sql.ref(column)} < ${target.id}) returning id`.execute(this.db);
    if (moved.rows[0]) this.hub.send(you === 'buyer' ? row.owner_subject : row.buyer_subject, { type: 'read', conversationId, by: you, upTo: target.id });
    return { readUpTo: moved.rows[0] ? target.id : row[column] };
  }

  /** The shop's owner blocks (or unblocks) the buyer of a conversation from its chat. */
  async setBlocked(subject: string, conversationId: string, blocked: boolean): Promise<ConversationView> {
    const { row, you } = await this.access(subject, conversationId);
    if (you !== 'shop') throw new HttpProblem(403, 'forbidden', 'Forbidden', 'Only the shop blocks a buyer from its chat.');
    if (!row.buyer_subject) throw new HttpProblem(409, 'chat-closed', 'Conversation closed', 'The buyer’s data was erased; there is no one to block.');
    if (blocked) await sql`insert into chat_blocks (shop_id, buyer_subject) values (${row.shop_id}, ${row.buyer_subject}) on conflict do nothing`.execute(this.db);
    else await this.db.deleteFrom('chat_blocks').where('shop_id', '=', row.shop_id).where('buyer_subject', '=', row.buyer_subject).execute();
    return this.view(subject, conversationId);
  }

  /**
   * The share of buyer-opened conversations of the last 30 days the shop answered within 12 hours.
   * A conversation still inside its 12 hours without an answer is not counted yet.
   */
  async responseRate(shopId: string, now = new Date()) {
    const shop = await this.db.selectFrom('shops').select('id').where('id', '=', shopId).executeTakeFirst();
    if (!shop) throw notFound('No such shop.');
    const since = new Date(now.getTime() - RESPONSE_WINDOW_DAYS * 86_400_000);
    const rows = await sql<{ counted: number; answered: number }>`
      with opened as (
        select c.id, (select min(created_at) from chat_messages m where m.conversation_id = c.id and m.sender = 'buyer') as asked,
          (select min(created_at) from chat_messages m where m.conversation_id = c.id and m.sender = 'shop') as answered
        from chat_conversations c where c.shop_id = ${shopId})
      select count(*) filter (where answered is not null and answered <= asked + make_interval(hours => ${RESPONSE_HOURS}) or asked <= ${new Date(now.getTime() - RESPONSE_HOURS * 3_600_000)})::int as counted,
        count(*) filter (where answered is not null and answered <= asked + make_interval(hours => ${RESPONSE_HOURS}))::int as answered
      from opened where asked >= ${since} and asked <= ${now}`.execute(this.db);
    const { counted, answered } = rows.rows[0] ?? { counted: 0, answered: 0 };
    return {
      conversations: Number(counted),
      answeredWithin12h: Number(answered),
      responseRatePercent: Number(counted) === 0 ? null : Math.round((Number(answered) / Number(counted)) * 100),
      windowDays: RESPONSE_WINDOW_DAYS,
      withinHours: RESPONSE_HOURS,
    };
  }

  /** Tells both sides a moderation decision took a message down (called after it is committed). */
  async removed(messageId: string): Promise<void> {
    const message = (await this.db.selectFrom('chat_messages').select('conversation_id').where('id', '=', messageId).executeTakeFirst()) as { conversation_id: string } | undefined;
    const row = message && (await this.conversationRow(message.conversation_id));
    if (!row) return;
    for (const subject of [row.buyer_subject, row.owner_subject]) this.hub.send(subject, { type: 'removed', conversationId: row.id, messageId });
  }

  photo(subject: string, conversationId: string, file: string) {
    return this.access(subject, conversationId).then(async () => {
      const message = await this.db.selectFrom('chat_messages').select('id').where('conversation_id', '=', conversationId).where('photo_url', '=', file).where('removed_by', 'is', null).executeTakeFirst();
      const full = path.join(this.photoFolder, file);
      if (!message || !CHAT_PHOTO_FILE.test(file) || !existsSync(full)) throw notFound('No such photo.');
      return createReadStream(full);
    });
  }

  // ---- privacy

  /** The buyer's conversations with every message, and the shop messages the subject's shops sent. */
  async exportOf(subject: string) {
    const asBuyer = (await this.db.selectFrom('chat_conversations').select(['id', 'shop_id', 'buyer_tag', 'created_at', 'last_message_at']).where('buyer_subject', '=', subject).orderBy('created_at').execute()) as { id: string }[];
    const ids = asBuyer.map((c) => c.id);
    const messages = ids.length
      ? ((await this.db.selectFrom('chat_messages').select(['id', 'conversation_id', 'sender', 'kind', 'text', 'product_id', 'order_id', 'photo_url', 'created_at']).where('conversation_id', 'in', ids).orderBy('id').execute()) as { id: string; sender: Side; kind: string; text: string; photo_url: string | null }[])
      : [];
    const asShop = await sql`select m.id, m.conversation_id, c.shop_id, m.kind, m.text, m.product_id, m.order_id, m.photo_url, m.created_at
      from chat_messages m join chat_conversations c on c.id = m.conversation_id join shops s on s.id = c.shop_id
      where s.owner_subject = ${subject} and m.sender = 'shop' order by m.id`.execute(this.db);
    const blocks = await sql`select b.shop_id, b.created_at from chat_blocks b join shops s on s.id = b.shop_id where s.owner_subject = ${subject}`.execute(this.db);
    return { conversations: asBuyer, messages, shopMessages: asShop.rows, blocks: blocks.rows };
  }

  /** The files of the photos in an export (for the zip). */
  filesOf(names: (string | null)[]): { path: string; name: string }[] {
    return names.filter((n): n is string => !!n && CHAT_PHOTO_FILE.test(n)).map((n) => ({ path: path.join(this.photoFolder, n), name: `chat/${n}` }));
  }

  /**
   * Erasure, in the caller's transaction: the buyer's own messages go; their conversations stay for
   * the shop as "Pembeli #…" with the shop's side only, detached from the subject; blocks of them go.
   * Returns the photos to delete once the transaction is committed.
   */
  async eraseOf(trx: Transaction<AnyDB>, subject: string): Promise<string[]> {
    const conversations = trx.selectFrom('chat_conversations').select('id').where('buyer_subject', '=', subject);
    const gone = (await trx.deleteFrom('chat_messages').where('conversation_id', 'in', conversations).where('sender', '=', 'buyer').returning(['photo_url']).execute()) as { photo_url: string | null }[];
    await trx.updateTable('chat_conversations').set({ buyer_subject: null }).where('buyer_subject', '=', subject).execute();
    await trx.deleteFrom('chat_blocks').where('buyer_subject', '=', subject).execute();
    return gone.flatMap((row) => (row.photo_url ? [row.photo_url] : []));
  }

  async removePhotos(names: string[]): Promise<void> {
    for (const file of this.filesOf(names)) await rm(file.path, { force: true });
  }
}
