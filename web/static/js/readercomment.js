// Comments (góp ý) on a draft, open until the deadline the secretary set: the reader's own comments with
// how they were handled, and a form for the page on screen. A comment goes through the outbox: written
// offline, it waits ("not yet sent") and goes out once on reconnect. After the deadline the server refuses;
// its message is shown where the comment was written, and the refused comment stays in the list.
import { api } from './api.js';
import { fmtDateTime, t } from './i18n.js';
import { pendingTag } from './liveui.js';
import { CommentOutbox } from './readeroutbox.js';
import { h, patch } from './ui.js';

function commentItem(c) {
  return h(
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
  );
}

export class CommentPanel {
  constructor(userId, meetingId) {
    this.doc = null;
    this.page = 1;
    this.mine = []; // the open document's comments the server has
    this.outbox = new CommentOutbox(userId, meetingId);
    this.outbox.on('change', () => this.renderList());
    this.outbox.on('sent', ({ entry, out }) => this.sent(entry, out));
    this.outbox.on('rejected', ({ entry, err }) => entry.key === this.lastKey && this.say('error', err.detail));
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
    if (!this.doc || !doc || this.doc.id !== doc.id) this.mine = [];
    this.doc = doc;
    this.el.hidden = !doc || !doc.comment_deadline;
    if (this.el.hidden || !changed) return;
    const past = Date.parse(doc.comment_deadline) < Date.now();
    this.head.textContent = t(past ? 'reader.commentsClosed' : 'reader.commentsOpen', { at: fmtDateTime(doc.comment_deadline) });
    this.head.classList.toggle('past', past);
    patch(this.message);
    this.renderList();
    await this.load();
  }

  async load() {
    const doc = this.doc;
    try {
      const mine = await api.get(`/api/documents/${doc.id}/comments`);
      if (doc !== this.doc) return;
      this.mine = mine;
      this.renderList();
    } catch {
      /* offline: the list waits */
    }
  }

  // The server's comments, then the ones still waiting ("not yet sent") or refused (with the server's words).
  renderList() {
    const waiting = this.doc ? this.outbox.forDocument(this.doc.id) : [];
    patch(
      this.list,
      this.mine.map(commentItem),
      waiting.map((e) =>
        h(
          'li',
          { class: `comment ${e.refused ? 'refused' : 'unsent'}`, 'data-key': e.key },
          h('span', { class: 'muted', text: t('doc.pageN', { n: e.body.page }) }),
          ' ',
          h('span', { text: e.body.text }),
          ' ',
          e.refused
            ? [
                h('span', { class: 'comment-refused', text: t('reader.commentRefused', { detail: e.refused }) }),
                h('button', {
                  type: 'button',
                  class: 'btn btn-small',
                  'data-key': `dismiss-${e.key}`,
                  i18n: 'reader.commentDismiss',
                  on: { click: () => this.outbox.drop(e.key) },
                }),
              ]
            : pendingTag(),
        ),
      ),
    );
  }

  say(kind, text) {
    this.message.className = `comment-message ${kind}`;
    this.message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.message.textContent = text;
  }

  sent(entry, out) {
    if (entry.key === this.lastKey) this.say('ok', t('reader.commentSent'));
    if (this.doc && out.document_id === this.doc.id && !this.mine.some((c) => c.id === out.id)) {
      this.mine = [...this.mine, out];
      this.renderList();
    }
  }

  // Into the outbox, sent at once when online; offline it waits, said and shown as "not yet sent".
  async submit(e) {
    e.preventDefault();
    const text = this.text.value.trim();
    if (!text || !this.doc) return;
    this.lastKey = this.outbox.add(this.doc.id, { text, page: this.page, version: this.doc.version });
    this.text.value = '';
    patch(this.message);
    await this.outbox.flush();
    if (this.outbox.waiting().some((w) => w.key === this.lastKey)) this.say('pending', t('reader.commentOffline'));
  }
}
