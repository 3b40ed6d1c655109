import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/**
 * Fan-out between the processes of one domain: what one process publishes on a subject, every
 * other process subscribed to it hears once, now or never. Nothing is kept and nothing comes
 * again (unlike the event bus, a durable queue each event of which one consumer takes): it is for
 * ephemeral messages such as what happens in a live room, which only sockets connected now need.
 *
 * A process never hears its own messages. Subjects are relative (`live.<id>`); `*` matches one
 * word, `>` the rest, as in NATS.
 */
export interface Broadcast {
  /** This process's id on the wire (what a message's sender is told apart by). */
  readonly origin: string;
  publish(subject: string, data: Uint8Array): void;
  /** Resolves once the subscription is in place (messages published after that are heard). */
  subscribe(subject: string, handler: (data: Uint8Array, subject: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** Whether a NATS-style pattern (`*` one token, `>` the rest) covers a subject. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

/** A subject token: letters, digits, `-` and `_` only (no dots or wildcards from outside). */
export const isSubjectToken = (token: string) => /^[A-Za-z0-9_-]{1,128}$/.test(token);

/**
 * The in-process fan-out: one hub several "processes" (Broadcast instances) share, as tests of
 * two rooms in one process do. `new LocalBroadcast()` alone is one process that nobody else hears.
 */
export class LocalBroadcast implements Broadcast {
  readonly origin = randomUUID();
  private readonly handlers = new Set<{ pattern: string; handler: (data: Uint8Array, subject: string) => void }>();
  private closed = false;

  constructor(private readonly hub: Set<LocalBroadcast> = new Set()) {
    hub.add(this);
  }

  /** Another process on the same hub. */
  peer(): LocalBroadcast {
    return new LocalBroadcast(this.hub);
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.closed) return;
    for (const other of this.hub) {
      if (other === this) continue;
      for (const { pattern, handler } of other.handlers) {
        if (subjectMatches(pattern, subject)) queueMicrotask(() => handler(data, subject));
      }
    }
  }

  async subscribe(subject: string, handler: (data: Uint8Array, subject: string) => void): Promise<() => void> {
    const entry = { pattern: subject, handler };
    this.handlers.add(entry);
    return () => void this.handlers.delete(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.hub.delete(this);
  }
}

export interface NatsBroadcastOptions {
  url: string;
  /** Prefix of every subject, e.g. `fanout.sekat` (from NATS_STREAM), so separate deployments and test runs never hear each other. */
  namespace: string;
  log: Logger;
}

/**
 * Fan-out over NATS core publish/subscribe (not JetStream: nothing is stored). The connection
 * is opened with `noEcho`, so the server never hands a process its own messages back.
 */
export class NatsBroadcast implements Broadcast {
  readonly origin = randomUUID();
  private readonly subscriptions = new Set<Subscription>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  static async connect(options: NatsBroadcastOptions): Promise<NatsBroadcast> {
    if (!options.namespace.split('.').every(isSubjectToken)) throw new Error(`not a subject prefix: ${options.namespace}`);
    const nc = await connect({ servers: options.url, name: 'sekat-fanout', noEcho: true, maxReconnectAttempts: -1 });
    return new NatsBroadcast(nc, options.namespace, options.log);
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(`${this.namespace}.${subject}`, data);
    } catch (error) {
      // Ephemeral: a message that cannot go out now is lost, as it would be on a dropped socket.
      this.log.warn({ err: error, subject }, 'fan-out publish failed');
    }
  }

  async subscribe(subject: string, handler: (data: Uint8Array, subject: string) => void): Promise<() => void> {
    const skip = this.namespace.length + 1;
    const subscription = this.nc.subscribe(`${this.namespace}.${subject}`, {
      callback: (error, message) => {
        if (error) return this.log.warn({ err: error, subject }, 'fan-out subscription error');
        try {
          handler(message.data, message.subject.slice(skip));
        } catch (failure) {
          this.log.warn({ err: failure, subject: message.subject }, 'fan-out handler failed');
        }
      },
    });
    this.subscriptions.add(subscription);
    // The server has the subscription once it answered a ping sent after it.
    await this.nc.flush();
    return () => {
      this.subscriptions.delete(subscription);
      subscription.unsubscribe();
    };
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => undefined);
  }
}
