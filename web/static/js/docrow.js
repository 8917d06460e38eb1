// One document of an agenda item, for the secretary: its version and pages, who may read it, its comment
// deadline; a new version (with the same progress bar as an upload), its settings, its comments table, a
// move to another agenda item.
import { api } from './api.js';
import { fmtDateTime, t } from './i18n.js';
import { field, h } from './ui.js';
import { filePicker } from './upload.js';

const CONFIDENTIALITY = ['all_participants', 'delegates_only', 'named'];
const VN_OFFSET_MS = 7 * 3600 * 1000; // Asia/Ho_Chi_Minh: UTC+7 all year (no daylight saving)

// An instant as the value of a datetime-local input in Vietnam's time, and back (the API takes local time).
const toLocalInput = (iso) => (iso ? new Date(Date.parse(iso) + VN_OFFSET_MS).toISOString().slice(0, 16) : '');

function deadlineText(doc) {
  if (!doc.comment_deadline) return t('docs.comments.closed');
  const open = Date.parse(doc.comment_deadline) > Date.now();
  return t(open ? 'docs.comments.until' : 'docs.comments.ended', { when: fmtDateTime(doc.comment_deadline) });
}

function settingsForm(doc, meeting, { onSaved, onCancel }) {
  const title = h('input', { type: 'text', value: doc.title, maxLength: 500, required: true });
  const radios = CONFIDENTIALITY.map((c) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'radio', name: `conf-${doc.id}`, value: c, checked: doc.confidentiality === c }),
      h('span', { i18n: `conf.${c}` }),
    ),
  );
  const chosen = new Set(doc.readers || []);
  const readers = h(
    'fieldset',
    { class: 'readers', hidden: doc.confidentiality !== 'named' },
    h('legend', { i18n: 'docs.readers' }),
    h(
      'div',
      { class: 'readers-list' },
      meeting.participants.map((p) =>
        h(
          'label',
          { class: 'check' },
          h('input', { type: 'checkbox', value: p.person_id, checked: chosen.has(p.person_id) }),
          h('span', { text: `${p.full_name} · ${t(`mrole.${p.role}`)}` }),
        ),
      ),
    ),
  );
  const deadline = h('input', { type: 'datetime-local', value: toLocalInput(doc.comment_deadline) });
  const error = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  const form = h(
    'form',
    { class: 'doc-settings', 'data-document-id': doc.id, noValidate: true },
    field('docs.title', title),
    h(
      'fieldset',
      { class: 'conf-choice' },
      h('legend', { i18n: 'docs.confidentiality' }),
      radios,
    ),
    readers,
    field('docs.deadline', deadline, 'docs.deadline.hint'),
    error,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary btn-small', i18n: 'prep.save' }),
      h('button', { type: 'button', class: 'btn btn-small', i18n: 'prep.cancel', on: { click: onCancel } }),
    ),
  );
  const confidentiality = () => form.querySelector(`input[name="conf-${doc.id}"]:checked`).value;
  for (const r of form.querySelectorAll(`input[name="conf-${doc.id}"]`)) {
    r.addEventListener('change', () => {
      readers.hidden = confidentiality() !== 'named';
    });
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { title: title.value.trim(), confidentiality: confidentiality() };
    if (body.confidentiality === 'named') {
      body.readers = [...readers.querySelectorAll('input:checked')].map((c) => Number(c.value));
    }
    if (deadline.value) body.comment_deadline = deadline.value;
    else if (doc.comment_deadline) body.close_comments = true;
    try {
      await api.patch(`/api/documents/${doc.id}`, body);
      onSaved(t('docs.saved', { title: body.title }));
    } catch (err) {
      error.replaceChildren(
        h('p', { class: 'notice notice-error', role: 'alert', text: [err.detail, ...err.fieldErrors].join(' — ') }),
      );
    }
  });
  return form;
}

// Choose another agenda item, then press Move: a select and a button, both reachable from the keyboard.
function moveControl(doc, items, move) {
  const others = items.filter((item) => item.id !== doc.agenda_item_id);
  if (!others.length) return null;
  const select = h(
    'select',
    { class: 'doc-move-select', 'aria-label': t('docs.moveOf', { title: doc.title }), 'data-key': `move-${doc.id}` },
    h('option', { value: '', i18n: 'docs.movePick' }),
    others.map((item) => h('option', { value: item.id, text: `${item.position}. ${item.title}` })),
  );
  const button = h('button', {
    type: 'button',
    class: 'btn btn-small',
    'aria-label': t('docs.moveButtonOf', { title: doc.title }),
    i18n: 'docs.moveButton',
    disabled: true,
    on: { click: () => move(doc, Number(select.value)) },
  });
  select.addEventListener('change', () => {
    button.disabled = !select.value;
  });
  return h('div', { class: 'doc-move' }, select, button);
}

// `ctx`: { meeting, open: Set of document ids whose settings are open, box(key): the UploadBox kept for a
// key, render() (nothing stored changed), reload(message) (after a change), comments(doc), items: the
// agenda items, move(doc, itemId) }.
export function documentRow(doc, ctx) {
  const box = ctx.box(`doc-${doc.id}`);
  const newVersion = async (file) => {
    const out = await box.send(`/api/documents/${doc.id}/versions`, file);
    if (out) ctx.reload();
  };
  const open = ctx.open.has(doc.id);
  const toggle = h('button', {
    type: 'button',
    class: 'btn btn-small',
    'aria-expanded': String(open),
    'data-key': `settings-${doc.id}`,
    i18n: 'docs.settings',
    on: {
      click: () => {
        if (open) ctx.open.delete(doc.id);
        else ctx.open.add(doc.id);
        ctx.render();
      },
    },
  });
  const close = (message) => {
    ctx.open.delete(doc.id);
    if (message) ctx.reload(message);
    else ctx.render();
  };
  return h(
    'li',
    { class: 'doc-row', 'data-document-id': doc.id },
    h(
      'div',
      { class: 'doc-row-head' },
      h('span', { class: 'doc-glyph', 'aria-hidden': 'true', text: 'PDF' }),
      h(
        'div',
        { class: 'doc-row-main' },
        h('a', { class: 'doc-title', href: `/api/documents/${doc.id}/file`, target: '_blank', text: doc.title }),
        h(
          'small',
          { class: 'doc-facts' },
          h('span', { text: t('docs.versionPages', { v: doc.current_version, n: doc.pages }) }),
          h('span', {
            class: `badge badge-${doc.confidentiality === 'all_participants' ? 'neutral' : 'warn'}`,
            i18n: `conf.${doc.confidentiality}`,
          }),
          h('span', { class: 'doc-deadline', text: deadlineText(doc) }),
        ),
      ),
      h(
        'div',
        { class: 'doc-row-actions' },
        filePicker('docs.newVersion', t('docs.newVersionOf', { title: doc.title }), newVersion, `version-${doc.id}`),
        toggle,
        h('button', {
          type: 'button',
          class: 'btn btn-small',
          i18n: 'docs.commentsTable',
          on: { click: () => ctx.comments(doc) },
        }),
        moveControl(doc, ctx.items, ctx.move),
      ),
    ),
    box.el,
    open ? settingsForm(doc, ctx.meeting, { onSaved: close, onCancel: () => close() }) : null,
  );
}
