import type { EventEnvelope } from '../contracts/events.js';

export type EventHandler = (event: EventEnvelope) => Promise<void>;

/**
 * The event bus between domains. Small on purpose: an in-process adapter now; a NATS JetStream
 * adapter implements the same two calls. Delivery is at least once, so consumers use `inbox`.
 */
export interface Bus {
  publish(event: EventEnvelope): Promise<void>;
  subscribe(consumer: string, topics: string[], handler: EventHandler): void;
  close(): Promise<void>;
  /** Whether the bus server answers (readiness); an in-process bus always does. */
  ping?(): Promise<boolean>;
  /** Events each consumer of this process has not yet acknowledged (metrics). */
  lag?(): Promise<Record<string, number>>;
}

/** In-process bus: publish resolves once every subscribed consumer has handled the event. */
export class MemoryBus implements Bus {
  private readonly subscriptions: { consumer: string; topics: Set<string>; handler: EventHandler }[] = [];

  subscribe(consumer: string, topics: string[], handler: EventHandler): void {
    this.subscriptions.push({ consumer, topics: new Set(topics), handler });
  }

  async publish(event: EventEnvelope): Promise<void> {
    const targets = this.subscriptions.filter((s) => s.topics.has(event.topic));
    const results = await Promise.allSettled(targets.map((s) => s.handler(event)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async close(): Promise<void> {
    this.subscriptions.length = 0;
  }
}
