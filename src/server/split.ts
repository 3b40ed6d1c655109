import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DOMAINS, type DomainName } from '../platform/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Variables one process of the split may be given only when it needs them. The launcher starts
 * every process from an environment without them and adds each process's own.
 */
const HELD = /^(DATABASE_URL.*|SESSION_PEPPER|TOKEN_SIGNING_KEY|BRIDGE_SERVICE_KEY|ATTRIBUTION_KEY|PAYMENT_SERVER_KEY|EXPORT_LINK_KEY|SUBJECT_KEY_.*|SEKAT_.*|GATEWAY_.*|IDENTITY_JWKS_URL|SMTP_URL|OPERATOR_EMAILS|IRIS_.*|BITESHIP_.*|PORT|DATA_DIR)$/;

export interface SplitOptions {
  /** PostgreSQL server: each domain gets its database `<prefix>_<domain>` on it. */
  databaseUrl: string;
  databasePrefix?: string;
  /**
   * A domain's own database URL, with its own role (`npm run db:roles`): that process is given it
   * (DATABASE_URL_<DOMAIN>) instead of databaseUrl.
   */
  databaseUrls?: Partial<Record<DomainName, string>>;
  natsUrl: string;
  natsStream?: string;
  redisUrl?: string;
  dataDir: string;
  /** The gateway's port; the domains listen on basePort, basePort + 1, … */
  gatewayPort: number;
  basePort: number;
  /** Where the processes' metrics ports start (default basePort + 50), one each in plan order. */
  metricsBasePort?: number;
  /** How many social processes (two show the gateway's failover). */
  socialProcesses?: number;
  logLevel?: string;
  /** Settings every domain process takes (e.g. REQUIRE_VERIFIED_EMAIL=false for a trial). */
  extraEnv?: Record<string, string>;
  /** Where the prefixed log lines go (default stdout). */
  write?: (line: string) => void;
}

export interface SplitProcess {
  name: string;
  url: string;
  /** Where its Prometheus metrics are (GET /metrics on its METRICS_PORT). */
  metricsUrl: string;
  child: ChildProcess;
}

export interface Split {
  gatewayUrl: string;
  processes: SplitProcess[];
  /** Stops the named processes (SIGTERM) and waits until they have exited. */
  stop(names: string[]): Promise<void>;
  /** Starts the named (stopped) processes again and waits until each answers /readyz. */
  restart(names: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Secrets made once per data folder and kept there, so sessions and pseudonyms survive a restart. */
function splitSecrets(dataDir: string): Record<string, string> {
  const file = path.join(dataDir, 'split-secrets.json');
  const fresh = () => randomBytes(32).toString('base64url');
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    if (kept.BRIDGE_SERVICE_KEY) return kept;
    // A folder from before service tokens: the one new secret is added.
    kept.BRIDGE_SERVICE_KEY = fresh();
    writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
    return kept;
  }
  const secrets: Record<string, string> = {
    BRIDGE_SERVICE_KEY: fresh(),
    SESSION_PEPPER: fresh(),
    TOKEN_SIGNING_KEY: fresh(),
    ATTRIBUTION_KEY: fresh(),
    PAYMENT_SERVER_KEY: fresh(),
    EXPORT_LINK_KEY: fresh(),
    ...Object.fromEntries(DOMAINS.map((domain) => [`SUBJECT_KEY_${domain.toUpperCase()}`, fresh()])),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve())));

/**
 * Starts Sekat split into processes on one machine: identity, social (one or more), commerce and
 * bridge on PostgreSQL, NATS and Redis, and the gateway in front; each process gets only its own
 * secrets and store. Resolves once the gateway has every domain ready.
 */
export async function startSplit(options: SplitOptions): Promise<Split> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const secrets = splitSecrets(options.dataDir);
  const pick = (...names: string[]) => Object.fromEntries(names.map((name) => [name, secrets[name]!]));
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !HELD.test(name)) base[name] = value;
  const identityUrl = `http://127.0.0.1:${options.basePort}`;
  const shared = {
    DATABASE_URL: options.databaseUrl,
    DATABASE_PREFIX: options.databasePrefix ?? 'sekat',
    NATS_URL: options.natsUrl,
    NATS_STREAM: options.natsStream ?? 'SEKAT',
    REDIS_URL: options.redisUrl ?? '',
    LOG_LEVEL: options.logLevel ?? 'info',
    HOST: '127.0.0.1',
    // Only the gateway in front says who the client is.
    TRUST_PROXY: 'loopback',
    // One RTMP ingest: the first social process takes it.
    RTMP_PORT: 'off',
    ...options.extraEnv,
  };
  const jwks = { IDENTITY_JWKS_URL: `${identityUrl}/api/identity/.well-known/jwks.json` };
  // A domain with its own database URL (and role) is given that instead of the server's.
  const store = (domain: DomainName): Record<string, string> => {
    const own = options.databaseUrls?.[domain];
    return own ? { DATABASE_URL: '', [`DATABASE_URL_${domain.toUpperCase()}`]: own } : {};
  };
  const plan: { name: string; port: number; env: Record<string, string> }[] = [];
  let port = options.basePort;
  plan.push({ name: 'identity', port: port++, env: { ...shared, ...store('identity'), SEKAT_DOMAINS: 'identity', ...pick('SESSION_PEPPER', 'TOKEN_SIGNING_KEY', 'BRIDGE_SERVICE_KEY', ...DOMAINS.map((d) => `SUBJECT_KEY_${d.toUpperCase()}`)), ...(process.env.OPERATOR_EMAILS ? { OPERATOR_EMAILS: process.env.OPERATOR_EMAILS } : {}), ...(process.env.SMTP_URL ? { SMTP_URL: process.env.SMTP_URL } : {}) } });
  const socials = options.socialProcesses ?? 2;
  for (let i = 1; i <= socials; i++) plan.push({ name: `social-${i}`, port: port++, env: { ...shared, ...store('social'), SEKAT_DOMAINS: 'social', ...pick('ATTRIBUTION_KEY'), ...jwks } });
  plan.push({ name: 'commerce', port: port++, env: { ...shared, ...store('commerce'), SEKAT_DOMAINS: 'commerce', ...pick('ATTRIBUTION_KEY', 'PAYMENT_SERVER_KEY'), ...jwks } });
  // The bridge calls identity, social and commerce directly (not through the gateway) for export and erasure.
  const services = Object.fromEntries((['identity', 'social', 'commerce'] as const).map((domain) => [`SEKAT_SERVICE_${domain.toUpperCase()}`, upstreams(domain)]));
  plan.push({ name: 'bridge', port: port++, env: { ...shared, ...store('bridge'), SEKAT_DOMAINS: 'bridge', ...pick('EXPORT_LINK_KEY', 'BRIDGE_SERVICE_KEY'), ...jwks, ...services } });
  function upstreams(prefix: string): string {
    return plan
      .filter((p) => p.name === prefix || p.name.startsWith(`${prefix}-`))
      .map((p) => `http://127.0.0.1:${p.port}`)
      .join(',');
  }
  plan.push({
    name: 'gateway',
    port: options.gatewayPort,
    env: {
      LOG_LEVEL: shared.LOG_LEVEL,
      HOST: '127.0.0.1',
      SEKAT_DOMAINS: 'gateway',
      ...Object.fromEntries(DOMAINS.map((domain) => [`SEKAT_UPSTREAM_${domain.toUpperCase()}`, upstreams(domain)])),
    },
  });

  // Each process serves its metrics on a port of its own, above the domains' ports.
  const metricsBase = options.metricsBasePort ?? options.basePort + 50;
  const launch = (index: number): ChildProcess => {
    const { name, port: listen, env } = plan[index]!;
    const dataDir = path.join(options.dataDir, name.replace(/-\d+$/, ''));
    mkdirSync(dataDir, { recursive: true });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/server/main.ts')], {
      cwd: ROOT,
      env: { ...base, ...env, PORT: String(listen), DATA_DIR: dataDir, METRICS_PORT: String(metricsBase + index) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const label = `[${name}]`.padEnd(12);
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream! }).on('line', (line) => write(`${label} ${line}`));
    child.once('exit', (code, signal) => write(`${label} exited (${signal ?? code})`));
    return child;
  };
  const processes: SplitProcess[] = plan.map(({ name, port: listen }, index) => ({
    name,
    url: `http://127.0.0.1:${listen}`,
    metricsUrl: `http://127.0.0.1:${metricsBase + index}/metrics`,
    child: launch(index),
  }));

  const split: Split = {
    gatewayUrl: `http://127.0.0.1:${options.gatewayPort}`,
    processes,
    async stop(names) {
      const chosen = processes.filter((p) => names.includes(p.name) && p.child.exitCode === null && p.child.signalCode === null);
      await Promise.all(
        chosen.map(async (p) => {
          const gone = exited(p.child);
          p.child.kill('SIGTERM');
          await gone;
        }),
      );
    },
    async restart(names) {
      await Promise.all(
        processes.map(async (p, index) => {
          if (!names.includes(p.name) || (p.child.exitCode === null && p.child.signalCode === null)) return;
          p.child = launch(index);
          const deadline = Date.now() + 120_000;
          for (;;) {
            if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode} on restart`);
            const ready = await fetch(`${p.url}/readyz`).then((res) => res.ok, () => false);
            if (ready) return;
            if (Date.now() > deadline) throw new Error(`${p.name} did not become ready in 120 s after a restart`);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }),
      );
    },
    async close() {
      await split.stop(processes.map((p) => p.name));
    },
  };

  // Ready when the gateway sees a healthy process for every domain (a first start migrates four databases).
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.child.exitCode !== null);
    if (dead) {
      await split.close();
      throw new Error(`${dead.name} exited with ${dead.child.exitCode} before the split was ready`);
    }
    try {
      const health = (await (await fetch(`${split.gatewayUrl}/healthz`)).json()) as { ready?: boolean };
      if (health.ready) return split;
    } catch {
      // the gateway is not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await split.close();
  throw new Error('the split did not become ready in 180 s');
}

async function main(): Promise<void> {
  const env = process.env;
  const split = await startSplit({
    databaseUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    databasePrefix: env.DATABASE_PREFIX || 'sekat_split',
    // After `npm run db:roles`: each domain on its own role.
    databaseUrls: Object.fromEntries(DOMAINS.flatMap((domain) => (env[`DATABASE_URL_${domain.toUpperCase()}`] ? [[domain, env[`DATABASE_URL_${domain.toUpperCase()}`]!]] : []))),
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    natsStream: env.NATS_STREAM || 'SEKATSPLIT',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    dataDir: path.resolve(env.DATA_DIR || './data/split'),
    gatewayPort: Number(env.PORT || 3000),
    basePort: Number(env.SPLIT_BASE_PORT || 4100),
    socialProcesses: Number(env.SPLIT_SOCIAL_PROCESSES || 2),
    logLevel: env.LOG_LEVEL || 'info',
    extraEnv: env.REQUIRE_VERIFIED_EMAIL ? { REQUIRE_VERIFIED_EMAIL: env.REQUIRE_VERIFIED_EMAIL } : {},
  });
  console.log(`Sekat split is ready at ${split.gatewayUrl}: ${split.processes.map((p) => `${p.name} ${p.url}`).join(', ')}`);
  const stop = () => void split.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error('The split failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
