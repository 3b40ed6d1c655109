import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { openDomainStore, type DomainStore } from './db.js';
import { migrate } from './migrate.js';
import { MemoryBus } from './bus.js';
import { OutboxRelay, writeOutbox, handleOnce } from './outbox.js';
import { JobRunner, defineJob, enqueueJob, registerJobs, scheduleRecurring } from './jobs.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from './testing.js';
import type { EventEnvelope } from '../contracts/events.js';

const config = testConfig();
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let source: DomainStore;
let sink: DomainStore;

beforeAll(async () => {
  source = await openDomainStore('commerce', config);
  sink = await openDomainStore('social', config);
  const empty = mkdtempSync(path.join(tmpdir(), 'sekat-empty-'));
  await migrate(source.db, 'commerce', empty);
  await migrate(sink.db, 'social', empty);
  await sql`create table items (id text primary key)`.execute(source.db);
  await sql`create table seen (id text primary key, n int not null default 1)`.execute(sink.db);
});

afterAll(async () => {
  await source.close();
  await sink.close();
  await disposeTestConfig(config);
});

describe(`outbox and inbox (${STORE_LABEL})`, () => {
  it('publishes only committed events, in order, and a redelivery is a no-op', async () => {
    const bus = new MemoryBus();
    const received: EventEnvelope[] = [];
    bus.subscribe('sink', ['item.created'], async (event) => {
      received.push(event);
      await handleOnce(sink.db, 'sink', event.id, async (trx) => {
        await trx.insertInto('seen').values({ id: String(event.payload.id) }).execute();
      });
    });
    for (let i = 0; i < 5; i++) {
      await source.db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: `i${i}` }).execute();
        await writeOutbox(trx, 'item.created', { id: `i${i}` }, `i${i}`);
      });
    }
    await source.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values({ id: 'rolled-back' }).execute();
        await writeOutbox(trx, 'item.created', { id: 'rolled-back' });
        throw new Error('abort');
      })
      .catch(() => undefined);
    const relay = new OutboxRelay(source.db, 'commerce', bus, log);
    await relay.drain();
    expect(received.map((e) => e.payload.id)).toEqual(['i0', 'i1', 'i2', 'i3', 'i4']);
    expect(received[0]!.source).toBe('commerce');
    // Deliver everything again: the inbox makes it a no-op.
    for (const event of received.slice()) await bus.publish(event);
    const { rows } = await sql<{ n: number }>`select count(*) as n from seen`.execute(sink.db);
    expect(rows[0]!.n).toBe(5);
    const pending = await sql<{ n: number }>`select count(*) as n from outbox where published_at is null`.execute(source.db);
    expect(pending.rows[0]!.n).toBe(0);
  });

  it('keeps an event unpublished while its consumer fails, and delivers it later', async () => {
    const bus = new MemoryBus();
    let fail = true;
    let handled = 0;
    bus.subscribe('flaky', ['item.flaky'], async (event) => {
      if (fail) throw new Error('consumer down');
      await handleOnce(sink.db, 'flaky', event.id, async () => {
        handled++;
      });
    });
    await source.db.transaction().execute(async (trx) => {
      await writeOutbox(trx, 'item.flaky', { id: 'x' });
    });
    const relay = new OutboxRelay(source.db, 'commerce', bus, log);
    await expect(relay.drain()).rejects.toThrow('consumer down');
    await sql`update outbox set claimed_until = null where topic = 'item.flaky'`.execute(source.db);
    fail = false;
    await relay.drain();
    expect(handled).toBe(1);
  });
});

describe(`jobs (${STORE_LABEL})`, () => {
  it('runs each job once across competing runners', async () => {
    const runs = new Map<string, number>();
    const runners = [0, 1, 2].map(() => {
      const runner = new JobRunner(source.db, log, { concurrency: 2, pollMs: 20 });
      runner.register('count', async (job) => {
        const key = String(job.payload.n);
        runs.set(key, (runs.get(key) ?? 0) + 1);
      });
      return runner;
    });
    for (let n = 0; n < 30; n++) await enqueueJob(source.db, 'count', { n });
    runners.forEach((r) => r.start());
    const deadline = Date.now() + 20_000;
    while (runs.size < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(runners.map((r) => r.stop()));
    expect(runs.size).toBe(30);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
  });

  it('retries with backoff and then marks the job failed', async () => {
    const runner = new JobRunner(source.db, log, { backoffBaseMs: 1 });
    let attempts = 0;
    runner.register('always-fails', async () => {
      attempts++;
      throw new Error(`attempt ${attempts}`);
    });
    const id = await enqueueJob(source.db, 'always-fails', {}, { maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const job = await runner.claim();
      expect(job?.id).toBe(id);
      await runner.run(job!);
    }
    const row = await source.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBe('attempt 3');
    expect(await runner.claim()).toBeUndefined();
  });

  it('reclaims a job whose lease ran out (its process died) and skips one still leased', async () => {
    const runner = new JobRunner(source.db, log, { leaseMs: 60_000 });
    runner.register('lease', async () => undefined);
    const id = await enqueueJob(source.db, 'lease', {});
    const first = await runner.claim();
    expect(first?.id).toBe(id);
    expect(await runner.claim()).toBeUndefined();
    await sql`update jobs set locked_until = now() - interval '1 second' where id = ${id}`.execute(source.db);
    const again = await runner.claim();
    expect(again?.id).toBe(id);
    expect(again?.attempts).toBe(2);
  });

  it('renews the lease of a job that runs longer than the lease, so no other worker takes it meanwhile', async () => {
    const lease = { leaseMs: 300 };
    const worker = new JobRunner(source.db, log, lease);
    const rival = new JobRunner(source.db, log, lease);
    let runs = 0;
    for (const runner of [worker, rival]) {
      runner.register('long', async () => {
        runs++;
        await sleep(1_200);
      });
    }
    const id = await enqueueJob(source.db, 'long', {});
    let finished = false;
    const running = worker.run((await worker.claim())!).then(() => {
      finished = true;
    });
    const rivalClaims: unknown[] = [];
    while (!finished) {
      await sleep(50);
      const claimed = await rival.claim();
      if (claimed) rivalClaims.push(claimed);
    }
    await running;
    expect(rivalClaims).toEqual([]);
    expect(runs).toBe(1);
    const row = await source.db.selectFrom('jobs').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'done', attempts: 1 });
  });

  it("takes a dead worker's job again once its short lease runs out, and a worker that comes back lets go", async () => {
    // The default lease is short: a crashed worker's job waits about 30 s, not minutes.
    const defaults = new JobRunner(source.db, log);
    defaults.register('default-lease', async () => undefined);
    await enqueueJob(source.db, 'default-lease', {});
    const leased = await defaults.claim();
    const { rows } = await sql<{ s: string }>`select extract(epoch from locked_until - now()) as s from jobs where id = ${leased!.id}`.execute(source.db);
    expect(Number(rows[0]!.s)).toBeGreaterThan(25);
    expect(Number(rows[0]!.s)).toBeLessThanOrEqual(30);

    const lease = { leaseMs: 300 };
    const stalled = new JobRunner(source.db, log, lease);
    const successor = new JobRunner(source.db, log, lease);
    let letGo = false;
    stalled.register('crash', async (job) => {
      await new Promise((resolve) => job.signal!.addEventListener('abort', resolve));
      letGo = true;
    });
    successor.register('crash', async () => undefined);
    const id = await enqueueJob(source.db, 'crash', {});
    // The worker claims the job, then stops (killed, or stalled): nothing renews its lease.
    const first = await stalled.claim();
    expect(first?.id).toBe(id);
    expect(await successor.claim()).toBeUndefined();
    await sleep(400);
    const second = await successor.claim();
    expect(second).toMatchObject({ id, attempts: 2 });
    // The stalled worker wakes up and runs its stale claim: its first heartbeat finds the job
    // taken, aborts it, and its outcome does not overwrite the successor's claim.
    await stalled.run(first!);
    expect(letGo).toBe(true);
    expect(await source.db.selectFrom('jobs').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({ status: 'running', attempts: 2 });
    await successor.run(second!);
    expect(await source.db.selectFrom('jobs').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({ status: 'done', attempts: 2 });
  });

  it('enqueues a deduplicated job once', async () => {
    await enqueueJob(source.db, 'dedupe', {}, { dedupeKey: 'only-once' });
    await enqueueJob(source.db, 'dedupe', {}, { dedupeKey: 'only-once' });
    const { rows } = await sql<{ n: number }>`select count(*) as n from jobs where type = 'dedupe'`.execute(source.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('runs a defined job with its typed payload through its domain map, and refuses a map entry naming another job', async () => {
    const seen: string[] = [];
    const greet = defineJob<{ name: string }, string[]>('typed.greet', (into) => async (job) => void into.push(`halo ${job.payload.name}`));
    const runner = new JobRunner(source.db, log);
    registerJobs(runner, { 'typed.greet': greet.with(seen) });
    await greet.enqueue(source.db, { name: 'Budi' });
    const job = await runner.claim();
    expect(job?.type).toBe('typed.greet');
    await runner.run(job!);
    expect(seen).toEqual(['halo Budi']);
    expect(() => registerJobs(new JobRunner(source.db, log), { 'typed.other': greet.with(seen) })).toThrow(/holds the handler of typed.greet/);
  });

  it('schedules a recurring job once per period however many processes ask, at the start of the next one', async () => {
    const hourly = { everyMs: 3_600_000, dedupeKey: (hour: number) => `recurring-test:${hour}` };
    const now = Date.UTC(2026, 0, 1, 10, 15);
    await scheduleRecurring(source.db, { name: 'recurring.test' }, hourly, now);
    await scheduleRecurring(source.db, { name: 'recurring.test' }, hourly, now + 60_000);
    const rows = await source.db.selectFrom('jobs').select(['run_at', 'dedupe_key']).where('type', '=', 'recurring.test').execute();
    expect(rows.map((r) => ({ runAt: new Date(r.run_at).toISOString(), key: r.dedupe_key }))).toEqual([{ runAt: '2026-01-01T11:00:00.000Z', key: `recurring-test:${Date.UTC(2026, 0, 1, 11) / 3_600_000}` }]);
  });
});
