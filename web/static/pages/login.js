// Login: POST /api/auth/login sets the session and CSRF cookies; then on to ?next= or my meetings.
import { api } from '../js/api.js';
import { applyI18n, lang, t } from '../js/i18n.js';
import { brand, langSwitch, setTitle } from '../js/shell.js';
import { field, h } from '../js/ui.js';

function nextUrl() {
  const next = new URLSearchParams(location.search).get('next') || '';
  return next.startsWith('/app/') && !next.startsWith('/app/login') ? next : '/app/meetings';
}

function render() {
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: false,
  });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', i18n: 'login.submit' });
  const form = h(
    'form',
    { class: 'login-form', novalidate: false },
    h('h1', { i18n: 'login.title' }),
    h('p', { class: 'lead', i18n: 'login.lead' }),
    field('login.username', username),
    field('login.password', password),
    error,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await api.post(
        '/api/auth/login',
        { username: username.value.trim(), password: password.value },
        { redirectOn401: false },
      );
      location.assign(nextUrl());
    } catch (err) {
      error.textContent = err.status === 401 ? t('login.failed', { detail: err.detail }) : err.detail;
      error.hidden = false;
      password.select();
      submit.disabled = false;
    }
  });
  const main = h(
    'main',
    { id: 'main', class: 'login-page' },
    h(
      'div',
      { class: 'login-panel' },
      h('div', { class: 'login-top' }, brand(), langSwitch()),
      form,
      h('p', { class: 'login-foot', i18n: 'login.foot' }),
    ),
    h(
      'aside',
      { class: 'login-art', 'aria-hidden': 'true' },
      h('p', { class: 'login-art-title', i18n: 'login.art.title' }),
      h('p', { class: 'login-art-text', i18n: 'login.art.text' }),
      h(
        'ul',
        { class: 'login-levels' },
        ['level.province', 'level.district', 'level.commune'].map((k) => h('li', { i18n: k })),
      ),
    ),
  );
  document.getElementById('app').replaceChildren(main);
  document.documentElement.lang = lang();
  applyI18n(document);
  username.focus();
}

setTitle('login.title');
render();
// Already signed in (a saved session): go straight on.
api.get('/api/auth/me', undefined, { redirectOn401: false }).then(
  () => location.replace(nextUrl()),
  () => {},
);
