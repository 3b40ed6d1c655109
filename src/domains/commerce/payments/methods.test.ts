import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../platform/config.js';
import { DEFAULT_EXPIRY, expiryMinutes } from './methods.js';

describe('payment expiry', () => {
  it('defaults to 24 h for VA and 15 min for QRIS and e-wallets, none for COD', () => {
    expect([expiryMinutes('virtual_account', DEFAULT_EXPIRY), expiryMinutes('qris', DEFAULT_EXPIRY), expiryMinutes('ewallet', DEFAULT_EXPIRY), expiryMinutes('cod', DEFAULT_EXPIRY)]).toEqual([1440, 15, 15, undefined]);
  });

  it('is configurable and validated at start', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sekat-config-'));
    try {
      expect(loadConfig({ DATA_DIR: dataDir, PAYMENT_EXPIRY_VA_MINUTES: '60', PAYMENT_EXPIRY_QRIS_MINUTES: '5' }).paymentExpiry).toEqual({ vaMinutes: 60, qrisMinutes: 5, ewalletMinutes: 15 });
      expect(() => loadConfig({ DATA_DIR: dataDir, PAYMENT_EXPIRY_VA_MINUTES: '0' })).toThrow(ConfigError);
      expect(() => loadConfig({ DATA_DIR: dataDir, PAYMENT_EXPIRY_EWALLET_MINUTES: 'lima' })).toThrow(ConfigError);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
