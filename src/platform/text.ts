import { Type, type StringOptions } from '@sinclair/typebox';

/**
 * One rule per kind of text a person types, for every route of every domain. A field is declared
 * with its kind (`DisplayName()`, `Title()`, `FreeText()`), which names an Ajv format registered
 * on the server; services that take the same text another way (a multipart field, a CSV row, a tus
 * metadata value, a form whose every error is reported at once) call `textProblem` with the kind.
 *
 * Each rule is about characters only: surrounding spaces, case and length are each field's own.
 */
export type TextKind = 'display-name' | 'handle' | 'title' | 'free-text' | 'email';

/**
 * Names and titles are one line of visible text: no controls, no format characters (zero-width
 * spaces U+200B, bidi overrides U+202E, which make a name read as another), no lone surrogates,
 * private-use or unassigned code points.
 */
const NOT_IN_A_LINE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u;

/**
 * Free text (a bio, a comment, a caption, a description, a review) may have line breaks and tabs,
 * the joiners that build emoji and some scripts (U+200C, U+200D) and the tag characters of flag
 * emoji; still no other controls, no zero-width spaces, no bidi overrides or isolates.
 */
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\p{Cs}]/u;
// ZWNJ and ZWJ are allowed one by one (Indic and emoji text needs them), not as a joined sequence.
// eslint-disable-next-line no-misleading-character-class
const FREE_TEXT_ALLOWED = /[\t\n\r\u200c\u200d\u{e0020}-\u{e007f}]/u;

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/u;
/** Handles are what people type to find each other: plain a–z, digits, `_` and `.`, nothing that looks alike. */
const HANDLE = /^[a-z0-9_.]{3,24}$/;

const MESSAGES: Record<TextKind, string> = {
  'display-name': 'must not contain control or invisible characters',
  handle: 'must be 3–24 characters of a–z, 0–9, _ and .',
  title: 'must not contain control or invisible characters',
  'free-text': 'must not contain control characters, zero-width spaces or direction overrides',
  email: 'must be an email address',
};

function freeTextOk(value: string): boolean {
  for (const char of value) if (CONTROL_OR_FORMAT.test(char) && !FREE_TEXT_ALLOWED.test(char)) return false;
  return true;
}

const RULES: Record<TextKind, (value: string) => boolean> = {
  'display-name': (value) => !NOT_IN_A_LINE.test(value),
  title: (value) => !NOT_IN_A_LINE.test(value),
  'free-text': freeTextOk,
  handle: (value) => HANDLE.test(value.trim().toLowerCase()),
  email: (value) => {
    const email = value.normalize('NFC').trim();
    return email.length <= 254 && EMAIL.test(email) && !NOT_IN_A_LINE.test(email);
  },
};

/** What is wrong with `value` as text of this kind, or undefined when nothing is. */
export function textProblem(kind: TextKind, value: string): string | undefined {
  return RULES[kind](value) ? undefined : MESSAGES[kind];
}

const FORMAT_KINDS = ['display-name', 'title', 'free-text'] as const;

/** The Ajv formats for the schema helpers below, for the server's validator. */
export const TEXT_FORMATS = Object.fromEntries(FORMAT_KINDS.map((kind) => [kind, (value: string) => textProblem(kind, value) === undefined]));

/** The message for a failed text format, for the problem's field errors. */
export const textFormatMessage = (format: unknown): string | undefined =>
  (FORMAT_KINDS as readonly unknown[]).includes(format) ? MESSAGES[format as TextKind] : undefined;

/** A person's name as others see it: one line. */
export const DisplayName = (options: StringOptions = {}) => Type.String({ ...options, format: 'display-name' });
/** A name or title of a thing (a shop, a product, a variant, an address line): one line. */
export const Title = (options: StringOptions = {}) => Type.String({ ...options, format: 'title' });
/** Text with line breaks: bios, comments, captions, descriptions, reviews, reasons. */
export const FreeText = (options: StringOptions = {}) => Type.String({ ...options, format: 'free-text' });
