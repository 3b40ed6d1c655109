import { sql, type QueryCreator, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AnyDB, Database } from './db.js';
import { uuidv7 } from './ids.js';

export interface Job<P = Record<string, unknown>> {
  id: string;
  type: string;
  payload: P;
  attempts: number;
  maxAttempts: number;
}

export type JobHandler = (job: Job) => Promise<void>;

export interface EnqueueOptions {
  runAt?: Date;
  maxAttempts?: number;
  /** A job with the same key that already exists is not enqueued again. */
  dedupeKey?: string;
}

/** The INSERT that enqueues a job, to run alone or as part of a larger statement (a CTE). */
export function jobInsert(db: QueryCreator<AnyDB>, id: string, type: string, payload: Record<string, unknown>, options: EnqueueOptions = {}) {
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
export async function enqueueJob(
  db: Database | Transaction<AnyDB>,
  type: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<string> {
  const id = uuidv7();
  await jobInsert(db, id, type, payload, options).execute();
  return id;
}

export interface JobRunnerOptions {
  /** How many jobs this process runs at once. */
  concurrency?: number;
  pollMs?: number;
  /** A running job whose lease passes without finishing is taken again (its process died). */
  leaseMs?: number;
  /** Delay before retry n (1-based): base × 2^(n-1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/**
 * Runs jobs of one domain's `jobs` table. Claiming uses FOR UPDATE SKIP LOCKED, so any number of
 * processes can share the table; a lease makes a crashed process's job claimable again.
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
    this.options = {
      concurrency: options.concurrency ?? 1,
      pollMs: options.pollMs ?? 500,
      leaseMs: options.leaseMs ?? 5 * 60_000,
      backoffBaseMs: options.backoffBaseMs ?? 2_000,
      backoffMaxMs: options.backoffMaxMs ?? 10 * 60_000,
    };
  }

  register(type: string, handler: JobHandler): void {
    this.handlers.set(type, handler);
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
        locked_until = now() + make_interval(secs => ${this.options.leaseMs / 1000})
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

  /** Runs one claimed job and records its outcome. */
  async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.type);
    try {
      if (!handler) throw new Error(`no handler for job type ${job.type}`);
      await handler(job);
      await this.db
        .updateTable('jobs')
        .set({ status: 'done', finished_at: sql`now()`, locked_until: null, last_error: null })
        .where('id', '=', job.id)
        .execute();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const final = job.attempts >= job.maxAttempts;
      const delay = Math.min(this.options.backoffBaseMs * 2 ** (job.attempts - 1), this.options.backoffMaxMs);
      this.log.warn({ jobId: job.id, type: job.type, attempt: job.attempts, final, err: error }, 'job failed');
      await this.db
        .updateTable('jobs')
        .set(
          final
            ? { status: 'failed', last_error: message, finished_at: sql`now()`, locked_until: null }
            : { status: 'queued', last_error: message, locked_until: null, run_at: new Date(Date.now() + delay) },
        )
        .where('id', '=', job.id)
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
