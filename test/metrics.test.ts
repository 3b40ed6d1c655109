import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/platform/config.js';
import { enqueueJob } from '../src/platform/jobs.js';
import { writeOutbox } from '../src/platform/outbox.js';
import { metricsPortOf, serveMetrics, type MetricsServer } from '../src/platform/metrics.js';
import { buildProcess, buildSekat } from '../src/server/app.js';
import { disposeTestConfig, STORE_LABEL, testConfig } from '../src/platform/testing.js';
import { useSekat } from './support/sekat.js';

/** One sample line of a Prometheus text exposition: name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));

describe(`metrics, liveness and readiness of a process (${STORE_LABEL})`, () => {
  const test = useSekat({ background: false });
  let server: MetricsServer | undefined;
  afterAll(async () => server?.close());

  it('serves /metrics on its own port, where a request shows under its route pattern and a queued job and an outbox event show in the depths', async () => {
    const { sekat } = test;
    server = await serveMetrics(sekat.metrics, '127.0.0.1', 0);
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${server!.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return parseExposition(await res.text());
    };
    const before = await scrape();
    const id = randomUUID();
    const missing = await sekat.app.inject({ url: `/api/social/videos/${id}` });
    expect(missing.statusCode).toBe(404);
    await enqueueJob(sekat.deps.social.db, 'metrics-probe', {});
    await enqueueJob(sekat.deps.social.db, 'metrics-probe', {});
    await sekat.deps.commerce.db.transaction().execute((trx) => writeOutbox(trx, 'metrics.probe', { n: 1 }));

    const after = await scrape();
    const series = { name: 'http_request_duration_seconds_count', labels: { method: 'GET', route: '/api/social/videos/:id', status_class: '4xx' } };
    expect((find(after, series.name, series.labels)?.value ?? 0) - (find(before, series.name, series.labels)?.value ?? 0)).toBe(1);
    // Never the raw URL: one series per route pattern.
    expect(after.some((s) => Object.values(s.labels).some((value) => value.includes(id)))).toBe(false);
    expect(find(after, 'http_request_duration_seconds_bucket', { ...series.labels, le: '+Inf' })?.value).toBeGreaterThanOrEqual(1);
    expect(find(after, 'sekat_job_queue_depth', { domain: 'social', job: 'metrics-probe' })?.value).toBe(2);
    expect(find(after, 'sekat_outbox_backlog', { domain: 'commerce' })?.value).toBeGreaterThanOrEqual(1);
    expect(find(after, 'sekat_outbox_oldest_age_seconds', { domain: 'commerce' })?.value).toBeGreaterThanOrEqual(0);
    expect(find(after, 'sekat_store_up', { domain: 'identity' })?.value).toBe(1);
    // Node's own process metrics come along.
    expect(find(after, 'process_cpu_seconds_total', {})).toBeDefined();
    expect(find(after, 'nodejs_eventloop_lag_seconds', {})).toBeDefined();

    // The metrics port serves nothing else, and the public port no metrics.
    expect((await fetch(`http://127.0.0.1:${server.port}/api/social/feed/for-you`)).status).toBe(404);
    const publicMetrics = await sekat.app.inject({ url: '/metrics' });
    expect(publicMetrics.statusCode).toBe(404);
    expect(publicMetrics.headers['content-type']).toContain('application/problem+json');
  });

  it('answers /livez and /readyz, naming every store and the bus', async () => {
    const live = await test.sekat.app.inject({ url: '/livez' });
    expect(live.statusCode).toBe(200);
    const ready = await test.sekat.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { identity: 'ok', social: 'ok', commerce: 'ok', bridge: 'ok', bus: 'ok' } });
  });

  it('refuses a METRICS_PORT that is not a port, naming it', () => {
    expect(metricsPortOf({})).toBeUndefined();
    expect(metricsPortOf({ METRICS_PORT: '9464' })).toBe(9464);
    expect(() => metricsPortOf({ METRICS_PORT: 'sembilan' })).toThrow(/METRICS_PORT/);
    expect(() => metricsPortOf({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});

describe(`readiness of a process whose store is gone (${STORE_LABEL})`, () => {
  it('is live but not ready: a 503 problem with Retry-After that names the store', async () => {
    const config = testConfig();
    const sekat = await buildSekat(config, { background: false });
    try {
      await sekat.stores.social.close();
      expect((await sekat.app.inject({ url: '/livez' })).statusCode).toBe(200);
      const ready = await sekat.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['content-type']).toContain('application/problem+json');
      expect(ready.headers['retry-after']).toBe('5');
      expect(ready.json()).toMatchObject({ status: 503, type: 'https://sekat.id/problems/unavailable', checks: { social: 'unavailable', commerce: 'ok' } });
      expect(ready.json().detail).toContain('social');
      const text = await sekat.metrics.text();
      expect(find(parseExposition(text), 'sekat_store_up', { domain: 'social' })?.value).toBe(0);
    } finally {
      await sekat.close().catch(() => undefined);
      await disposeTestConfig(config);
    }
  });
});

describe('the gateway’s own health and metrics', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sekat-gw-metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is live, not ready with no domain process up, answers /metrics with 404 from outside, and times proxied requests by domain', async () => {
    const nobody = 'http://127.0.0.1:9';
    const gateway = await buildProcess(
      loadConfig({
        DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        SEKAT_DOMAINS: 'gateway',
        SEKAT_UPSTREAM_IDENTITY: nobody,
        SEKAT_UPSTREAM_SOCIAL: nobody,
        SEKAT_UPSTREAM_COMMERCE: nobody,
        SEKAT_UPSTREAM_BRIDGE: nobody,
      }),
    );
    try {
      expect((await gateway.app.inject({ url: '/livez' })).statusCode).toBe(200);
      const ready = await gateway.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBeTruthy();
      expect(ready.json().checks).toEqual({ identity: 'unavailable', social: 'unavailable', commerce: 'unavailable', bridge: 'unavailable' });
      const metrics = await gateway.app.inject({ url: '/metrics' });
      expect(metrics.statusCode).toBe(404);
      expect(metrics.body).not.toContain('http_request_duration_seconds');
      const shop = await gateway.app.inject({ url: `/api/commerce/products/${randomUUID()}` });
      expect(shop.statusCode).toBe(503);
      const samples = parseExposition(await gateway.metrics.text());
      expect(find(samples, 'http_request_duration_seconds_count', { route: '/api/* → commerce', status_class: '5xx', part: 'gateway' })?.value).toBe(1);
    } finally {
      await gateway.close();
    }
  });
});

describe.skipIf(!process.env.NATS_URL)('bus consumer lag on NATS JetStream', () => {
  it('counts the events a consumer has not acknowledged, per consumer, and answers ping', async () => {
    const { NatsBus } = await import('../src/platform/nats-bus.js');
    const pino = (await import('pino')).default;
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const stream = `SEKATTEST_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const bus = await NatsBus.connect({ url: process.env.NATS_URL!, stream, log: pino({ level: 'silent' }) });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    try {
      bus.subscribe('metrics probe', ['probe.happened'], async () => {
        await held;
        handled++;
      });
      await bus.ready();
      expect(await bus.ping()).toBe(true);
      for (let i = 0; i < 3; i++) await bus.publish({ id: randomUUID(), topic: 'probe.happened', source: 'test', occurredAt: new Date().toISOString(), payload: {} });
      const metrics = (await import('../src/platform/metrics.js')).createMetrics('social');
      metrics.watchBus(() => bus.lag());
      const deadline = Date.now() + 10_000;
      let lag: number | undefined;
      while (Date.now() < deadline) {
        lag = find(parseExposition(await metrics.text()), 'sekat_bus_consumer_lag', { consumer: 'metrics_probe' })?.value;
        if (lag === 3) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(lag).toBe(3);
      release();
      while (handled < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(handled).toBe(3);
      let settled: number | undefined;
      while (Date.now() < deadline) {
        settled = (await bus.lag()).metrics_probe;
        if (settled === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(settled).toBe(0);
    } finally {
      release();
      await bus.close();
      const nc = await connect({ servers: process.env.NATS_URL! });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });
});
