import { loadConfig, ConfigError } from '../platform/config.js';
import { buildProcess } from './app.js';
import { metricsPortOf, serveMetrics, type MetricsServer } from '../platform/metrics.js';

async function main(): Promise<void> {
  let config;
  let metricsPort: number | undefined;
  try {
    config = loadConfig();
    metricsPort = metricsPortOf(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Sekat cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const sekat = await buildProcess(config);
  let metricsServer: MetricsServer | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    sekat.log.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
    const force = setTimeout(() => {
      sekat.log.error('shutdown took over 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    await metricsServer?.close();
    await sekat.close();
    sekat.log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const address = await sekat.app.listen({ port: config.port, host: config.host });
  // Prometheus scrapes its own port: the public one (and the gateway) never serve /metrics.
  if (metricsPort !== undefined) metricsServer = await serveMetrics(sekat.metrics, config.host, metricsPort);
  sekat.log.info(
    {
      address,
      runs: config.gateway ? ['gateway'] : config.domains,
      dataDir: config.dataDir,
      store: config.gateway ? 'none' : config.databaseUrl || Object.keys(config.databaseUrls).length > 0 ? 'postgres' : 'pglite',
      bus: config.natsUrl ? 'nats' : 'memory',
      metricsPort: metricsServer?.port ?? 'off',
    },
    'Sekat is listening',
  );
}

main().catch((error: unknown) => {
  console.error('Sekat failed to start:', error);
  process.exit(1);
});
