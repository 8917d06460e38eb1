// Changing one's own annotations: tap one (with the "read" tool) to select it, then delete it (button or
// Delete key) or, for a note, edit its text; "Undo" (button or Ctrl+Z) takes back the last annotation made,
// deleted or edited. Every change goes through the outbox, so it works offline too.
import { t } from './i18n.js';
import { sameRef } from './readeroutbox.js';
import { h, patch } from './ui.js';

const TOLERANCE = 0.02; // of the page's width: about a fingertip on a tablet
const HISTORY = 50;

function toSegment([px, py], [ax, ay], [bx, by]) {
  const [dx, dy] = [bx - ax, by - ay];
  const length = dx * dx + dy * dy;
  const k = length ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length)) : 0;
  return Math.hypot(px - (ax + k * dx), py - (ay + k * dy));
}

function toRect([px, py], [x0, y0, x1, y1]) {
  return Math.hypot(Math.max(x0 - px, 0, px - x1), Math.max(y0 - py, 0, py - y1));
}

// How far a point is from a mark, in page widths (`ratio`: the page's height / width).
export function distance(mark, [x, y], ratio) {
  const at = (p) => [p[0], p[1] * ratio];
  const point = at([x, y]);
  const polyline = (points) =>
    points.length === 1
      ? Math.hypot(point[0] - points[0][0], point[1] - points[0][1] * ratio)
      : Math.min(...points.slice(1).map((p, i) => toSegment(point, at(points[i]), at(p))));
  if (mark.kind === 'ink') return Math.min(...mark.data.strokes.map(polyline));
  if (mark.kind === 'arrow') return polyline([mark.data.start, mark.data.end]);
  if (mark.kind === 'highlight') {
    return Math.min(...mark.data.rects.map(([x0, y0, x1, y1]) => toRect(point, [x0, y0 * ratio, x1, y1 * ratio])));
  }
  if (mark.kind === 'note') return polyline([mark.data.at]);
  return Infinity;
}

// The item (of {mark}) nearest to the point, if one is within a fingertip.
export function hitMark(items, point, ratio) {
  let best = null;
  let bestDistance = TOLERANCE;
  for (const item of items) {
    const d = distance(item.mark, point, ratio);
    if (d <= bestDistance) [best, bestDistance] = [item, d];
  }
  return best;
}

// What a create needs to make the mark again.
function recreated(mark) {
  const { quote = '', prefix = '', suffix = '' } = mark.anchor || {};
  const { kind, page, version, visibility, data } = mark;
  return { kind, page, version, visibility, data, anchor: { quote, prefix, suffix } };
}

const typing = (el) => el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

export class AnnotationEditor {
  // `layer`: the AnnotationLayer (its outbox, the items on the page, the tool, the note form).
  constructor(layer) {
    this.layer = layer;
    this.selected = null; // {documentId, ref}
    this.history = []; // {op: 'created'|'deleted'|'edited', documentId, ref, mark, before}
    this.el = h('div', { class: 'annot-actions', role: 'group', 'aria-label': t('reader.editTools') });
    layer.view.overlay.addEventListener('click', (e) => this.tap(e));
    document.addEventListener('keydown', (e) => this.key(e));
    this.render();
  }

  own(item) {
    return item.mark.author_id === undefined || item.mark.author_id === this.layer.personId();
  }

  tap(e) {
    if (this.layer.tool !== 'read' || e.target.closest('.pin, .note-form')) return;
    const mine = this.layer.items.filter((item) => this.own(item));
    this.select(hitMark(mine, this.layer.view.fraction(e), this.layer.view.ratio));
  }

  select(item) {
    const here = this.layer.where();
    this.selected = item && here && this.own(item) ? { documentId: here.doc.id, ref: item.ref } : null;
    this.layer.render();
  }

  // The selected item as on the page now (its create may have been stored since: {key} became {id}).
  current() {
    if (!this.selected) return null;
    const outbox = this.layer.outbox;
    const ref = outbox.resolve(this.selected.ref);
    return this.layer.items.find((item) => sameRef(outbox.resolve(item.ref), ref)) || null;
  }

  isSelected(item) {
    const chosen = this.current();
    return Boolean(chosen) && chosen.ref === item.ref;
  }

  remember(step) {
    this.history = [...this.history.slice(1 - HISTORY), step];
    this.render();
  }

  created(documentId, ref) {
    this.remember({ op: 'created', documentId, ref });
  }

  remove() {
    const item = this.current();
    if (!item) return;
    const { documentId } = this.selected;
    this.layer.outbox.discard(documentId, item.ref);
    this.remember({ op: 'deleted', documentId, ref: item.ref, mark: item.mark });
    this.select(null);
  }

  editNote() {
    const item = this.current();
    const here = this.layer.where();
    if (!item || !here || item.mark.kind !== 'note') return;
    const { documentId } = this.selected;
    this.layer.noteForm(here, item.mark.data.at, item.mark.data.text, (text) => {
      this.layer.outbox.edit(documentId, item.ref, { data: { ...item.mark.data, text } });
      this.remember({ op: 'edited', documentId, ref: item.ref, before: item.mark.data });
    });
  }

  undo() {
    const step = this.history.pop();
    if (!step) return;
    const outbox = this.layer.outbox;
    if (step.op === 'created') outbox.discard(step.documentId, step.ref);
    if (step.op === 'deleted') this.restore(step);
    if (step.op === 'edited') outbox.edit(step.documentId, step.ref, { data: step.before });
    this.select(null);
  }

  // A deleted mark made again: the steps before that named it now name the new one.
  restore(step) {
    const outbox = this.layer.outbox;
    const ref = outbox.add(step.documentId, recreated(step.mark));
    const old = outbox.resolve(step.ref);
    for (const earlier of this.history) if (sameRef(outbox.resolve(earlier.ref), old)) earlier.ref = ref;
  }

  key(e) {
    if (typing(e.target)) return;
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      this.undo();
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && this.current()) {
      e.preventDefault();
      this.remove();
    } else if (e.key === 'Escape' && this.selected) {
      this.select(null);
    }
  }

  render() {
    const item = this.current();
    if (this.selected && !item) this.selected = null; // gone (deleted elsewhere, or another page)
    const button = (key, label, click, extra = {}) =>
      h('button', { type: 'button', class: 'btn btn-small', 'data-key': key, i18n: label, on: { click }, ...extra });
    const what = item ? t(`reader.kind.${item.mark.kind}`) : '';
    patch(
      this.el,
      item
        ? [
            h('span', { class: 'annot-selected', 'data-testid': 'annot-selected', text: t('reader.selected', { what }) }),
            item.mark.kind === 'note' ? button('annot-edit', 'reader.edit', () => this.editNote()) : null,
            button('annot-delete', 'reader.delete', () => this.remove(), {
              class: 'btn btn-small btn-danger',
              title: t('reader.deleteHint'),
            }),
          ]
        : null,
      button('annot-undo', 'reader.undo', () => this.undo(), {
        disabled: !this.history.length,
        title: t('reader.undoHint'),
      }),
    );
  }
}
