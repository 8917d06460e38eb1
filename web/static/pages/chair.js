// Chair console: run the meeting — start / pause / end, the agenda item, the presenter's page, the speaker
// queue and the floor (with its countdown), polls with live turnout and results, conclusions, quorum, and the
// call: the speaker's video and the last-N bridge points.
import { DocumentPanel } from '../js/docpanel.js';
import { fmtTime, t } from '../js/i18n.js';
import { joinMeeting, liveHead, pendingTag, whenState } from '../js/liveui.js';
import { lastClosedPoll, openPoll } from '../js/livestate.js';
import { resultView, turnoutMeter } from '../js/polls.js';
import { boot, setTitle, start } from '../js/shell.js';
import { card, field, h, meetingIdFromPath, mmss, patch } from '../js/ui.js';
import { consoleCall } from '../js/video.js';

function button(key, onClick, cls = '') {
  return h('button', { type: 'button', class: `btn ${cls}`, 'data-key': key, i18n: key, on: { click: onClick } });
}

function controls(live) {
  const el = h('div', {
    class: 'controls',
    role: 'group',
    'data-i18n-label': 'chair.controls',
    'aria-label': t('chair.controls'),
  });
  const send = (type) => () => live.send({ type });
  const render = () => {
    const s = live.state;
    const b = {
      start: button('chair.start', send('start'), 'btn-primary'),
      pause: button('chair.pause', send('pause')),
      resume: button('chair.resume', send('resume'), 'btn-primary'),
      end: button('chair.end', () => confirm(t('chair.endConfirm')) && live.send({ type: 'end' }), 'btn-danger'),
    };
    b.start.disabled = s.status !== 'scheduled';
    b.end.disabled = s.status !== 'live';
    b.pause.disabled = s.status !== 'live';
    b.resume.disabled = s.status !== 'live';
    const minutes = h('a', {
      class: 'btn',
      href: `/api/meetings/${live.meetingId}/minutes.pdf`,
      target: '_blank',
      i18n: 'chair.minutesPdf',
    });
    if (s.status === 'live') patch(el, s.paused ? b.resume : b.pause, b.end);
    else if (s.status === 'scheduled') patch(el, b.start);
    else patch(el, minutes);
  };
  whenState(live, render);
  return el;
}

function quorumChip(live) {
  const el = h('span', { class: 'quorum' });
  whenState(live, () => {
    const q = live.state.quorum;
    el.className = `quorum ${q.reached ? 'quorum-ok' : 'quorum-no'}`;
    patch(
      el,
      h('span', { 'data-testid': 'quorum', text: t('quorum.line', q) }),
      ' ',
      h('strong', { i18n: q.reached ? 'quorum.reached' : 'quorum.notReached' }),
    );
  });
  return el;
}

function agendaCard(live) {
  const current = h('p', { class: 'item-now', 'aria-live': 'polite' });
  const input = h('input', { name: 'item', maxLength: 500 });
  const form = h(
    'form',
    { class: 'inline-form' },
    field('chair.item.next', input),
    h('button', { type: 'submit', class: 'btn', i18n: 'chair.item.set' }),
  );
  // AGENDA: the agenda builder's items (with their documents) will be listed here to pick from.
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    // AGENDA: items come from the agenda builder later; until then an item is named by its title only.
    live.send({ type: 'set_item', item_id: null, title: input.value.trim() });
    input.value = '';
  });
  whenState(live, () =>
    patch(
      current,
      live.state.item_title
        ? h('strong', { 'data-testid': 'item-title', text: live.state.item_title })
        : h('span', { class: 'muted', i18n: 'chair.item.none' }),
    ),
  );
  return card('chair.item', current, form);
}

function presenterCard(live) {
  const panel = new DocumentPanel();
  const doc = h('input', { name: 'document_id', type: 'number', min: 1, inputmode: 'numeric', value: 1 });
  const page = h('input', { name: 'page', type: 'number', min: 1, inputmode: 'numeric', value: 1 });
  const present = (n) => {
    const p = Math.max(1, n);
    page.value = p;
    live.send({ type: 'present', document_id: doc.value ? Number(doc.value) : null, page: p });
  };
  const form = h(
    'form',
    { class: 'presenter-form' },
    h(
      'div',
      { class: 'row3' },
      field('chair.doc', doc),
      field('chair.page', page),
      h('button', { type: 'submit', class: 'btn btn-primary', i18n: 'chair.present' }),
    ),
    h(
      'div',
      { class: 'page-turn' },
      button('chair.prev', () => present(Number(page.value) - 1), 'btn-large'),
      button('chair.next', () => present(Number(page.value) + 1), 'btn-large btn-primary'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    present(Number(page.value) || 1);
  });
  whenState(live, () => {
    const p = live.state.presenter;
    panel.show(p, { presenting: true });
    if (p && document.activeElement !== page && document.activeElement !== doc) {
      page.value = p.page;
      if (p.document_id) doc.value = p.document_id;
    }
  });
  return card('chair.presenter', panel.el, form);
}

function speakersCard(live, names) {
  const floor = h('div', { class: 'floor', 'aria-live': 'polite' });
  const queue = h('ol', { class: 'queue' });
  const limit = h(
    'select',
    { name: 'limit', id: 'floor-limit' },
    [120, 180, 300, 600].map((s) =>
      h('option', { value: s, i18n: 'chair.minutes', vars: { n: s / 60 }, selected: s === 300 }),
    ),
  );
  const clock = h('span', { class: 'countdown', 'data-testid': 'countdown' });
  const tick = () => {
    const f = live.state && live.state.floor;
    if (!f) return;
    const left = (Date.parse(f.granted_at) + f.limit_seconds * 1000 - Date.now()) / 1000;
    clock.textContent = mmss(left);
    clock.classList.toggle('over', left < 0);
    clock.classList.toggle('soon', left >= 0 && left < 30);
  };
  setInterval(tick, 1000);
  whenState(live, () => {
    const s = live.state;
    const f = s.floor;
    patch(
      floor,
      f
        ? h(
            'div',
            { class: 'floor-now' },
            h('span', { class: 'floor-label', i18n: 'chair.floor.now' }),
            h('strong', { class: 'floor-name', text: names.speaker(f) }),
            clock,
            button('chair.floor.end', () => live.send({ type: 'floor_end' }), 'btn-danger'),
          )
        : h('p', { class: 'muted', i18n: 'chair.floor.nobody' }),
    );
    tick();
    const waiting = s.speakers.filter((x) => x.status === 'waiting');
    patch(
      queue,
      waiting.length
        ? waiting.map((x) =>
            h(
              'li',
              { class: 'queue-item' },
              h(
                'div',
                {},
                h('strong', { text: names.speaker(x) }),
                h('small', {
                  text: [x.bridge_point_id ? t('chair.room') : '', x.topic, fmtTime(x.requested_at)]
                    .filter(Boolean)
                    .join(' · '),
                }),
              ),
              h('button', {
                type: 'button',
                class: 'btn btn-small btn-primary',
                'data-key': `grant-${x.id}`,
                text: t('chair.grant'),
                'aria-label': t('chair.grantTo', { name: names.speaker(x) }),
                disabled: s.status !== 'live',
                on: {
                  click: () => live.send({ type: 'floor_grant', request_id: x.id, limit_seconds: Number(limit.value) }),
                },
              }),
            ),
          )
        : h('li', { class: 'empty', i18n: 'chair.queue.empty' }),
    );
  });
  const head = h(
    'div',
    { class: 'queue-head' },
    h('h3', { i18n: 'chair.queue' }),
    h('label', { class: 'limit', for: limit.id }, h('span', { i18n: 'chair.limit' }), limit),
  );
  return card('chair.speakers', floor, head, queue);
}

function pollCard(live) {
  const question = h('input', { name: 'question', maxLength: 1000, required: true });
  const rule = h(
    'select',
    { name: 'rule' },
    ['of_members', 'of_present', 'two_thirds'].map((r) => h('option', { value: r, i18n: `poll.rule.${r}` })),
  );
  const secret = h('input', { type: 'checkbox', id: 'poll-secret' });
  const form = h(
    'form',
    { class: 'poll-form' },
    h('h3', { i18n: 'poll.new' }),
    field('poll.question', question),
    field('poll.rule', rule),
    h('label', { class: 'check', for: secret.id }, secret, h('span', { i18n: 'poll.secret' })),
    h('button', { type: 'submit', class: 'btn btn-primary', i18n: 'poll.open' }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!question.value.trim()) return question.focus();
    live.send({ type: 'poll_open', question: question.value.trim(), rule: rule.value, secret: secret.checked });
    question.value = '';
  });
  const body = h('div', { class: 'poll-body', 'aria-live': 'polite' });
  whenState(live, () => {
    const s = live.state;
    const open = openPoll(s);
    const last = lastClosedPoll(s);
    form.hidden = Boolean(open) || s.status !== 'live';
    patch(
      body,
      open
        ? h(
            'div',
            { class: 'poll-open', 'data-poll-id': open.id },
            h(
              'p',
              { class: 'poll-q' },
              h('span', { class: 'badge badge-live', i18n: 'poll.voting' }),
              ' ',
              h('strong', { text: open.question }),
            ),
            h('p', {
              class: 'poll-meta',
              text: `${t(`poll.rule.${open.rule}`)}${open.secret ? ` · ${t('poll.secretShort')}` : ''}`,
            }),
            turnoutMeter(open, s.quorum.members),
            button('poll.close', () => live.send({ type: 'poll_close', poll_id: open.id }), 'btn-danger'),
          )
        : null,
      last ? resultView(last) : null,
      !open && !last && s.status !== 'live' ? h('p', { class: 'muted', i18n: 'poll.whenLive' }) : null,
    );
  });
  return card('poll.title', body, form);
}

function conclusionsCard(live) {
  const text = h('textarea', { name: 'conclusion', rows: 3, maxLength: 20000 });
  const form = h(
    'form',
    {},
    field('chair.conclusion.new', text),
    h('button', { type: 'submit', class: 'btn', i18n: 'chair.conclusion.add' }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!text.value.trim()) return text.focus();
    live.send({ type: 'conclude', text: text.value.trim() });
    text.value = '';
  });
  const list = h('ol', { class: 'conclusions' });
  whenState(live, () =>
    patch(
      list,
      live.state.conclusions.map((c) => h('li', {}, h('p', { text: c.text }), h('small', { text: fmtTime(c.at) }))),
    ),
  );
  return card('chair.conclusions', list, form);
}

function attendanceCard(live, rooms) {
  const body = h('div', { class: 'attendance' });
  whenState(live, () => {
    const s = live.state;
    const people = Object.values(s.headcounts).reduce((a, b) => a + b, 0);
    patch(
      body,
      h(
        'div',
        { class: 'att-stat' },
        h('strong', { text: `${s.quorum.present}/${s.quorum.members}` }),
        h('span', { i18n: 'chair.att.members' }),
        h('small', { text: t('chair.att.needed', { n: s.quorum.needed }) }),
      ),
      h(
        'div',
        { class: 'att-stat' },
        h('strong', { text: `${Object.keys(s.headcounts).length}/${s.bridge_points.length}` }),
        h('span', { i18n: 'chair.att.rooms' }),
        h('small', { text: t('chair.att.people', { n: people }) }),
      ),
    );
  });
  return card('chair.attendance', body);
}

start(async () => {
  const { me, main } = await boot('chair', 'chair.title');
  const { meeting, rooms, live, names } = await joinMeeting(meetingIdFromPath(), me);
  setTitle('chair.titleOf', { title: meeting.title });
  const pending = h('span', { class: 'head-pending' });
  live.on('outbox', () => patch(pending, live.outbox.length ? pendingTag() : null));
  main.append(
    liveHead(meeting, live, { extra: [quorumChip(live), pending], actions: controls(live) }),
    h(
      'div',
      { class: 'grid-chair' },
      h('div', { class: 'col' }, agendaCard(live), presenterCard(live)),
      h(
        'div',
        { class: 'col' },
        speakersCard(live, names),
        attendanceCard(live, rooms),
        card('chair.video', consoleCall(meeting.id, names).el),
      ),
      h('div', { class: 'col' }, pollCard(live), conclusionsCard(live)),
    ),
  );
  live.connect();
});
