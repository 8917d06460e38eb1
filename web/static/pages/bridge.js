// Bridge-point console (/app/bridge/{meeting}?bp=ID): the room's headcount, asking to speak for the room,
// the presenter's page, the call (camera and microphone; the speaker's and the chair's video), the measured
// connection quality and a low-bandwidth switch.
import { DocumentPanel } from '../js/docpanel.js';
import { t } from '../js/i18n.js';
import { joinMeeting, liveHead, pendingTag, whenState } from '../js/liveui.js';
import { boot, setTitle, start } from '../js/shell.js';
import { speakerCard } from '../js/speakercard.js';
import { card, field, h, meetingIdFromPath, patch } from '../js/ui.js';
import { bridgeCall } from '../js/video.js';

const LOW_KEY = 'cauhop.lowBandwidth';

// The rooms I may act for (report the headcount, ask to speak, join the call as): those I operate; every room of
// the meeting for an administrator, a secretary or the meeting's chair or secretary (who run it). The room this
// console speaks for: ?bp= when I may act for it, else the first of mine. A room asked that I may not act for is
// named in a notice instead of offering forms the server would refuse.
function chooseRoom(meeting, bridgePoints, me) {
  const inMeeting = bridgePoints.filter((bp) => meeting.bridge_point_ids.includes(bp.id));
  const mine = inMeeting.filter((bp) => bp.operator_id === me.person_id);
  const runs =
    ['admin', 'secretary'].includes(me.role) ||
    meeting.participants.some((p) => p.person_id === me.person_id && ['chair', 'secretary'].includes(p.role));
  const choices = runs ? inMeeting : mine;
  const asked = inMeeting.find((bp) => bp.id === Number(new URLSearchParams(location.search).get('bp')));
  const room = (asked && choices.includes(asked) ? asked : null) || mine[0] || choices[0] || null;
  return { room, choices, refused: asked && !choices.includes(asked) ? asked : null };
}

function roomPicker(room, choices) {
  const select = h(
    'select',
    { id: 'room', name: 'bp' },
    choices.map((bp) => h('option', { value: bp.id, text: `${bp.name} (${bp.code})`, selected: bp.id === room.id })),
  );
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('bp', select.value);
    location.assign(url);
  });
  return h('div', { class: 'room-picker' }, h('label', { for: select.id, i18n: 'bridge.room' }), select);
}

function headcountCard(live, room) {
  const input = h('input', { name: 'count', type: 'number', min: 0, max: 10000, inputmode: 'numeric', required: true });
  const status = h('div', { class: 'headcount-status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'inline-form' },
    field('bridge.headcount.label', input),
    h('button', { type: 'submit', class: 'btn btn-primary btn-large', i18n: 'bridge.headcount.send' }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value === '' || Number(input.value) < 0) return input.focus();
    live.send({ type: 'headcount', bridge_point_id: room.id, count: Number(input.value) });
  });
  const render = () => {
    const reported = live.state.headcounts[String(room.id)];
    const queued = live.pending('headcount').length > 0;
    patch(
      status,
      reported !== undefined
        ? h(
            'p',
            { class: 'done', 'data-testid': 'headcount' },
            h('span', { class: 'tick', 'aria-hidden': 'true', text: '✓' }),
            h('span', { text: t('bridge.headcount.reported', { n: reported, capacity: room.capacity }) }),
          )
        : h('p', { class: 'muted', i18n: 'bridge.headcount.none' }),
      queued ? pendingTag() : null,
    );
  };
  whenState(live, render);
  live.on('outbox', () => live.state && render());
  return card('bridge.headcount', form, status);
}

function linkCard(room, call) {
  const low = h('input', {
    type: 'checkbox',
    id: 'low-bandwidth',
    role: 'switch',
    checked: localStorage.getItem(LOW_KEY) === '1',
  });
  low.addEventListener('change', () => {
    localStorage.setItem(LOW_KEY, low.checked ? '1' : '0');
    call.setLow(low.checked);
  });
  call.onSuggestLow = () => low.checked || low.click();
  return card(
    'bridge.link',
    h(
      'p',
      {},
      h('span', { i18n: 'bridge.quality' }),
      ' ',
      h('span', {
        class: `badge ${room.link_quality === 'good' ? 'badge-ok' : 'badge-warn'}`,
        i18n: `quality.${room.link_quality}`,
      }),
    ),
    h(
      'label',
      { class: 'switch', for: low.id },
      low,
      h('span', { class: 'switch-track', 'aria-hidden': 'true' }),
      h('span', { i18n: 'bridge.low' }),
    ),
    h('p', { class: 'hint', i18n: 'bridge.low.hint' }),
    h('h3', { class: 'card-sub', i18n: 'call.measured' }),
    call.quality,
  );
}

start(async () => {
  const { me, main } = await boot('bridge', 'bridge.title');
  const { meeting, bridgePoints, live, names } = await joinMeeting(meetingIdFromPath(), me);
  const { room, choices, refused } = chooseRoom(meeting, bridgePoints, me);
  setTitle('bridge.titleOf', { title: meeting.title });
  if (refused) {
    main.append(
      h('div', {
        class: 'notice notice-warn',
        role: 'alert',
        'data-testid': 'not-your-room',
        i18n: 'bridge.notYours',
        vars: { room: `${refused.name} (${refused.code})` },
      }),
    );
  }
  if (!room) {
    main.append(h('div', { class: 'notice notice-error', role: 'alert', i18n: 'bridge.noRoom' }));
    return;
  }
  const panel = new DocumentPanel();
  whenState(live, () => panel.show(live.state.presenter));
  const call = bridgeCall(meeting.id, room, names, { lowBandwidth: localStorage.getItem(LOW_KEY) === '1' });
  main.append(
    liveHead(meeting, live, {
      extra: [h('span', { class: 'room-name', 'data-testid': 'room-name', text: `${room.name} · ${room.unit_name}` })],
    }),
    h(
      'div',
      { class: 'grid-bridge' },
      h('div', { class: 'col' }, call.el, card('bridge.document', panel.el)),
      h(
        'div',
        { class: 'side' },
        choices.length > 1 ? roomPicker(room, choices) : null,
        headcountCard(live, room),
        speakerCard(live, { room }),
        linkCard(room, call),
      ),
    ),
  );
  live.connect();
});
