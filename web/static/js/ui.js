// Small DOM helpers shared by every screen: build elements, re-render a region without losing focus,
// announce messages (toasts), show an API error with the server's detail.
import { t } from './i18n.js';

const ATTRIBUTE = /^(aria-|data-|role$|for$|tabindex$|list$|autocomplete$|inputmode$|form$)/;

// h('button', {class: 'btn', on: {click}}, 'text', child, [more]) — falsy props and children are skipped;
// {i18n: key, vars} gives a text that follows the language switch.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key.startsWith('aria-') && value !== undefined && value !== null) {
      el.setAttribute(key, String(value));
    } else if (value === undefined || value === null || value === false) {
      continue;
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key === 'i18n') {
      el.dataset.i18n = value;
      if (props.vars) el.dataset.i18nVars = JSON.stringify(props.vars);
      el.textContent = t(value, props.vars || {});
    } else if (key === 'vars') {
      continue;
    } else if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (ATTRIBUTE.test(key)) {
      el.setAttribute(key, value === true ? '' : String(value));
    } else {
      el[key] = value;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replace a region's children; the focused control (by its data-key) keeps the focus.
export function patch(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren();
  append(container, children);
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again && !again.disabled) again.focus();
  }
}

export function toast(message, kind = 'info') {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite', role: 'status' });
    document.body.append(region);
  }
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': t('action.close'), text: '×' });
  const item = h('div', { class: `toast toast-${kind}` }, h('span', { text: message }), close);
  close.addEventListener('click', () => item.remove());
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 12000 : 5000);
}

// An API error as a toast, and its text (detail and each field error) for an inline message.
export function showError(err) {
  const lines = err && err.detail ? [err.detail, ...(err.fieldErrors || [])] : [String(err)];
  toast(lines.join(' — '), 'error');
  return lines;
}

export function field(labelKey, control, hintKey) {
  control.id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  const hint = hintKey ? h('small', { class: 'hint', id: `${control.id}-hint`, i18n: hintKey }) : null;
  if (hint) control.setAttribute('aria-describedby', hint.id);
  return h('div', { class: 'field' }, h('label', { for: control.id, i18n: labelKey }), control, hint);
}

export function badge(textKey, kind) {
  return h('span', { class: `badge badge-${kind || 'neutral'}`, i18n: textKey });
}

export function statusBadge(status) {
  const kind = { live: 'live', scheduled: 'ok', draft: 'neutral', ended: 'muted', cancelled: 'muted' }[status];
  return h('span', { class: `badge badge-${kind || 'neutral'}`, 'data-status': status, i18n: `status.${status}` });
}

export function card(titleKey, ...children) {
  const id = `card-${Math.random().toString(36).slice(2, 9)}`;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    h('h2', { class: 'card-title', id, i18n: titleKey }),
    ...children,
  );
}

export function meetingIdFromPath() {
  const match = location.pathname.match(/\/(\d+)\/?$/);
  return match ? Number(match[1]) : null;
}

export function mmss(seconds) {
  const sign = seconds < 0 ? '−' : '';
  const abs = Math.abs(Math.round(seconds));
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
