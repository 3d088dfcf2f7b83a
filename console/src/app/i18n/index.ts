import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.js';
import zhCN, { type Messages } from './zh-CN.js';

export type Lang = 'zh-CN' | 'en';
export const LANGS: readonly Lang[] = ['zh-CN', 'en'];
export const DEFAULT_LANG: Lang = 'zh-CN';
const STORAGE_KEY = 'memberdesk.lang';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Messages };
  }
}

function storedLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' || v === 'zh-CN' ? v : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: storedLang(),
  fallbackLng: DEFAULT_LANG,
  supportedLngs: [...LANGS],
  interpolation: { escapeValue: false }, // React escapes already
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export function currentLang(): Lang {
  return i18n.language === 'en' ? 'en' : 'zh-CN';
}

/** Switches the language and remembers it for the next visit. */
export async function setLang(lang: Lang): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the switch still works for this visit */
  }
  document.documentElement.lang = lang;
  await i18n.changeLanguage(lang);
}

/** Looks up a key built at run time (permission names, audit actions) with a fallback. */
export function tDynamic(key: string, fallback: string): string {
  return (i18n.t as unknown as (k: string, o: { defaultValue: string }) => string)(key, { defaultValue: fallback });
}

export default i18n;
