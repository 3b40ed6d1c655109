import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from './config.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'sekat-config-'));

describe('config', () => {
  it('has working defaults and keeps generated secrets across starts', () => {
    const DATA_DIR = dir();
    const first = loadConfig({ DATA_DIR });
    expect(first.port).toBe(3000);
    expect(first.databaseUrl).toBeUndefined();
    expect(first).toMatchObject({ smtpUrl: undefined, publicUrl: 'http://localhost:3000', mailFrom: 'Sekat <no-reply@sekat.localhost>' });
    expect(first.secrets.subjectKeys.social).not.toBe(first.secrets.subjectKeys.commerce);
    const second = loadConfig({ DATA_DIR });
    expect(second.secrets).toEqual(first.secrets);
    const file = JSON.parse(readFileSync(path.join(DATA_DIR, 'secrets.json'), 'utf8'));
    expect(file.sessionPepper).toBe(first.secrets.sessionPepper);
  });

  it('takes secrets from the environment over the file', () => {
    const DATA_DIR = dir();
    loadConfig({ DATA_DIR });
    const key = 'k'.repeat(40);
    expect(loadConfig({ DATA_DIR, SUBJECT_KEY_SOCIAL: key, ATTRIBUTION_KEY: key }).secrets).toMatchObject({
      attributionKey: key,
      subjectKeys: { social: key },
    });
  });

  it.each([
    ['', false],
    ['false', false],
    ['true', { hops: 1 }],
    ['3', { hops: 3 }],
    ['10.0.0.1', { addresses: ['10.0.0.1'] }],
    [' 10.0.0.0/8, fd00::/8 ,loopback', { addresses: ['10.0.0.0/8', 'fd00::/8', 'loopback'] }],
  ])('reads TRUST_PROXY=%j as %j', (TRUST_PROXY, trust) => {
    expect(loadConfig({ DATA_DIR: dir(), TRUST_PROXY }).trustProxy).toEqual(trust);
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must use postgres/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL must be a URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL must use redis/],
    [{ NATS_URL: 'http://127.0.0.1:4222' }, /NATS_URL must use nats: or tls:/],
    [{ NATS_STREAM: 'sekat.events' }, /NATS_STREAM must be letters/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY must be false, true, a number of proxy hops, or a comma-separated list .*"yes"/],
    [{ TRUST_PROXY: '0' }, /TRUST_PROXY as a number of proxy hops must be between 1 and 10/],
    [{ TRUST_PROXY: '10.0.0.1, 10.0.0.0/33' }, /TRUST_PROXY must be false, true, .*"10.0.0.0\/33"/],
    [{ TRUST_PROXY: '10.0.0.1,,10.0.0.2' }, /TRUST_PROXY must be false, true, .*""/],
    [{ TRUST_PROXY: '300.1.1.1' }, /TRUST_PROXY must be false, true, .*"300.1.1.1"/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }, /HTTP_HEADERS_TIMEOUT_MS \(20000\) must not be longer than HTTP_REQUEST_TIMEOUT_MS/],
    [{ HTTP_HEADERS_TIMEOUT_MS: 'soon' }, /HTTP_HEADERS_TIMEOUT_MS must be a whole number/],
    [{ PAYMENT_PROVIDER: 'paypal' }, /PAYMENT_PROVIDER must be "sandbox"/],
    [{ DISBURSEMENT_PROVIDER: 'xendit' }, /DISBURSEMENT_PROVIDER must be "sandbox" or "iris"/],
    [{ DISBURSEMENT_PROVIDER: 'iris' }, /IRIS_BASE_URL is needed/],
    [{ DISBURSEMENT_PROVIDER: 'iris', IRIS_BASE_URL: 'https://app.sandbox.midtrans.com/iris', IRIS_CREATOR_KEY: 'creator-key-1' }, /IRIS_APPROVER_KEY is needed/],
    [{ COURIER_PROVIDER: 'jne' }, /COURIER_PROVIDER must be "sandbox" or "biteship"/],
    [{ COURIER_PROVIDER: 'biteship' }, /BITESHIP_API_KEY is needed/],
    [{ COURIER_PROVIDER: 'biteship', BITESHIP_API_KEY: 'biteship_live.key', BITESHIP_WEBHOOK_SECRET: 'short' }, /BITESHIP_WEBHOOK_SECRET is needed/],
    [{ COURIER_PROVIDER: 'biteship', BITESHIP_API_KEY: 'biteship_live.key', BITESHIP_WEBHOOK_SECRET: 'a-long-enough-secret', BITESHIP_WEBHOOK_HEADER: 'bad header' }, /BITESHIP_WEBHOOK_HEADER must be a header name/],
    [{ SESSION_PEPPER: 'short' }, /SESSION_PEPPER must be at least 32 characters/],
    [{ DATABASE_PREFIX: 'Bad-Prefix' }, /DATABASE_PREFIX/],
    [{ TRANSCODE_PRESET: 'turbo' }, /TRANSCODE_PRESET must be one of/],
    [{ OPERATOR_EMAILS: 'ops@sekat.id, bukan-email' }, /OPERATOR_EMAILS must be a comma-separated list of email addresses/],
    [{ SMTP_URL: 'http://mail.example' }, /SMTP_URL must use smtp: or smtps:/],
    [{ MAIL_FROM: 'Sekat <no-reply>\nBcc: x@y.id' }, /MAIL_FROM must be an address/],
    [{ PUBLIC_URL: 'ftp://sekat.id' }, /PUBLIC_URL must use http: or https:/],
  ])('refuses %o with a clear message', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dir(), ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dir(), ...env })).toThrow(message);
  });
});
