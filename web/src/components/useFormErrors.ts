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
    /** Marks every empty one of `values` as required, before asking the server; true when none is. */
    requireFilled(values: Record<string, string>): boolean {
      const empty = Object.entries(values).filter(([, v]) => v.trim() === '');
      if (empty.length === 0) return true;
      setFields(Object.fromEntries(empty.map(([name]) => [name, [t('errors.rule.required')]])));
      setMessage(t('errors.fixFields'));
      return false;
    },
    /** The person has changed a field (known by any of `names`): its message goes, and the banner with the last of them. */
    clearField(...names: string[]) {
      if (!names.some((name) => fields[name])) return;
      const rest = Object.fromEntries(Object.entries(fields).filter(([key]) => !names.includes(key)));
      setFields(rest);
      if (Object.keys(rest).length === 0) setMessage(null);
    },
    show(error: unknown, overrides: Partial<Record<number, string>> = {}) {
      const translated: Record<string, string[]> = {};
      if (error instanceof ApiError) {
        for (const [field, messages] of Object.entries(error.fieldErrors())) {
          translated[field] = messages.map((m) => translateFieldMessage(t, i18n.language, m));
        }
      }
      setFields(translated);
      setMessage(problemMessage(t, error, overrides));
    },
  };
}

/**
 * The `onChange` of one field of a form kept in one state object: it sets that field's value
 * and clears its message, as a person editing a flagged field expects.
 */
export function fieldChange<F extends Record<string, string>>(form: F, setForm: (next: F) => void, errors: { clearField(...names: string[]): void }) {
  return (key: keyof F & string) => (event: { target: { value: string } }) => {
    setForm({ ...form, [key]: event.target.value });
    errors.clearField(key);
  };
}
