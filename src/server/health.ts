import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { notFound, problemOf, unavailable } from '../platform/errors.js';

/** Seconds a caller of a process that is not ready is told to wait. */
const NOT_READY_RETRY_SECONDS = 5;
/** A check that has not answered in this long counts as down: readiness never hangs. */
const CHECK_TIMEOUT_MS = 2000;

export type ReadinessChecks = Record<string, () => Promise<boolean>>;

async function run(check: () => Promise<boolean>): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const ok = await Promise.race([check(), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)))]);
    return ok ? 'ok' : 'unavailable';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /livez (the process runs and its event loop answers: restart it when this fails) and
 * GET /readyz (everything it needs answers: its stores, the bus, Redis; send it no traffic while
 * this is a 503 problem). /metrics on the public port is a 404: metrics have their own port.
 */
export function registerHealth(app: FastifyInstance, checks: ReadinessChecks): void {
  app.get(
    '/livez',
    { schema: { tags: ['health'], summary: 'The process runs', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Every store, the bus and Redis of this process answer (a 503 problem when one does not)',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), checks: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(), checks: Type.Record(Type.String(), Type.String()) }, { description: 'RFC 9457 problem details' }),
        },
      },
    },
    async (_request, reply) => {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((name) => run(checks[name]!)));
      const status = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
      const down = names.filter((name) => status[name] !== 'ok');
      if (down.length === 0) return { status: 'ok' as const, checks: status };
      // Said without an error log line: a process that is starting or lost its store is not a bug.
      const { headers, ...body } = problemOf(unavailable(`Not ready: ${down.join(', ')} did not answer.`, NOT_READY_RETRY_SECONDS));
      return reply
        .code(503)
        .headers(headers ?? {})
        .type('application/problem+json')
        .serializer(JSON.stringify)
        .send({ ...body, instance: '/readyz', checks: status });
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async () => {
    throw notFound('No route GET /metrics: metrics are served on the process’s METRICS_PORT, inside the cluster only.');
  });
}
