import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigError } from './config.js';
import type { AnyDB } from './db.js';

/**
 * Prometheus metrics of one process (prom-client): requests per route pattern and status class,
 * each domain store's outbox backlog and job queue depth, the bus consumers' lag, and Node's own
 * process metrics. They are served on a port of their own (METRICS_PORT), never on the public one:
 * the gateway routes only /api/ and /media/, and answers /metrics with a 404.
 */
export interface ProcessMetrics {
  registry: Registry;
  /** Times every response of this app under its route pattern (never the raw URL). */
  instrument(app: FastifyInstance, routeOf?: (request: FastifyRequest) => string | undefined): void;
  /** The outbox backlog and job queue depth of a domain's store, read at each scrape. */
  watchStore(domain: string, db: Kysely<AnyDB>): void;
  /** The lag of each bus consumer of this process, read at each scrape. */
  watchBus(lag: () => Promise<Record<string, number>>): void;
  /** The exposition text of this process's metrics and the default process metrics. */
  text(): Promise<string>;
  contentType: string;
}

// Node's own metrics (CPU, memory, event loop, GC) once per Node process: every app built in it shares them.
let processRegistry: Registry | undefined;
function defaultRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

export function createMetrics(part: string): ProcessMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ part });
  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status class: the count is the request rate, the buckets the latency',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const stores = new Map<string, Kysely<AnyDB>>();
  const buses: (() => Promise<Record<string, number>>)[] = [];
  const collect = () => readStores();
  const storeUp = new Gauge({
    name: 'sekat_store_up',
    collect,
    help: 'Whether the domain store answered the last scrape (1) or not (0)',
    labelNames: ['domain'],
    registers: [registry],
  });
  const backlog = new Gauge({
    name: 'sekat_outbox_backlog',
    collect,
    help: 'Events written to the domain outbox and not yet published to the bus',
    labelNames: ['domain'],
    registers: [registry],
  });
  const oldest = new Gauge({
    name: 'sekat_outbox_oldest_age_seconds',
    collect,
    help: 'Age of the oldest unpublished outbox event (0 when the outbox is empty)',
    labelNames: ['domain'],
    registers: [registry],
  });
  const depth = new Gauge({
    name: 'sekat_job_queue_depth',
    collect,
    help: 'Jobs waiting to run (queued, due or not), by domain and job name',
    labelNames: ['domain', 'job'],
    registers: [registry],
  });
  // One read of every store per scrape, shared by the three gauges (collect runs once per gauge).
  let reading: Promise<void> | undefined;
  function readStores(): Promise<void> {
    if (reading) return reading;
    return (reading = (async () => {
      storeUp.reset();
      backlog.reset();
      oldest.reset();
      depth.reset();
      await Promise.all(
        [...stores].map(async ([domain, db]) => {
          try {
            const outbox = await sql<{ n: number | string; age: number | string | null }>`
              select count(*) as n, extract(epoch from now() - min(created_at)) as age from outbox where published_at is null`.execute(db);
            const jobs = await sql<{ type: string; n: number | string }>`select type, count(*) as n from jobs where status = 'queued' group by type`.execute(db);
            const row = outbox.rows[0];
            backlog.set({ domain }, Number(row?.n ?? 0));
            oldest.set({ domain }, Math.max(0, Number(row?.age ?? 0)));
            for (const job of jobs.rows) depth.set({ domain, job: job.type }, Number(job.n));
            storeUp.set({ domain }, 1);
          } catch {
            storeUp.set({ domain }, 0);
          }
        }),
      );
    })().finally(() => setTimeout(() => (reading = undefined), 0)));
  }
  new Gauge({
    name: 'sekat_bus_consumer_lag',
    help: 'Events stored on the bus that a consumer has not yet acknowledged (pending and in flight)',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const lag of buses) {
        const byConsumer = await lag().catch(() => ({}) as Record<string, number>);
        for (const [consumer, value] of Object.entries(byConsumer)) this.set({ consumer }, value);
      }
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    instrument(app, routeOf) {
      app.addHook('onResponse', (request, reply, done) => {
        const route = routeOf?.(request) ?? request.routeOptions.url ?? 'unmatched';
        requests.observe({ method: request.method, route, status_class: statusClass(reply.statusCode) }, reply.elapsedTime / 1000);
        done();
      });
    },
    watchStore(domain, db) {
      stores.set(domain, db);
    },
    watchBus(lag) {
      buses.push(lag);
    },
    async text() {
      return (await registry.metrics()) + (await defaultRegistry().metrics());
    },
  };
}

/** METRICS_PORT: where a process serves /metrics (unset: not served). 0 takes any free port. */
export function metricsPortOf(env: Record<string, string | undefined>): number | undefined {
  const raw = (env.METRICS_PORT ?? '').trim();
  if (raw === '' || raw === 'off') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`METRICS_PORT must be a port number (0-65535) or "off", got "${raw}"`);
  return Number(raw);
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics (and nothing else) on its own port, for Prometheus inside the cluster. */
export async function serveMetrics(metrics: ProcessMetrics, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: this port serves GET /metrics only.\n');
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
