import { describe, expect, it } from 'vitest';
import { FEED_REASON_CODES } from '../src/contracts/social.js';
import { PAYMENT_METHOD_CODES, PAYMENT_METHODS } from '../src/domains/commerce/payments/methods.js';
import { COURIER_CODES } from '../src/domains/commerce/shipping/rates.js';
import id from '../web/src/i18n/id.json' with { type: 'json' };
import en from '../web/src/i18n/en.json' with { type: 'json' };

/** The server sends codes; every code it can send has words in every language the app speaks. */
const LANGUAGES = { id, en } as Record<string, Record<string, Record<string, unknown>>>;
const missing = (section: string, codes: readonly string[]) =>
  Object.entries(LANGUAGES).flatMap(([lang, strings]) => codes.filter((code) => !strings[section]?.[code]).map((code) => `${lang}: ${section}.${code}`));

describe('codes the server sends have text in Bahasa Indonesia and English', () => {
  it('every "why this video" reason code', () => {
    expect(FEED_REASON_CODES.length).toBeGreaterThan(0);
    expect(missing('reason', FEED_REASON_CODES)).toEqual([]);
  });

  it('every payment method, courier and kind of payment steps', () => {
    expect(Object.entries(LANGUAGES).flatMap(([lang, s]) => PAYMENT_METHOD_CODES.filter((c) => !(s.payment as { method: Record<string, string> }).method[c]).map((c) => `${lang}: ${c}`))).toEqual([]);
    expect(missing('couriers', COURIER_CODES)).toEqual([]);
    const kinds = [...new Set(Object.values(PAYMENT_METHODS).map((m) => m.kind))];
    for (const [lang, s] of Object.entries(LANGUAGES)) {
      const steps = (s.payment as { steps: Record<string, string[]> }).steps;
      expect(kinds.filter((kind) => !Array.isArray(steps[kind]) || steps[kind].length === 0), lang).toEqual([]);
    }
  });
});
