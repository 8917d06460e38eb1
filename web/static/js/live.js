// The live meeting WebSocket client (/ws/meetings/{id}?since=SEQ; schema at /api/ws-schema.json).
//
// - Reconnects by itself (backoff, and at once when the browser comes back online) and asks for what it
//   missed with `since` = the last seq it applied; the server replays those events or sends a snapshot.
// - Commands go through an outbox kept in localStorage with their `id` (the idempotency key) until the
//   server acknowledges them; after a reconnect or a reload every one is sent again, and the server applies
//   each once. Screens show the entries still in the outbox as "not yet sent".
// - Applies events to a local copy of the snapshot's state (livestate.js mirrors the server's fold).
import { loginUrl } from './api.js';
import { Emitter, readStoredList, writeStoredList } from './emitter.js';
import { explain } from './i18n.js';
import { applyEvent, quorum } from './livestate.js';

const PING_EVERY = 15000;
const PONG_WITHIN = 10000;
const BACKOFF = [500, 1000, 2000, 4000, 8000];

function newId(type) {
  const random = Math.random().toString(36).slice(2, 10);
  return `${type}-${Date.now().toString(36)}-${random}`.slice(0, 64);
}

export class LiveClient extends Emitter {
  constructor(meetingId, userId) {
    super();
    this.meetingId = meetingId;
    this.storeKey = `cauhop.outbox.v1.${userId}.${meetingId}`;
    this.state = null;
    this.seq = 0;
    this.role = null;
    this.personId = null;
    this.online = new Set();
    this.status = 'connecting'; // connecting | online | offline | closed
    this.fatal = null;
    this.outbox = readStoredList(this.storeKey);
    this.settling = new Map(); // acknowledged, but their event is not applied here yet: still shown as pending
    this.waiters = new Map();
    this.ws = null;
    this.attempt = 0;
    this.timers = {};
    window.addEventListener('offline', () => this.goOffline());
    window.addEventListener('online', () => this.connect());
  }

  // ---- the outbox ----
  save() {
    writeStoredList(this.storeKey, this.outbox);
    this.emit('outbox', this.outbox);
  }

  pending(type) {
    return [...this.outbox, ...this.settling.values()].filter((e) => !type || e.cmd.type === type);
  }

  settled() {
    let changed = false;
    for (const [id, entry] of this.settling) {
      if (entry.seq <= this.seq) changed = this.settling.delete(id);
    }
    if (changed) this.emit('outbox', this.outbox);
  }

  // Queue a command; resolves with the ack once the server has durably written it, rejects on an error.
  send(cmd) {
    const id = newId(cmd.type);
    const entry = { id, cmd: { ...cmd, id }, queuedAt: new Date().toISOString() };
    this.outbox.push(entry);
    this.save();
    const done = new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    done.catch(() => {}); // a rejection is also announced as a 'rejected' event; awaiting it is optional
    this.transmit(entry);
    return done;
  }

  transmit(entry) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.status === 'online') {
      this.ws.send(JSON.stringify(entry.cmd));
    }
  }

  settle(id, ok, value) {
    this.outbox = this.outbox.filter((e) => e.id !== id);
    this.save();
    const waiter = this.waiters.get(id);
    this.waiters.delete(id);
    if (waiter) (ok ? waiter.resolve : waiter.reject)(value);
  }

  // ---- the connection ----
  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  connect() {
    if (this.fatal) return;
    clearTimeout(this.timers.retry);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    if (!navigator.onLine) {
      this.setStatus('offline');
      return;
    }
    this.setStatus('connecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const since = this.state ? this.seq : 0;
    const ws = new WebSocket(`${scheme}://${location.host}/ws/meetings/${this.meetingId}?since=${since}`);
    this.ws = ws;
    ws.addEventListener('open', () => this.opened(ws));
    ws.addEventListener('message', (e) => this.received(ws, e.data));
    ws.addEventListener('close', (e) => this.closed(ws, e.code));
  }

  opened(ws) {
    if (ws !== this.ws) return;
    this.attempt = 0;
    this.setStatus('online');
    for (const entry of this.outbox) this.transmit(entry);
    this.heartbeat();
  }

  heartbeat() {
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(JSON.stringify({ type: 'ping' }));
      clearTimeout(this.timers.pong);
      this.timers.pong = setTimeout(() => this.ws && this.ws.close(4000, 'no answer to ping'), PONG_WITHIN);
    }, PING_EVERY);
  }

  goOffline() {
    this.setStatus('offline');
    if (this.ws) this.ws.close(4001, 'browser offline');
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
    if (code === 4401) {
      location.assign(loginUrl());
      return;
    }
    if (code === 4403 || code === 4404) {
      this.fatal = this.lastError || `closed (${code})`;
      this.setStatus('closed');
      this.emit('fatal', this.fatal);
      return;
    }
    if (!navigator.onLine) {
      this.setStatus('offline');
      return;
    }
    this.setStatus('connecting');
    const delay = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)] * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  received(ws, text) {
    if (ws !== this.ws) return;
    clearTimeout(this.timers.pong);
    const msg = JSON.parse(text);
    const handler = this[`on_${msg.type}`];
    if (handler) handler.call(this, msg);
  }

  on_hello(msg) {
    this.role = msg.role;
    this.personId = msg.person_id;
    this.emit('hello', msg);
  }

  on_snapshot(msg) {
    this.state = msg.state;
    this.seq = msg.seq;
    this.state.quorum = quorum(this.state);
    this.settled();
    this.emit('state', this.state);
  }

  on_event(msg) {
    if (!this.state || msg.seq <= this.seq) return;
    if (msg.seq > this.seq + 1) {
      this.ws.close(4002, 'gap'); // reconnect with since = the last seq applied: the server fills the gap
      return;
    }
    applyEvent(this.state, msg.seq, msg.kind, msg.payload, msg.at);
    this.seq = msg.seq;
    this.settled();
    this.emit('event', msg);
    this.emit('state', this.state);
  }

  on_presence(msg) {
    this.online = new Set(msg.online);
    this.emit('presence', this.online);
  }

  on_ack(msg) {
    const entry = this.outbox.find((e) => e.id === msg.id);
    if (entry && msg.seq > this.seq) this.settling.set(msg.id, { ...entry, seq: msg.seq });
    this.settle(msg.id, true, msg);
    this.emit('ack', msg);
  }

  on_error(msg) {
    this.lastError = explain(msg);
    const entry = msg.id && this.outbox.find((e) => e.id === msg.id);
    if (!entry) {
      this.emit('servererror', msg);
      return;
    }
    if (msg.code === 'rate_limited') {
      setTimeout(() => this.transmit(entry), 1000);
      return;
    }
    this.settle(msg.id, false, msg);
    this.emit('rejected', { ...msg, cmd: entry.cmd });
  }
}
