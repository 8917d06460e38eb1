// The call's video on the consoles (the connection itself is rtc.js):
// - bridgeCall: a bridge point joins with its camera and microphone and sees the speaker and the chair's
//   room (its own picture small); low-bandwidth mode keeps the sound and drops the pictures;
// - consoleCall: the chair's console receives the speaker and the last-N rooms, pictures only;
// - qualityView: round-trip time, loss and bitrates of the connection, measured in the browser.
import { fmtNumber, t } from './i18n.js';
import { REFUSALS, RtcClient } from './rtc.js';
import { h, patch } from './ui.js';

const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } };

function play(video) {
  // Autoplay may be refused until the user interacts with the page: try again on the next click.
  video.play().catch(() => document.addEventListener('click', () => video.play().catch(() => {}), { once: true }));
}

// Text that follows the language switch (applyI18n re-reads data-i18n); no key: plain text.
function say(el, key, vars = {}, text = '') {
  if (key) {
    el.dataset.i18n = key;
    el.dataset.i18nVars = JSON.stringify(vars);
  } else delete el.dataset.i18n;
  el.textContent = key ? t(key, vars) : text;
}

function tile(role, { muted = false } = {}) {
  const video = h('video', { autoplay: true, playsInline: true, muted });
  const caption = h('figcaption', { class: 'tile-name' });
  const empty = h('p', { class: 'tile-empty' });
  const el = h('figure', { class: `tile tile-${role}`, 'data-tile': role }, video, empty, caption);
  return {
    el,
    // name: who the tile shows (none: the tile is empty and says emptyKey); captionKey: words around the name.
    show(stream, name, emptyKey, captionKey) {
      if (video.srcObject !== stream) video.srcObject = stream;
      if (video.paused) play(video);
      el.classList.toggle('tile-off', !name);
      say(caption, name && captionKey, { name }, name || '');
      say(empty, !name && emptyKey);
    },
  };
}

function stateLine(client) {
  const el = h('p', { class: 'call-state', role: 'status', 'aria-live': 'polite' });
  client.on('state', ({ state, detail }) => {
    el.dataset.state = state;
    if (state === 'refused') return sayRefused(el, detail);
    el.removeAttribute('title');
    say(el, `call.state.${state}`, { detail: detail || '' });
  });
  return el;
}

// Why the relay refused the call, in the page's language by its code; the server's own words (English)
// stay at hand for support, in the title.
function sayRefused(el, refusal) {
  const { code, detail: words = '' } = refusal || {};
  say(el, REFUSALS.includes(code) ? `call.refused.${code}` : 'call.state.refused', { detail: words });
  el.title = words;
}

function fmtRate(bps) {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mbps` : `${Math.round(bps / 1000)} kbps`;
}

const noFigures = (key = 'call.quality.none') => h('span', { class: 'muted', i18n: key });

// The connection's numbers, refreshed as the client measures them.
export function qualityView(client) {
  const el = h('div', { class: 'call-quality', 'data-testid': 'call-quality' }, noFigures());
  const figure = (labelKey, name, text) => [h('dt', { i18n: labelKey }), h('dd', { 'data-figure': name, text })];
  client.on('quality', (q) => {
    const kind = q.verdict === 'good' ? 'badge-ok' : 'badge-warn';
    patch(
      el,
      q.verdict ? h('span', { class: `badge ${kind}`, i18n: `call.verdict.${q.verdict}` }) : null,
      h(
        'dl',
        { class: 'quality-figures' },
        figure('call.rtt', 'rtt', q.rtt === null ? '—' : `${Math.round(q.rtt * 1000)} ms`),
        figure('call.loss', 'loss', q.loss === null ? '—' : `${(q.loss * 100).toFixed(1)} %`),
        figure('call.up', 'up', fmtRate(q.sendBps)),
        figure('call.down', 'down', fmtRate(q.receiveBps)),
      ),
    );
  });
  client.on('state', ({ state }) => patch(el, noFigures(state === 'connected' ? 'call.quality.wait' : undefined)));
  return el;
}

function toggle(key, onChange) {
  const box = h('input', { type: 'checkbox', checked: true, 'data-key': key });
  box.addEventListener('change', () => onChange(box.checked));
  return h('label', { class: 'call-toggle' }, box, h('span', { i18n: key }));
}

function button(key, onClick, cls = 'btn') {
  return h('button', { type: 'button', class: cls, 'data-key': key, i18n: key, on: { click: onClick } });
}

// A bridge point's call: {el, quality, setLow(on), onSuggestLow} (set the last to accept the relay's
// suggestion of low-bandwidth mode).
export function bridgeCall(meetingId, room, names, { lowBandwidth = false } = {}) {
  const el = h('div', { class: 'video-area call', 'data-slot': 'video' });
  const quality = h('div', { class: 'call-quality-slot' }, noFigures());
  let low = lowBandwidth;
  let client = null;
  let media = null;
  const title = () => h('p', { class: 'video-title', i18n: low ? 'video.low' : 'video.bridge' });
  const lowNote = () => (low ? h('p', { class: 'video-note', i18n: 'video.lowNote' }) : null);
  const idle = (why = null) =>
    patch(el, title(), lowNote(), why, button('call.join', join, 'btn btn-primary btn-large'));

  async function join(e) {
    e.currentTarget.disabled = true;
    let warning = null;
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: true, video: CAMERA });
    } catch (err) {
      warning = { detail: err.message || err.name };
    }
    client = new RtcClient(meetingId, { bridgePointId: room.id, slots: 2, lowBandwidth: low, media });
    const [speaker, chair, own] = [tile('speaker'), tile('chair'), tile('self', { muted: true })];
    const tiles = h('div', { class: 'tiles' }, speaker.el, chair.el, media ? own.el : null);
    const suggestion = h('div', { class: 'call-suggestion' });
    const name = (slot) => slot.bridgePointId && names.room(slot.bridgePointId);
    const render = () => {
      const [s0, s1] = client.slots;
      if (s0) speaker.show(s0.stream, name(s0), 'call.noSpeaker');
      if (s1) chair.show(s1.stream, name(s1), client.chair === room.id ? 'call.youChair' : 'call.noChair');
      if (media) own.show(media, room.name, null, 'call.you');
      tiles.hidden = low;
    };
    const mute = (kind) => (on) => {
      client.mute(kind, !on);
      for (const track of media.getTracks()) if (track.kind === kind) track.enabled = on;
    };
    client.on('slots', render).on('state', render);
    client.on('state', ({ state, detail }) => {
      if (state !== 'refused') return;
      // Refused: the camera goes off and the page offers to join again, saying why it could not.
      const why = h('p', { class: 'call-state', role: 'status', 'data-state': 'refused' });
      sayRefused(why, detail);
      stop(why);
    });
    client.on('pause', (p) => el.classList.toggle('call-paused', p.video));
    client.on('suggest', (m) => {
      if (low) return;
      const accept = () => call.onSuggestLow && call.onSuggestLow();
      const figure = (n) => (n === null || n === undefined ? '—' : fmtNumber(n));
      patch(
        suggestion,
        h(
          'div',
          { class: 'notice notice-warn', role: 'alert' },
          h('span', { i18n: 'call.suggestLow' }),
          ' ',
          h('span', { i18n: `call.why.${m.cause}`, vars: { loss: figure(m.loss_pct), rtt: figure(m.rtt_ms) } }),
          ' ',
          button('call.useLow', accept),
        ),
      );
    });
    patch(
      el,
      title(),
      lowNote(),
      warning ? h('p', { class: 'notice notice-warn', role: 'alert', i18n: 'call.noDevices', vars: warning }) : null,
      suggestion,
      tiles,
      h(
        'div',
        { class: 'call-bar' },
        stateLine(client),
        media ? [toggle('call.mic', mute('audio')), toggle('call.camera', mute('video'))] : null,
        button('call.leave', () => stop()),
      ),
    );
    patch(quality, qualityView(client));
    client.start();
    render();
  }

  function stop(why = null) {
    if (client) client.close();
    if (media) for (const track of media.getTracks()) track.stop();
    client = media = null;
    patch(quality, noFigures());
    idle(why);
  }

  idle();
  const call = {
    el,
    quality,
    onSuggestLow: null,
    setLow(on) {
      low = on;
      if (!client) return idle();
      client.setLowBandwidth(on);
      el.querySelector('.video-title').replaceWith(title());
      const note = el.querySelector(':scope > .video-note');
      if (on && !note) el.querySelector('.video-title').after(lowNote());
      if (!on && note) note.remove();
      el.querySelector('.tiles').hidden = on;
      patch(el.querySelector('.call-suggestion'));
    },
  };
  return call;
}

// The chair's console: the speaker large, then the last-N rooms, receive only (no sound: the chair's room
// hears the call through its own bridge point).
export function consoleCall(meetingId, names, { lastN = 4 } = {}) {
  const client = new RtcClient(meetingId, { console: true, slots: 1 + lastN });
  const tiles = Array.from({ length: 1 + lastN }, (_, i) => tile(i === 0 ? 'speaker' : 'room', { muted: true }));
  client.on('slots', () =>
    client.slots.forEach((s, i) => {
      const name = s.bridgePointId && names.room(s.bridgePointId);
      tiles[i].show(s.stream, name, i === 0 ? 'call.noSpeaker' : 'call.noRoom');
    }),
  );
  const el = h(
    'div',
    { class: 'video-area call call-console', 'data-slot': 'video' },
    h('div', { class: 'tiles' }, tiles.map((x) => x.el)),
    h('div', { class: 'call-bar' }, stateLine(client), qualityView(client)),
  );
  client.start();
  return { el, client };
}
