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

// The room this console speaks for: ?bp=, else the first of the meeting's rooms that I operate.
function chooseRoom(meeting, bridgePoints, me) {
  const inMeeting = new Set(meeting.bridge_point_ids);
  const mine = bridgePoints.filter((bp) => inMeeting.has(bp.id) && bp.operator_id === me.person_id);
  const asked = Number(new URLSearchParams(location.search).get('bp'));
  const choices = ['admin', 'secretary'].includes(me.role) ? bridgePoints.filter((bp) => inMeeting.has(bp.id)) : mine;
  const room = bridgePoints.find((bp) => bp.id === asked && inMeeting.has(bp.id)) || mine[0] || choices[0] || null;
  return { room, choices: room && !choices.includes(room) ? [room, ...choices] : choices };
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
  const { room, choices } = chooseRoom(meeting, bridgePoints, me);
  setTitle('bridge.titleOf', { title: meeting.title });
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
