import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** Turns an API problem into a translated form message and per-field messages. */
export function useFormErrors() {
  const { t } = useTranslation();
  const [message, setMessage] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string[]>>({});

  const translateField = (text: string): string => {
    const known = t('errors.field', { returnObjects: true }) as Record<string, string>;
    return known[text] ?? text;
  };

  return {
    message,
    fields,
    clear() {
      setMessage(null);
      setFields({});
    },
    show(error: unknown, overrides: Partial<Record<number, string>> = {}) {
      if (!(error instanceof ApiError)) {
        setMessage(t('errors.generic'));
        return;
      }
      const { problem } = error;
      const translated: Record<string, string[]> = {};
      for (const [field, messages] of Object.entries(problem.errors ?? {})) translated[field] = messages.map(translateField);
      setFields(translated);
      if (problem.status === 0) setMessage(t('errors.network'));
      else if (overrides[problem.status]) setMessage(overrides[problem.status]!);
      else if (problem.status === 429) setMessage(t('errors.rateLimited'));
      else if (Object.keys(translated).length > 0) setMessage(t('errors.fixFields'));
      else setMessage(t('errors.generic'));
    },
  };
}
