// Annotations written on the tablet wait here (localStorage) until the server has stored them, like the
// live commands' outbox (live.js): each carries a client key made up once, so a create sent again after a
// lost reply or a reload is applied once. Sent at once when online, again when the network comes back.
import { request } from './api.js';
import { Emitter, readStoredList, writeStoredList } from './emitter.js';

const RETRY_EVERY = 15000;

function newKey() {
  const random = Math.random().toString(36).slice(2, 10);
  return `ann-${Date.now().toString(36)}-${random}`;
}

export class AnnotationOutbox extends Emitter {
  constructor(userId, meetingId) {
    super();
    this.storeKey = `cauhop.annotations.v1.${userId}.${meetingId}`;
    this.entries = readStoredList(this.storeKey);
    this.sending = null;
    window.addEventListener('online', () => this.flush());
    setInterval(() => this.entries.length && this.flush(), RETRY_EVERY);
  }

  save() {
    writeStoredList(this.storeKey, this.entries);
    this.emit('change', this.entries);
  }

  forPage(documentId, page) {
    return this.entries.filter((e) => e.document_id === documentId && e.body.page === page);
  }

  add(documentId, body) {
    const key = newKey();
    this.entries.push({ key, document_id: documentId, body: { ...body, client_key: key }, queuedAt: new Date().toISOString() });
    this.save();
    this.flush();
  }

  remove(key) {
    this.entries = this.entries.filter((e) => e.key !== key);
    this.save();
  }

  // Send what waits, in order, one at a time; stop at the first network failure (and keep the rest).
  flush() {
    if (!this.sending) {
      this.sending = this.sendAll().finally(() => {
        this.sending = null;
      });
    }
    return this.sending;
  }

  async sendAll() {
    while (this.entries.length && navigator.onLine) {
      const entry = this.entries[0];
      try {
        const out = await request('POST', `/api/documents/${entry.document_id}/annotations`, {
          body: entry.body,
          redirectOn401: false,
        });
        this.remove(entry.key);
        this.emit('sent', { entry, out });
      } catch (err) {
        if (err.status === 0 || err.status === 401 || err.status === 429 || err.status >= 500) return;
        this.remove(entry.key); // refused for good (e.g. not allowed to share): said, not retried
        this.emit('rejected', { entry, err });
      }
    }
  }
}
