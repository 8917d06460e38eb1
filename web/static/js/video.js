// The call's video on the consoles (the connection itself is rtc.js):
// - bridgeCall: a bridge point joins with its camera and microphone and sees the speaker and the chair's
//   room (its own picture small); low-bandwidth mode keeps the sound and drops the pictures;
// - consoleCall: the chair's console receives the speaker and the last-N rooms, pictures only;
// - qualityView: round-trip time, loss and bitrates of the connection, measured in the browser.
import { t } from './i18n.js';
import { RtcClient } from './rtc.js';
import { h, patch } from './ui.js';

const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15 } };

function tile(role, { muted = false, self = false } = {}) {
  const video = h('video', { autoplay: true, playsInline: true, muted });
  const caption = h('figcaption', { class: 'tile-name' });
  const empty = h('p', { class: 'tile-empty' });
  const el = h('figure', { class: `tile tile-${role}${self ? ' tile-self' : ''}`, 'data-tile': role }, video, empty, caption);
  return {
    el,
    video,
    show(stream, name, emptyText) {
      if (video.srcObject !== stream) video.srcObject = stream;
      // Autoplay may be refused until the user interacts with the page: try again on the next click.
      if (video.paused && stream) video.play().catch(() => document.addEventListener('click', () => video.play().catch(() => {}), { once: true }));
      el.classList.toggle('tile-off', !name);
      caption.textContent = name || '';
      empty.textContent = name ? '' : emptyText;
    },
  };
}

function stateLine(client) {
  const el = h('p', { class: 'call-state', role: 'status', 'aria-live': 'polite' });
  client.on('state', ({ state, detail }) => {
    el.dataset.state = state;
    el.textContent = t(`call.state.${state}`, { detail: detail || '' });
  });
  return el;
}

function fmtRate(bps) {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mbps` : `${Math.round(bps / 1000)} kbps`;
}

// The connection's numbers, refreshed as the client measures them.
export function qualityView(client) {
  const el = h('div', { class: 'call-quality', 'data-testid': 'call-quality' }, h('span', { class: 'muted', i18n: 'call.quality.none' }));
  client.on('quality', (q) => {
    patch(
      el,
      q.verdict
        ? h('span', { class: `badge ${q.verdict === 'good' ? 'badge-ok' : 'badge-warn'}`, i18n: `call.verdict.${q.verdict}` })
        : null,
      h(
        'dl',
        { class: 'quality-figures' },
        h('dt', { i18n: 'call.rtt' }),
        h('dd', { 'data-figure': 'rtt', text: q.rtt === null ? '—' : `${Math.round(q.rtt * 1000)} ms` }),
        h('dt', { i18n: 'call.loss' }),
        h('dd', { 'data-figure': 'loss', text: q.loss === null ? '—' : `${(q.loss * 100).toFixed(1)} %` }),
        h('dt', { i18n: 'call.up' }),
        h('dd', { 'data-figure': 'up', text: fmtRate(q.sendBps) }),
        h('dt', { i18n: 'call.down' }),
        h('dd', { 'data-figure': 'down', text: fmtRate(q.receiveBps) }),
      ),
    );
  });
  client.on('state', ({ state }) =>
    patch(el, h('span', { class: 'muted', i18n: state === 'connected' ? 'call.quality.wait' : 'call.quality.none' })),
  );
  return el;
}

// A bridge point's call: {el, quality, setLow(on), onSuggestLow} (set the last to accept the relay's
// suggestion of low-bandwidth mode).
export function bridgeCall(meetingId, room, names, { lowBandwidth = false } = {}) {
  const el = h('div', { class: 'video-area call', 'data-slot': 'video' });
  const quality = h('div', { class: 'call-quality-slot' }, h('span', { class: 'muted', i18n: 'call.quality.none' }));
  let low = lowBandwidth;
  let client = null;
  let media = null;
  const lowNote = () => (low ? h('p', { class: 'video-note', i18n: 'video.lowNote' }) : null);

  const idle = (error) =>
    patch(
      el,
      h('p', { class: 'video-title', i18n: low ? 'video.low' : 'video.bridge' }),
      lowNote(),
      error ? h('p', { class: 'notice notice-error', role: 'alert', text: error }) : null,
      h('button', { type: 'button', class: 'btn btn-primary btn-large', 'data-key': 'join', i18n: 'call.join', on: { click: join } }),
    );

  async function join() {
    let warning = null;
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: true, video: CAMERA });
    } catch (err) {
      warning = t('call.noDevices', { detail: err.message || err.name });
    }
    client = new RtcClient(meetingId, { bridgePointId: room.id, slots: 2, lowBandwidth: low, media });
    const speaker = tile('speaker');
    const chair = tile('chair');
    const self = tile('self', { muted: true, self: true });
    const tiles = h('div', { class: 'tiles' }, speaker.el, chair.el, media ? self.el : null);
    const suggestion = h('div', { class: 'call-suggestion' });
    const render = () => {
      const [s0, s1] = client.slots;
      if (s0) speaker.show(s0.stream, s0.bridgePointId && names.room(s0.bridgePointId), t('call.noSpeaker'));
      const mine = client.chair === room.id;
      if (s1) chair.show(s1.stream, s1.bridgePointId && names.room(s1.bridgePointId), t(mine ? 'call.youChair' : 'call.noChair'));
      if (media) self.show(media, t('call.you', { name: room.name }), '');
      tiles.hidden = low;
    };
    const mute = (kind) => (on) => {
      client.mute(kind, !on);
      for (const track of media.getTracks()) if (track.kind === kind) track.enabled = on;
    };
    const mic = toggle('call.mic', mute('audio'));
    const cam = toggle('call.camera', mute('video'));
    const leave = h('button', { type: 'button', class: 'btn', 'data-key': 'leave', i18n: 'call.leave', on: { click: stop } });
    client.on('slots', render).on('state', render);
    client.on('pause', (p) => el.classList.toggle('call-paused', p.video));
    client.on('suggest', (reason) =>
      patch(
        suggestion,
        low
          ? null
          : h(
              'div',
              { class: 'notice notice-warn', role: 'alert' },
              h('span', { text: t('call.suggestLow', { reason }) }),
              ' ',
              h('button', { type: 'button', class: 'btn', i18n: 'call.useLow', on: { click: () => call.onSuggestLow && call.onSuggestLow() } }),
            ),
      ),
    );
    patch(
      el,
      h('p', { class: 'video-title', i18n: low ? 'video.low' : 'video.bridge' }),
      lowNote(),
      warning ? h('p', { class: 'notice notice-warn', role: 'alert', text: warning }) : null,
      suggestion,
      tiles,
      h('div', { class: 'call-bar' }, stateLine(client), media ? mic : null, media ? cam : null, leave),
    );
    patch(quality, qualityView(client));
    client.start();
    render();
  }

  function stop() {
    if (client) client.close();
    if (media) for (const track of media.getTracks()) track.stop();
    client = media = null;
    patch(quality, h('span', { class: 'muted', i18n: 'call.quality.none' }));
    idle();
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
      const title = el.querySelector('.video-title');
      title.dataset.i18n = on ? 'video.low' : 'video.bridge';
      title.textContent = t(title.dataset.i18n);
      const note = el.querySelector(':scope > .video-note');
      if (on && !note) title.after(lowNote());
      if (!on && note) note.remove();
      el.querySelector('.tiles').hidden = on;
      patch(el.querySelector('.call-suggestion'));
    },
  };
  return call;
}

function toggle(key, onChange) {
  const box = h('input', { type: 'checkbox', checked: true, 'data-key': key });
  box.addEventListener('change', () => onChange(box.checked));
  return h('label', { class: 'call-toggle' }, box, h('span', { i18n: key }));
}

// The chair's console: the speaker large, then the last-N rooms, receive only (no sound: the chair's room
// hears the call through its own bridge point).
export function consoleCall(meetingId, names, { lastN = 4 } = {}) {
  const client = new RtcClient(meetingId, { console: true, slots: 1 + lastN });
  const tiles = Array.from({ length: 1 + lastN }, (_, i) => tile(i === 0 ? 'speaker' : 'room', { muted: true }));
  const render = () =>
    client.slots.forEach((s, i) =>
      tiles[i].show(s.stream, s.bridgePointId && names.room(s.bridgePointId), t(i === 0 ? 'call.noSpeaker' : 'call.noRoom')),
    );
  client.on('slots', render);
  const el = h(
    'div',
    { class: 'video-area call call-console', 'data-slot': 'video' },
    h('div', { class: 'tiles' }, tiles.map((x) => x.el)),
    h('div', { class: 'call-bar' }, stateLine(client), qualityView(client)),
  );
  client.start();
  return { el, client };
}
