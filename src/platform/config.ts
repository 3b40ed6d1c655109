import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { textProblem } from './text.js';

export const DOMAINS = ['identity', 'social', 'commerce', 'bridge'] as const;
export type DomainName = (typeof DOMAINS)[number];
/** What SEKAT_DOMAINS may name: the domains, and the gateway in front of them. */
export type ProcessPart = DomainName | 'gateway';

/** Secrets the composition root hands out; each domain receives only what it needs. */
export interface Secrets {
  /** Pepper mixed into session-token hashes (identity only). */
  sessionPepper: string;
  /** One HMAC key per domain for pairwise subject ids (identity only). */
  subjectKeys: Record<DomainName, string>;
  /** Key social signs attribution tokens with and commerce verifies them with. */
  attributionKey: string;
  /** Server key of the sandbox payment provider (commerce only). */
  paymentServerKey: string;
  /** Signs short-lived links to download a personal-data export (bridge only). */
  exportLinkKey: string;
  /** The rotating Ed25519 keys of the domain tokens are derived from it (identity only). */
  tokenSigningKey: string;
  /**
   * The bridge's credential at identity (identity and bridge): with it the bridge asks identity for
   * a service token each time it calls a domain's internal privacy endpoint in a split.
   */
  bridgeServiceKey: string;
}

/** Where the gateway sends each domain's requests, and how long it waits. */
export interface GatewayConfig {
  /** SEKAT_UPSTREAM_<DOMAIN>: one or more base URLs of that domain's processes. */
  upstreams: Record<DomainName, string[]>;
  /** GATEWAY_UPSTREAM_TIMEOUT_MS: the longest an upstream may take to answer (default 30 s). */
  timeoutMs: number;
  /** GATEWAY_HEALTH_INTERVAL_MS: how often each upstream's /healthz is asked (default 1 s). */
  healthIntervalMs: number;
}

export interface Config {
  /**
   * The domains this process runs (SEKAT_DOMAINS; `all`, the default, runs every one of them and
   * serves the web app in one process). In a split, a process is given only its own domains'
   * stores and secrets.
   */
  domains: DomainName[];
  /** Set when this process is the gateway (SEKAT_DOMAINS=gateway): it runs no domain. */
  gateway: GatewayConfig | undefined;
  /** Whether this process is one part of a split (SEKAT_DOMAINS other than `all`). */
  split: boolean;
  /**
   * Where a domain without identity in its process fetches identity's public keys (IDENTITY_JWKS_URL),
   * to verify the domain tokens the gateway forwards.
   */
  identityJwksUrl: string | undefined;
  /**
   * Where a bridge process reaches the domains it does not run (SEKAT_SERVICE_<DOMAIN>, base URLs of
   * their processes, comma-separated): export and erasure go to their internal privacy endpoints.
   */
  serviceUrls: Partial<Record<Exclude<DomainName, 'bridge'>, string[]>>;
  port: number;
  host: string;
  dataDir: string;
  /** A PostgreSQL server URL: each domain gets its own database `<prefix>_<domain>` on it. */
  databaseUrl: string | undefined;
  /** DATABASE_URL_<DOMAIN>: that domain's own database (and role), used as given; over databaseUrl. */
  databaseUrls: Partial<Record<DomainName, string>>;
  /** Prefix of the per-domain PostgreSQL database names (`<prefix>_<domain>`). */
  databasePrefix: string;
  /** Connections per domain's PostgreSQL pool (DATABASE_POOL_MAX, default 10). */
  databasePoolMax: number;
  /**
   * A folder of migrated PGlite snapshots, `<domain>.tar` (PGLITE_TEMPLATE_DIR): a new embedded
   * store starts as a copy of its snapshot instead of running initdb. The test suite makes them once
   * per run; unset (the default), a new store is made from nothing.
   */
  pgliteTemplateDir: string | undefined;
  redisUrl: string | undefined;
  /** NATS server with JetStream for events between domains (NATS_URL); the in-process bus when unset. */
  natsUrl: string | undefined;
  /** JetStream stream the events are kept in (NATS_STREAM, default SEKAT). */
  natsStream: string;
  logLevel: string;
  /**
   * Which peers may say who the client is (TRUST_PROXY): nobody, the last `hops` proxies in front,
   * or the proxies at these addresses and ranges. See `clientAddressTrust` in the server.
   */
  trustProxy: TrustProxy;
  /** HTTP timeouts in milliseconds: for a request's headers, for a whole request, for an idle keep-alive connection. */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
  paymentProvider: 'sandbox';
  /** Who pays sellers out (commerce): the loopback Iris sandbox, or Midtrans Iris with its keys. */
  disbursement: { provider: 'sandbox' } | { provider: 'iris'; baseUrl: string; creatorKey: string; approverKey: string; merchantKey: string };
  /** Who carries parcels (commerce): the loopback Biteship sandbox, or Biteship with its key and webhook secret. */
  courier: { provider: 'sandbox' } | { provider: 'biteship'; baseUrl: string; apiKey: string; webhookHeader: string; webhookSecret: string };
  /** Minutes an unpaid payment stays open, by kind (commerce). */
  paymentExpiry: { vaMinutes: number; qrisMinutes: number; ewalletMinutes: number };
  /** How many videos one process transcodes at once (TRANSCODE_CONCURRENCY, default 1). */
  transcodeConcurrency: number;
  /** Largest video upload in bytes (VIDEO_MAX_BYTES, default 512 MiB). */
  videoMaxBytes: number;
  /**
   * Where creators publish their live streams over RTMP (RTMP_HOST, RTMP_PORT; 0 picks a free port),
   * and the URL they are told to publish to (RTMP_PUBLIC_URL); null when RTMP_PORT=off.
   */
  rtmp: { host: string; port: number; publicUrl: string | undefined } | null;
  /** x264 preset for transcoding (TRANSCODE_PRESET, default superfast: over 2× real time on 2 cores). */
  transcodePreset: string;
  /** Accounts (by email) that operate the platform, e.g. issue platform vouchers (OPERATOR_EMAILS, comma-separated). */
  operatorEmails: string[];
  /** SMTP server mail goes out through (SMTP_URL); unset, mail is written to DATA_DIR/mail as .eml files. */
  smtpUrl: string | undefined;
  /** The From of every mail (MAIL_FROM). */
  mailFrom: string;
  /** Where people reach the web app, for links in mail (PUBLIC_URL, default http://localhost:PORT). */
  publicUrl: string;
  /**
   * Whether opening a shop, withdrawing money and going live wait for a verified email
   * (REQUIRE_VERIFIED_EMAIL, default true; `false` only for tests and local trials).
   */
  requireVerifiedEmail: boolean;
  secrets: Secrets;
}

export type TrustProxy = false | { hops: number } | { addresses: string[] };

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
}

function disbursementVar(env: Env): Config['disbursement'] {
  const provider = env.DISBURSEMENT_PROVIDER || 'sandbox';
  if (provider === 'sandbox') return { provider };
  if (provider !== 'iris') throw new ConfigError(`DISBURSEMENT_PROVIDER must be "sandbox" or "iris", got "${provider}"`);
  const baseUrl = urlVar(env, 'IRIS_BASE_URL', ['https:', 'http:']);
  if (!baseUrl) throw new ConfigError('IRIS_BASE_URL is needed with DISBURSEMENT_PROVIDER=iris (e.g. https://app.sandbox.midtrans.com/iris)');
  const keys = { creatorKey: 'IRIS_CREATOR_KEY', approverKey: 'IRIS_APPROVER_KEY', merchantKey: 'IRIS_MERCHANT_KEY' } as const;
  const values = Object.fromEntries(
    Object.entries(keys).map(([field, name]) => {
      const value = env[name];
      if (!value || value.length < 8) throw new ConfigError(`${name} is needed with DISBURSEMENT_PROVIDER=iris (at least 8 characters)`);
      return [field, value];
    }),
  ) as Record<keyof typeof keys, string>;
  return { provider: 'iris', baseUrl: baseUrl.replace(/\/+$/, ''), ...values };
}

function courierVar(env: Env): Config['courier'] {
  const provider = env.COURIER_PROVIDER || 'sandbox';
  if (provider === 'sandbox') return { provider };
  if (provider !== 'biteship') throw new ConfigError(`COURIER_PROVIDER must be "sandbox" or "biteship", got "${provider}"`);
  const baseUrl = urlVar(env, 'BITESHIP_BASE_URL', ['https:', 'http:']) ?? 'https://api.biteship.com';
  const apiKey = env.BITESHIP_API_KEY;
  if (!apiKey || apiKey.length < 8) throw new ConfigError('BITESHIP_API_KEY is needed with COURIER_PROVIDER=biteship (at least 8 characters)');
  const webhookSecret = env.BITESHIP_WEBHOOK_SECRET;
  if (!webhookSecret || webhookSecret.length < 16) throw new ConfigError('BITESHIP_WEBHOOK_SECRET is needed with COURIER_PROVIDER=biteship (at least 16 characters)');
  const webhookHeader = env.BITESHIP_WEBHOOK_HEADER || 'x-biteship-webhook-secret';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(webhookHeader)) throw new ConfigError('BITESHIP_WEBHOOK_HEADER must be a header name (letters, digits, dashes)');
  return { provider: 'biteship', baseUrl: baseUrl.replace(/\/+$/, ''), apiKey, webhookHeader: webhookHeader.toLowerCase(), webhookSecret };
}

function urlVar(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

type SingleSecret = 'sessionPepper' | 'attributionKey' | 'paymentServerKey' | 'exportLinkKey' | 'tokenSigningKey' | 'bridgeServiceKey';

const SECRET_ENV: Record<SingleSecret, string> = {
  sessionPepper: 'SESSION_PEPPER',
  attributionKey: 'ATTRIBUTION_KEY',
  paymentServerKey: 'PAYMENT_SERVER_KEY',
  exportLinkKey: 'EXPORT_LINK_KEY',
  tokenSigningKey: 'TOKEN_SIGNING_KEY',
  bridgeServiceKey: 'BRIDGE_SERVICE_KEY',
};

/** Which domains hold each secret: a process is given only its own domains' secrets. */
const SECRET_HOLDERS: Record<SingleSecret, DomainName[]> = {
  sessionPepper: ['identity'],
  tokenSigningKey: ['identity'],
  attributionKey: ['social', 'commerce'],
  paymentServerKey: ['commerce'],
  exportLinkKey: ['bridge'],
  bridgeServiceKey: ['identity', 'bridge'],
};

/**
 * Variables that carry a credential or reach a store, and the parts that may be given them. A
 * process of a split given one that none of its parts needs refuses to start: a leaked social
 * process must not hold commerce's keys.
 */
function holdersOf(name: string): ProcessPart[] | undefined {
  const secret = (Object.keys(SECRET_ENV) as SingleSecret[]).find((key) => SECRET_ENV[key] === name);
  if (secret) return SECRET_HOLDERS[secret];
  if (name.startsWith('SUBJECT_KEY_')) return ['identity'];
  const ownDatabase = /^DATABASE_URL_([A-Z]+)$/.exec(name);
  if (ownDatabase) return DOMAINS.filter((domain) => domain.toUpperCase() === ownDatabase[1]);
  if (name === 'DATABASE_URL') return [...DOMAINS];
  if (name.startsWith('SEKAT_UPSTREAM_') || name.startsWith('GATEWAY_')) return ['gateway'];
  if (name.startsWith('SEKAT_SERVICE_')) return ['bridge'];
  if (['SMTP_URL', 'OPERATOR_EMAILS'].includes(name)) return ['identity'];
  if (['IRIS_CREATOR_KEY', 'IRIS_APPROVER_KEY', 'IRIS_MERCHANT_KEY', 'BITESHIP_API_KEY', 'BITESHIP_WEBHOOK_SECRET'].includes(name)) return ['commerce'];
  if (name === 'IDENTITY_JWKS_URL') return ['social', 'commerce', 'bridge'];
  return undefined;
}

function processParts(raw: string | undefined): ProcessPart[] | 'all' {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'all') return 'all';
  const parts = value.split(',').map((part) => part.trim());
  const known: string[] = [...DOMAINS, 'gateway'];
  const bad = parts.find((part) => !known.includes(part));
  if (bad !== undefined) throw new ConfigError(`SEKAT_DOMAINS must be "all" or a comma-separated list of ${known.join(', ')}; "${bad}" is none of these`);
  if (parts.includes('gateway') && parts.length > 1) throw new ConfigError('SEKAT_DOMAINS=gateway runs alone: the gateway holds no domain (use "all" for one process with everything)');
  return [...new Set(parts)] as ProcessPart[];
}

/** A process of a split is refused any credential or store address its parts do not need. */
function refuseForeignConfig(env: Env, parts: ProcessPart[]): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const holders = holdersOf(name);
    if (holders && !holders.some((holder) => parts.includes(holder))) {
      throw new ConfigError(`${name} is not needed by a process running ${parts.join(', ')} and must not be given to it (only ${holders.join(', ') || 'no process'} may hold it)`);
    }
  }
}

/** In a split every secret comes from the environment, and only the ones this process's domains hold. */
function splitSecrets(env: Env, domains: DomainName[]): Secrets {
  const needed = (key: SingleSecret): string => {
    if (!SECRET_HOLDERS[key].some((holder) => domains.includes(holder))) return '';
    const name = SECRET_ENV[key];
    const value = env[name];
    if (!value) throw new ConfigError(`${name} is needed by a process running ${domains.join(', ')} (at least 32 characters)`);
    if (value.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
    return value;
  };
  const subjectKeys = {} as Record<DomainName, string>;
  for (const domain of DOMAINS) {
    const name = `SUBJECT_KEY_${domain.toUpperCase()}`;
    const value = env[name] ?? '';
    if (domains.includes('identity')) {
      if (!value) throw new ConfigError(`${name} is needed by a process running identity (at least 32 characters)`);
      if (value.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
    }
    subjectKeys[domain] = value;
  }
  return {
    sessionPepper: needed('sessionPepper'),
    attributionKey: needed('attributionKey'),
    paymentServerKey: needed('paymentServerKey'),
    exportLinkKey: needed('exportLinkKey'),
    tokenSigningKey: needed('tokenSigningKey'),
    bridgeServiceKey: needed('bridgeServiceKey'),
    subjectKeys,
  };
}

function upstreamList(env: Env, domain: DomainName, variable = 'SEKAT_UPSTREAM', who = 'the gateway'): string[] {
  const name = `${variable}_${domain.toUpperCase()}`;
  const raw = (env[name] ?? '').trim();
  if (raw === '') throw new ConfigError(`${name} is needed by ${who}: the base URLs of the ${domain} processes, comma-separated`);
  return raw.split(',').map((entry) => {
    const url = entry.trim();
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`${name} must be a comma-separated list of http URLs, got "${url}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`${name} must use http: or https:, got "${parsed.protocol}"`);
    if (parsed.pathname !== '/' || parsed.search !== '') throw new ConfigError(`${name} takes base URLs only (scheme, host and port), got "${url}"`);
    return parsed.origin;
  });
}

function gatewayVar(env: Env): GatewayConfig {
  const upstreams = {} as Record<DomainName, string[]>;
  for (const domain of DOMAINS) upstreams[domain] = upstreamList(env, domain);
  return {
    upstreams,
    timeoutMs: intVar(env, 'GATEWAY_UPSTREAM_TIMEOUT_MS', 30_000, 100, 600_000),
    healthIntervalMs: intVar(env, 'GATEWAY_HEALTH_INTERVAL_MS', 1000, 50, 60_000),
  };
}

/**
 * Secrets come from the environment in production; on an embedded start they are generated once
 * and kept in DATA_DIR/secrets.json so that sessions and pseudonyms survive a restart.
 */
function loadSecrets(env: Env, dataDir: string): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
    } catch {
      throw new ConfigError(`${file} is not valid JSON; restore it or delete it to make new secrets (sessions and pseudonyms will change)`);
    }
  }
  const fresh = () => randomBytes(32).toString('base64url');
  const pick = (key: SingleSecret): string => {
    const envName = SECRET_ENV[key];
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') {
      if (fromEnv.length < 32) throw new ConfigError(`${envName} must be at least 32 characters`);
      return fromEnv;
    }
    const existing = stored[key];
    return typeof existing === 'string' ? existing : fresh();
  };
  const subjectKeys = {} as Record<DomainName, string>;
  for (const domain of DOMAINS) {
    const name = `SUBJECT_KEY_${domain.toUpperCase()}`;
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '' && fromEnv.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
    subjectKeys[domain] = fromEnv || stored.subjectKeys?.[domain] || fresh();
  }
  const secrets: Secrets = {
    sessionPepper: pick('sessionPepper'),
    attributionKey: pick('attributionKey'),
    paymentServerKey: pick('paymentServerKey'),
    exportLinkKey: pick('exportLinkKey'),
    tokenSigningKey: pick('tokenSigningKey'),
    bridgeServiceKey: pick('bridgeServiceKey'),
    subjectKeys,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function emailList(env: Env, name: string): string[] {
  const emails = (env[name] ?? '').split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
  const bad = emails.find((e) => textProblem('email', e) !== undefined);
  if (bad) throw new ConfigError(`${name} must be a comma-separated list of email addresses, got "${bad}"`);
  return emails;
}

/** proxy-addr's names for the private ranges, accepted in a TRUST_PROXY list. */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * `true` is one reverse proxy: the client is the address that proxy appended, the rightmost in
 * X-Forwarded-For, and whatever the client wrote before it is ignored.
 */
function trustProxyVar(raw: string | undefined): TrustProxy {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return { hops: 1 };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 10) throw new ConfigError(`TRUST_PROXY as a number of proxy hops must be between 1 and 10, got ${value}`);
    return { hops };
  }
  const addresses = value.split(',').map((entry) => entry.trim());
  const bad = addresses.find((entry) => !isAddressOrRange(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      `TRUST_PROXY must be false, true, a number of proxy hops, or a comma-separated list of proxy addresses or CIDR ranges (or loopback, linklocal, uniquelocal); "${bad}" is none of these`,
    );
  }
  return { addresses };
}

const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'];

function x264Preset(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'superfast';
  if (!X264_PRESETS.includes(raw)) throw new ConfigError(`TRANSCODE_PRESET must be one of ${X264_PRESETS.join(', ')}; got "${raw}"`);
  return raw;
}

function rtmpVar(env: Env): Config['rtmp'] {
  if (env.RTMP_PORT === 'off') return null;
  const host = env.RTMP_HOST || '0.0.0.0';
  if (isIP(host) === 0) throw new ConfigError(`RTMP_HOST must be an IP address to listen on, got "${host}"`);
  return { host, port: intVar(env, 'RTMP_PORT', 1935, 0, 65535), publicUrl: urlVar(env, 'RTMP_PUBLIC_URL', ['rtmp:', 'rtmps:'])?.replace(/\/+$/, '') };
}

function httpTimeouts(env: Env): Config['http'] {
  const headersTimeoutMs = intVar(env, 'HTTP_HEADERS_TIMEOUT_MS', 15_000, 100, 300_000);
  // A tus upload sends 5 MiB chunks, one request each: ten minutes lets a chunk through at about 70 kbit/s.
  const requestTimeoutMs = intVar(env, 'HTTP_REQUEST_TIMEOUT_MS', 600_000, 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be longer than HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  // Longer than the idle timeout of the usual proxies and load balancers (60 s), so they close first.
  const keepAliveTimeoutMs = intVar(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000);
  return { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs };
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const databasePrefix = env.DATABASE_PREFIX || 'sekat';
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(databasePrefix)) {
    throw new ConfigError(`DATABASE_PREFIX must be lower-case letters, digits and _ (max 41), got "${databasePrefix}"`);
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const provider = env.PAYMENT_PROVIDER || 'sandbox';
  if (provider !== 'sandbox') throw new ConfigError(`PAYMENT_PROVIDER must be "sandbox" (the only provider built so far), got "${provider}"`);
  const natsStream = env.NATS_STREAM || 'SEKAT';
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(natsStream)) {
    throw new ConfigError(`NATS_STREAM must be letters, digits, _ and - (max 64, starting with a letter), got "${natsStream}"`);
  }
  const port = intVar(env, 'PORT', 3000, 0, 65535);
  const mailFrom = env.MAIL_FROM || 'Sekat <no-reply@sekat.localhost>';
  if (!/^[^\r\n<>]*<[^\s@<>]+@[^\s@<>]+>$|^[^\s@<>]+@[^\s@<>]+$/.test(mailFrom)) {
    throw new ConfigError(`MAIL_FROM must be an address or "Name <address>", got "${mailFrom}"`);
  }
  const parts = processParts(env.SEKAT_DOMAINS);
  const split = parts !== 'all';
  const domains: DomainName[] = parts === 'all' ? [...DOMAINS] : parts.filter((part): part is DomainName => part !== 'gateway');
  if (split) refuseForeignConfig(env, parts);
  const databaseUrls: Partial<Record<DomainName, string>> = {};
  for (const domain of domains) {
    const url = urlVar(env, `DATABASE_URL_${domain.toUpperCase()}`, ['postgres:', 'postgresql:']);
    if (url) databaseUrls[domain] = url;
  }
  // In a split the bus is the only data path between the sides: a process without every domain needs NATS.
  if (split && domains.length > 0 && domains.length < DOMAINS.length && !env.NATS_URL) {
    throw new ConfigError(`NATS_URL is needed by a process running ${domains.join(', ')}: the events between the domains cross between processes through NATS JetStream only`);
  }
  const serviceUrls: Config['serviceUrls'] = {};
  if (split && domains.includes('bridge')) {
    for (const domain of ['identity', 'social', 'commerce'] as const) {
      if (!domains.includes(domain)) serviceUrls[domain] = upstreamList(env, domain, 'SEKAT_SERVICE', `a process running the bridge without ${domain}`);
    }
  }
  const identityJwksUrl = urlVar(env, 'IDENTITY_JWKS_URL', ['http:', 'https:']);
  if (split && !identityJwksUrl && !domains.includes('identity') && domains.length > 0) {
    throw new ConfigError(`IDENTITY_JWKS_URL is needed by a process running ${domains.join(', ')} without identity: where identity publishes the keys its domain tokens are signed with`);
  }
  return {
    domains,
    gateway: split && parts.includes('gateway') ? gatewayVar(env) : undefined,
    split,
    identityJwksUrl,
    serviceUrls,
    port,
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl: urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseUrls,
    databasePrefix,
    databasePoolMax: intVar(env, 'DATABASE_POOL_MAX', 10, 1, 200),
    pgliteTemplateDir: env.PGLITE_TEMPLATE_DIR ? path.resolve(env.PGLITE_TEMPLATE_DIR) : undefined,
    redisUrl: urlVar(env, 'REDIS_URL', ['redis:', 'rediss:']),
    natsUrl: urlVar(env, 'NATS_URL', ['nats:', 'tls:']),
    natsStream,
    logLevel,
    trustProxy: trustProxyVar(env.TRUST_PROXY),
    http: httpTimeouts(env),
    paymentProvider: 'sandbox',
    disbursement: disbursementVar(env),
    courier: courierVar(env),
    paymentExpiry: {
      vaMinutes: intVar(env, 'PAYMENT_EXPIRY_VA_MINUTES', 24 * 60, 1, 7 * 24 * 60),
      qrisMinutes: intVar(env, 'PAYMENT_EXPIRY_QRIS_MINUTES', 15, 1, 24 * 60),
      ewalletMinutes: intVar(env, 'PAYMENT_EXPIRY_EWALLET_MINUTES', 15, 1, 24 * 60),
    },
    transcodeConcurrency: intVar(env, 'TRANSCODE_CONCURRENCY', 1, 1, 32),
    videoMaxBytes: intVar(env, 'VIDEO_MAX_BYTES', 512 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    transcodePreset: x264Preset(env.TRANSCODE_PRESET),
    rtmp: rtmpVar(env),
    operatorEmails: emailList(env, 'OPERATOR_EMAILS'),
    smtpUrl: urlVar(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom,
    publicUrl: (urlVar(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    requireVerifiedEmail: boolVar(env, 'REQUIRE_VERIFIED_EMAIL', true),
    secrets: split ? splitSecrets(env, domains) : loadSecrets(env, dataDir),
  };
}
