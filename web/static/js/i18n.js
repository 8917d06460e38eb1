// Strings of the browser apps, Vietnamese by default, with an English switch (kept in localStorage).
// Static text carries data-i18n="key" (and data-i18n-placeholder / -label / -title) and is re-translated
// in place on a switch; screens re-render their dynamic parts from onLangChange.
import { CATALOGUE } from './strings.js';

const STORE = 'cauhop.lang';
const listeners = new Set();
let current = (() => {
  try {
    return localStorage.getItem(STORE) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
})();

export const LANGS = ['vi', 'en'];
export const TZ = 'Asia/Ho_Chi_Minh';

export function lang() {
  return current;
}

export function t(key, vars = {}) {
  const text = CATALOGUE[current][key] ?? CATALOGUE.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// An error from the server as this page's language says it: its reason and figures in words when the
// catalogue has them (why.<reason>; the meeting statuses among the figures in words too), else the server's own detail (English).
export function explain(err) {
  const key = err && err.reason ? `why.${err.reason}` : null;
  if (!key || !(key in CATALOGUE.vi)) return err ? err.detail : '';
  const figures = { ...(err.figures || {}) };
  for (const name of ['status', 'to']) if (figures[name]) figures[name] = t(`status.${figures[name]}`);
  return t(key, figures);
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORE, next);
  } catch {
    /* private mode: the switch lasts for this page only */
  }
  applyI18n(document);
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function vars(el) {
  return el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {};
}

export function applyI18n(root) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n, vars(el));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel, vars(el)));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

const locale = () => (current === 'vi' ? 'vi-VN' : 'en-GB');

function format(iso, options) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: TZ, ...options }).format(new Date(iso));
}

export const fmtTime = (iso) => format(iso, { hour: '2-digit', minute: '2-digit', hour12: false });
export const fmtDate = (iso) => format(iso, { weekday: 'short', day: '2-digit', month: '2-digit', year: 'numeric' });
export const fmtDateTime = (iso) => `${fmtDate(iso)} ${fmtTime(iso)}`;
export const fmtRange = (start, end) => `${fmtDate(start)} · ${fmtTime(start)}–${fmtTime(end)}`;

export function fmtNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}
