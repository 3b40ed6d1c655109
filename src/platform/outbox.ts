import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db.js';
import { platformView, type PlatformDB } from './store.js';
import type { Bus } from './bus.js';
import { uuidv7 } from './ids.js';

let outboxWrites = 0;

/** How many events this process has written to any outbox: a relay need only look when it moved. */
export function outboxWriteCount(): number {
  return outboxWrites;
}

/** Writes an event in the same transaction as the change it announces. */
export async function writeOutbox<DB extends PlatformDB>(
  trx: Transaction<DB>,
  topic: string,
  payload: Record<string, unknown>,
  key?: string,
): Promise<string> {
  const id = uuidv7();
  await platformView(trx)
    .insertInto('outbox')
    .values({ id, topic, key: key ?? null, payload: JSON.stringify(payload) })
    .execute();
  outboxWrites++;
  return id;
}

/**
 * Moves committed outbox rows to the bus in order. Rows are claimed with SKIP LOCKED so several
 * processes can relay one database; a row is marked published only after the bus took it, so a
 * crash or a failing consumer means a later retry (consumers dedupe through `inbox`).
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly source: string,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Relay now (called after a commit that wrote to the outbox). */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.log.warn({ err: error, source: this.source }, 'outbox relay will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.kick();
        }
      });
    return this.running;
  }

  /**
   * Publishes everything pending; resolves when the outbox is empty. Rows are claimed with a lease
   * and published outside any transaction, so no database is held while consumers run (two
   * domains relaying to each other can never wait on one another).
   */
  async drain(): Promise<void> {
    for (;;) {
      const pending = await sql<{ one: number }>`
        select 1 as one from outbox
        where published_at is null and (claimed_until is null or claimed_until < now()) limit 1`.execute(this.db);
      if (pending.rows.length === 0) return;
      const claimed = await sql<{ seq: number; id: string; topic: string; key: string | null; payload: Record<string, unknown>; created_at: Date }>`
        update outbox set claimed_until = now() + interval '30 seconds'
        where seq in (
          select seq from outbox
          where published_at is null and (claimed_until is null or claimed_until < now())
          order by seq limit 100 for update skip locked)
        returning seq, id, topic, key, payload, created_at`.execute(this.db);
      const rows = claimed.rows.sort((a, b) => a.seq - b.seq);
      for (const row of rows) {
        await this.bus.publish({
          id: row.id,
          topic: row.topic,
          source: this.source,
          key: row.key ?? undefined,
          occurredAt: new Date(row.created_at).toISOString(),
          payload: row.payload,
        });
        await this.db.updateTable('outbox').set({ published_at: sql`now()` }).where('seq', '=', row.seq).execute();
      }
      if (rows.length < 100) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/**
 * Runs `handle` once per (consumer, event id): the inbox row and the handler's writes commit
 * together, so a redelivered event is a no-op and a failed handler leaves no trace.
 */
export async function handleOnce<DB extends PlatformDB>(
  db: Database<DB>,
  consumer: string,
  eventId: string,
  handle: (trx: Transaction<DB>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await platformView(trx)
      .insertInto('inbox')
      .values({ consumer, event_id: eventId })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await handle(trx);
    return true;
  });
}
