// What the reader writes waits here (localStorage) until the server has it, like the live commands' outbox
// (live.js): sent at once when online, in order, one at a time, again when the network comes back, and
// kept across a reload. Every replay is harmless: a create carries a client key made up once (sent again
// after a lost reply, the server returns what it made the first time), an edit sets the same data again, and
// a delete whose annotation is already gone is done.
import { request } from './api.js';
import { Emitter, readStoredList, writeStoredList } from './emitter.js';

const RETRY_EVERY = 15000;

function newKey(prefix) {
  const random = Math.random().toString(36).slice(2, 10);
  return `${prefix}-${Date.now().toString(36)}-${random}`;
}

const transient = (err) => err.status === 0 || err.status === 401 || err.status === 429 || err.status >= 500;

class Outbox extends Emitter {
  constructor(storeKey) {
    super();
    this.storeKey = storeKey;
    this.entries = readStoredList(storeKey);
    this.sending = null;
    this.inFlight = null; // the key of the entry on its way
    window.addEventListener('online', () => this.flush());
    setInterval(() => this.waiting().length && this.flush(), RETRY_EVERY);
  }

  save() {
    writeStoredList(this.storeKey, this.entries);
    this.emit('change', this.entries);
  }

  waiting() {
    return this.entries.filter((e) => !e.refused);
  }

  // Still to be sent and not on its way: may be changed or dropped without the server knowing.
  unsent(entry) {
    return entry && !entry.refused && entry.key !== this.inFlight;
  }

  queue(entry) {
    this.entries.push({ ...entry, queuedAt: new Date().toISOString() });
    this.save();
    this.flush();
  }

  drop(key) {
    this.entries = this.entries.filter((e) => e.key !== key);
    this.save();
  }

  // Send what waits, in order; stop at the first network failure (and keep the rest).
  flush() {
    if (!this.sending) {
      this.sending = this.sendAll().finally(() => {
        this.sending = null;
      });
    }
    return this.sending;
  }

  async sendAll() {
    for (let entry = this.waiting()[0]; entry && navigator.onLine; entry = this.waiting()[0]) {
      this.inFlight = entry.key;
      try {
        const out = await this.send(entry);
        this.sent(entry, out);
        this.emit('sent', { entry, out });
      } catch (err) {
        if (transient(err)) return;
        this.refused(entry, err);
        this.emit('rejected', { entry, err });
      } finally {
        this.inFlight = null;
      }
    }
  }
}

export const sameRef = (a, b) => (a.id !== undefined ? a.id === b.id : a.key !== undefined && a.key === b.key);

// The marks on screen: the server's, with the outbox's changes on top (waiting creates added, edits applied,
// deletes taken away), each as {mark, ref, pending}; `ref` is {id} once stored, {key} while waiting.
export function withOutbox(stored, entries) {
  const shown = stored.map((mark) => ({ mark, ref: { id: mark.id }, pending: false }));
  for (const e of entries) {
    if (e.op === 'create') {
      shown.push({ mark: e.body, ref: { key: e.key }, pending: true });
      continue;
    }
    const i = shown.findIndex((s) => sameRef(s.ref, e.target));
    if (i < 0) continue;
    if (e.op === 'delete') shown.splice(i, 1);
    else shown[i] = { ...shown[i], mark: { ...shown[i].mark, ...e.body }, pending: true };
  }
  return shown;
}

// Annotations: create, edit and delete. A change to an annotation whose create still waits changes that
// create instead (a delete cancels it: the server never hears of it).
export class AnnotationOutbox extends Outbox {
  constructor(userId, meetingId) {
    super(`cauhop.annotations.v1.${userId}.${meetingId}`);
    this.entries = this.entries.map((e) => ({ op: 'create', ...e })); // lists queued before edits were
    this.ids = new Map(); // client key → id, for the creates sent from this screen
  }

  forDocument(documentId) {
    return this.entries.filter((e) => e.document_id === documentId);
  }

  // {key} → {id} once its create has been stored.
  resolve(ref) {
    return ref.key !== undefined && this.ids.has(ref.key) ? { id: this.ids.get(ref.key) } : ref;
  }

  add(documentId, body) {
    const key = newKey('ann');
    this.queue({ op: 'create', key, document_id: documentId, body: { ...body, client_key: key } });
    return { key };
  }

  edit(documentId, ref, patch) {
    const target = this.resolve(ref);
    const create = this.entries.find((e) => e.op === 'create' && e.key === target.key);
    const earlier = this.entries.find((e) => e.op === 'edit' && sameRef(e.target, target) && this.unsent(e));
    const into = this.unsent(create) ? create : earlier;
    if (into) {
      into.body = { ...into.body, ...patch };
      this.save();
      this.flush();
      return;
    }
    this.queue({ op: 'edit', key: newKey('edit'), document_id: documentId, target, body: patch });
  }

  discard(documentId, ref) {
    const target = this.resolve(ref);
    const create = this.entries.find((e) => e.op === 'create' && e.key === target.key);
    const later = (e) => e.op !== 'create' && sameRef(e.target, target) && this.unsent(e);
    this.entries = this.entries.filter((e) => !later(e));
    if (this.unsent(create)) {
      this.drop(create.key); // never sent: nothing to delete on the server
      return;
    }
    this.queue({ op: 'delete', key: newKey('del'), document_id: documentId, target });
  }

  send(entry) {
    const base = `/api/documents/${entry.document_id}/annotations`;
    const options = { body: entry.body, redirectOn401: false };
    if (entry.op === 'create') return request('POST', base, options);
    const path = `${base}/${entry.target.id}`;
    if (entry.op === 'edit') return request('PATCH', path, options);
    return request('DELETE', path, { redirectOn401: false }).catch((err) => {
      if (err.status !== 404) throw err; // gone already: this delete was sent before
    });
  }

  // A stored create: what waited behind it for its id now has it.
  sent(entry, out) {
    this.entries = this.entries.filter((e) => e.key !== entry.key);
    if (entry.op === 'create') {
      this.ids.set(entry.key, out.id);
      for (const e of this.entries) if (e.target && e.target.key === entry.key) e.target = { id: out.id };
    }
    this.save();
  }

  // Refused for good (e.g. not allowed to share): said, not retried, and what depended on it goes too.
  refused(entry) {
    this.entries = this.entries.filter((e) => e.key !== entry.key && !(e.target && e.target.key === entry.key));
    this.save();
  }
}

// Comments on a draft. One the server refuses (e.g. its deadline passed while it waited) stays in the list
// with the server's words until the reader dismisses it.
export class CommentOutbox extends Outbox {
  constructor(userId, meetingId) {
    super(`cauhop.comments.v1.${userId}.${meetingId}`);
  }

  forDocument(documentId) {
    return this.entries.filter((e) => e.document_id === documentId);
  }

  add(documentId, body) {
    const key = newKey('cmt');
    this.queue({ key, document_id: documentId, body: { ...body, client_key: key } });
    return key;
  }

  send(entry) {
    return request('POST', `/api/documents/${entry.document_id}/comments`, { body: entry.body, redirectOn401: false });
  }

  sent(entry) {
    this.drop(entry.key);
  }

  refused(entry, err) {
    entry.refused = err.detail;
    this.save();
  }
}
