// The agenda builder: items in order — reordered by drag and drop, or from the keyboard with each item's
// move up / move down buttons —, each with its presenter (picked from the participants, or any name typed),
// time box and documents; add, edit, delete an item; upload a PDF to an item (progress bar, the API's reason
// when the file is refused); move a document to another item.
import { api, request } from './api.js';
import { itemForm } from './agendaform.js';
import { documentRow } from './docrow.js';
import { t } from './i18n.js';
import { h, patch, showError } from './ui.js';
import { filePicker, UploadBox } from './upload.js';

const carriesFiles = (e) => Boolean(e.dataTransfer) && [...e.dataTransfer.types].includes('Files');

export class AgendaBuilder {
  // `comments(doc)`: open a document's comments table; `changed()`: the agenda or its documents changed.
  constructor(meeting, { comments, changed }) {
    this.meeting = meeting;
    this.base = `/api/meetings/${meeting.id}`;
    this.items = [];
    this.documents = new Map();
    this.editing = null;
    this.deleting = null;
    this.dragging = null;
    this.pending = 0; // reorders sent and not yet answered
    this.saving = Promise.resolve();
    this.open = new Set();
    this.boxes = new Map();
    this.onComments = comments;
    this.changed = changed;
    this.list = h('ol', { class: 'agenda-list', 'data-testid': 'agenda' });
    this.announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    const people = () => this.meeting.participants;
    const add = itemForm({}, people, 'agenda.addButton', async (body) => {
      const made = await api.post(`${this.base}/agenda`, body);
      add.reset();
      await this.reload(t('agenda.added', { title: made.title, pos: made.position }));
      add.focusTitle();
    });
    this.addForm = add;
    this.adder = h('div', { class: 'agenda-add' }, h('h3', { i18n: 'agenda.add' }), add);
    this.el = h(
      'section',
      { class: 'card agenda-card', 'aria-labelledby': 'agenda-title' },
      h('h2', { class: 'card-title', id: 'agenda-title', i18n: 'agenda.title' }),
      h('p', { class: 'hint', i18n: 'agenda.hint' }),
      this.announce,
      this.list,
      this.adder,
    );
    for (const type of ['dragover', 'drop']) {
      // a file dropped beside an item must not replace the page with the PDF
      this.el.addEventListener(type, (e) => {
        if (carriesFiles(e)) e.preventDefault();
      });
    }
  }

  box(key) {
    if (!this.boxes.has(key)) this.boxes.set(key, new UploadBox());
    return this.boxes.get(key);
  }

  // The meeting's participants changed: presenters are picked among the new ones.
  participantsChanged() {
    this.addForm.refreshPeople();
    this.render();
  }

  allDocuments() {
    return [...this.documents.values()];
  }

  say(message) {
    this.announce.textContent = message;
  }

  async load() {
    const [items, docs] = await Promise.all([api.get(`${this.base}/agenda`), api.get(`${this.base}/documents`)]);
    this.items = items;
    this.documents = new Map(docs.map((d) => [d.id, d]));
    this.render();
  }

  async reload(message) {
    try {
      await this.load();
      if (message) this.say(message);
      this.changed();
    } catch (err) {
      showError(err);
    }
  }

  render() {
    const n = this.items.length;
    patch(
      this.list,
      n ? this.items.map((item, i) => this.itemRow(item, i, n)) : h('li', { class: 'empty', i18n: 'agenda.empty' }),
    );
  }

  itemRow(item, i, n) {
    const title = item.title;
    const button = (key, label, props) =>
      h('button', {
        type: 'button',
        class: 'btn btn-small',
        'data-key': `${key}-${item.id}`,
        'aria-label': label,
        ...props,
      });
    const deleting = this.deleting === item.id;
    const actions = [
      button('up', t('agenda.moveUp', { title }), {
        class: 'btn btn-small btn-icon',
        text: '↑',
        title: t('agenda.up'),
        disabled: i === 0,
        on: { click: () => this.move(item.id, -1) },
      }),
      button('down', t('agenda.moveDown', { title }), {
        class: 'btn btn-small btn-icon',
        text: '↓',
        title: t('agenda.down'),
        disabled: i === n - 1,
        on: { click: () => this.move(item.id, 1) },
      }),
      button('edit', t('agenda.editItem', { title }), {
        i18n: 'agenda.edit',
        on: { click: () => this.edit(item.id) },
      }),
      deleting
        ? button('confirm', t('agenda.confirmDelete', { title }), {
            class: 'btn btn-small btn-danger',
            i18n: 'agenda.confirm',
            on: { click: () => this.remove(item) },
          })
        : button('delete', t('agenda.deleteItem', { title }), {
            class: 'btn btn-small btn-danger',
            i18n: 'agenda.delete',
            on: { click: () => this.askDelete(item.id) },
          }),
    ];
    const facts = [
      item.presenter ? t('agenda.by', { who: item.presenter }) : null,
      item.time_box_minutes ? t('agenda.minutes', { n: item.time_box_minutes }) : null,
    ].filter(Boolean);
    const row = h(
      'div',
      { class: 'agenda-row', draggable: this.editing !== item.id },
      h('span', { class: 'drag-handle', 'aria-hidden': 'true', title: t('agenda.drag'), text: '⠿' }),
      h('span', { class: 'agenda-pos', text: String(i + 1) }),
      h(
        'div',
        { class: 'agenda-main' },
        h('strong', { class: 'agenda-item-title', text: title }),
        h('small', { text: facts.join(' · ') }),
      ),
      h('div', { class: 'agenda-actions' }, actions),
    );
    const docs = item.documents.map((brief) => this.documents.get(brief.id) || brief);
    const box = this.box(`item-${item.id}`);
    const li = h(
      'li',
      { class: 'agenda-item', 'data-item-id': item.id },
      row,
      this.editing === item.id
        ? itemForm(
            item,
            () => this.meeting.participants,
            'prep.save',
            async (body) => {
              await api.patch(`${this.base}/agenda/${item.id}`, body);
              this.editing = null;
              await this.reload(t('agenda.saved', { title: body.title }));
              this.focusKey(`edit-${item.id}`);
            },
            () => {
              this.editing = null;
              this.render();
              this.focusKey(`edit-${item.id}`);
            },
          )
        : null,
      docs.length
        ? h('ul', { class: 'doc-list' }, docs.map((d) => documentRow(d, this.rowContext())))
        : h('p', { class: 'hint doc-none', i18n: 'agenda.noDocuments' }),
      h(
        'div',
        { class: 'agenda-upload' },
        filePicker(
          'agenda.upload',
          t('agenda.uploadTo', { title }),
          (file) => this.upload(item, box, file),
          `upload-${item.id}`,
        ),
        box.el,
      ),
    );
    this.dragAndDrop(row, li, item);
    return li;
  }

  rowContext() {
    return {
      meeting: this.meeting,
      open: this.open,
      box: (key) => this.box(key),
      render: () => this.render(),
      reload: (message) => this.reload(message),
      comments: (doc) => this.onComments(doc),
      items: this.items,
      move: (doc, itemId) => this.moveDocument(doc, itemId),
    };
  }

  // A document to the end of another item; the focus follows it to its new place.
  async moveDocument(doc, itemId) {
    const target = this.items.find((i) => i.id === itemId);
    if (!target) return;
    try {
      await api.patch(`/api/documents/${doc.id}`, { agenda_item_id: itemId, position: target.documents.length });
      await this.reload(t('docs.moved', { title: doc.title, item: target.title }));
      this.focusKey(`move-${doc.id}`);
    } catch (err) {
      showError(err);
    }
  }

  async upload(item, box, file) {
    const out = await box.send(`${this.base}/documents`, file, { agenda_item_id: item.id });
    if (out) await this.reload();
    return out;
  }

  // PDF files dropped on an item: one after another, stopping at the first refused (its reason stays shown).
  async uploadAll(item, files) {
    const box = this.box(`item-${item.id}`);
    for (const file of files) {
      if (!(await this.upload(item, box, file))) break;
    }
  }

  edit(id) {
    this.editing = id;
    this.render();
    this.list.querySelector(`[data-item-id="${id}"] .agenda-form input`).focus();
  }

  askDelete(id) {
    this.deleting = id;
    this.render();
    this.focusKey(`confirm-${id}`);
  }

  async remove(item) {
    this.deleting = null;
    try {
      await request('DELETE', `${this.base}/agenda/${item.id}`);
      await this.reload(t('agenda.deleted', { title: item.title }));
    } catch (err) {
      showError(err);
      this.render();
    }
  }

  async move(id, delta) {
    const order = this.items.map((x) => x.id);
    const i = order.indexOf(id);
    const j = i + delta;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j], order[i]];
    await this.reorder(order, id, delta < 0 ? 'up' : 'down');
  }

  // Put the agenda in `order` (every item id): shown at once, then stored — one request after another, so
  // quick moves land in the order they were made; the moved item keeps the focus.
  async reorder(order, movedId, direction) {
    const byId = new Map(this.items.map((x) => [x.id, x]));
    const moved = byId.get(movedId);
    this.items = order.map((id) => byId.get(id));
    this.render();
    if (direction) this.keepFocus(movedId, direction);
    this.pending += 1;
    const put = () => request('PUT', `${this.base}/agenda/order`, { body: { item_ids: order } });
    const mine = this.saving.then(put, put);
    this.saving = mine;
    try {
      const stored = await mine;
      this.pending -= 1;
      if (this.pending === 0) {
        this.items = stored;
        this.render();
      }
      this.say(t('agenda.moved', { title: moved.title, pos: order.indexOf(movedId) + 1, n: order.length }));
      this.changed();
    } catch (err) {
      this.pending -= 1;
      showError(err);
      await this.load();
    }
  }

  focusKey(key) {
    const target = this.list.querySelector(`[data-key="${key}"]`);
    if (target) target.focus();
  }

  keepFocus(id, direction) {
    const other = direction === 'up' ? 'down' : 'up';
    const want = this.list.querySelector(`[data-key="${direction}-${id}"]`);
    this.focusKey(want && !want.disabled ? `${direction}-${id}` : `${other}-${id}`);
  }

  dragAndDrop(row, li, item) {
    const clear = () => {
      for (const el of this.list.querySelectorAll('.dragging, .drop-before, .drop-after, .drop-file')) {
        el.classList.remove('dragging', 'drop-before', 'drop-after', 'drop-file');
      }
    };
    row.addEventListener('dragstart', (e) => {
      this.dragging = item.id;
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', String(item.id));
      li.classList.add('dragging');
    });
    row.addEventListener('dragend', () => {
      this.dragging = null;
      clear();
    });
    li.addEventListener('dragover', (e) => {
      if (this.dragging === null && carriesFiles(e)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        li.classList.add('drop-file');
        return;
      }
      if (this.dragging === null || this.dragging === item.id) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      const box = li.getBoundingClientRect();
      const after = e.clientY > box.top + box.height / 2;
      li.classList.toggle('drop-after', after);
      li.classList.toggle('drop-before', !after);
    });
    li.addEventListener('dragleave', (e) => {
      if (!li.contains(e.relatedTarget)) li.classList.remove('drop-before', 'drop-after', 'drop-file');
    });
    li.addEventListener('drop', (e) => {
      if (this.dragging === null && carriesFiles(e)) {
        e.preventDefault();
        clear();
        this.uploadAll(item, [...e.dataTransfer.files]);
        return;
      }
      const from = this.dragging;
      if (from === null || from === item.id) return;
      e.preventDefault();
      const after = li.classList.contains('drop-after');
      this.dragging = null;
      clear();
      const order = this.items.map((x) => x.id).filter((id) => id !== from);
      order.splice(order.indexOf(item.id) + (after ? 1 : 0), 0, from);
      if (order.some((id, k) => id !== this.items[k].id)) this.reorder(order, from, null);
    });
  }
}
