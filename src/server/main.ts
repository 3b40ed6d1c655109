import { loadConfig, ConfigError } from '../platform/config.js';
import { buildProcess } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Sekat cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const sekat = await buildProcess(config);
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
    await sekat.close();
    sekat.log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const address = await sekat.app.listen({ port: config.port, host: config.host });
  sekat.log.info(
    {
      address,
      runs: config.gateway ? ['gateway'] : config.domains,
      dataDir: config.dataDir,
      store: config.gateway ? 'none' : config.databaseUrl || Object.keys(config.databaseUrls).length > 0 ? 'postgres' : 'pglite',
      bus: config.natsUrl ? 'nats' : 'memory',
    },
    'Sekat is listening',
  );
}

main().catch((error: unknown) => {
  console.error('Sekat failed to start:', error);
  process.exit(1);
});
