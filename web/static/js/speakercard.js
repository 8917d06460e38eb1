// The "ask to speak" card of the delegate tablet and of the bridge-point console: ask (a delegate may name a
// topic), the place in the queue and withdrawing, and the countdown while holding the floor. `room` is the
// bridge point the card asks for: given, the card speaks for the room; null, for the delegate.
import { t } from './i18n.js';
import { pendingTag, whenState } from './liveui.js';
import { activeRequest } from './livestate.js';
import { card, h, mmss, patch } from './ui.js';

function topicField() {
  const input = h('input', {
    name: 'topic',
    maxLength: 300,
    id: 'speak-topic',
    'data-i18n-placeholder': 'tablet.topic.placeholder',
    placeholder: t('tablet.topic.placeholder'),
  });
  return { input, el: h('div', { class: 'field' }, h('label', { for: input.id, i18n: 'tablet.topic' }), input) };
}

export function speakerCard(live, { room = null } = {}) {
  const forRoom = room !== null;
  const body = h('div', { class: 'speak' });
  const topic = forRoom ? null : topicField();
  const clock = h('strong', { class: 'countdown' });
  const holdsFloor = (f) => Boolean(f) && (forRoom ? f.bridge_point_id === room.id : f.person_id === live.personId);
  const tick = () => {
    const f = live.state && live.state.floor;
    if (holdsFloor(f)) clock.textContent = mmss((Date.parse(f.granted_at) + f.limit_seconds * 1000 - Date.now()) / 1000);
  };
  setInterval(tick, 1000);
  const ask = () => {
    if (forRoom) {
      live.send({ type: 'speak_request', bridge_point_id: room.id });
    } else {
      live.send({ type: 'speak_request', topic: topic.input.value.trim() });
      topic.input.value = '';
    }
  };
  const render = () => {
    const s = live.state;
    const req = activeRequest(s, forRoom ? { bridgePointId: room.id } : { personId: live.personId });
    const queued = live.pending('speak_request').length + live.pending('speak_withdraw').length > 0;
    const waiting = s.speakers.filter((x) => x.status === 'waiting');
    let content;
    if (req && req.status === 'speaking') {
      tick();
      content = h('p', { class: 'speaking' }, h('span', { i18n: forRoom ? 'bridge.speaking' : 'tablet.speaking' }), ' ', clock);
    } else if (req) {
      content = [
        h('p', {
          'data-testid': 'queue-place',
          text: t('tablet.waiting', { n: waiting.indexOf(req) + 1, of: waiting.length }),
        }),
        h('button', {
          type: 'button',
          class: 'btn',
          'data-key': 'withdraw',
          i18n: 'tablet.withdraw',
          disabled: queued,
          on: { click: () => live.send({ type: 'speak_withdraw', request_id: req.id }) },
        }),
      ];
    } else {
      content = [
        topic ? topic.el : null,
        h('button', {
          type: 'button',
          class: 'btn btn-primary btn-large',
          'data-key': 'ask',
          i18n: forRoom ? 'bridge.ask' : 'tablet.ask',
          disabled: queued || s.status !== 'live',
          on: { click: ask },
        }),
      ];
    }
    patch(body, content, queued ? pendingTag() : null);
  };
  whenState(live, render);
  live.on('outbox', () => live.state && render());
  return card(forRoom ? 'bridge.speak' : 'tablet.speakTitle', body);
}
