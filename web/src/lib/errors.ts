import type { TFunction } from 'i18next';
import { ApiError } from '../api/client';

/** A sentence for the person, never the raw problem text: chosen by status (and type where it matters). */
export function problemMessage(t: TFunction, error: unknown, overrides: Partial<Record<number, string>> = {}): string {
  if (!(error instanceof ApiError)) return t('errors.generic');
  const { status } = error.problem;
  if (overrides[status]) return overrides[status]!;
  // Whatever the status, a problem that names fields is told at the fields; the banner only points there.
  if (Object.keys(error.fieldErrors()).length) return t('errors.fixFields');
  switch (status) {
    case 0:
      return t('errors.network');
    case 400:
    case 422:
      return t('errors.invalid');
    case 401:
      return t('errors.signInFirst');
    case 403:
      return t('errors.forbidden');
    case 404:
      return t('errors.notFound');
    case 409:
      return t('errors.conflict');
    case 413:
      return t('errors.tooLarge');
    case 429:
      return t('errors.rateLimited');
    default:
      return t('errors.generic');
  }
}

const PATTERNS: [RegExp, string][] = [
  // "At least 1 character" is how a schema says a field was left empty.
  [/^must NOT have fewer than 1 characters?$/, 'errors.rule.required'],
  [/^only (\d+) available$/, 'errors.rule.onlyAvailable'],
  [/^must be >= (\d+)$/, 'errors.rule.min'],
  [/^must be <= (\d+)$/, 'errors.rule.max'],
  [/^must NOT have fewer than (\d+) characters?$/, 'errors.rule.minLength'],
  [/^must NOT have more than (\d+) characters?$/, 'errors.rule.maxLength'],
  [/^must have required property/, 'errors.rule.required'],
  [/^is required$/, 'errors.rule.required'],
  [/^must be integer$/, 'errors.rule.integer'],
  [/^must match pattern/, 'errors.rule.pattern'],
  [/^must be below the lowest price of the last 30 days \(Rp (\d+)\)$/, 'errors.rule.belowLowest'],
  [/^must be at most the stock available \((\d+)\)$/, 'errors.rule.atMostAvailable'],
  [/^must be at most the allocation \((\d+)\)$/, 'errors.rule.atMostAllocation'],
  [/^must leave the (\d+) s countdown before it$/, 'errors.rule.leaveCountdown'],
  [/^the limit is (\d+) per buyer$/, 'errors.rule.perBuyerLimit'],
  [/^only (\d+) left at the flash price$/, 'errors.rule.flashLeft'],
];

/** Translates one per-field message from the API; unknown ones become a plain "check this". */
export function translateFieldMessage(t: TFunction, language: string, text: string): string {
  const known = t('errors.field', { returnObjects: true }) as Record<string, string>;
  if (known[text]) return known[text];
  for (const [pattern, key] of PATTERNS) {
    const match = pattern.exec(text);
    if (match) return t(key, { n: match[1] });
  }
  return language === 'en' ? text.charAt(0).toUpperCase() + text.slice(1) + '.' : t('errors.rule.other');
}
