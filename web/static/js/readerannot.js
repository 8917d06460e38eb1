// Annotations over the page: the reader's own and the shared ones (fetched; refetched when the live stream
// says a shared one changed), with the changes still in the outbox on top (drawn dashed, "not yet sent"),
// and the tools to add them: ink (draw with a finger or pen), highlight (drag over words), note (tap, then
// write); selecting, deleting, editing and undoing are in readeredit.js.
import { api } from './api.js';
import { t } from './i18n.js';
import { pendingTag } from './liveui.js';
import { AnnotationEditor } from './readeredit.js';
import { AnnotationOutbox, sameRef, withOutbox } from './readeroutbox.js';
import { h, patch, toast } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const TOOLS = ['read', 'ink', 'highlight', 'note'];
const SCALE = 1000; // the overlay's viewBox: page fractions × 1000

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

const scaled = (points) => points.map(([x, y]) => `${(x * SCALE).toFixed(1)},${(y * SCALE).toFixed(1)}`).join(' ');

// Words (in reading order) from the first to the last one touched, as one rectangle per line.
export function lineRects(words) {
  const rects = [];
  for (const w of words) {
    const last = rects[rects.length - 1];
    if (last && Math.abs(w.y0 - last[1]) < (w.y1 - w.y0) / 2 && w.x0 >= last[0]) {
      last[2] = Math.max(last[2], w.x1);
      last[3] = Math.max(last[3], w.y1);
    } else {
      rects.push([w.x0, w.y0, w.x1, w.y1]);
    }
  }
  return rects;
}

function nearestWord(words, [x, y]) {
  let best = -1;
  let bestDistance = Infinity;
  words.forEach((w, i) => {
    const dx = x < w.x0 ? w.x0 - x : x > w.x1 ? x - w.x1 : 0;
    const dy = y < w.y0 ? w.y0 - y : y > w.y1 ? y - w.y1 : 0;
    const distance = dx * dx + dy * dy * 4;
    if (distance < bestDistance) [best, bestDistance] = [i, distance];
  });
  return bestDistance < 0.003 ? best : -1;
}

export class AnnotationLayer {
  constructor({ view, meetingId, userId, personId, mayShare }) {
    this.view = view;
    this.personId = personId; // () => the reader's person id
    this.mayShare = mayShare; // () => bool
    this.tool = 'read';
    this.shared = false;
    this.marks = new Map(); // document id → annotations from the server
    this.words = new Map(); // "doc/v/page" → words
    this.asked = new Map(); // "doc/v/page" → the request for them
    this.draft = null;
    this.items = []; // what is on the page now: {mark, ref, pending}
    this.outbox = new AnnotationOutbox(userId, meetingId);
    this.outbox.on('change', () => this.render());
    this.outbox.on('sent', ({ entry, out }) => this.stored(entry, out));
    this.outbox.on('rejected', ({ err }) => toast(t('reader.annotationRefused', { detail: err.detail }), 'error'));
    this.svg = svg('svg', { class: 'marks', viewBox: `0 0 ${SCALE} ${SCALE}`, preserveAspectRatio: 'none' });
    this.pins = h('div', { class: 'pins' });
    this.form = h('div', { class: 'note-form-slot' });
    view.overlay.append(this.svg, this.pins, this.form);
    view.overlay.addEventListener('pointerdown', (e) => this.down(e));
    view.overlay.addEventListener('pointermove', (e) => this.move(e));
    view.overlay.addEventListener('pointerup', (e) => this.up(e));
    view.overlay.addEventListener('pointercancel', () => this.cancel());
    this.pendingEl = h('div', { class: 'reader-outbox', 'aria-live': 'polite' });
    this.toolsEl = h('div', { class: 'annot-tools', role: 'group', 'aria-label': t('reader.tools') });
    this.outbox.on('change', () => this.renderTools());
    this.editor = new AnnotationEditor(this);
    this.actionsEl = this.editor.el;
    this.renderTools();
  }

  where() {
    return this.view.shown ? { doc: this.view.shown.doc, page: this.view.shown.page } : null;
  }

  async load(documentId) {
    try {
      this.marks.set(documentId, await api.get(`/api/documents/${documentId}/annotations`));
    } catch {
      /* offline and never fetched: only the outbox's marks show */
    }
    this.render();
  }

  setTool(tool) {
    this.tool = tool;
    this.cancel();
    this.editor.select(null);
    this.view.overlay.dataset.tool = tool;
    this.renderTools();
    const here = this.where();
    if (tool === 'highlight' && here) this.wordsOf(here.doc, here.page);
  }

  renderTools() {
    const pending = this.outbox.entries.length;
    patch(
      this.toolsEl,
      TOOLS.map((tool) =>
        h('button', {
          type: 'button',
          class: 'seg',
          'data-key': `tool-${tool}`,
          'aria-pressed': String(this.tool === tool),
          i18n: `reader.tool.${tool}`,
          on: { click: () => this.setTool(tool) },
        }),
      ),
      this.mayShare()
        ? h('button', {
            type: 'button',
            class: 'seg seg-share',
            'data-key': 'share',
            'aria-pressed': String(this.shared),
            i18n: 'reader.shareMine',
            on: {
              click: () => {
                this.shared = !this.shared;
                this.renderTools();
              },
            },
          })
        : null,
    );
    this.pendingEl.hidden = pending === 0;
    patch(
      this.pendingEl,
      pending
        ? [
            pendingTag(),
            ' ',
            h('span', { text: t('reader.outbox', { n: pending }) }),
          ]
        : [],
    );
  }

  visibility() {
    return this.shared && this.mayShare() ? 'shared' : 'private';
  }

  // ---- drawing ----
  down(e) {
    const here = this.where();
    if (!here || this.tool === 'read' || e.button > 0) return;
    if (this.draft) {
      // A second finger while a finger draws: the two are pinching to zoom, so the first one's line is no
      // stroke. A hand resting on the screen while a pen draws changes nothing.
      if (this.draft.touch && e.pointerType === 'touch') this.cancel();
      return;
    }
    if (this.tool === 'note') {
      if (e.target.closest('.note-form, .pin')) return;
      const at = this.view.fraction(e);
      this.noteForm(here, at, '', (text) => this.add(here, { kind: 'note', data: { at, text } }));
      return;
    }
    e.preventDefault();
    this.view.overlay.setPointerCapture(e.pointerId);
    const at = this.view.fraction(e);
    const by = { pointer: e.pointerId, touch: e.pointerType === 'touch' };
    if (this.tool === 'ink') this.draft = { kind: 'ink', points: [at], ...by };
    if (this.tool === 'highlight') this.draft = { kind: 'highlight', key: this.wordsKey(here.doc, here.page), from: at, to: at, ...by };
    this.renderDraft();
  }

  // The words a highlight drag covers (from the word nearest its start to the one nearest its end).
  covered(draft) {
    const words = this.words.get(draft.key) || [];
    let [a, b] = [nearestWord(words, draft.from), nearestWord(words, draft.to)];
    if (a < 0 || b < 0) return [];
    if (a > b) [a, b] = [b, a];
    return words.slice(a, b + 1);
  }

  move(e) {
    if (!this.draft || e.pointerId !== this.draft.pointer) return;
    const at = this.view.fraction(e);
    if (this.draft.kind === 'ink') {
      const [px, py] = this.draft.points[this.draft.points.length - 1];
      if (Math.hypot(at[0] - px, at[1] - py) > 0.002) this.draft.points.push(at);
    } else {
      this.draft.to = at;
    }
    this.renderDraft();
  }

  async up(e) {
    if (this.draft && e.pointerId !== this.draft.pointer) return;
    const draft = this.draft;
    const here = this.where();
    this.cancel();
    if (!draft || !here) return;
    if (draft.kind === 'highlight') await this.wordsOf(here.doc, here.page);
    if (draft.kind === 'ink' && draft.points.length > 1) {
      this.add(here, { kind: 'ink', data: { strokes: [draft.points.slice(0, 5000)] } });
    } else if (draft.kind === 'highlight' && this.covered(draft).length) {
      const words = this.covered(draft);
      const text = words.map((w) => w.text).join(' ').slice(0, 5000);
      this.add(here, { kind: 'highlight', data: { rects: lineRects(words).slice(0, 200), text } });
    }
  }

  // A new mark on the page on screen (waits in the outbox; "Undo" takes it back).
  add(here, { kind, data }) {
    const body = { kind, data, page: here.page, version: here.doc.version, visibility: this.visibility() };
    this.editor.created(here.doc.id, this.outbox.add(here.doc.id, body));
  }

  cancel() {
    this.draft = null;
    this.renderDraft();
  }

  renderDraft() {
    for (const el of this.svg.querySelectorAll('.draft')) el.remove();
    const d = this.draft;
    if (!d) return;
    if (d.kind === 'ink') this.svg.append(svg('polyline', { class: 'ink draft', points: scaled(d.points) }));
    if (d.kind === 'highlight') for (const r of lineRects(this.covered(d))) this.svg.append(this.rect(r, 'hl draft'));
  }

  wordsKey(doc, page) {
    return `${doc.id}/${doc.version}/${page}`;
  }

  // The page's words (asked once per page and version; a failure is said and asked again next time).
  wordsOf(doc, page) {
    const key = this.wordsKey(doc, page);
    if (!this.asked.has(key)) {
      const asking = api
        .get(`/api/documents/${doc.id}/pages/${page}/text`, { v: doc.version })
        .then((text) => this.words.set(key, text.words))
        .catch(() => {
          this.asked.delete(key);
          toast(t('reader.noWords'), 'error');
        });
      this.asked.set(key, asking);
    }
    return this.asked.get(key);
  }

  // The note form at `at` (page fractions), with `initial` text; `save(text)` when saved.
  noteForm(here, at, initial, done) {
    const text = h('textarea', {
      class: 'note-text',
      rows: 3,
      maxLength: 5000,
      'aria-label': t('reader.noteText'),
      value: initial,
    });
    const close = () => patch(this.form);
    const save = () => {
      if (!text.value.trim()) return text.focus();
      done(text.value.trim());
      close();
    };
    const form = h(
      'div',
      { class: 'note-form', role: 'dialog', 'aria-label': t('reader.tool.note') },
      text,
      h(
        'div',
        { class: 'note-form-actions' },
        h('button', {
          type: 'button',
          class: 'btn btn-primary btn-small',
          'data-key': 'note-save',
          i18n: 'reader.noteSave',
          on: { click: save },
        }),
        h('button', {
          type: 'button',
          class: 'btn btn-small',
          'data-key': 'note-cancel',
          i18n: 'reader.noteCancel',
          on: { click: close },
        }),
      ),
    );
    form.style.left = `${Math.min(at[0], 0.6) * 100}%`;
    form.style.top = `${Math.min(at[1], 0.8) * 100}%`;
    form.addEventListener('pointerdown', (e) => e.stopPropagation());
    form.addEventListener('keydown', (e) => e.key === 'Escape' && close());
    patch(this.form, form);
    text.focus();
  }

  // ---- what is on the page ----
  rect([x0, y0, x1, y1], cls) {
    return svg('rect', { class: cls, x: x0 * SCALE, y: y0 * SCALE, width: (x1 - x0) * SCALE, height: (y1 - y0) * SCALE });
  }

  markEl(mark, pending, selected) {
    const own = mark.author_id === undefined || mark.author_id === this.personId();
    const cls = [
      mark.visibility === 'shared' ? 'shared' : 'mine',
      pending ? 'unsent' : '',
      own ? '' : 'theirs',
      selected ? 'selected' : '',
    ].join(' ');
    if (mark.kind === 'ink') {
      const stroke = mark.data.color || '#d32f2f';
      return mark.data.strokes.map((s) => svg('polyline', { class: `ink ${cls}`, points: scaled(s), stroke }));
    }
    if (mark.kind === 'highlight') return mark.data.rects.map((r) => this.rect(r, `hl ${cls}`));
    if (mark.kind === 'arrow') {
      const [[x1, y1], [x2, y2]] = [mark.data.start, mark.data.end];
      return [svg('line', { class: `ink ${cls}`, x1: x1 * SCALE, y1: y1 * SCALE, x2: x2 * SCALE, y2: y2 * SCALE })];
    }
    return [];
  }

  pin(item) {
    const { mark, pending } = item;
    const shared = mark.visibility === 'shared';
    const open = Boolean(this.openPin) && sameRef(this.outbox.resolve(this.openPin), this.outbox.resolve(item.ref));
    const el = h(
      'button',
      {
        type: 'button',
        class: ['pin', shared ? 'shared' : 'mine', pending ? 'unsent' : '', this.editor.isSelected(item) ? 'selected' : ''],
        'aria-label': t(shared ? 'reader.noteShared' : 'reader.noteMine', { text: mark.data.text }),
        'aria-expanded': String(open),
        on: {
          click: () => {
            this.openPin = open ? null : item.ref;
            this.editor.select(item); // one's own: selected (to edit or delete); else only opened
          },
        },
      },
      h('span', { class: 'pin-icon', 'aria-hidden': 'true', text: '✎' }),
      h('span', { class: 'pin-text', text: mark.data.text }),
    );
    el.style.left = `${mark.data.at[0] * 100}%`;
    el.style.top = `${mark.data.at[1] * 100}%`;
    el.addEventListener('pointerdown', (e) => e.stopPropagation());
    return el;
  }

  // The server stored a change: kept here at once (no flicker back to what it was before).
  stored(entry, out) {
    const gone = out ? out.id : entry.target.id;
    const marks = (this.marks.get(entry.document_id) || []).filter((m) => m.id !== gone);
    this.marks.set(entry.document_id, out ? [...marks, out] : marks);
    this.render();
  }

  render() {
    const here = this.where();
    for (const el of [...this.svg.children]) if (!el.classList.contains('draft')) el.remove();
    if (!here) {
      this.items = [];
      this.editor.render();
      patch(this.pins);
      return;
    }
    const onPage = ({ mark, pending }) => mark.page === here.page && (pending || mark.version === here.doc.version);
    const stored = this.marks.get(here.doc.id) || [];
    this.items = withOutbox(stored, this.outbox.forDocument(here.doc.id)).filter(onPage);
    this.editor.render();
    for (const item of this.items) {
      this.svg.prepend(...this.markEl(item.mark, item.pending, this.editor.isSelected(item)));
    }
    patch(this.pins, this.items.filter((item) => item.mark.kind === 'note').map((item) => this.pin(item)));
    this.view.overlay.dataset.marks = String(this.items.filter((item) => item.ref.id !== undefined).length);
    this.view.overlay.dataset.unsent = String(this.items.filter((item) => item.pending).length);
  }
}
