import type { TFunction } from 'i18next';

/** The server writes reasons in Bahasa Indonesia; in English, the known shapes are translated. */
export function translateReason(t: TFunction, language: string, reason: string): string {
  if (language !== 'en') return reason;
  const rules: [RegExp, string][] = [
    [/^Karena Anda mengikuti (@\S+)$/, 'reason.following'],
    [/^Populer di (#\S+)$/, 'reason.popularIn'],
    [/^Karena Anda menonton (#\S+)$/, 'reason.watched'],
    [/^Video baru$/, 'reason.new'],
    [/^Populer$/, 'reason.popular'],
    [/^Sedang populer$/, 'reason.popular'],
  ];
  for (const [pattern, key] of rules) {
    const match = pattern.exec(reason);
    if (match) return t(key, { name: match[1] });
  }
  return reason;
}
