// The frame of every signed-in screen: who is logged in (else to the login page), the top bar with the
// role's navigation, the language switch and log-out, and the <main> the screen fills.
import { api } from './api.js';
import { applyI18n, lang, onLangChange, setLang, t } from './i18n.js';
import { h, showError } from './ui.js';

const NAV = [
  { href: '/app/meetings', key: 'nav.meetings', roles: null },
  { href: '/app/secretary', key: 'nav.secretary', roles: ['admin', 'secretary'] },
  { href: '/app/ops', key: 'nav.ops', roles: ['admin', 'secretary', 'operator'] },
];

export function langSwitch() {
  const button = (code, label) =>
    h('button', {
      type: 'button',
      class: 'lang-btn',
      lang: code,
      text: label,
      'aria-pressed': String(lang() === code),
      on: { click: () => setLang(code) },
    });
  const group = h(
    'div',
    { class: 'lang-switch', role: 'group', 'data-i18n-label': 'lang.switch', 'aria-label': t('lang.switch') },
    button('vi', 'Tiếng Việt'),
    button('en', 'English'),
  );
  onLangChange((now) => {
    for (const b of group.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.lang === now));
  });
  return group;
}

export function setTitle(key, vars) {
  const apply = () => {
    document.title = `${t(key, vars)} · Cầu Họp`;
  };
  apply();
  onLangChange(apply);
}

export function brand() {
  return h(
    'a',
    { class: 'brand', href: '/app/meetings' },
    h('img', { src: '/static/icon.svg', alt: '', width: 32, height: 32 }),
    h('span', { class: 'brand-name', text: 'Cầu Họp' }),
  );
}

async function logout() {
  try {
    await api.post('/api/auth/logout', undefined, { redirectOn401: false });
  } catch (err) {
    if (err.status !== 401) showError(err);
  }
  location.assign('/app/login');
}

function topbar(me) {
  const here = location.pathname;
  const links = NAV.filter((n) => !n.roles || n.roles.includes(me.role)).map((n) =>
    h('a', { href: n.href, i18n: n.key, 'aria-current': here.startsWith(n.href) ? 'page' : undefined }),
  );
  const who = h(
    'div',
    { class: 'who' },
    h('span', { class: 'who-name', text: me.full_name || me.username }),
    h('span', { class: 'who-role', i18n: `role.${me.role}` }),
  );
  return h(
    'header',
    { class: 'topbar' },
    brand(),
    h('nav', { class: 'mainnav', 'data-i18n-label': 'nav.label', 'aria-label': t('nav.label') }, links),
    h(
      'div',
      { class: 'topbar-end' },
      langSwitch(),
      who,
      h('button', { type: 'button', class: 'btn btn-quiet', i18n: 'action.logout', on: { click: logout } }),
    ),
  );
}

export async function boot(screen, titleKey) {
  setTitle(titleKey);
  document.documentElement.lang = lang();
  const me = await api.get('/api/auth/me');
  const main = h('main', { id: 'main', class: `page page-${screen}`, tabindex: '-1' });
  document.getElementById('app').replaceChildren(topbar(me), main);
  applyI18n(document);
  return { me, main };
}

// A screen's module runs this: any error while starting is shown instead of a blank page.
export function start(run) {
  run().catch((err) => {
    const app = document.getElementById('app');
    app.replaceChildren(
      h(
        'main',
        { id: 'main', class: 'page' },
        h('div', { class: 'notice notice-error', role: 'alert', text: err.detail || String(err) }),
      ),
    );
  });
}
