// Pieces every live screen shows: the meeting's head line with the connection state, the outbox
// ("not yet sent"), refusals from the server, and the names behind person and bridge point ids.
import { api } from './api.js';
import { explain, onLangChange, t } from './i18n.js';
import { LiveClient } from './live.js';
import { h, patch, statusBadge, toast } from './ui.js';

export function pendingTag() {
  return h(
    'span',
    { class: 'pending', role: 'status' },
    h('span', { class: 'pending-dot', 'aria-hidden': 'true' }),
    h('span', { i18n: 'live.pending' }),
  );
}

export function connectionBadge(live) {
  const el = h('span', { class: 'conn', role: 'status' });
  const render = () => {
    el.className = `conn conn-${live.status}`;
    el.dataset.conn = live.status;
    patch(el, h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), h('span', { i18n: `conn.${live.status}` }));
  };
  live.on('status', render);
  onLangChange(render);
  render();
  return el;
}

export function outboxNotice(live) {
  const el = h('div', { class: 'outbox', 'aria-live': 'polite' });
  const render = () => {
    const n = live.outbox.length;
    el.hidden = n === 0;
    patch(
      el,
      n
        ? [
            h('strong', { text: t('live.outbox', { n }) }),
            ' ',
            h('span', { i18n: live.status === 'online' ? 'live.outbox.sending' : 'live.outbox.later' }),
          ]
        : [],
    );
  };
  live.on('outbox', render).on('status', render);
  onLangChange(render);
  render();
  return el;
}

// The live meeting's head: title, when, status (+ paused), connection, the outbox; and a fatal refusal.
export function liveHead(meeting, live, { extra = [], actions = null } = {}) {
  const status = h('span', { class: 'head-status' });
  const render = () => {
    const s = live.state;
    patch(
      status,
      statusBadge(s ? s.status : meeting.status),
      s && s.paused ? h('span', { class: 'badge badge-warn', i18n: 'live.paused' }) : null,
    );
  };
  live.on('state', render);
  onLangChange(render);
  render();
  const fatal = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });
  live.on('fatal', (detail) => {
    fatal.hidden = false;
    fatal.textContent = t('live.fatal', { detail });
  });
  return h(
    'div',
    { class: 'live-head' },
    h(
      'div',
      { class: 'live-title' },
      h('h1', { text: meeting.title }),
      h('div', { class: 'live-sub' }, status, connectionBadge(live), ...extra),
    ),
    actions,
    h('div', { class: 'live-notices' }, outboxNotice(live), fatal),
  );
}

// Load the meeting (and the bridge points, for names), connect, and announce refused commands.
export async function joinMeeting(meetingId, me) {
  const [meeting, bridgePoints] = await Promise.all([
    api.get(`/api/meetings/${meetingId}`),
    api.get('/api/bridge-points'),
  ]);
  const people = new Map(meeting.participants.map((p) => [p.person_id, p]));
  const rooms = new Map(bridgePoints.map((bp) => [bp.id, bp]));
  const live = new LiveClient(meetingId, me.id);
  live.on('rejected', (msg) =>
    toast(t('live.rejected', { what: t(`cmd.${msg.cmd.type}`), detail: explain(msg) }), 'error'),
  );
  live.on('servererror', (msg) => toast(explain(msg), 'error'));
  const names = {
    person: (id) => (people.get(id) ? people.get(id).full_name : t('live.personN', { id })),
    room: (id) => (rooms.get(id) ? rooms.get(id).name : t('live.roomN', { id })),
    speaker: (s) => (s.bridge_point_id ? names.room(s.bridge_point_id) : names.person(s.person_id)),
  };
  return { meeting, bridgePoints, rooms, live, names };
}

// "until the state arrives": screens render only once the snapshot is in.
export function whenState(live, render) {
  live.on('state', render);
  onLangChange(() => live.state && render());
}
