import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AnyDB } from './db.js';
import { HttpProblem, notFound, validationFailed } from './errors.js';
import { decodeCursor, encodeCursor, fromOwnSite, PageQuery, problems, requireSubject } from './http.js';

/**
 * The in-app inbox mechanism each domain runs on its own store: commerce and social each keep a
 * `notifications` table (same shape, their own migration) and never see each other's. Rows are
 * appended, never updated per event: items with the same `group_key` and read state show as one
 * ("X and 12 others liked your video"), coalesced when read, so a burst of likes is a burst of
 * inserts and no row anyone waits on.
 */

export interface NotificationInput {
  recipient: string | null | undefined;
  kind: string;
  /** Rows with the same key (and read state) are shown as one item. */
  groupKey?: string | null;
  /** Who caused it, as this domain knows them (social: their subject); none in commerce. */
  actor?: string | null;
  targetType: string;
  targetId: string;
  data?: Record<string, unknown>;
}

/**
 * Who is listening to their inbox, per subject, in this process. A write marks its recipient;
 * each of their open streams then reads its inbox again shortly after (the write's transaction has
 * committed by then) and every few seconds anyway, which also catches writes of other processes.
 */
export class NotificationHub {
  private readonly listeners = new Map<string, Set<() => void>>();

  listen(subject: string, pull: () => void): () => void {
    let set = this.listeners.get(subject);
    if (!set) this.listeners.set(subject, (set = new Set()));
    set.add(pull);
    return () => {
      set.delete(pull);
      if (set.size === 0) this.listeners.delete(subject);
    };
  }

  /** A notification for `subject` was written in a transaction that commits soon. */
  touch(subject: string): void {
    const set = this.listeners.get(subject);
    if (!set) return;
    for (const delay of [10, 150, 1000]) {
      const timer = setTimeout(() => {
        for (const pull of this.listeners.get(subject) ?? []) pull();
      }, delay);
      timer.unref();
    }
  }
}

/** A domain's two tables: its notifications and its muted kinds (each domain names its own). */
export interface InboxTables {
  items: string;
  preferences: string;
}

/** Stores notifications in the caller's transaction, so they exist exactly when their cause does. A muted kind is not stored. */
export async function storeNotifications(
  trx: Transaction<AnyDB> | Kysely<AnyDB>, hub: NotificationHub, tables: InboxTables, inputs: NotificationInput[],
): Promise<number> {
  const wanted = inputs.filter((n): n is NotificationInput & { recipient: string } => !!n.recipient && n.recipient !== n.actor);
  if (wanted.length === 0) return 0;
  const rows = sql.join(
    wanted.map(
      (n) => sql`(${n.recipient}::text, ${n.kind}::text, ${n.groupKey ?? null}::text, ${n.actor ?? null}::text, ${n.targetType}::text, ${n.targetId}::text, ${JSON.stringify(n.data ?? {})}::jsonb)`,
    ),
  );
  const written = await sql<{ recipient: string }>`
    insert into ${sql.table(tables.items)} (recipient, kind, group_key, actor, target_type, target_id, data)
    select v.* from (values ${rows}) as v(recipient, kind, group_key, actor, target_type, target_id, data)
    where not exists (select 1 from ${sql.table(tables.preferences)} p where p.subject = v.recipient and p.kind = v.kind and p.muted)
    returning recipient`.execute(trx);
  for (const row of written.rows) hub.touch(row.recipient);
  return written.rows.length;
}

interface ItemRow {
  id: string;
  kind: string;
  group_key: string | null;
  actor: string | null;
  target_type: string;
  target_id: string;
  data: Record<string, unknown> | string;
  unread: boolean;
  count: number;
  actors: number;
  created_at: Date;
}

export interface NotificationItem {
  id: string;
  kind: string;
  unread: boolean;
  /** How many events this item stands for (1 unless coalesced). */
  count: number;
  /** How many different people they came from (for "X and n others"). */
  actors: number;
  target: { type: string; id: string };
  data: Record<string, unknown>;
  at: string;
}

const ID = /^[1-9][0-9]{0,17}$/;
const isCursor = (v: Record<string, unknown>): v is { id: string } => typeof v.id === 'string' && ID.test(v.id);

export interface InboxOptions<V extends NotificationItem> {
  domain: 'commerce' | 'social';
  tables: InboxTables;
  kinds: readonly string[];
  hub: NotificationHub;
  /** Adds what the domain shows about an item (social: who acted, by handle). */
  decorate?: (items: (NotificationItem & { actorSubject: string | null })[]) => Promise<V[]>;
}

/** One domain's inbox: list, unread count, read markers, preferences, the live stream, export and erasure. */
export class Inbox<V extends NotificationItem = NotificationItem> {
  constructor(
    private readonly db: Kysely<AnyDB>,
    readonly options: InboxOptions<V>,
  ) {}

  get hub(): NotificationHub {
    return this.options.hub;
  }

  private get items() {
    return sql.table(this.options.tables.items);
  }

  private get preferencesTable() {
    return sql.table(this.options.tables.preferences);
  }

  /** Newest first; an item is a group of rows with the same key and read state, placed at its newest row. */
  async list(subject: string, limit: number, cursor?: string): Promise<{ items: V[]; nextCursor: string | null }> {
    const before = decodeCursor(cursor, isCursor);
    const rows = (
      await sql<ItemRow>`
        with items as (
          select max(id) as id, (read_at is null) as unread, count(*)::int as count, count(distinct coalesce(actor, id::text))::int as actors
          from ${this.items} where recipient = ${subject}
          group by coalesce(group_key, id::text), (read_at is null)
        )
        select n.id::text as id, n.kind, n.group_key, n.actor, n.target_type, n.target_id, n.data, i.unread, i.count, i.actors, n.created_at
        from items i join ${this.items} n on n.id = i.id
        ${before ? sql`where i.id < ${before.id}::bigint` : sql``}
        order by i.id desc limit ${limit + 1}`.execute(this.db)
    ).rows;
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const items = page.map((r) => ({
      id: r.id,
      kind: r.kind,
      unread: r.unread,
      count: Number(r.count),
      actors: Number(r.actors),
      target: { type: r.target_type, id: r.target_id },
      data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
      at: new Date(r.created_at).toISOString(),
      actorSubject: r.actor,
    }));
    const decorated = this.options.decorate ? await this.options.decorate(items) : (items.map(({ actorSubject: _, ...item }) => item) as V[]);
    return { items: decorated, nextCursor: more ? encodeCursor({ id: page.at(-1)!.id }) : null };
  }

  /** Unread items, counted as the list shows them (a coalesced group is one). */
  async unreadCount(subject: string): Promise<number> {
    const row = (
      await sql<{ n: number }>`select count(distinct coalesce(group_key, id::text))::int as n from ${this.items} where recipient = ${subject} and read_at is null`.execute(this.db)
    ).rows[0];
    return Number(row?.n ?? 0);
  }

  /**
   * Marks items read: every one (`all`) or the listed ones, each with the rows of its group up to
   * it (a like that came after the person looked stays unread). Any id that is not the caller's:
   * 404, and nothing changes.
   */
  async markRead(subject: string, input: { ids?: string[]; all?: boolean }): Promise<{ marked: number; unread: number }> {
    const ids = input.ids ?? [];
    if ((input.all === true) === ids.length > 0 || (input.all !== undefined && input.all !== true)) {
      throw validationFailed({ body: ['give either ids (1–100 of your notifications) or all: true'] }, 'Say which notifications to mark read: ids, or all.');
    }
    const marked = await this.db.transaction().execute(async (trx) => {
      if (input.all) {
        const done = await sql`update ${this.items} set read_at = now() where recipient = ${subject} and read_at is null`.execute(trx);
        return Number(done.numAffectedRows ?? 0);
      }
      const unique = [...new Set(ids)];
      const owned = await sql<{ n: number }>`select count(*)::int as n from ${this.items} where recipient = ${subject} and id in (${sql.join(unique.map((id) => sql`${id}::bigint`))})`.execute(trx);
      if (Number(owned.rows[0]?.n ?? 0) !== unique.length) throw notFound('Some of these notifications are not yours (or no longer exist); nothing was marked.');
      const done = await sql`
        update ${this.items} n set read_at = now()
        from (select id, group_key from ${this.items} where recipient = ${subject} and id in (${sql.join(unique.map((id) => sql`${id}::bigint`))})) r
        where n.recipient = ${subject} and n.read_at is null
          and (n.id = r.id or (r.group_key is not null and n.group_key = r.group_key and n.id <= r.id))`.execute(trx);
      return Number(done.numAffectedRows ?? 0);
    });
    return { marked, unread: await this.unreadCount(subject) };
  }

  async preferences(subject: string): Promise<{ items: { kind: string; muted: boolean }[] }> {
    const rows = (await this.db.selectFrom(this.options.tables.preferences).select(['kind', 'muted']).where('subject', '=', subject).execute()) as { kind: string; muted: boolean }[];
    const muted = new Set(rows.filter((r) => r.muted).map((r) => r.kind));
    return { items: this.options.kinds.map((kind) => ({ kind, muted: muted.has(kind) })) };
  }

  /** Sets the muted kinds (the listed ones; the others are on). Unknown kinds: 400, nothing changes. */
  async setPreferences(subject: string, items: { kind: string; muted: boolean }[]): Promise<{ items: { kind: string; muted: boolean }[] }> {
    const unknown = items.filter((i) => !this.options.kinds.includes(i.kind)).map((i) => i.kind);
    if (unknown.length > 0) throw validationFailed({ items: [`unknown kind: ${unknown.slice(0, 5).join(', ')}`] }, `Kinds are: ${this.options.kinds.join(', ')}.`);
    await this.db.transaction().execute(async (trx) => {
      for (const item of items) {
        await sql`insert into ${this.preferencesTable} (subject, kind, muted) values (${subject}, ${item.kind}, ${item.muted})
          on conflict (subject, kind) do update set muted = excluded.muted, updated_at = now()`.execute(trx);
      }
    });
    return this.preferences(subject);
  }

  async exportOf(subject: string) {
    const notifications = await sql`select id::text as id, kind, group_key, target_type, target_id, data, read_at, created_at from ${this.items} where recipient = ${subject} order by id`.execute(this.db);
    const preferences = await this.db.selectFrom(this.options.tables.preferences).select(['kind', 'muted', 'updated_at']).where('subject', '=', subject).execute();
    return { notifications: notifications.rows, notificationPreferences: preferences };
  }

  /** Erasure: the person's inbox and preferences, and what they caused in others' inboxes. */
  async eraseOf(trx: Transaction<AnyDB> | Kysely<AnyDB>, subject: string): Promise<void> {
    await sql`delete from ${this.items} where recipient = ${subject} or actor = ${subject}`.execute(trx);
    await sql`delete from ${this.preferencesTable} where subject = ${subject}`.execute(trx);
  }
}

const HEARTBEAT_MS = 25_000;
/** Open streams read their inbox at least this often, for writes another process made. */
const POLL_MS = 5_000;

/**
 * GET /<domain>/notifications, …/unread-count, POST …/read, GET …/stream (SSE), GET|PUT
 * …/preferences. `item` is the domain's item schema.
 */
export function notificationRoutes<V extends NotificationItem>(inbox: Inbox<V>, item: ReturnType<typeof Type.Object>): FastifyPluginAsyncTypebox {
  const { domain } = inbox.options;
  const tags = [domain, 'notifications'];
  const base = `/${domain}/notifications`;
  const Kind = Type.Union(inbox.options.kinds.map((k) => Type.Literal(k)));
  const Preferences = Type.Object({ items: Type.Array(Type.Object({ kind: Type.String(), muted: Type.Boolean() })) });
  return async (app) => {
    const streams = new Set<ServerResponse>();
    app.addHook('preClose', (done) => {
      for (const stream of streams) stream.end();
      done();
    });

    app.get(
      base,
      {
        schema: {
          tags,
          summary: `Your ${domain} notifications, newest first (coalesced groups count as one item)`,
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 401) },
        },
      },
      async (request) =>
        (await inbox.list(requireSubject(request), request.query.limit ?? 20, request.query.cursor)) as unknown as {
          items: Record<string, unknown>[];
          nextCursor: string | null;
        },
    );

    app.get(
      `${base}/unread-count`,
      { schema: { tags, summary: 'How many unread items the list holds', response: { 200: Type.Object({ unread: Type.Integer() }), ...problems(401) } } },
      async (request) => ({ unread: await inbox.unreadCount(requireSubject(request)) }),
    );

    app.post(
      `${base}/read`,
      {
        schema: {
          tags,
          summary: 'Mark items read: `ids` (each with the rest of its group up to it) or `all: true`',
          description: 'An id that is not one of yours gets 404 and nothing is marked.',
          body: Type.Object(
            { ids: Type.Optional(Type.Array(Type.String({ pattern: '^[1-9][0-9]{0,17}$' }), { minItems: 1, maxItems: 100 })), all: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ marked: Type.Integer(), unread: Type.Integer() }), ...problems(400, 401, 404) },
        },
      },
      async (request) => inbox.markRead(requireSubject(request), request.body),
    );

    app.get(`${base}/preferences`, { schema: { tags, summary: 'Which kinds are muted', response: { 200: Preferences, ...problems(401) } } }, async (request) =>
      inbox.preferences(requireSubject(request)),
    );

    app.put(
      `${base}/preferences`,
      {
        schema: {
          tags,
          summary: 'Mute or unmute kinds',
          description: 'A muted kind is not stored at all while muted (unmuting does not bring back what was missed).',
          body: Type.Object(
            { items: Type.Array(Type.Object({ kind: Kind, muted: Type.Boolean() }, { additionalProperties: false }), { maxItems: 50 }) },
            { additionalProperties: false },
          ),
          response: { 200: Preferences, ...problems(400, 401) },
        },
      },
      async (request) => inbox.setPreferences(requireSubject(request), request.body.items),
    );

    app.get(
      `${base}/stream`,
      {
        schema: {
          tags,
          summary: `Your ${domain} notifications, live (Server-Sent Events)`,
          description:
            'text/event-stream. `hello` (`{unread}`), then `notification` (an item, new or grown) and `unread` (`{unread}`) as they change. Only from Sekat’s own pages: another origin gets 403; without `Accept: text/event-stream`, 406.',
          response: problems(401, 403, 406),
        },
      },
      async (request, reply) => {
        const subject = requireSubject(request);
        if (!fromOwnSite(request)) throw new HttpProblem(403, 'cross-site', 'Forbidden', 'The notification stream opens only from Sekat’s own pages.');
        if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
          throw new HttpProblem(406, 'not-acceptable', 'Not acceptable', 'Open the notification stream with Accept: text/event-stream (an EventSource does).');
        }
        const first = await inbox.list(subject, 20);
        let unread = await inbox.unreadCount(subject);
        const seen = new Map(first.items.map((i) => [i.id, `${i.count}:${i.unread}`]));
        reply.hijack();
        const stream = reply.raw;
        stream.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', 'x-content-type-options': 'nosniff' });
        const write = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        write('hello', { unread });
        let closed = false;
        let pulling: Promise<void> | undefined;
        let again = false;
        const pull = () => {
          if (closed) return;
          if (pulling) {
            again = true;
            return;
          }
          pulling = (async () => {
            const page = await inbox.list(subject, 20);
            const count = await inbox.unreadCount(subject);
            if (closed) return;
            for (const fresh of [...page.items].reverse()) {
              const mark = `${fresh.count}:${fresh.unread}`;
              if (fresh.unread && seen.get(fresh.id) !== mark) write('notification', fresh);
              seen.set(fresh.id, mark);
            }
            if (seen.size > 500) for (const id of [...seen.keys()].slice(0, seen.size - 200)) seen.delete(id);
            if (count !== unread) write('unread', { unread: (unread = count) });
          })()
            .catch((error: unknown) => request.log.warn({ err: error }, 'notification stream could not read the inbox'))
            .finally(() => {
              pulling = undefined;
              if (again) {
                again = false;
                pull();
              }
            });
        };
        const stop = inbox.hub.listen(subject, pull);
        const poll = setInterval(pull, POLL_MS);
        const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
        streams.add(stream);
        stream.on('close', () => {
          closed = true;
          stop();
          clearInterval(poll);
          clearInterval(heartbeat);
          streams.delete(stream);
        });
      },
    );
  };
}

/** The item every domain returns; a domain may add fields. */
export const NotificationItemFields = {
  id: Type.String({ description: 'Marks the item read with POST …/read' }),
  kind: Type.String(),
  unread: Type.Boolean(),
  count: Type.Integer({ description: 'Events this item stands for (coalesced)' }),
  actors: Type.Integer({ description: 'Different people behind them' }),
  target: Type.Object({ type: Type.String(), id: Type.String() }),
  data: Type.Record(Type.String(), Type.Unknown()),
  at: Type.String(),
};
