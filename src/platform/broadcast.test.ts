import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { LocalBroadcast, NatsBroadcast, subjectMatches, type Broadcast } from './broadcast.js';

const NATS_URL = process.env.NATS_URL;
const log = pino({ level: 'silent' });
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const bytes = (s: string) => new TextEncoder().encode(s);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What each of two "processes" hears on `live.*` after one of them publishes. */
async function exchange(a: Broadcast, b: Broadcast) {
  const heardA: string[] = [];
  const heardB: string[] = [];
  await a.subscribe('live.*', (data, subject) => heardA.push(`${subject} ${text(data)}`));
  await b.subscribe('live.*', (data, subject) => heardB.push(`${subject} ${text(data)}`));
  a.publish('live.one', bytes('dari a'));
  b.publish('live.two', bytes('dari b'));
  b.publish('other.two', bytes('bukan room'));
  b.publish('live.two.deeper', bytes('terlalu dalam'));
  await pause(300);
  return { heardA, heardB };
}

describe('fan-out between processes', () => {
  it('matches subjects as NATS does', () => {
    expect(subjectMatches('live.*', 'live.abc')).toBe(true);
    expect(subjectMatches('live.*', 'live.abc.def')).toBe(false);
    expect(subjectMatches('live.>', 'live.abc.def')).toBe(true);
    expect(subjectMatches('live.>', 'live')).toBe(false);
    expect(subjectMatches('live.abc', 'live.abd')).toBe(false);
  });

  it('in process: each peer hears the others once and never itself', async () => {
    const a = new LocalBroadcast();
    const b = a.peer();
    const alone = new LocalBroadcast();
    const heardAlone: string[] = [];
    await alone.subscribe('live.*', (data) => heardAlone.push(text(data)));
    const { heardA, heardB } = await exchange(a, b);
    expect(heardA).toEqual(['live.two dari b']);
    expect(heardB).toEqual(['live.one dari a']);
    expect(heardAlone).toEqual([]);
    await Promise.all([a.close(), b.close(), alone.close()]);
  });

  it.skipIf(!NATS_URL)('over NATS core: each process hears the others once, never itself, and only in its namespace', async () => {
    const namespace = `fanout.test${randomBytes(4).toString('hex')}`;
    const a = await NatsBroadcast.connect({ url: NATS_URL!, namespace, log });
    const b = await NatsBroadcast.connect({ url: NATS_URL!, namespace, log });
    const elsewhere = await NatsBroadcast.connect({ url: NATS_URL!, namespace: `${namespace}x`, log });
    const heardElsewhere: string[] = [];
    await elsewhere.subscribe('live.*', (data) => heardElsewhere.push(text(data)));
    try {
      const { heardA, heardB } = await exchange(a, b);
      expect(heardA).toEqual(['live.two dari b']);
      expect(heardB).toEqual(['live.one dari a']);
      expect(heardElsewhere).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close(), elsewhere.close()]);
    }
    await expect(NatsBroadcast.connect({ url: NATS_URL!, namespace: 'fanout.*', log })).rejects.toThrow(/subject prefix/);
  });
});
