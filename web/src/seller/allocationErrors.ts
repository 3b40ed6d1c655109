import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { formatIdr } from '../lib/format';

/** The allocation routes' own field messages, in the allocations section's words. */
const RULES: [RegExp, string, (n: string) => string][] = [
  [/^must be at most what is left of the allocation \((\d+)\)$/, 'allocations.rule.left', (n) => n],
  [/^must be at least the seller’s floor \(Rp (\d+)\)$/, 'allocations.rule.floor', (n) => formatIdr(Number(n))],
  [/^must be below the lowest price of the last 30 days, or no deal could be set$/, 'allocations.rule.floorTooHigh', (n) => n],
  [/^is not an enrolled creator$/, 'allocations.rule.notCreator', (n) => n],
  [/^must end by the allocation’s end/, 'allocations.rule.endsBy', (n) => n],
];

/**
 * Field messages of the allocation routes that the common translations do not know, translated
 * here; `of(field, common)` prefers them over the common form errors.
 */
export function useAllocationFieldErrors() {
  const { t } = useTranslation();
  const [own, setOwn] = useState<Record<string, string[]>>({});
  return {
    read(error: unknown) {
      const found: Record<string, string[]> = {};
      if (error instanceof ApiError) {
        for (const [field, messages] of Object.entries(error.fieldErrors())) {
          const translated = messages.flatMap((message) => {
            const rule = RULES.find(([pattern]) => pattern.test(message));
            return rule ? [t(rule[1], { n: rule[2](rule[0].exec(message)?.[1] ?? '') })] : [];
          });
          if (translated.length > 0) found[field] = translated;
        }
      }
      setOwn(found);
    },
    clear: () => setOwn({}),
    of: (field: string, common: string[] | undefined) => own[field] ?? common,
  };
}
