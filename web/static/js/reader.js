// The delegate tablet's packet reader: the agenda's documents page by page (image, zoom, thumbnails, table
// of contents, search), following the presenter or browsing freely and coming back, annotations (own and
// shared, live), comments on drafts, and offline reading (the service worker keeps the pages opened and
// fetches the packet's pages ahead, the open document's first).
import { api } from './api.js';
import { captionParts } from './docpanel.js';
import { t } from './i18n.js';
import { prefetch, startOffline } from './offline.js';
import { AnnotationLayer } from './readerannot.js';
import { CommentPanel } from './readercomment.js';
import { Thumbnails, searchView, tocView } from './readernav.js';
import { PageView, pageUrl, widthFor } from './readerpage.js';
import { h, patch } from './ui.js';

const MANAGERS = ['chair', 'secretary'];

export class Reader {
  constructor({ meetingId, me, live }) {
    this.meetingId = meetingId;
    this.me = me;
    this.live = live;
    this.browsing = null; // {document_id, page} while browsing freely; null while following the presenter
    this.agenda = [];
    this.docs = new Map(); // id → {id, title, pages, version, item, comment_deadline}
    this.prefetched = null;
    this.view = new PageView();
    this.marks = new AnnotationLayer({
      view: this.view,
      meetingId,
      userId: me.id,
      personId: () => live.personId,
      mayShare: () => this.mayShare(),
    });
    this.view.addEventListener('layout', () => this.marks.render());
    this.thumbs = new Thumbnails((id, page) => this.open(id, page));
    this.comments = new CommentPanel(me.id, meetingId);
    this.caption = h('p', { class: 'doc-caption', role: 'status', 'aria-live': 'polite' });
    this.title = h('p', { class: 'doc-title-now' });
    this.drawer = h('div', { class: 'reader-drawer', id: 'reader-drawer', hidden: true });
    this.search = searchView(meetingId, (id, page) => this.open(id, page));
    this.panelButtons = h('div', { class: 'reader-panels' });
    this.saved = h('p', { class: 'offline-status', role: 'status' });
    this.tools = h('div', { class: 'reader-tools' });
    this.drawerOpen = null;
    this.view.stage.addEventListener('keydown', (e) => this.key(e));
    this.el = h(
      'div',
      { class: 'doc-panel reader-panel' },
      this.caption,
      this.title,
      h('div', { class: 'reader-bar' }, this.panelButtons, this.view.zoomControls(), this.marks.toolsEl, this.marks.actionsEl),
      this.marks.pendingEl,
      this.drawer,
      h('div', { class: 'doc-view' }, this.view.stage),
      this.thumbs.el,
      this.tools,
      this.saved,
      this.comments.el,
    );
    live.on('event', (msg) => this.onEvent(msg));
    live.on('hello', () => this.marks.renderTools());
    window.addEventListener('online', () => this.render());
    startOffline().then((on) => on && this.loadDocs()); // read again through the worker: kept for offline
    this.loadDocs();
  }

  async loadDocs() {
    try {
      const [agenda, documents] = await Promise.all([
        api.get(`/api/meetings/${this.meetingId}/agenda`),
        api.get(`/api/meetings/${this.meetingId}/documents`),
      ]);
      const deadlines = new Map(documents.map((d) => [d.id, d.comment_deadline]));
      this.agenda = agenda;
      this.docs = new Map(
        agenda.flatMap((item) =>
          item.documents.map((d) => [d.id, { ...d, item, comment_deadline: deadlines.get(d.id) || null }]),
        ),
      );
    } catch {
      /* offline and never loaded: pages are named, not shown */
    }
    this.render();
  }

  onEvent(msg) {
    const [head] = msg.kind.split('.');
    const id = msg.payload && msg.payload.document_id;
    if (head === 'annotation' && this.docs.has(id)) this.marks.load(id);
    if (head === 'document' || head === 'agenda') this.loadDocs();
  }

  mayShare() {
    if (MANAGERS.includes(this.live.role) || this.me.role === 'admin') return true;
    const here = this.view.shown;
    return Boolean(here && here.doc.item.presenter_person_id && here.doc.item.presenter_person_id === this.live.personId);
  }

  presenter() {
    return this.live.state ? this.live.state.presenter : null;
  }

  shown() {
    return this.browsing || this.presenter();
  }

  open(documentId, page) {
    const doc = this.docs.get(documentId);
    this.drawerOpen = null;
    this.browsing = { document_id: documentId, page: doc ? Math.min(Math.max(1, page), doc.pages) : page };
    this.render();
  }

  turn(delta) {
    const from = this.shown() || { document_id: null, page: 1 };
    const doc = this.docs.get(from.document_id);
    const page = Math.max(1, from.page + delta);
    this.browsing = { ...from, page: doc ? Math.min(page, doc.pages) : page };
    this.render();
  }

  follow() {
    this.browsing = null;
    this.render();
  }

  key(e) {
    const step = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[e.key];
    const typing = e.target.closest('input, textarea, select, [contenteditable]'); // a note being written
    if (step && !typing && !e.altKey && !e.ctrlKey) {
      e.preventDefault();
      this.turn(step);
    }
  }

  toggleDrawer(which) {
    this.drawerOpen = this.drawerOpen === which ? null : which;
    this.render();
    if (this.drawerOpen === 'search') this.search.querySelector('input').focus();
  }

  render() {
    const presenter = this.presenter();
    const shown = this.shown();
    const doc = shown ? this.docs.get(shown.document_id) : null;
    const opened = this.view.shown ? this.view.shown.doc.id : null;
    patch(this.caption, captionParts(shown, { following: !this.browsing, presenter }));
    this.title.textContent = doc ? `${doc.title} · ${t('reader.pageOf', { n: shown.page, of: doc.pages })}` : '';
    this.view.show(shown, doc);
    this.followZoom(presenter);
    this.thumbs.show(doc, shown && shown.page);
    this.comments.show(doc, shown ? shown.page : 1);
    if (doc && doc.id !== opened) this.marks.load(doc.id);
    else this.marks.render();
    if (doc) this.keepOffline(doc);
    this.renderPanels(doc);
    this.renderTools(presenter);
  }

  // While following, the presenter's zoom (when it changes) and pointer.
  followZoom(presenter) {
    const following = !this.browsing && presenter;
    this.view.point(following ? presenter.x : null, following ? presenter.y : null);
    const zoom = following ? presenter.zoom || 1 : null;
    if (zoom && zoom !== this.presenterZoom) this.view.setZoom(zoom);
    this.presenterZoom = zoom;
  }

  // The whole packet (every document this reader may open), the open document's pages first, at the width
  // the pages are shown; asked again when a document changes or the width does.
  keepOffline(doc) {
    const width = widthFor(this.view.baseWidth()); // at zoom 1: zooming in needs no new copy
    const packet = [doc, ...[...this.docs.values()].filter((d) => d.id !== doc.id)];
    const tag = `${packet.map((d) => `${d.id}.${d.version}`).sort().join(',')}/${width}`;
    if (this.prefetched === tag) return;
    const urls = packet.flatMap((d) => Array.from({ length: d.pages }, (_, i) => pageUrl(d, i + 1, width)));
    const asked = prefetch(tag, urls, ({ done, total, final }) => {
      if (final && done < total && this.prefetched === tag) this.prefetched = null; // again, once online
      this.saved.dataset.done = String(done);
      this.saved.dataset.total = String(total);
      this.saved.textContent = t(done === total ? 'reader.savedAll' : 'reader.saving', { done, total });
    });
    if (asked) this.prefetched = tag;
  }

  renderPanels(doc) {
    const toggle = (which, key) =>
      h('button', {
        type: 'button',
        class: 'btn btn-small',
        'data-key': `panel-${which}`,
        'aria-expanded': String(this.drawerOpen === which),
        'aria-controls': 'reader-drawer',
        i18n: key,
        on: { click: () => this.toggleDrawer(which) },
      });
    patch(this.panelButtons, toggle('toc', 'reader.toc'), toggle('search', 'reader.search'));
    this.drawer.hidden = !this.drawerOpen;
    if (this.drawerOpen === 'toc') {
      patch(this.drawer, tocView(this.agenda, doc, (id, page) => this.open(id, page)));
    } else if (this.drawerOpen === 'search') {
      if (this.drawer.firstChild !== this.search) patch(this.drawer, this.search);
    }
  }

  renderTools(presenter) {
    const seg = (key, label, pressed, click) =>
      h('button', {
        type: 'button',
        class: 'seg',
        'data-key': key,
        'aria-pressed': String(pressed),
        i18n: label,
        on: { click },
      });
    const turn = (key, label, delta) =>
      h('button', {
        type: 'button',
        class: 'btn btn-large',
        'data-key': key,
        i18n: label,
        on: { click: () => this.turn(delta) },
      });
    patch(
      this.tools,
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': t('tablet.mode') },
        seg('follow', 'tablet.follow', !this.browsing, () => this.follow()),
        seg('browse', 'tablet.browse', Boolean(this.browsing), () => {
          this.browsing = this.browsing || { ...(presenter || { document_id: null, page: 1 }) };
          this.render();
        }),
      ),
      h('div', { class: 'page-turn' }, turn('prev', 'chair.prev', -1), turn('next', 'chair.next', 1)),
      this.browsing && presenter
        ? h('button', {
            type: 'button',
            class: 'btn btn-primary',
            'data-key': 'back',
            i18n: 'tablet.back',
            on: { click: () => this.follow() },
          })
        : null,
    );
  }
}
