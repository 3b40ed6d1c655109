/**
 * npm run bench:http — Sekat's GET /healthz and signed-in GET /api/me next to a bare Fastify
 * hello-world started in the same run, on PGlite and (with DATABASE_URL) on PostgreSQL.
 * Target: /api/me at ≥ 40 % of bare Fastify's req/s.
 */
import Fastify from 'fastify';
import { buildSekat } from '../src/server/app.js';
import { testConfig, disposeTestConfig } from '../src/platform/testing.js';
import { measure, printTable, type Figures } from './support.js';

async function bare(): Promise<Figures> {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    return await measure('bare Fastify GET /', { url });
  } finally {
    await app.close();
  }
}

async function sekatRun(store: 'pglite' | 'postgres'): Promise<Figures[]> {
  const config = testConfig({ LOG_LEVEL: 'warn', ...(store === 'pglite' ? { DATABASE_URL: '' } : {}) });
  const sekat = await buildSekat(config);
  try {
    const url = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await sekat.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: 'bench@contoh.id', password: 'benchmark-password', handle: 'bench', displayName: 'Bench' },
    });
    const { token } = res.json() as { token: string };
    const health = await measure(`Sekat GET /healthz (${store})`, { url: `${url}/healthz` });
    const me = await measure(`Sekat GET /api/me (${store})`, { url: `${url}/api/me`, headers: { authorization: `Bearer ${token}` } });
    return [health, me];
  } finally {
    await sekat.close();
    await disposeTestConfig(config);
  }
}

// Each store is compared with a bare Fastify measured right before it, so that the machine's
// state (JIT, heat, other load) is the same for both sides of each ratio.
const rows: Figures[] = [];
const ratios: string[] = [];
for (const store of ['pglite', ...(process.env.DATABASE_URL ? ['postgres' as const] : [])] as const) {
  const baseline = await bare();
  const [health, me] = await sekatRun(store);
  rows.push({ ...baseline, name: `bare Fastify GET / (before ${store})` }, health!, me!);
  const ratio = me!.requestsPerSecond / baseline.requestsPerSecond;
  ratios.push(`${me!.name}: ${(ratio * 100).toFixed(0)}% of bare Fastify (target ≥ 40%) — ${ratio >= 0.4 ? 'met' : 'NOT met'}`);
}
if (!process.env.DATABASE_URL) console.log('PostgreSQL run skipped: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to include it.');
printTable('bench:http — 50 connections', rows);
for (const line of ratios) console.log(line);
