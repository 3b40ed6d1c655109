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
import { JobRunner, enqueueJob } from './jobs.js';
import { testConfig, disposeTestConfig, STORE_LABEL } from './testing.js';
import type { EventEnvelope } from '../contracts/events.js';

const config = testConfig();
const log = pino({ level: 'silent' });
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

  it('enqueues a deduplicated job once', async () => {
    await enqueueJob(source.db, 'dedupe', {}, { dedupeKey: 'only-once' });
    await enqueueJob(source.db, 'dedupe', {}, { dedupeKey: 'only-once' });
    const { rows } = await sql<{ n: number }>`select count(*) as n from jobs where type = 'dedupe'`.execute(source.db);
    expect(rows[0]!.n).toBe(1);
  });
});
