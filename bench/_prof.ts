// temporary: per-request CPU of bare Fastify vs Sekat's anonymous For You (cached), PGlite.
import Fastify from 'fastify';
import autocannon from 'autocannon';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { buildSekat } from '../src/server/app.js';
import { disposeTestConfig, testConfig } from '../src/platform/testing.js';
import { seedReadyVideo } from '../src/domains/social/testkit.js';
const session = new Session(); session.connect();
async function prof(name: string, url: string, headers: Record<string,string> = {}) {
  await autocannon({ url, connections: 50, duration: 2, headers });
  await session.post('Profiler.enable'); await session.post('Profiler.start');
  const r = await autocannon({ url, connections: 50, duration: 6, headers });
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(`/tmp/prof/${name}.cpuprofile`, JSON.stringify(profile));
  console.log(name, Math.round(r.requests.average), 'req/s', r.requests.total, 'total', r.non2xx, 'non2xx');
}
const bare = Fastify(); bare.get('/', async () => ({ hello: 'world' }));
await prof('bare', await bare.listen({ port: 0, host: '127.0.0.1' })); await bare.close();
const config = testConfig({ LOG_LEVEL: 'silent', DATABASE_URL: '' });
const sekat = await buildSekat(config, { background: false });
for (let i = 0; i < 40; i++) await seedReadyVideo(sekat.domains.social, { subject: `c${i}`, handle: `kreator_${i}` }, `Video ${i} #topik${i % 5}`, { views: 100, completed: i, likes: i });
const address = await sekat.app.listen({ port: 0, host: '127.0.0.1' });
await prof('anon', `${address}/api/social/feed/for-you`);
await prof('healthz', `${address}/api/commerce/checkout/options`);
await sekat.close(); await disposeTestConfig(config);
