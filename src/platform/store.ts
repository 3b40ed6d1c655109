import type { ColumnType, Generated, Kysely, SelectType, Transaction } from 'kysely';

/**
 * Column types as both drivers return them: int8 is parsed to a number (db.ts), timestamptz to a
 * Date, jsonb to its value (written as JSON text). A timestamp with a default may be left out of
 * an insert; one written by the code takes a Date or an ISO string.
 */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** A jsonb column: read as its value, written as JSON text. */
export type Json<T = unknown> = ColumnType<T, string, string>;
/** A jsonb column with a default. */
export type DefaultJson<T = unknown> = ColumnType<T, string | undefined, string>;

/** The outbox every domain writes its events to in the transaction that makes them (outbox.ts). */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  topic: string;
  key: string | null;
  payload: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
  claimed_until: NullableTimestamp;
  published_at: NullableTimestamp;
}

/** The events a domain's consumers have handled, so a redelivery is a no-op (outbox.ts). */
export interface InboxTable {
  consumer: string;
  event_id: string;
  handled_at: DefaultTimestamp;
}

export interface JobTable {
  id: string;
  type: string;
  payload: DefaultJson<Record<string, unknown>>;
  status: Generated<'queued' | 'running' | 'done' | 'failed'>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_at: DefaultTimestamp;
  locked_until: NullableTimestamp;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: DefaultTimestamp;
  finished_at: NullableTimestamp;
}

/** What migrate.ts records of each applied file. */
export interface SchemaMigrationTable {
  scope: string;
  name: string;
  applied_at: DefaultTimestamp;
}

/** The tables every domain database carries (platform/migrations and migrate.ts). */
export interface PlatformDB {
  outbox: OutboxTable;
  inbox: InboxTable;
  jobs: JobTable;
  schema_migrations: SchemaMigrationTable;
}

/**
 * Every table's columns and whether each may be null, kept beside the interfaces: the compiler
 * holds the list to the interfaces (no column missing or extra, the same nullability), and
 * test/schema.test.ts holds it to the migrated database.
 */
export type ColumnSpec<DB> = { [T in keyof DB]: { [C in keyof DB[T]]: null extends SelectType<DB[T][C]> ? 'null' : 'not null' } };

export const platformColumns = {
  outbox: { seq: 'not null', id: 'not null', topic: 'not null', key: 'null', payload: 'not null', created_at: 'not null', claimed_until: 'null', published_at: 'null' },
  inbox: { consumer: 'not null', event_id: 'not null', handled_at: 'not null' },
  jobs: {
    id: 'not null', type: 'not null', payload: 'not null', status: 'not null', attempts: 'not null', max_attempts: 'not null', run_at: 'not null',
    locked_until: 'null', last_error: 'null', dedupe_key: 'null', created_at: 'not null', finished_at: 'null',
  },
  schema_migrations: { scope: 'not null', name: 'not null', applied_at: 'not null' },
} as const satisfies ColumnSpec<PlatformDB>;

/**
 * A domain's database seen through its platform tables, for the platform's mechanisms (outbox,
 * inbox, jobs). Kysely's DB parameter is invariant, so a `Kysely<CommerceDB>` is no
 * `Kysely<PlatformDB>` to the compiler although every query on these tables is valid on it; the
 * constraint is what makes the view sound: the domain's DB must carry these tables as declared.
 */
export function platformView<DB extends PlatformDB>(db: Transaction<DB>): Transaction<PlatformDB>;
export function platformView<DB extends PlatformDB>(db: Kysely<DB>): Kysely<PlatformDB>;
export function platformView(db: Kysely<PlatformDB> | Transaction<PlatformDB>): Kysely<PlatformDB> | Transaction<PlatformDB> {
  return db;
}
