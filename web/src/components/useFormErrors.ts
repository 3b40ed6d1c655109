import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { problemMessage, translateFieldMessage } from '../lib/errors';

/** Turns an API problem into a translated form message and per-field messages. */
export function useFormErrors() {
  const { t, i18n } = useTranslation();
  const [message, setMessage] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string[]>>({});

  return {
    message,
    fields,
    clear() {
      setMessage(null);
      setFields({});
    },
    set(text: string) {
      setMessage(text);
    },
    show(error: unknown, overrides: Partial<Record<number, string>> = {}) {
      const translated: Record<string, string[]> = {};
      if (error instanceof ApiError) {
        for (const [field, messages] of Object.entries(error.fieldErrors())) translated[field] = messages.map((m) => translateFieldMessage(t, i18n.language, m));
      }
      setFields(translated);
      setMessage(problemMessage(t, error, overrides));
    },
  };
}
