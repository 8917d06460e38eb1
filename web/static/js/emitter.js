// What the tablet's clients share: events with a payload (`on`, `emit`), and a JSON list kept in
// localStorage that survives a reload (the outboxes of live commands and of annotations).

export class Emitter extends EventTarget {
  on(type, fn) {
    this.addEventListener(type, (e) => fn(e.detail));
    return this;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

export function readStoredList(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || '[]');
  } catch {
    return [];
  }
}

export function writeStoredList(key, list) {
  try {
    localStorage.setItem(key, JSON.stringify(list));
  } catch {
    /* storage full or private mode: the list still lives in memory */
  }
}
