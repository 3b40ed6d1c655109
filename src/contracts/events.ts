/** The envelope every event crossing a domain line travels in. */
export interface EventEnvelope<P = Record<string, unknown>> {
  /** UUIDv7, unique per event; consumers dedupe on it. */
  id: string;
  topic: string;
  /** The domain that wrote it. */
  source: string;
  /** Ordering key (e.g. a product id): events with one key are published in order. */
  key?: string;
  occurredAt: string;
  payload: P;
}
