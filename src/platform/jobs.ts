import { sql, type QueryCreator, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db.js';
import { platformView, type PlatformDB } from './store.js';
import { uuidv7 } from './ids.js';

export interface Job<P = Record<string, unknown>> {
  id: string;
  type: string;
  payload: P;
  /** Which claim of the job this is: only the run holding the latest claim may renew or finish it. */
  attempts: number;
  maxAttempts: number;
  /** Set by the runner: aborted when this run lost its lease (another worker has the job now). */
  signal?: AbortSignal;
}

export type JobHandler<P extends object = Record<string, unknown>> = (job: Job<P>) => Promise<void>;

export interface EnqueueOptions {
  runAt?: Date;
  maxAttempts?: number;
  /** A job with the same key that already exists is not enqueued again. */
  dedupeKey?: string;
}

/** The INSERT that enqueues a job, to run alone or as part of a larger statement (a CTE). */
export function jobInsert(db: QueryCreator<PlatformDB>, id: string, type: string, payload: Record<string, unknown>, options: EnqueueOptions = {}) {
  return db
    .insertInto('jobs')
    .values({
      id,
      type,
      payload: JSON.stringify(payload),
      run_at: options.runAt ?? new Date(),
      max_attempts: options.maxAttempts ?? 5,
      dedupe_key: options.dedupeKey ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing());
}

/** Enqueues a job, inside the caller's transaction when given one. */
export async function enqueueJob<DB extends PlatformDB>(
  db: Database<DB> | Transaction<DB>,
  type: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<string> {
  const id = uuidv7();
  await jobInsert(platformView(db), id, type, payload, options).execute();
  return id;
}

/**
 * A job type: the name its rows are stored under, the payload they carry, and its handler, made
 * from what it runs with (`D`: the domain's store, a service, a provider). Enqueue through it and
 * the payload is checked against the handler's.
 */
export interface JobDefinition<P extends object, D = void> {
  readonly name: string;
  readonly handler: (deps: D) => JobHandler<P>;
  /** The handler bound to its dependencies, for the domain's job map (`registerJobs`). */
  with(deps: D): BoundJob;
  enqueue<DB extends PlatformDB>(db: Database<DB> | Transaction<DB>, payload: P, options?: EnqueueOptions): Promise<string>;
  /** The INSERT that enqueues it, to run alone or inside a larger statement. */
  insert(db: QueryCreator<PlatformDB>, id: string, payload: P, options?: EnqueueOptions): ReturnType<typeof jobInsert>;
}

/** A job type with its handler bound: what a domain's job map holds. */
export interface BoundJob {
  readonly name: string;
  readonly run: JobHandler;
}

export function defineJob<P extends object, D = void>(name: string, handler: (deps: D) => JobHandler<P>): JobDefinition<P, D> {
  return {
    name,
    handler,
    // The stored payload is the one `enqueue` was given (JSON), so it is read back as that type.
    with: (deps) => {
      const run = handler(deps);
      return { name, run: (job) => run(job as Job<P>) };
    },
    enqueue: (db, payload, options) => enqueueJob(db, name, payload as Record<string, unknown>, options),
    insert: (db, id, payload, options) => jobInsert(db, id, name, payload as Record<string, unknown>, options),
  };
}

/**
 * Registers a domain's jobs from its map of every job type it runs, keyed by stored name (as
 * PeerTube's handlers by job type): the domain types the map over its union of job names, so a
 * name without a handler does not compile, and a key naming another job's handler throws here.
 */
export function registerJobs<N extends string>(runner: JobRunner, jobs: Record<N, BoundJob>): void {
  for (const [name, job] of Object.entries<BoundJob>(jobs)) {
    if (job.name !== name) throw new Error(`job map entry ${name} holds the handler of ${job.name}`);
    runner.register(name, job.run);
  }
}

/** When a recurring job runs: every `everyMs` on the clock, one job per slot across all processes. */
export interface Recurrence {
  everyMs: number;
  /** The dedupe key of slot n (the n-th period since the epoch): every process that schedules it agrees on one row. */
  dedupeKey: (slot: number) => string;
}

/** Enqueues the next run of a recurring job, at the start of the next period; its handler calls this again when it ran. */
export async function scheduleRecurring(db: Database, job: { name: string }, recurrence: Recurrence, now = Date.now()): Promise<void> {
  const slot = Math.floor(now / recurrence.everyMs) + 1;
  await enqueueJob(db, job.name, {}, { runAt: new Date(slot * recurrence.everyMs), dedupeKey: recurrence.dedupeKey(slot) });
}

const DEFAULT_LEASE_MS = 30_000;

export interface JobRunnerOptions {
  /** How many jobs this process runs at once. */
  concurrency?: number;
  pollMs?: number;
  /**
   * A running job whose lease passes without being renewed is taken again: its process died.
   * Short, so a crashed worker's job is picked up within about this long.
   */
  leaseMs?: number;
  /** How often a running job's lease is renewed (a third of the lease unless set). */
  heartbeatMs?: number;
  /** Delay before retry n (1-based): base × 2^(n-1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/**
 * Runs jobs of one domain's `jobs` table. Claiming uses FOR UPDATE SKIP LOCKED, so any number of
 * processes can share the table; a lease, renewed while the job runs, makes a crashed process's
 * job claimable again soon after.
 */
export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private polling = false;
  private readonly options: Required<JobRunnerOptions>;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    options: JobRunnerOptions = {},
  ) {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.options = {
      concurrency: options.concurrency ?? 1,
      pollMs: options.pollMs ?? 500,
      leaseMs,
      heartbeatMs: options.heartbeatMs ?? leaseMs / 3,
      backoffBaseMs: options.backoffBaseMs ?? 2_000,
      backoffMaxMs: options.backoffMaxMs ?? 10 * 60_000,
    };
  }

  /** The handler of one job type; a domain registers all of its own at once through `registerJobs`. */
  register<P extends object = Record<string, unknown>>(type: string, handler: JobHandler<P>): void {
    // Rows of a type hold the payload its definition enqueued (JSON), so they are read back as that.
    this.handlers.set(type, (job) => handler(job as Job<P>));
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
    void this.poll();
  }

  /** Looks for work now instead of at the next poll. */
  kick(): void {
    if (!this.stopped) void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      while (!this.stopped && this.inFlight.size < this.options.concurrency) {
        const job = await this.claim();
        if (!job) break;
        const run = this.run(job).finally(() => {
          this.inFlight.delete(run);
          this.kick();
        });
        this.inFlight.add(run);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'job poll failed; will retry');
    } finally {
      this.polling = false;
    }
  }

  /** Claims the next due job of a type this runner handles, or undefined. */
  async claim(): Promise<Job | undefined> {
    const types = [...this.handlers.keys()];
    if (types.length === 0) return undefined;
    // A cheap read first: an idle poll then writes nothing (PGlite runs on the main thread).
    const due = await sql<{ one: number }>`
      select 1 as one from jobs
      where type in (${sql.join(types)})
        and ((status = 'queued' and run_at <= now()) or (status = 'running' and locked_until < now()))
      limit 1`.execute(this.db);
    if (due.rows.length === 0) return undefined;
    const result = await sql<{ id: string; type: string; payload: Record<string, unknown>; attempts: number; max_attempts: number }>`
      update jobs set status = 'running', attempts = attempts + 1,
        locked_until = ${this.leaseEnd()}
      where id = (
        select id from jobs
        where type in (${sql.join(types)})
          and ((status = 'queued' and run_at <= now()) or (status = 'running' and locked_until < now()))
        order by run_at
        limit 1
        for update skip locked)
      returning id, type, payload, attempts, max_attempts`.execute(this.db);
    const row = result.rows[0];
    if (!row) return undefined;
    return { id: row.id, type: row.type, payload: row.payload, attempts: row.attempts, maxAttempts: row.max_attempts };
  }

  private leaseEnd() {
    return sql<Date>`now() + make_interval(secs => ${this.options.leaseMs / 1000})`;
  }

  /** This run's own row: the job as it claimed it, not a later claim by another worker. */
  private ownClaim(job: Job) {
    return this.db.updateTable('jobs').where('id', '=', job.id).where('status', '=', 'running').where('attempts', '=', job.attempts);
  }

  /**
   * Renews the lease every heartbeat while the job runs and aborts the run once the lease is lost.
   * Returns the function that stops it.
   */
  private keepLease(job: Job, lost: AbortController): () => void {
    let stopped = false;
    const heartbeat = setInterval(() => {
      this.ownClaim(job)
        .set({ locked_until: this.leaseEnd() })
        .executeTakeFirst()
        .then((result) => {
          if (result.numUpdatedRows > 0n || stopped || lost.signal.aborted) return;
          this.log.warn({ jobId: job.id, type: job.type, attempt: job.attempts }, 'job lease lost; another worker has the job');
          lost.abort(new Error('the job lease was lost'));
        })
        // A store that is briefly unreachable: the next beat tries again within the lease.
        .catch((error: unknown) => this.log.warn({ err: error, jobId: job.id }, 'could not renew the job lease'));
    }, this.options.heartbeatMs);
    heartbeat.unref();
    return () => {
      stopped = true;
      clearInterval(heartbeat);
    };
  }

  /** Runs one claimed job and records its outcome (unless the job has been claimed again since). */
  async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.type);
    const lost = new AbortController();
    const stopHeartbeat = this.keepLease(job, lost);
    try {
      if (!handler) throw new Error(`no handler for job type ${job.type}`);
      await handler({ ...job, signal: lost.signal });
      stopHeartbeat();
      await this.ownClaim(job).set({ status: 'done', finished_at: sql`now()`, locked_until: null, last_error: null }).execute();
    } catch (error) {
      stopHeartbeat();
      const message = error instanceof Error ? error.message : String(error);
      const final = job.attempts >= job.maxAttempts;
      const delay = Math.min(this.options.backoffBaseMs * 2 ** (job.attempts - 1), this.options.backoffMaxMs);
      this.log.warn({ jobId: job.id, type: job.type, attempt: job.attempts, final, err: error }, 'job failed');
      await this.ownClaim(job)
        .set(
          final
            ? { status: 'failed', last_error: message, finished_at: sql`now()`, locked_until: null }
            : { status: 'queued', last_error: message, locked_until: null, run_at: new Date(Date.now() + delay) },
        )
        .execute();
    }
  }

  /** Stops claiming and waits for the jobs already running to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }
}
