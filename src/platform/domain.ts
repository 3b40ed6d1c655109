import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { PlatformDB } from './store.js';
import type { Bus } from './bus.js';
import type { Broadcast } from './broadcast.js';
import type { JobRunner } from './jobs.js';
import type { OutboxRelay } from './outbox.js';

/** What the composition root hands a domain: its own store and shared plumbing, nothing else's. */
export interface DomainDeps {
  /** The domain's store, typed by its platform tables: the domain adds its own (`withTables`). */
  db: Kysely<PlatformDB>;
  bus: Bus;
  log: Logger;
  jobs: JobRunner;
  outbox: OutboxRelay;
  dataDir: string;
  /** Ephemeral fan-out to the domain's other processes (NATS core; only when NATS_URL is set). */
  broadcast?: Broadcast;
}

/** What a domain's `start` returns to the composition root. */
export interface DomainInstance {
  /** Mounted under `/api`; `request.subject` is this domain's view of the caller. */
  routes: FastifyPluginAsync;
  health(): Promise<boolean>;
  stop(): Promise<void>;
}
