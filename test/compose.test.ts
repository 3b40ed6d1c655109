import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DOMAINS, loadConfig } from '../src/platform/config.js';
import { metricsPortOf } from '../src/platform/metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE = path.join(ROOT, 'deploy/compose.yaml');
const EXAMPLE = path.join(ROOT, 'deploy/env.example');

interface Service {
  image?: string;
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test: string[] };
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

/** deploy/env.example as the variables Compose interpolates. */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(EXAMPLE, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

/** Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error} (and $$ for a dollar). */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (whole === '$$') return '$';
    const set = vars[name!];
    if (set !== undefined && set !== '') return set;
    if (op === ':?') throw new Error(`${name} is required: ${arg}`);
    return op === ':-' ? (arg ?? '') : '';
  });
}

const services = (): Record<string, Service> => (parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, Service> }).services;

function environmentOf(service: Service, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value ?? ''), vars)]));
}

describe('deploy/compose.yaml', () => {
  const all = services();
  const apps = Object.entries(all).filter(([, service]) => service.image === 'sekat:local');

  it('runs the gateway, identity, two social processes, commerce and the bridge on PostgreSQL, NATS and Redis', () => {
    expect(apps.map(([name]) => name).sort()).toEqual(['bridge', 'commerce', 'gateway', 'identity', 'social-1', 'social-2']);
    expect(Object.keys(all)).toEqual(expect.arrayContaining(['postgres', 'nats', 'redis']));
    expect(all.nats!.healthcheck!.test.join(' ')).toContain('js-enabled-only');
  });

  it('gives each service an environment the app’s own configuration accepts, with only its own secrets and store', () => {
    const vars = exampleEnv();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-compose-'));
    try {
      const running = new Map<string, string[]>();
      for (const [name, service] of apps) {
        const env = environmentOf(service, vars);
        // The same parser main.ts runs: a secret it does not need, one missing or a bad value throws, naming it.
        const config = loadConfig({ ...env, DATA_DIR: dataDir });
        expect(metricsPortOf(env), name).toBe(9464);
        expect(config.port, name).toBe(3000);
        // Readiness is what Compose waits on.
        expect(service.healthcheck?.test.join(' '), name).toContain('/readyz');
        if (config.gateway) {
          expect(name).toBe('gateway');
          for (const domain of DOMAINS) running.set(domain, config.gateway.upstreams[domain]);
          continue;
        }
        expect(config.domains, name).toHaveLength(1);
        const domain = config.domains[0]!;
        // Its own database, as its own role: never the server-wide DATABASE_URL.
        expect(config.databaseUrl, name).toBeUndefined();
        const own = new URL(config.databaseUrls[domain]!);
        expect([own.username, own.pathname], name).toEqual([`sekat_${domain}`, `/sekat_${domain}`]);
        expect(config.natsUrl, name).toBe('nats://nats:4222');
        expect(config.redisUrl, name).toBe('redis://redis:6379');
      }
      // The gateway sends each domain to exactly the services that run it.
      for (const domain of DOMAINS) {
        const expected = apps.filter(([, service]) => environmentOf(service, vars).SEKAT_DOMAINS === domain).map(([name]) => `http://${name}:3000`);
        expect(running.get(domain), domain).toEqual(expected);
      }
      expect(running.get('social')).toHaveLength(2);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('publishes only the gateway’s port and the one RTMP ingest; metrics stay inside', () => {
    const published = Object.fromEntries(apps.filter(([, s]) => s.ports?.length).map(([name, s]) => [name, s.ports]));
    expect(published).toEqual({ gateway: ['3000:3000'], 'social-1': ['1935:1935'] });
  });

  it('refuses to interpolate without the secrets, naming the first one missing', () => {
    expect(() => environmentOf(all.identity!, {})).toThrow(/SEKAT_IDENTITY_DB_PASSWORD|SESSION_PEPPER/);
  });

  const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasDockerCompose)('validates with docker-compose config', () => {
    const env = { PATH: process.env.PATH ?? '', ...exampleEnv() };
    expect(() => execFileSync('docker-compose', ['-f', COMPOSE, 'config', '-q'], { env, stdio: 'pipe' })).not.toThrow();
    const missing = spawnSync('docker-compose', ['-f', COMPOSE, 'config', '-q'], { env: { PATH: env.PATH }, encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/POSTGRES_PASSWORD|SESSION_PEPPER/);
  });
});
