import { describe, expect, it } from 'vitest';
import { FEED_REASON_CODES } from '../src/contracts/social.js';
import { PAYMENT_METHOD_CODES, PAYMENT_METHODS } from '../src/domains/commerce/payments/methods.js';
import { COURIER_CODES } from '../src/domains/commerce/shipping/rates.js';
import { REASONS, SETTLEMENT_HOLD, SHOP_ACCOUNTS } from '../src/domains/commerce/ledger/ledger.js';
import { IRIS_FAILURES } from '../src/domains/commerce/ledger/iris-sandbox.js';
import { RETURN_REASONS, RETURN_STATES } from '../src/domains/commerce/returns/returns.js';
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

  it('every ledger reason, shop account, hold and payout failure on the seller’s statement', () => {
    const section = (lang: Record<string, Record<string, unknown>>, key: string) => ((lang.balance as Record<string, Record<string, string>>)[key] ?? {});
    const gaps = Object.entries(LANGUAGES).flatMap(([lang, s]) => [
      ...REASONS.filter((c) => !section(s, 'reason')[c]).map((c) => `${lang}: reason.${c}`),
      ...SHOP_ACCOUNTS.filter((c) => !section(s, 'account')[c]).map((c) => `${lang}: account.${c}`),
      ...[SETTLEMENT_HOLD].filter((c) => !section(s, 'hold')[c]).map((c) => `${lang}: hold.${c}`),
      ...Object.keys(IRIS_FAILURES).filter((c) => !section(s, 'failure')[c]).map((c) => `${lang}: failure.${c}`),
    ]);
    expect(gaps).toEqual([]);
  });

  it('every return reason and return state', () => {
    const section = (lang: Record<string, Record<string, unknown>>, key: string) => ((lang.returns as Record<string, Record<string, string>>)?.[key] ?? {});
    const gaps = Object.entries(LANGUAGES).flatMap(([lang, s]) => [
      ...RETURN_REASONS.filter((c) => !section(s, 'reasons')[c]).map((c) => `${lang}: returns.reasons.${c}`),
      ...RETURN_STATES.filter((c) => !section(s, 'states')[c]).map((c) => `${lang}: returns.states.${c}`),
    ]);
    expect(gaps).toEqual([]);
  });
});
