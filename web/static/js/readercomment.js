// Comments (góp ý) on a draft, open until the deadline the secretary set: the reader's own comments with
// how they were handled, and a form for the page on screen. After the deadline the server refuses, and its
// message is shown where the comment was written.
import { api } from './api.js';
import { fmtDateTime, t } from './i18n.js';
import { h, patch } from './ui.js';

export class CommentPanel {
  constructor() {
    this.doc = null;
    this.page = 1;
    this.el = h('section', { class: 'comments', 'aria-labelledby': 'comments-title', hidden: true });
    this.text = h('textarea', { id: 'comment-text', rows: 3, maxLength: 10000 });
    this.message = h('p', { class: 'comment-message', role: 'status' });
    this.list = h('ul', { class: 'comment-list' });
    this.head = h('p', { class: 'comment-deadline' });
    this.send = h('button', { type: 'submit', class: 'btn btn-primary', 'data-key': 'comment-send' });
    this.form = h(
      'form',
      { class: 'comment-form', on: { submit: (e) => this.submit(e) } },
      h('label', { for: this.text.id, i18n: 'reader.commentLabel' }),
      this.text,
      h('div', { class: 'comment-actions' }, this.send, this.message),
    );
    this.el.append(h('h3', { id: 'comments-title', i18n: 'reader.comments' }), this.head, this.list, this.form);
  }

  // `doc` with its comment_deadline (null: not open for comments).
  async show(doc, page) {
    this.page = page;
    this.send.textContent = t('reader.commentSend', { n: page });
    const changed = !this.doc || !doc || this.doc.id !== doc.id || this.doc.comment_deadline !== doc.comment_deadline;
    this.doc = doc;
    this.el.hidden = !doc || !doc.comment_deadline;
    if (this.el.hidden || !changed) return;
    const past = Date.parse(doc.comment_deadline) < Date.now();
    this.head.textContent = t(past ? 'reader.commentsClosed' : 'reader.commentsOpen', { at: fmtDateTime(doc.comment_deadline) });
    this.head.classList.toggle('past', past);
    patch(this.message);
    await this.load();
  }

  async load() {
    const doc = this.doc;
    try {
      const mine = await api.get(`/api/documents/${doc.id}/comments`);
      if (doc !== this.doc) return;
      patch(
        this.list,
        mine.map((c) =>
          h(
            'li',
            { class: 'comment' },
            h('span', { class: 'muted', text: t('doc.pageN', { n: c.anchor.page || '?' }) }),
            ' ',
            h('span', { text: c.text }),
            c.handling
              ? h('span', {
                  class: `badge badge-${c.handling === 'accepted' ? 'ok' : 'neutral'}`,
                  i18n: `reader.handling.${c.handling}`,
                })
              : null,
            c.answer ? h('p', { class: 'comment-answer', text: c.answer }) : null,
          ),
        ),
      );
    } catch {
      /* offline: the list waits */
    }
  }

  async submit(e) {
    e.preventDefault();
    const text = this.text.value.trim();
    if (!text || !this.doc) return;
    this.send.disabled = true;
    try {
      await api.post(`/api/documents/${this.doc.id}/comments`, { text, page: this.page, version: this.doc.version });
      this.text.value = '';
      this.message.className = 'comment-message ok';
      this.message.textContent = t('reader.commentSent');
      await this.load();
    } catch (err) {
      this.message.className = 'comment-message error';
      this.message.setAttribute('role', 'alert');
      this.message.textContent = err.status === 0 ? t('reader.commentOffline') : err.detail;
    } finally {
      this.send.disabled = false;
    }
  }
}
