import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import id from './id.json';
import en from './en.json';

export const LANGUAGES = ['id', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('sekat.lang') : null;

void i18n.use(initReactI18next).init({
  resources: { id: { translation: id }, en: { translation: en } },
  lng: stored === 'en' ? 'en' : 'id',
  fallbackLng: 'id',
  interpolation: { escapeValue: false },
  // Keys hold sentences with dots (API field messages), so only ':' would split namespaces.
  keySeparator: '.',
  nsSeparator: false,
});

export function setLanguage(language: Language): void {
  void i18n.changeLanguage(language);
  localStorage.setItem('sekat.lang', language);
  document.documentElement.lang = language;
}

document.documentElement.lang = i18n.language;

export default i18n;
