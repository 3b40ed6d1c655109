import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

import type { PlatformDB } from './store.js';

/**
 * A domain's database. The platform opens it knowing only the tables every domain carries; the
 * domain adds its own (`db.withTables<CommerceTables>()`), typed in its `store.ts`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDB = any;
export type Database<T = AnyDB> = Kysely<T>;

export interface DomainStore {
  db: Kysely<AnyDB>;
  kind: 'pglite' | 'postgres';
  ping(): Promise<boolean>;
  /** The embedded store's data folder as a tar (PGlite only): a template for new stores. */
  snapshot?(): Promise<Uint8Array>;
  close(): Promise<void>;
}

// int8 (counts, sums of rupiah) as numbers: rupiah totals stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** A tiny FIFO mutex: PGlite has one connection, so one transaction at a time must hold it. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return acquired;
  }
}

function commandOf(statement: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*)*([a-zA-Z]+)/.exec(statement);
  return (match?.[1] ?? '').toUpperCase();
}

/**
 * A pool in the shape Kysely's PostgresDialect expects, over one PGlite instance. `connect()`
 * takes the mutex and `release()` gives it back, so everything Kysely runs on one acquired
 * connection (a whole transaction) runs with no other request's statements in between.
 */
export function pglitePool(db: PGlite) {
  const mutex = new Mutex();
  return {
    async connect() {
      const release = await mutex.lock();
      let released = false;
      return {
        async query(statement: string, params: unknown[]) {
          const result =
            params.length === 0
              ? ((await db.exec(statement)).at(-1) ?? { rows: [], affectedRows: 0 })
              : await db.query(statement, params);
          return { command: commandOf(statement), rowCount: result.affectedRows ?? 0, rows: result.rows };
        },
        release() {
          if (!released) {
            released = true;
            release();
          }
        },
      };
    },
    async end() {
      const release = await mutex.lock();
      try {
        if (!db.closed) await db.close();
      } finally {
        release();
      }
    },
  };
}

/** How many statement shapes one connection keeps prepared; later shapes are planned each time. */
export const PREPARED_PER_CONNECTION = 200;

/**
 * Runs every parameterised statement as a named prepared statement on its connection, so
 * PostgreSQL parses and plans each statement shape once per connection rather than on every call
 * (planning the checkout's one-statement write cost more than running it). A connection keeps at
 * most PREPARED_PER_CONNECTION shapes: list lengths make shapes, and each costs server memory.
 */
export function prepareStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const prepared = (text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(text, values, ...rest);
    let name = names.get(text);
    if (name === undefined && names.size < PREPARED_PER_CONNECTION) names.set(text, (name = `sekat_${names.size}`));
    return name === undefined ? query(text, values, ...rest) : query({ name, text, values }, ...rest);
  };
  (client as unknown as { query: typeof prepared }).query = prepared;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
  /**
   * The domain's own database, used as given: neither created nor renamed, so its role needs no
   * right beyond connecting to it (DATABASE_URL_<DOMAIN>). Over `databaseUrl`.
   */
  ownDatabaseUrl?: string;
  databasePrefix: string;
  /** Connections in the PostgreSQL pool (default 10). */
  poolMax?: number;
  /** In-memory PGlite (tests that need no files). */
  memory?: boolean;
  /** A folder of `<domain>.tar` PGlite snapshots a new embedded store starts from (see Config). */
  pgliteTemplateDir?: string;
}

export function databaseName(prefix: string, domain: string): string {
  return `${prefix}_${domain}`;
}

async function ensurePostgresDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`create database "${name}"`);
      } catch (error) {
        // Another process created it between our check and create (two creating it at the same
        // moment meet on the catalog's unique index instead).
        if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
      }
    }
  } finally {
    await admin.end();
  }
}

export async function dropPostgresDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    // pg's Pool.end() resolves before its sockets have closed; forcing the drop while they close
    // makes those clients emit an unhandled "terminating connection" error. Give them a moment.
    for (let i = 0; i < 40; i++) {
      const open = await admin.query('select 1 from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      if (open.rowCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

export async function openDomainStore(domain: string, options: StoreOptions): Promise<DomainStore> {
  if (options.ownDatabaseUrl || options.databaseUrl) {
    let url: URL;
    if (options.ownDatabaseUrl) url = new URL(options.ownDatabaseUrl);
    else {
      const name = databaseName(options.databasePrefix, domain);
      await ensurePostgresDatabase(options.databaseUrl!, name);
      url = new URL(options.databaseUrl!);
      url.pathname = `/${name}`;
    }
    const pool = new pg.Pool({ connectionString: url.toString(), max: options.poolMax ?? 10 });
    pool.on('connect', prepareStatements);
    const db = new Kysely<PlatformDB>({ dialect: new PostgresDialect({ pool }) });
    // Under a lock: two processes creating it at once would collide in the catalog.
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext('sekat:extensions'))`.execute(trx);
      await sql`create extension if not exists pg_trgm`.execute(trx);
    });
    return {
      db,
      kind: 'postgres',
      ping: async () => {
        await sql`select 1`.execute(db);
        return true;
      },
      close: () => db.destroy(),
    };
  }
  let dataDir: string | undefined;
  if (!options.memory) {
    dataDir = path.join(options.dataDir, domain);
    mkdirSync(dataDir, { recursive: true });
  }
  // A new store (no PG_VERSION yet) starts from its migrated snapshot when one is given.
  const template = options.pgliteTemplateDir ? path.join(options.pgliteTemplateDir, `${domain}.tar`) : undefined;
  const fromTemplate = template !== undefined && existsSync(template) && !(dataDir && existsSync(path.join(dataDir, 'PG_VERSION')));
  const pglite = await PGlite.create({
    dataDir,
    loadDataDir: fromTemplate ? new Blob([readFileSync(template)]) : undefined,
    extensions: { pg_trgm },
    parsers: { [pgliteTypes.INT8]: (value: string) => Number(value) },
  });
  await pglite.exec('create extension if not exists pg_trgm');
  const db = new Kysely<PlatformDB>({ dialect: new PostgresDialect({ pool: pglitePool(pglite) as unknown as pg.Pool }) });
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await sql`select 1`.execute(db);
      return true;
    },
    snapshot: async () => new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()),
    close: () => db.destroy(),
  };
}
