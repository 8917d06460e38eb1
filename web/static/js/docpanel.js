// The document panel: where the presenter is (document id and page number) and what this screen shows.
// Screens that may not open the document (or before the reader has its list) show the page named on a sheet;
// the tablet's reader (reader.js) puts the page itself in its place.
import { t } from './i18n.js';
import { h, patch } from './ui.js';

export function pageView(presenter) {
  if (!presenter) {
    return h(
      'div',
      { class: 'page-sheet page-sheet-empty' },
      h('div', { class: 'doc-icon', 'aria-hidden': 'true' }),
      h('p', { i18n: 'doc.waiting' }),
    );
  }
  return h(
    'div',
    { class: 'page-sheet', 'data-document-id': presenter.document_id ?? '', 'data-page': presenter.page },
    h('p', {
      class: 'page-doc',
      text: presenter.document_id ? t('doc.id', { id: presenter.document_id }) : t('doc.noDocument'),
    }),
    h(
      'p',
      { class: 'page-number', 'aria-label': t('doc.pageN', { n: presenter.page }) },
      h('span', { class: 'page-word', i18n: 'doc.page' }),
      h('span', { class: 'page-n', text: String(presenter.page) }),
    ),
    h(
      'div',
      { class: 'page-lines', 'aria-hidden': 'true' },
      Array.from({ length: 9 }, () => h('span')),
    ),
    h('p', { class: 'page-slot-note', i18n: 'doc.slotNote' }),
  );
}

// The caption: following / browsing / presenting, where this screen is, and where the presenter is.
export function captionParts(shown, { following = true, presenter = shown, presenting = false } = {}) {
  const where = (p) => (p ? t('doc.where', { id: p.document_id ?? '—', n: p.page }) : t('doc.none'));
  return [
    h('span', {
      class: 'doc-mode',
      i18n: presenting ? 'doc.presenting' : following ? 'doc.following' : 'doc.browsing',
    }),
    h('span', { class: 'doc-where', 'data-testid': 'doc-where', text: where(shown) }),
    !following && presenter
      ? h('span', { class: 'doc-presenter', text: t('doc.presenterAt', { where: where(presenter) }) })
      : null,
  ];
}

const PICTURE_WIDTHS = [320, 640, 960, 1280];

// The page itself (the current version's image); a page this screen may not read stays named on a sheet.
function pagePicture(shown) {
  const url = (w) => `/api/documents/${shown.document_id}/pages/${shown.page}?width=${w}&fmt=png`;
  const img = h('img', {
    class: 'doc-picture',
    alt: t('doc.where', { id: shown.document_id, n: shown.page }),
    src: url(640),
    srcset: PICTURE_WIDTHS.map((w) => `${url(w)} ${w}w`).join(', '),
    sizes: '(max-width: 900px) 90vw, 640px',
    decoding: 'async',
  });
  const frame = h('div', { class: 'doc-picture-frame', 'data-document-id': shown.document_id, 'data-page': shown.page }, img);
  img.addEventListener('error', () => frame.replaceWith(pageView(shown)));
  return frame;
}

export class DocumentPanel {
  constructor() {
    this.caption = h('p', { class: 'doc-caption', role: 'status', 'aria-live': 'polite' });
    this.view = h('div', { class: 'doc-view', 'data-slot': 'document-viewer' });
    this.el = h('div', { class: 'doc-panel' }, this.caption, this.view);
    this.key = undefined;
  }

  // `shown`: what this screen shows ({document_id, page}); `presenter`: where the presenter is;
  // `presenting`: this screen is the presenter's own (the chair console).
  show(shown, options = {}) {
    patch(this.caption, captionParts(shown, options));
    const key = shown ? `${shown.document_id}/${shown.page}` : null;
    if (key === this.key) return; // the same page: no flicker on every state change
    this.key = key;
    patch(this.view, shown && shown.document_id ? pagePicture(shown) : pageView(shown));
  }
}
