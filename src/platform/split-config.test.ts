import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'sekat-split-config-'));
const key = (c: string) => c.repeat(40);
const IDENTITY_SECRETS = {
  SESSION_PEPPER: key('p'),
  TOKEN_SIGNING_KEY: key('t'),
  SUBJECT_KEY_IDENTITY: key('i'),
  SUBJECT_KEY_SOCIAL: key('s'),
  SUBJECT_KEY_COMMERCE: key('c'),
  SUBJECT_KEY_BRIDGE: key('b'),
  BRIDGE_SERVICE_KEY: key('k'),
};
const JWKS = { IDENTITY_JWKS_URL: 'http://127.0.0.1:4100/api/identity/.well-known/jwks.json' };
const NATS = { NATS_URL: 'nats://127.0.0.1:4222' };
const SERVICES = { SEKAT_SERVICE_IDENTITY: 'http://127.0.0.1:4100', SEKAT_SERVICE_SOCIAL: 'http://127.0.0.1:4101,http://127.0.0.1:4102', SEKAT_SERVICE_COMMERCE: 'http://127.0.0.1:4103' };
const refusal = (env: Record<string, string>, withNats = true) => {
  try {
    loadConfig({ DATA_DIR: dir(), ...(withNats ? NATS : {}), ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('SEKAT_DOMAINS', () => {
  it('runs every domain in one process by default, with generated secrets', () => {
    const config = loadConfig({ DATA_DIR: dir() });
    expect(config).toMatchObject({ domains: ['identity', 'social', 'commerce', 'bridge'], split: false, gateway: undefined });
    expect(config.secrets.tokenSigningKey.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: dir(), SEKAT_DOMAINS: 'all' }).split).toBe(false);
  });

  it('gives a social process only the secret social holds', () => {
    const config = loadConfig({ DATA_DIR: dir(), SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS, ...NATS });
    expect(config).toMatchObject({ domains: ['social'], split: true });
    expect(config.secrets).toMatchObject({ attributionKey: key('a'), paymentServerKey: '', sessionPepper: '', exportLinkKey: '', tokenSigningKey: '', bridgeServiceKey: '' });
    expect(Object.values(config.secrets.subjectKeys).every((k) => k === '')).toBe(true);
  });

  it('refuses a social process given commerce’s payment key or database, naming the variable', () => {
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS, PAYMENT_SERVER_KEY: key('x') })).toMatch(/^PAYMENT_SERVER_KEY is not needed/);
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS, DATABASE_URL_COMMERCE: 'postgres://u@h/sekat_commerce' })).toMatch(/^DATABASE_URL_COMMERCE is not needed/);
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS, SUBJECT_KEY_SOCIAL: key('s') })).toMatch(/^SUBJECT_KEY_SOCIAL is not needed/);
    expect(refusal({ SEKAT_DOMAINS: 'commerce', ATTRIBUTION_KEY: key('a'), PAYMENT_SERVER_KEY: key('x'), ...JWKS, SESSION_PEPPER: key('p') })).toMatch(/^SESSION_PEPPER is not needed/);
    expect(refusal({ SEKAT_DOMAINS: 'identity', ...IDENTITY_SECRETS, IDENTITY_JWKS_URL: JWKS.IDENTITY_JWKS_URL })).toMatch(/^IDENTITY_JWKS_URL is not needed/);
  });

  it('refuses a process that lacks a secret it needs, naming it', () => {
    expect(refusal({ SEKAT_DOMAINS: 'commerce', ATTRIBUTION_KEY: key('a'), ...JWKS })).toMatch(/^PAYMENT_SERVER_KEY is needed/);
    expect(refusal({ SEKAT_DOMAINS: 'social', ...JWKS })).toMatch(/^ATTRIBUTION_KEY is needed/);
    const { SUBJECT_KEY_BRIDGE: _left, ...withoutOne } = IDENTITY_SECRETS;
    expect(refusal({ SEKAT_DOMAINS: 'identity', ...withoutOne })).toMatch(/^SUBJECT_KEY_BRIDGE is needed/);
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a') })).toMatch(/^IDENTITY_JWKS_URL is needed/);
    expect(refusal({ SEKAT_DOMAINS: 'bridge', EXPORT_LINK_KEY: 'short', ...JWKS, ...SERVICES })).toMatch(/^EXPORT_LINK_KEY must be at least 32/);
  });

  it('refuses a process without every domain that has no NATS_URL, naming it; one process with all needs none', () => {
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS }, false)).toMatch(/^NATS_URL is needed by a process running social/);
    expect(refusal({ SEKAT_DOMAINS: 'identity', ...IDENTITY_SECRETS }, false)).toMatch(/^NATS_URL is needed by a process running identity/);
    expect(refusal({ SEKAT_DOMAINS: 'commerce,bridge', ATTRIBUTION_KEY: key('a'), PAYMENT_SERVER_KEY: key('x'), EXPORT_LINK_KEY: key('e'), BRIDGE_SERVICE_KEY: key('k'), ...JWKS, ...SERVICES }, false)).toMatch(/^NATS_URL is needed/);
    expect(loadConfig({ DATA_DIR: dir() }).natsUrl).toBeUndefined();
    const everything = loadConfig({ DATA_DIR: dir(), SEKAT_DOMAINS: 'identity,social,commerce,bridge', ...IDENTITY_SECRETS, ATTRIBUTION_KEY: key('a'), PAYMENT_SERVER_KEY: key('x'), EXPORT_LINK_KEY: key('e') });
    expect(everything).toMatchObject({ split: true, natsUrl: undefined, serviceUrls: {} });
    // The gateway runs no domain and carries no event.
    const upstreams = { SEKAT_UPSTREAM_IDENTITY: 'http://127.0.0.1:4100', SEKAT_UPSTREAM_SOCIAL: 'http://127.0.0.1:4101', SEKAT_UPSTREAM_COMMERCE: 'http://127.0.0.1:4103', SEKAT_UPSTREAM_BRIDGE: 'http://127.0.0.1:4104' };
    expect(loadConfig({ DATA_DIR: dir(), SEKAT_DOMAINS: 'gateway', ...upstreams }).natsUrl).toBeUndefined();
  });

  it('gives the bridge the addresses of the domains it calls, its service key, and nobody else either', () => {
    const bridge = { SEKAT_DOMAINS: 'bridge', EXPORT_LINK_KEY: key('e'), BRIDGE_SERVICE_KEY: key('k'), ...JWKS, ...SERVICES };
    const config = loadConfig({ DATA_DIR: dir(), ...NATS, ...bridge });
    expect(config.serviceUrls).toEqual({ identity: ['http://127.0.0.1:4100'], social: ['http://127.0.0.1:4101', 'http://127.0.0.1:4102'], commerce: ['http://127.0.0.1:4103'] });
    expect(config.secrets.bridgeServiceKey).toBe(key('k'));
    const { SEKAT_SERVICE_COMMERCE: _c, ...noCommerce } = bridge;
    expect(refusal(noCommerce)).toMatch(/^SEKAT_SERVICE_COMMERCE is needed by a process running the bridge without commerce/);
    const { BRIDGE_SERVICE_KEY: _k, ...noKey } = bridge;
    expect(refusal(noKey)).toMatch(/^BRIDGE_SERVICE_KEY is needed by a process running bridge/);
    expect(refusal({ ...bridge, SEKAT_SERVICE_SOCIAL: 'http://127.0.0.1:4101/internal' })).toMatch(/^SEKAT_SERVICE_SOCIAL takes base URLs only/);
    // Only identity (which signs service tokens) and the bridge hold the key; only the bridge the addresses.
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS, BRIDGE_SERVICE_KEY: key('k') })).toMatch(/^BRIDGE_SERVICE_KEY is not needed/);
    expect(refusal({ SEKAT_DOMAINS: 'commerce', ATTRIBUTION_KEY: key('a'), PAYMENT_SERVER_KEY: key('x'), ...JWKS, SEKAT_SERVICE_SOCIAL: 'http://127.0.0.1:4101' })).toMatch(/^SEKAT_SERVICE_SOCIAL is not needed/);
    const { SEKAT_SERVICE_IDENTITY: _i, ...notIdentity } = SERVICES;
    expect(refusal({ SEKAT_DOMAINS: 'identity', ...IDENTITY_SECRETS, ...notIdentity })).toMatch(/^SEKAT_SERVICE_(SOCIAL|COMMERCE) is not needed/);
  });

  it('takes each domain’s own database URL, and only for its own domains', () => {
    const config = loadConfig({
      DATA_DIR: dir(),
      SEKAT_DOMAINS: 'identity,bridge',
      ...IDENTITY_SECRETS,
      EXPORT_LINK_KEY: key('e'),
      ...NATS,
      SEKAT_SERVICE_SOCIAL: SERVICES.SEKAT_SERVICE_SOCIAL,
      SEKAT_SERVICE_COMMERCE: SERVICES.SEKAT_SERVICE_COMMERCE,
      DATABASE_URL_IDENTITY: 'postgres://sekat_identity@db/sekat_identity',
    });
    expect(config.domains).toEqual(['identity', 'bridge']);
    expect(config.databaseUrls).toEqual({ identity: 'postgres://sekat_identity@db/sekat_identity' });
    // The bridge calls identity in its own process, and social and commerce over the network.
    expect(config.serviceUrls).toEqual({ social: ['http://127.0.0.1:4101', 'http://127.0.0.1:4102'], commerce: ['http://127.0.0.1:4103'] });
    expect(refusal({ SEKAT_DOMAINS: 'identity', ...IDENTITY_SECRETS, DATABASE_URL_IDENTITY: 'mysql://x' })).toMatch(/^DATABASE_URL_IDENTITY must use postgres/);
  });

  it('runs the gateway alone, with every domain’s upstreams and no store', () => {
    const upstreams = { SEKAT_UPSTREAM_IDENTITY: 'http://127.0.0.1:4100', SEKAT_UPSTREAM_SOCIAL: 'http://127.0.0.1:4101, http://127.0.0.1:4102/', SEKAT_UPSTREAM_COMMERCE: 'http://127.0.0.1:4103', SEKAT_UPSTREAM_BRIDGE: 'http://127.0.0.1:4104' };
    const config = loadConfig({ DATA_DIR: dir(), SEKAT_DOMAINS: 'gateway', ...upstreams });
    expect(config.domains).toEqual([]);
    expect(config.gateway?.upstreams.social).toEqual(['http://127.0.0.1:4101', 'http://127.0.0.1:4102']);
    expect(refusal({ SEKAT_DOMAINS: 'gateway', ...upstreams, DATABASE_URL: 'postgres://postgres@127.0.0.1/postgres' })).toMatch(/^DATABASE_URL is not needed/);
    expect(refusal({ SEKAT_DOMAINS: 'gateway', ...upstreams, ATTRIBUTION_KEY: key('a') })).toMatch(/^ATTRIBUTION_KEY is not needed/);
    const { SEKAT_UPSTREAM_BRIDGE: _b, ...missing } = upstreams;
    expect(refusal({ SEKAT_DOMAINS: 'gateway', ...missing })).toMatch(/^SEKAT_UPSTREAM_BRIDGE is needed/);
    expect(refusal({ SEKAT_DOMAINS: 'gateway', ...upstreams, SEKAT_UPSTREAM_SOCIAL: 'http://127.0.0.1:4101/api' })).toMatch(/^SEKAT_UPSTREAM_SOCIAL takes base URLs only/);
    expect(refusal({ SEKAT_DOMAINS: 'gateway,social', ...upstreams })).toMatch(/gateway runs alone/);
    expect(refusal({ SEKAT_DOMAINS: 'social,shop' })).toMatch(/"shop" is none of these/);
    // A domain process is refused the gateway's settings.
    expect(refusal({ SEKAT_DOMAINS: 'social', ATTRIBUTION_KEY: key('a'), ...JWKS, SEKAT_UPSTREAM_SOCIAL: 'http://127.0.0.1:4101' })).toMatch(/^SEKAT_UPSTREAM_SOCIAL is not needed/);
  });
});
