import { describe, expect, it } from 'vitest';
import { chargeableKg, quote, quotesFor } from './rates.js';
import { canonicalProvince, normalisePhone, PROVINCE_NAMES, PROVINCES, provinceOfCity } from './regions.js';
import { crc16ccitt, qrisCrcValid, qrisPayload } from '../payments/qris.js';

const route = (origin: string, destination: string, originCity = 'Jakarta', destinationCity = 'Bandung') => ({
  originCity,
  originProvince: origin,
  destinationCity,
  destinationProvince: destination,
});

describe('shipping rate table', () => {
  it('knows the 38 provinces, each in a zone, and reads common spellings', () => {
    expect(PROVINCE_NAMES).toHaveLength(38);
    expect(new Set(Object.values(PROVINCES)).size).toBe(7);
    expect(canonicalProvince('  jawa   barat ')).toBe('Jawa Barat');
    expect(canonicalProvince('DKI')).toBe('DKI Jakarta');
    expect(canonicalProvince('Atlantis')).toBeUndefined();
    expect(provinceOfCity('Kota Bandung')).toBe('Jawa Barat');
  });

  it('charges per started kilogram, at least one', () => {
    expect([1, 1000, 1001, 2500].map(chargeableKg)).toEqual([1, 1, 2, 3]);
    const one = quote('jne_reg', route('DKI Jakarta', 'Jawa Barat'), 1000)!;
    const two = quote('jne_reg', route('DKI Jakarta', 'Jawa Barat'), 1001)!;
    expect(two.priceIdr).toBe(one.priceIdr * 2);
    expect(Number.isInteger(one.priceIdr)).toBe(true);
  });

  it('prices every pair of provinces for the four regular couriers, dearer further away', () => {
    for (const from of PROVINCE_NAMES) {
      for (const to of PROVINCE_NAMES) {
        const quotes = quotesFor(route(from, to, 'A', 'B'), 1200);
        expect(quotes.map((q) => q.code).sort()).toEqual(['anteraja_reg', 'jne_reg', 'jnt_ez', 'sicepat_reg']);
        for (const q of quotes) expect(q.priceIdr).toBeGreaterThan(0);
      }
    }
    expect(quote('jne_reg', route('DKI Jakarta', 'Papua'), 1000)!.priceIdr).toBeGreaterThan(quote('jne_reg', route('DKI Jakarta', 'Jawa Timur'), 1000)!.priceIdr);
  });

  it('offers GoSend Instant only within one city', () => {
    expect(quote('gosend_instant', route('DKI Jakarta', 'DKI Jakarta', 'Jakarta', 'Kota Jakarta'), 500)).toMatchObject({ etaDays: 0 });
    expect(quote('gosend_instant', route('DKI Jakarta', 'Jawa Barat', 'Jakarta', 'Bekasi'), 500)).toBeUndefined();
  });

  it('normalises Indonesian phone numbers to +62', () => {
    expect(normalisePhone('0812-3456-7890')).toBe('+6281234567890');
    expect(normalisePhone('62 812 3456 7890')).toBe('+6281234567890');
    expect(normalisePhone('+6281234567890')).toBe('+6281234567890');
    expect(normalisePhone('(021) 555 1234')).toBe('+62215551234');
    for (const bad of ['12345', '0812', '+1 415 555 0100', '08123456789012345', 'telepon']) expect(normalisePhone(bad)).toBeUndefined();
  });
});

describe('sandbox gateway', () => {
  it('computes CRC-16/CCITT-FALSE as EMVCo specifies', () => {
    expect(crc16ccitt('123456789')).toBe('29B1');
    const payload = qrisPayload({ merchantName: 'Toko Batik Ibu Sri', merchantCity: 'Yogyakarta', merchantId: 'SEKAT1', amountIdr: 175_000, reference: 'abc' });
    expect(payload).toMatch(/^000201010212/);
    expect(payload).toContain('5303360');
    expect(payload).toContain('5406175000');
    expect(payload).toContain('5802ID');
    expect(qrisCrcValid(payload)).toBe(true);
    expect(qrisCrcValid(payload.slice(0, -1) + (payload.endsWith('0') ? '1' : '0'))).toBe(false);
  });
});
