import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { EventEnvelope } from '../contracts/events.js';
import type { Bus, EventHandler } from './bus.js';

export interface NatsBusOptions {
  url: string;
  /** The JetStream stream events are kept in; its subjects are `<stream in lower case>.<topic>`. */
  stream: string;
  log: Logger;
}

const DAY_NS = 24 * 60 * 60 * 1e9;
/** A publish retried within this window with the same event id is stored once. */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;

/** A durable consumer's name: NATS allows no dots, wildcards or spaces there. */
export const durableName = (consumer: string) => consumer.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * The narrowest subject filter that holds every topic: `p.product.>` for `product.upserted` and
 * `product.removed`, the whole stream when topics differ in their first word. (One filter per
 * consumer: the NATS servers we run on do not all take several.)
 */
export function filterSubject(prefix: string, topics: string[]): string {
  const first = new Set(topics.map((topic) => topic.split('.')[0]));
  if (topics.length === 1) return `${prefix}.${topics[0]}`;
  return first.size === 1 ? `${prefix}.${[...first][0]}.>` : `${prefix}.>`;
}

/**
 * The bus over NATS JetStream, for Sekat run as several processes. Events are stored in one
 * stream; a publish resolves once the stream has stored the event (the outbox row is marked
 * published only then), deduplicated by event id. Each consumer is a durable JetStream consumer
 * shared by every process that subscribes under its name, with one event in flight at a time so
 * events reach it in the order they were published; a failed handler's event comes again later.
 */
export class NatsBus implements Bus {
  private readonly consuming: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly durables = new Set<string>();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({ servers: options.url, name: 'sekat', maxReconnectAttempts: -1 });
    try {
      const jsm = await jetstreamManager(nc);
      const prefix = options.stream.toLowerCase();
      const config = { subjects: [`${prefix}.>`], max_age: 7 * DAY_NS, duplicate_window: DUPLICATE_WINDOW_NS };
      try {
        await jsm.streams.info(options.stream);
        await jsm.streams.update(options.stream, config);
      } catch (error) {
        if (!/stream not found/i.test(String((error as Error).message))) throw error;
        await jsm.streams.add({ name: options.stream, ...config });
      }
      return new NatsBus(nc, jetstream(nc), jsm, options.stream, prefix, options.log);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  async publish(event: EventEnvelope): Promise<void> {
    await this.js.publish(`${this.prefix}.${event.topic}`, JSON.stringify(event), { msgID: event.id });
  }

  subscribe(consumer: string, topics: string[], handler: EventHandler): void {
    const loop = this.consume(durableName(consumer), new Set(topics), filterSubject(this.prefix, topics), handler).catch((error: unknown) => {
      if (!this.closed) this.log.error({ err: error, consumer }, 'event consumer stopped');
    });
    this.loops.push(loop);
  }

  /** Resolves once every subscription made so far is consuming (tests wait for it). */
  async ready(): Promise<void> {
    while (this.consuming.length < this.loops.length && !this.closed) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** A round trip to the NATS server within two seconds. */
  async ping(): Promise<boolean> {
    if (this.closed || this.nc.isClosed()) return false;
    try {
      await Promise.race([this.nc.flush(), new Promise((_resolve, reject) => setTimeout(() => reject(new Error('NATS did not answer in 2 s')), 2000).unref())]);
      return true;
    } catch {
      return false;
    }
  }

  /** Per durable consumer of this process: stored events not yet delivered plus those delivered and not yet acknowledged. */
  async lag(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const durable of this.durables) {
      const info = await this.jsm.consumers.info(this.stream, durable);
      out[durable] = info.num_pending + info.num_ack_pending;
    }
    return out;
  }

  private async consume(durable: string, topics: Set<string>, filter: string, handler: EventHandler): Promise<void> {
    this.durables.add(durable);
    await this.jsm.consumers.add(this.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      max_ack_pending: 1,
      ack_wait: 60 * 1e9,
    });
    const messages = await (await this.js.consumers.get(this.stream, durable)).consume({ max_messages: 16 });
    this.consuming.push(messages);
    if (this.closed) messages.stop();
    for await (const message of messages) {
      let event: EventEnvelope;
      try {
        event = message.json<EventEnvelope>();
      } catch {
        this.log.error({ consumer: durable, seq: message.seq }, 'event is not JSON; dropped');
        message.term();
        continue;
      }
      if (!topics.has(event.topic)) {
        message.ack();
        continue;
      }
      try {
        await handler(event);
        message.ack();
      } catch (error) {
        // Again later, waiting longer each time (1 s, 2 s, 4 s … at most a minute).
        const delay = Math.min(60_000, 1000 * 2 ** Math.min(6, message.info.deliveryCount - 1));
        this.log.warn({ err: error, consumer: durable, topic: event.topic, eventId: event.id, delay }, 'event handler failed; will retry');
        message.nak(delay);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const messages of this.consuming) messages.stop();
    await Promise.allSettled(this.loops);
    await this.nc.drain();
  }
}
