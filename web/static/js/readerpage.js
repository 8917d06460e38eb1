// One page of a document on screen: the page image (srcset over the widths the server renders, so the
// browser takes the sharpest it needs), zoom (buttons, + / − keys, ctrl + wheel, pinch), and an overlay on
// which the annotations are drawn in page fractions.
import { pageView } from './docpanel.js';
import { t } from './i18n.js';
import { h, patch } from './ui.js';

export const WIDTHS = [320, 640, 960, 1280, 1600, 2048];
const ZOOM_MIN = 0.5;
const ZOOM_MAX = 4;

export function pageUrl(doc, page, width) {
  return `/api/documents/${doc.id}/pages/${page}?v=${doc.version}&width=${width}&fmt=png`;
}

export function widthFor(cssPixels) {
  const wanted = cssPixels * (window.devicePixelRatio || 1);
  return WIDTHS.find((w) => w >= wanted) || WIDTHS[WIDTHS.length - 1];
}

export class PageView extends EventTarget {
  constructor() {
    super();
    this.zoom = 1;
    this.ratio = 1.414; // height / width, until the image says
    this.shown = null; // {doc, page} of a readable document, else null
    this.img = h('img', { class: 'page-img', alt: '', decoding: 'async', draggable: false });
    this.overlay = h('div', { class: 'page-overlay' });
    this.sheet = h('div', { class: 'page-sheet page-sheet-image' }, this.img, this.overlay);
    this.pointer = h('div', { class: 'presenter-pointer', hidden: true, 'aria-hidden': 'true' });
    this.overlay.append(this.pointer);
    this.stage = h('div', {
      class: 'reader-stage',
      tabindex: '0',
      role: 'region',
      'aria-label': t('reader.stage'),
      'data-testid': 'reader-stage',
    });
    this.zoomLabel = h('output', { class: 'zoom-level', 'aria-live': 'polite' });
    this.img.addEventListener('load', () => {
      if (this.img.naturalWidth) this.ratio = this.img.naturalHeight / this.img.naturalWidth;
      this.layout();
      this.sheet.dataset.loaded = 'true';
    });
    this.stage.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.stage.addEventListener('keydown', (e) => this.zoomKey(e));
    this.stage.addEventListener('touchstart', (e) => this.pinchStart(e), { passive: true });
    this.stage.addEventListener('touchmove', (e) => this.pinchMove(e), { passive: false });
    this.stage.addEventListener('touchend', (e) => this.pinchEnd(e));
    this.stage.addEventListener('touchcancel', (e) => this.pinchEnd(e));
    new ResizeObserver(() => this.layout()).observe(this.stage);
  }

  zoomControls() {
    const button = (key, label, fn) =>
      h('button', { type: 'button', class: 'btn btn-small', 'data-key': key, 'aria-label': t(label), on: { click: fn } });
    const out = button('zoom-out', 'reader.zoomOut', () => this.setZoom(this.zoom / 1.25));
    out.textContent = '−';
    const inn = button('zoom-in', 'reader.zoomIn', () => this.setZoom(this.zoom * 1.25));
    inn.textContent = '+';
    const fit = button('zoom-fit', 'reader.zoomFit', () => this.setZoom(1));
    fit.textContent = t('reader.fit');
    this.renderZoom();
    return h('div', { class: 'zoom', role: 'group', 'aria-label': t('reader.zoom') }, out, this.zoomLabel, inn, fit);
  }

  renderZoom() {
    this.zoomLabel.textContent = `${Math.round(this.zoom * 100)}%`;
  }

  // The page's width on screen at zoom 1: the stage's width.
  baseWidth() {
    return Math.max(200, this.stage.clientWidth - 24);
  }

  width() {
    return this.baseWidth() * this.zoom;
  }

  layout() {
    if (!this.shown) return;
    const width = this.width();
    this.sheet.style.width = `${Math.round(width)}px`;
    this.sheet.style.height = `${Math.round(width * this.ratio)}px`;
    const sizes = `${Math.round(width)}px`;
    if (this.img.sizes !== sizes) this.img.sizes = sizes; // setting it, even unchanged, loads the image again
    this.dispatchEvent(new Event('layout'));
  }

  // `focus`: the point of the stage (from its top left corner) that stays on the same spot of the page.
  setZoom(zoom, focus = null) {
    const next = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, zoom));
    if (Math.abs(next - this.zoom) < 0.001) return;
    const at = focus || { x: this.stage.clientWidth / 2, y: this.stage.clientHeight / 2 };
    const spot = this.spotAt(at);
    this.zoom = next;
    this.layout();
    if (spot) this.keep(spot, at);
    this.renderZoom();
  }

  // The spot of the page (fractions of its width and height) under a point of the stage, or null.
  spotAt(at) {
    if (!this.shown || !this.sheet.isConnected) return null;
    const page = this.sheet.getBoundingClientRect();
    const stage = this.stage.getBoundingClientRect();
    if (!page.width || !page.height) return null;
    return [(stage.left + at.x - page.left) / page.width, (stage.top + at.y - page.top) / page.height];
  }

  // Scroll the stage so that the page's `spot` is under the stage's point `at` (as near as the scroll allows).
  keep(spot, at) {
    const page = this.sheet.getBoundingClientRect();
    const stage = this.stage.getBoundingClientRect();
    this.stage.scrollLeft += page.left + spot[0] * page.width - (stage.left + at.x);
    this.stage.scrollTop += page.top + spot[1] * page.height - (stage.top + at.y);
  }

  wheel(e) {
    if (!e.ctrlKey) return;
    e.preventDefault();
    const box = this.stage.getBoundingClientRect();
    this.setZoom(this.zoom * Math.exp(-e.deltaY * 0.002), { x: e.clientX - box.left, y: e.clientY - box.top });
  }

  // + and − zoom, 0 fits the width: on the stage itself (not while typing a note on it); ctrl + and ctrl −
  // stay the browser's.
  zoomKey(e) {
    if (e.target !== this.stage || e.ctrlKey || e.metaKey || e.altKey) return;
    const zoom = { '+': this.zoom * 1.25, '=': this.zoom * 1.25, '-': this.zoom / 1.25, '0': 1 }[e.key];
    if (zoom === undefined) return;
    e.preventDefault();
    this.setZoom(zoom);
  }

  // Two fingers: the page grows or shrinks as they spread or close, and the spot of the page that was
  // between them stays between them (moving both fingers pans). One finger scrolls as the browser does.
  fingers(e) {
    const [a, b] = e.touches;
    const box = this.stage.getBoundingClientRect();
    return {
      distance: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY),
      at: { x: (a.clientX + b.clientX) / 2 - box.left, y: (a.clientY + b.clientY) / 2 - box.top },
    };
  }

  pinchStart(e) {
    if (e.touches.length !== 2) return;
    const { distance, at } = this.fingers(e);
    this.pinch = distance > 0 ? { distance, zoom: this.zoom, spot: this.spotAt(at) } : null;
  }

  pinchMove(e) {
    if (e.touches.length !== 2 || !this.pinch) return;
    if (e.cancelable) e.preventDefault();
    const { distance, at } = this.fingers(e);
    this.setZoom((this.pinch.zoom * distance) / this.pinch.distance, at);
    if (this.pinch.spot) this.keep(this.pinch.spot, at);
  }

  pinchEnd(e) {
    if (e.touches.length < 2) this.pinch = null;
  }

  // `doc`: the document ({id, version, pages, title}) when this user may read it, else null (the page is
  // then only named: the presenter may show a document this screen cannot open).
  show(where, doc) {
    if (!where || !doc) {
      this.shown = null;
      patch(this.stage, pageView(where));
      return;
    }
    const same = this.shown && this.shown.doc.id === doc.id && this.shown.page === where.page;
    const sameVersion = same && this.shown.doc.version === doc.version;
    this.shown = { doc, page: where.page };
    this.sheet.dataset.documentId = String(doc.id);
    this.sheet.dataset.page = String(where.page);
    if (!sameVersion) {
      this.sheet.dataset.loaded = 'false';
      this.img.srcset = WIDTHS.map((w) => `${pageUrl(doc, where.page, w)} ${w}w`).join(', ');
      this.img.src = pageUrl(doc, where.page, 960);
      this.img.alt = t('reader.pageAlt', { title: doc.title, n: where.page, of: doc.pages });
    }
    if (this.stage.firstChild !== this.sheet) patch(this.stage, this.sheet);
    this.layout();
    if (!same) this.stage.scrollTop = 0;
  }

  // The presenter's pointer (page fractions), or none.
  point(x, y) {
    const shown = typeof x === 'number' && typeof y === 'number';
    this.pointer.hidden = !shown;
    if (shown) {
      this.pointer.style.left = `${x * 100}%`;
      this.pointer.style.top = `${y * 100}%`;
    }
  }

  // A pointer's place on the page, in fractions of its width and height (clamped to the page).
  fraction(e) {
    const box = this.sheet.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((e.clientX - box.left) / box.width), clamp((e.clientY - box.top) / box.height)];
  }
}
