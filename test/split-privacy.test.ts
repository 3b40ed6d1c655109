import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import yauzl from 'yauzl';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DOMAINS, type DomainName } from '../src/platform/config.js';
import { databaseName, dropPostgresDatabase } from '../src/platform/db.js';
import { startSplit, type Split } from '../src/server/split.js';
import { JWKS_PATH, TOKEN_EXCHANGE_PATH } from '../src/server/domain-tokens.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { internalPath, SERVICE_TOKEN_PATH } from '../src/server/service-calls.js';
import { makeImage } from '../src/domains/social/testkit.js';
import { createDomainRoles } from '../scripts/db-roles.js';
import { freePort } from './support/process.js';

const DATABASE_URL = process.env.DATABASE_URL;
const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';

function zipEntries(buffer: Buffer): Promise<Record<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries: Record<string, Buffer> = {};
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries[entry.fileName] = Buffer.concat(chunks);
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${what} did not happen in ${timeoutMs} ms`);
}

/**
 * The split as `npm run start:split` runs it, each domain on its own PostgreSQL role
 * (`npm run db:roles`): the bridge exports and erases a person across the processes over the
 * network, with service tokens identity signs, and nobody else gets in at those endpoints.
 */
describe.skipIf(!DATABASE_URL)('the bridge across processes, each store its own role (postgres, NATS)', () => {
  const prefix = `sekat_n${randomBytes(4).toString('hex')}`;
  const stream = `SEKATNET_${randomBytes(5).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-splitnet-'));
  const passwords = Object.fromEntries(DOMAINS.map((domain) => [domain, randomBytes(18).toString('base64url')])) as Record<DomainName, string>;
  const lines: string[] = [];
  let split: Split | undefined;
  let socialAgain: ChildProcess | undefined;

  afterAll(async () => {
    if (socialAgain && socialAgain.exitCode === null) {
      const gone = new Promise((resolve) => socialAgain!.once('exit', resolve));
      socialAgain.kill('SIGTERM');
      await gone;
    }
    await split?.close();
    for (const domain of DOMAINS) await dropPostgresDatabase(DATABASE_URL!, databaseName(prefix, domain));
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    for (const domain of DOMAINS) await admin.query(`drop role if exists "${databaseName(prefix, domain)}"`);
    await admin.end();
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
    await nc.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exports and erases through the bridge over the network; internal endpoints refuse everyone else', { timeout: 300_000 }, async () => {
    const roles = await createDomainRoles({ adminUrl: DATABASE_URL!, prefix, passwords });
    const databaseUrls = Object.fromEntries(
      DOMAINS.map((domain) => {
        const url = new URL(roles[domain]);
        url.password = passwords[domain];
        return [domain, url.toString()];
      }),
    );
    split = await startSplit({
      databaseUrl: DATABASE_URL!,
      databaseUrls,
      databasePrefix: prefix,
      natsUrl: NATS_URL,
      natsStream: stream,
      dataDir,
      gatewayPort: await freePort(),
      basePort: 20_000 + Math.floor(Math.random() * 20_000),
      socialProcesses: 1,
      logLevel: 'warn',
      extraEnv: { REQUIRE_VERIFIED_EMAIL: 'false' },
      write: (line) => lines.push(line),
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${lines.slice(-20).join('\n')}`);
    });
    const at = (name: string) => split!.processes.find((p) => p.name === name)!.url;
    const gateway = split.gatewayUrl;
    const call = async (method: string, url: string, token?: string, body?: unknown, type = 'application/json') => {
      const res = await fetch(url.startsWith('http') ? url : `${gateway}${url}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': type }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body) }),
      });
      const raw = Buffer.from(await res.arrayBuffer());
      let json: Record<string, any> | undefined;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, raw, body: json as Record<string, any> };
    };

    // Every domain process connects as its own role.
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    const sessions = await admin.query<{ datname: string; usename: string }>(`select distinct datname, usename from pg_stat_activity where datname like $1`, [`${prefix}_%`]);
    expect(sessions.rows.every((row) => row.usename === row.datname)).toBe(true);
    expect(new Set(sessions.rows.map((row) => row.datname))).toEqual(new Set(DOMAINS.map((domain) => databaseName(prefix, domain))));

    const handle = `rahasia_${randomBytes(3).toString('hex')}`;
    const email = `${handle}@contoh.id`;
    const registered = await call('POST', '/api/auth/register', undefined, { email, password: 'jembatan-sempit-sekali', handle, displayName: 'Rahasia Pribadi' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const token = registered.body.token as string;
    const picture = readFileSync(await makeImage());
    const avatar = await call('PUT', '/api/social/me/avatar', token, picture, 'image/png');
    expect(avatar.status, JSON.stringify(avatar.body)).toBe(200);
    const shop = await call('POST', '/api/commerce/shops', token, { name: 'Toko Rahasia', slug: `rahasia-${randomBytes(3).toString('hex')}`, city: 'Bandung', province: 'Jawa Barat' });
    expect(shop.status, JSON.stringify(shop.body)).toBe(201);

    // The export: the bridge gathers identity's, social's (with the avatar's file) and commerce's parts over the network.
    const created = await call('POST', '/api/privacy/exports', token);
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const ready = await waitFor('the export', async () => {
      const status = await call('GET', `/api/privacy/exports/${created.body.id}`, token);
      expect(status.body.status).not.toBe('failed');
      return status.body.status === 'ready' ? status.body : undefined;
    });
    const download = await call('GET', ready.downloadUrl);
    expect(download.status).toBe(200);
    const entries = await zipEntries(download.raw);
    expect(Object.keys(entries)).toEqual(expect.arrayContaining(['BACA-SAYA.txt', 'identity.json', 'social.json', 'commerce.json', 'bridge.json']));
    expect(JSON.parse(entries['identity.json']!.toString()).account.email).toBe(email);
    expect(JSON.parse(entries['social.json']!.toString()).profile.handle).toBe(handle);
    expect(entries['commerce.json']!.toString()).toContain('Toko Rahasia');
    const avatarEntry = Object.keys(entries).find((name) => name.startsWith('social/files/avatar'));
    expect(avatarEntry).toBeDefined();
    const avatarFile = readFileSync(path.join(dataDir, 'social', 'media', 'avatars', path.basename(avatar.body.avatarUrl)));
    expect(entries[avatarEntry!]!.equals(avatarFile)).toBe(true);

    // From outside: the gateway routes none of the internal paths.
    expect((await call('POST', internalPath('social', 'privacy.erase'), undefined, { subject: 'x' })).status).toBe(404);
    expect((await call('POST', SERVICE_TOKEN_PATH, undefined, { audience: 'social', action: 'privacy.erase' })).status).toBe(404);
    // At the social process itself: no token, a session, a session cookie, a domain token, all 401.
    const erase = internalPath('social', 'privacy.erase');
    const socialUrl = `${at('social-1')}${erase}`;
    const refused = async (authorization: string | undefined, extra: Record<string, string> = {}) => {
      const res = await fetch(socialUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}), ...extra }, body: JSON.stringify({ subject: randomUUID() }) });
      const body = (await res.json()) as { status: number };
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      return body.status;
    };
    expect(await refused(undefined)).toBe(401);
    expect(await refused(`Bearer ${token}`)).toBe(401);
    expect(await refused(undefined, { cookie: `sid=${token}` })).toBe(401);
    const exchanged = await call('POST', `${at('identity')}${TOKEN_EXCHANGE_PATH}`, token, { audience: 'social' });
    expect(exchanged.status).toBe(200);
    expect(await refused(`Bearer ${exchanged.body.token}`)).toBe(401);
    // Service tokens come from identity for the bridge's key only.
    const serviceKey = (JSON.parse(readFileSync(path.join(dataDir, 'split-secrets.json'), 'utf8')) as Record<string, string>).BRIDGE_SERVICE_KEY!;
    const mint = (audience: string, action: string, key = serviceKey) => call('POST', `${at('identity')}${SERVICE_TOKEN_PATH}`, key, { audience, action });
    expect((await mint('social', 'privacy.erase', randomBytes(32).toString('base64url'))).status).toBe(401);
    expect((await mint('social', 'privacy.erase', token)).status).toBe(401);
    // One for commerce, or for another action, is refused by social; a good one is taken once, then it is a replay.
    expect(await refused(`Bearer ${(await mint('commerce', 'privacy.erase')).body.token}`)).toBe(401);
    expect(await refused(`Bearer ${(await mint('social', 'privacy.export')).body.token}`)).toBe(401);
    const good = (await mint('social', 'privacy.erase')).body.token as string;
    const first = await fetch(socialUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${good}` }, body: JSON.stringify({ subject: randomUUID() }) });
    expect(first.status).toBe(204);
    expect(await refused(`Bearer ${good}`)).toBe(401);

    // The erasure: every domain erases over the network, identity last. Social is down when it is
    // asked for: the bridge's job tries again until social is back, then finishes.
    const socialPort = new URL(at('social-1')).port;
    await split.stop(['social-1']);
    const erased = await call('DELETE', '/api/me', token);
    expect(erased.status, JSON.stringify(erased.body)).toBe(202);
    expect((await call('GET', '/api/me', token)).status).toBe(401);
    const bridgeDb = new URL(DATABASE_URL!);
    bridgeDb.pathname = `/${databaseName(prefix, 'bridge')}`;
    const bridge = new pg.Client({ connectionString: bridgeDb.toString() });
    await bridge.connect();
    const failedStep = await waitFor('a failed social step', async () => {
      const row = await bridge.query<{ attempts: number; last_error: string | null; status: string }>(`select attempts, last_error, status from privacy_request_steps where request_id = $1 and domain = 'social'`, [erased.body.id]);
      return row.rows[0]?.last_error ? row.rows[0] : undefined;
    });
    expect(failedStep).toMatchObject({ status: 'pending' });
    expect(failedStep.last_error).toMatch(/social/);
    // Identity (last) has not been erased while social still holds the person.
    const identityStep = await bridge.query<{ status: string }>(`select status from privacy_request_steps where request_id = $1 and domain = 'identity'`, [erased.body.id]);
    expect(identityStep.rows[0]!.status).toBe('pending');
    const held = /^(DATABASE_URL.*|SEKAT_.*|NATS_.*|PORT|DATA_DIR)$/;
    const base = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !held.test(entry[0])));
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'split-secrets.json'), 'utf8')) as Record<string, string>;
    socialAgain = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      env: {
        ...base,
        SEKAT_DOMAINS: 'social',
        DATABASE_URL_SOCIAL: databaseUrls.social!,
        DATABASE_PREFIX: prefix,
        NATS_URL,
        NATS_STREAM: stream,
        ATTRIBUTION_KEY: secrets.ATTRIBUTION_KEY!,
        IDENTITY_JWKS_URL: `${at('identity')}${JWKS_PATH}`,
        HOST: '127.0.0.1',
        PORT: socialPort,
        DATA_DIR: path.join(dataDir, 'social'),
        TRUST_PROXY: 'loopback',
        RTMP_PORT: 'off',
        LOG_LEVEL: 'warn',
        REQUIRE_VERIFIED_EMAIL: 'false',
      },
      stdio: 'ignore',
    });
    await waitFor('the erasure', async () => {
      const row = await bridge.query<{ status: string }>('select status from privacy_requests where id = $1', [erased.body.id]);
      return row.rows[0]?.status === 'done';
    });
    const steps = await bridge.query<{ domain: string; status: string }>('select domain, status from privacy_request_steps where request_id = $1 order by domain', [erased.body.id]);
    await bridge.end();
    expect(steps.rows.every((step) => step.status === 'done')).toBe(true);
    expect((await call('GET', `/api/social/users/${handle}`)).status).toBe(404);
    for (const domain of ['identity', 'social', 'commerce'] as const) {
      const db = new URL(DATABASE_URL!);
      db.pathname = `/${databaseName(prefix, domain)}`;
      const client = new pg.Client({ connectionString: db.toString() });
      await client.connect();
      const tables = await client.query<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
      for (const { table_name } of tables.rows) {
        const hit = await client.query(`select 1 from "${table_name}" t where t::text ilike $1 or t::text ilike $2 limit 1`, [`%${handle}%`, `%${email}%`]);
        expect(hit.rowCount, `${domain}.${table_name} still holds the person`).toBe(0);
      }
      await client.end();
    }
    await admin.end();
  });
});
