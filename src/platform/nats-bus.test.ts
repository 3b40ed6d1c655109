import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsBus, durableName, filterSubject } from './nats-bus.js';
import { uuidv7 } from './ids.js';
import type { EventEnvelope } from '../contracts/events.js';

const NATS_URL = process.env.NATS_URL;
const log = pino({ level: 'silent' });
const streams: string[] = [];
const buses: NatsBus[] = [];

/** A stream of this test's own, removed afterwards, so runs and test files never meet. */
function newStream(): string {
  const name = `SEKATTEST_${randomBytes(5).toString('hex')}`;
  streams.push(name);
  return name;
}

async function bus(stream: string): Promise<NatsBus> {
  const opened = await NatsBus.connect({ url: NATS_URL!, stream, log });
  buses.push(opened);
  return opened;
}

const event = (topic: string, payload: Record<string, unknown> = {}, id = uuidv7()): EventEnvelope => ({
  id,
  topic,
  source: 'test',
  occurredAt: new Date().toISOString(),
  payload,
});

/** Waits until `check` gives something (or true), and returns it. */
async function until<T>(check: () => T | Promise<T>, ms = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(async () => {
  await Promise.allSettled(buses.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  if (!NATS_URL || streams.length === 0) return;
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

describe('NATS subject names', () => {
  it('filters on the narrowest subject that holds every topic, and names durables without dots', () => {
    expect(filterSubject('sekat', ['product.upserted'])).toBe('sekat.product.upserted');
    expect(filterSubject('sekat', ['product.upserted', 'product.removed'])).toBe('sekat.product.>');
    expect(filterSubject('sekat', ['product.upserted', 'consent.changed'])).toBe('sekat.>');
    expect(durableName('social.product-cards v1')).toBe('social_product-cards_v1');
  });
});

describe.skipIf(!NATS_URL)('NATS JetStream bus', () => {
  it('delivers each event once, in order, and only the topics subscribed to', async () => {
    const b = await bus(newStream());
    const got: string[] = [];
    b.subscribe('social.cards', ['product.upserted', 'product.removed'], async (e) => {
      got.push(`${e.topic}:${String(e.payload.n)}`);
    });
    await b.ready();
    for (let n = 0; n < 20; n++) await b.publish(event(n % 5 === 4 ? 'product.removed' : 'product.upserted', { n }));
    await b.publish(event('consent.changed', { n: 'other' }));
    await until(() => got.length >= 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(got).toEqual(Array.from({ length: 20 }, (_, n) => `${n % 5 === 4 ? 'product.removed' : 'product.upserted'}:${n}`));
  });

  it('stores an event published twice with the same id once (an outbox relay retrying)', async () => {
    const b = await bus(newStream());
    const got: string[] = [];
    b.subscribe('sink', ['item.created'], async (e) => {
      got.push(e.id);
    });
    await b.ready();
    const once = event('item.created');
    await b.publish(once);
    await b.publish(once);
    await b.publish(event('item.created'));
    await until(() => got.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got).toHaveLength(2);
    expect(got[0]).toBe(once.id);
  });

  it('delivers again after a handler fails, and holds later events back until it succeeds', async () => {
    const b = await bus(newStream());
    const attempts: string[] = [];
    let failuresLeft = 1;
    b.subscribe('flaky', ['item.created'], async (e) => {
      attempts.push(String(e.payload.n));
      if (e.payload.n === 1 && failuresLeft-- > 0) throw new Error('database away');
    });
    await b.ready();
    await b.publish(event('item.created', { n: 1 }));
    await b.publish(event('item.created', { n: 2 }));
    await until(() => attempts.includes('2'));
    expect(attempts).toEqual(['1', '1', '2']);
  });

  it('keeps events for a consumer that is not running, and shares a consumer between processes', async () => {
    const stream = newStream();
    const publisher = await bus(stream);
    for (let n = 0; n < 30; n++) await publisher.publish(event('item.created', { n }));
    // Two processes subscribe under one consumer name after the events were published.
    const [first, second] = [await bus(stream), await bus(stream)];
    const handled: number[] = [];
    for (const process of [first, second]) {
      process.subscribe('workers', ['item.created'], async (e) => {
        handled.push(Number(e.payload.n));
      });
    }
    await until(() => handled.length >= 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));
  });
});
