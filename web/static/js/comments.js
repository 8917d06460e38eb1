// The comments handling table of a draft (bảng tổng hợp tiếp thu, giải trình): each comment with its passage
// and author, and the secretary's decision — accepted, explained, rejected — with an answer, saved one by one;
// the table exported as CSV or PDF.
import { api } from './api.js';
import { fmtDateTime, t } from './i18n.js';
import { field, h, patch } from './ui.js';

const HANDLINGS = ['accepted', 'explained', 'rejected'];

function passage(comment) {
  const a = comment.anchor || {};
  return h(
    'div',
    { class: 'passage' },
    h('span', { class: 'passage-page', text: t('comments.page', { n: a.page ?? '—', v: comment.version }) }),
    a.quote
      ? h(
          'blockquote',
          {},
          a.prefix ? h('span', { class: 'muted', text: `…${a.prefix} ` }) : null,
          h('mark', { text: a.quote }),
          a.suffix ? h('span', { class: 'muted', text: ` ${a.suffix}…` }) : null,
        )
      : null,
  );
}

function handledText(comment) {
  if (!comment.handling) return t('comments.unhandled');
  return t('comments.handledAt', { what: t(`handling.${comment.handling}`), when: fmtDateTime(comment.handled_at) });
}

function decisionForm(docId, comment, number, onSaved) {
  const select = h(
    'select',
    { 'aria-label': t('comments.decisionFor', { n: number, who: comment.author_name }) },
    h('option', { value: '', i18n: 'comments.choose' }),
    HANDLINGS.map((k) => h('option', { value: k, i18n: `handling.${k}`, selected: comment.handling === k })),
  );
  const answer = h('textarea', {
    rows: 3,
    maxLength: 10000,
    value: comment.answer,
    'aria-label': t('comments.answerFor', { n: number, who: comment.author_name }),
  });
  const state = h('p', { class: 'handled', 'aria-live': 'polite', text: handledText(comment) });
  const save = h('button', { type: 'submit', class: 'btn btn-small btn-primary', i18n: 'prep.save' });
  const form = h(
    'form',
    { class: 'decision', 'data-comment-id': comment.id, noValidate: true },
    select,
    answer,
    h('div', { class: 'decision-foot' }, save, state),
  );
  const fail = (text) => patch(state, h('span', { class: 'notice notice-error', role: 'alert', text }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!select.value) {
      fail(t('comments.needDecision'));
      select.focus();
      return;
    }
    if (select.value !== 'accepted' && !answer.value.trim()) {
      fail(t('comments.needAnswer'));
      answer.focus();
      return;
    }
    save.disabled = true;
    try {
      const out = await api.post(`/api/documents/${docId}/comments/${comment.id}/handling`, {
        handling: select.value,
        answer: answer.value.trim(),
      });
      Object.assign(comment, out);
      form.dataset.handling = out.handling;
      onSaved();
      patch(state, h('span', { class: 'saved', text: `${t('comments.saved')} ${handledText(out)}` }));
    } catch (err) {
      fail([err.detail, ...err.fieldErrors].join(' — '));
    } finally {
      save.disabled = false;
    }
  });
  if (comment.handling) form.dataset.handling = comment.handling;
  return form;
}

export class CommentsTable {
  constructor() {
    this.docs = [];
    this.docId = null;
    this.comments = [];
    this.select = h('select', { on: { change: () => this.show(Number(this.select.value)) } });
    this.body = h('div', { class: 'comments-body', 'aria-live': 'polite' });
    this.count = h('p', { class: 'comments-count' });
    this.el = h(
      'section',
      { class: 'card comments-card', id: 'comments', 'aria-labelledby': 'comments-title', tabindex: '-1' },
      h('h2', { class: 'card-title', id: 'comments-title', i18n: 'comments.title' }),
      h('div', { class: 'comments-pick' }, field('comments.draft', this.select)),
      this.body,
    );
  }

  // The meeting's documents changed: drafts (a comment deadline set) first.
  setDocuments(docs) {
    this.docs = [...docs].sort((a, b) => Number(!a.comment_deadline) - Number(!b.comment_deadline) || a.id - b.id);
    patch(
      this.select,
      this.docs.length ? null : h('option', { value: '', i18n: 'comments.noDocuments' }),
      this.docs.map((d) => h('option', { value: d.id, text: d.title, selected: d.id === this.docId })),
    );
    if (this.docId === null && this.docs.length) this.show(this.docs[0].id);
    else this.render();
  }

  async show(docId, focus = false) {
    this.docId = docId;
    this.select.value = String(docId);
    try {
      this.comments = await api.get(`/api/documents/${docId}/comments`);
    } catch (err) {
      this.comments = [];
      patch(this.body, h('p', { class: 'notice notice-error', role: 'alert', text: err.detail }));
      return;
    }
    this.render();
    if (focus) {
      this.el.scrollIntoView({ block: 'start' });
      this.el.focus();
    }
  }

  counted() {
    const done = this.comments.filter((c) => c.handling).length;
    this.count.textContent = t('comments.count', { n: this.comments.length, done });
  }

  render() {
    const doc = this.docs.find((d) => d.id === this.docId);
    if (!doc) {
      patch(this.body);
      return;
    }
    const base = `/api/documents/${doc.id}`;
    this.counted();
    patch(
      this.body,
      h(
        'div',
        { class: 'comments-head' },
        this.count,
        h(
          'div',
          { class: 'form-actions' },
          h('a', { class: 'btn btn-small', href: `${base}/comments.csv`, download: '', i18n: 'comments.csv' }),
          h('a', { class: 'btn btn-small', href: `${base}/comments.pdf`, target: '_blank', i18n: 'comments.pdf' }),
        ),
      ),
      this.comments.length
        ? h(
            'table',
            { class: 'comments-table', 'data-document-id': doc.id },
            h('caption', { class: 'visually-hidden', text: t('comments.caption', { title: doc.title }) }),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['comments.no', 'comments.author', 'comments.passage', 'comments.text', 'comments.handling'].map((k) =>
                  h('th', { scope: 'col', i18n: k }),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              this.comments.map((c, i) =>
                h(
                  'tr',
                  { 'data-comment-id': c.id },
                  h('td', { text: String(i + 1) }),
                  h('td', { class: 'comment-author', text: c.author_name }),
                  h('td', {}, passage(c)),
                  h('td', { class: 'comment-text', text: c.text }),
                  h('td', {}, decisionForm(doc.id, c, i + 1, () => this.counted())),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty', i18n: 'comments.none' }),
    );
  }
}
