import { afterAll, beforeAll } from 'vitest';
import { buildSekat, type BuildOptions, type Sekat } from '../../src/server/app.js';
import { testConfig, disposeTestConfig } from '../../src/platform/testing.js';
import type { Config } from '../../src/platform/config.js';

export interface TestSekat {
  readonly sekat: Sekat;
  readonly config: Config;
}

/**
 * One whole Sekat for a test file: built before its tests on fresh stores (temp PGlite, or a
 * uniquely named PostgreSQL database per domain when DATABASE_URL is set), closed and dropped after.
 */
export function useSekat(options: BuildOptions & { env?: Record<string, string> } = {}): TestSekat {
  const { env, ...build } = options;
  let sekat: Sekat | undefined;
  let config: Config | undefined;
  beforeAll(async () => {
    config = testConfig(env);
    sekat = await buildSekat(config, build);
  });
  afterAll(async () => {
    await sekat?.close();
    if (config) await disposeTestConfig(config);
  });
  return {
    get sekat() {
      if (!sekat) throw new Error('useSekat: the app is built in beforeAll');
      return sekat;
    },
    get config() {
      if (!config) throw new Error('useSekat: the config is made in beforeAll');
      return config;
    },
  };
}
