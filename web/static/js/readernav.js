// Finding a page: the table of contents (agenda items and their documents), the thumbnails of the open
// document, and search over the meeting's documents (document, page and snippet; a hit opens its page).
import { api } from './api.js';
import { t } from './i18n.js';
import { pageUrl } from './readerpage.js';
import { h, patch } from './ui.js';

export function tocView(agenda, current, open) {
  return h(
    'nav',
    { class: 'toc', 'aria-label': t('reader.toc') },
    h(
      'ol',
      { class: 'toc-items' },
      agenda.map((item) =>
        h(
          'li',
          { class: 'toc-item' },
          h('span', { class: 'toc-item-title', text: item.title }),
          item.documents.length
            ? h(
                'ul',
                { class: 'toc-docs' },
                item.documents.map((doc) =>
                  h(
                    'li',
                    {},
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'toc-doc',
                        'data-document-id': doc.id,
                        'aria-current': current && current.id === doc.id ? 'true' : undefined,
                        on: { click: () => open(doc.id, 1) },
                      },
                      h('span', { text: doc.title }),
                      h('span', { class: 'muted', text: t('reader.pages', { n: doc.pages }) }),
                    ),
                  ),
                ),
              )
            : h('p', { class: 'muted toc-none', i18n: 'reader.noDocs' }),
        ),
      ),
    ),
  );
}

export class Thumbnails {
  constructor(open) {
    this.open = open;
    this.doc = null;
    this.el = h('div', { class: 'thumbs', role: 'list', 'aria-label': t('reader.thumbs') });
  }

  show(doc, page) {
    if (!doc) {
      this.doc = null;
      this.page = null;
      patch(this.el);
      return;
    }
    if (!this.doc || this.doc.id !== doc.id || this.doc.version !== doc.version) {
      this.doc = doc;
      this.page = null;
      patch(
        this.el,
        Array.from({ length: doc.pages }, (_, i) =>
          h(
            'button',
            {
              type: 'button',
              class: 'thumb',
              role: 'listitem',
              'data-page': i + 1,
              'aria-label': t('doc.pageN', { n: i + 1 }),
              on: { click: () => this.open(doc.id, i + 1) },
            },
            h('img', { src: pageUrl(doc, i + 1, 160), alt: '', loading: 'lazy', width: 80, height: 113 }),
            h('span', { class: 'thumb-n', text: String(i + 1) }),
          ),
        ),
      );
    }
    for (const el of this.el.children) {
      const current = Number(el.dataset.page) === page;
      el.setAttribute('aria-current', String(current));
      if (current && page !== this.page) this.reveal(el);
    }
    this.page = page;
  }

  // Scroll the strip (only the strip: never the screen) so that the current page's thumbnail shows.
  reveal(el) {
    const strip = this.el;
    const left = el.offsetLeft;
    if (left < strip.scrollLeft || left + el.offsetWidth > strip.scrollLeft + strip.clientWidth) {
      strip.scrollLeft = left - (strip.clientWidth - el.offsetWidth) / 2;
    }
  }
}

function snippet(hit) {
  const [a, b] = hit.match || [0, 0];
  const text = hit.snippet;
  return h('span', { class: 'hit-snippet' }, text.slice(0, a), h('mark', { text: text.slice(a, b) }), text.slice(b));
}

export function searchView(meetingId, open) {
  const input = h('input', {
    type: 'search',
    name: 'q',
    maxLength: 200,
    id: 'reader-search',
    'data-i18n-placeholder': 'reader.searchPlaceholder',
    placeholder: t('reader.searchPlaceholder'),
  });
  const results = h('div', { class: 'hits', 'aria-live': 'polite' });
  const run = async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    patch(results, h('p', { class: 'muted', i18n: 'reader.searching' }));
    try {
      const hits = await api.get(`/api/meetings/${meetingId}/search`, { q, limit: 50 });
      patch(
        results,
        hits.length
          ? h('p', { class: 'muted', text: t('reader.hits', { n: hits.length }) })
          : h('p', { class: 'muted', text: t('reader.noHits', { q }) }),
        h(
          'ol',
          { class: 'hit-list' },
          hits.map((hit) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'hit', on: { click: () => open(hit.document_id, hit.page) } },
                h('span', { class: 'hit-where', text: t('reader.hitWhere', { title: hit.title, n: hit.page }) }),
                snippet(hit),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      const text = err.status === 0 ? t('reader.searchOffline') : err.detail;
      patch(results, h('p', { class: 'notice notice-error', role: 'alert', text }));
    }
  };
  return h(
    'form',
    { class: 'reader-search', role: 'search', on: { submit: run } },
    h('label', { for: input.id, i18n: 'reader.search' }),
    h(
      'div',
      { class: 'search-row' },
      input,
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-key': 'search', i18n: 'reader.searchGo' }),
    ),
    results,
  );
}
