// Delegate tablet: read the packet (follow the presenter or browse freely and come back, annotate, comment
// on drafts; reader.js), check in, ask to speak or withdraw (speakercard.js), vote in the open poll (and
// change the vote while the poll allows). Commands, annotation changes and comments written offline wait in
// their outboxes, marked "not yet sent", and go out on reconnect; the pages already opened stay readable
// offline.
import { fmtTime, t } from '../js/i18n.js';
import { joinMeeting, liveHead, pendingTag, whenState } from '../js/liveui.js';
import { lastClosedPoll, openPoll } from '../js/livestate.js';
import { optionLabel, resultView } from '../js/polls.js';
import { Reader } from '../js/reader.js';
import { boot, setTitle, start } from '../js/shell.js';
import { speakerCard } from '../js/speakercard.js';
import { card, h, meetingIdFromPath, patch } from '../js/ui.js';

function readerCard(live, meetingId, me) {
  const reader = new Reader({ meetingId, me, live });
  const item = h('p', { class: 'item-now' });
  const render = () => {
    const s = live.state;
    patch(
      item,
      s.item_title
        ? [
            h('span', { class: 'muted', i18n: 'tablet.item' }),
            ' ',
            h('strong', { 'data-testid': 'item-title', text: s.item_title }),
          ]
        : h('span', { class: 'muted', i18n: 'chair.item.none' }),
    );
    reader.render();
  };
  whenState(live, render);
  return h(
    'section',
    { class: 'card reader', 'aria-labelledby': 'reader-title' },
    h('h2', { class: 'card-title', id: 'reader-title', i18n: 'tablet.reader' }),
    item,
    reader.el,
  );
}

function checkinCard(live) {
  const body = h('div', { class: 'checkin' });
  const render = () => {
    const s = live.state;
    const mine = s.checked_in[String(live.personId)];
    const queued = live.pending('checkin').length > 0;
    patch(
      body,
      mine
        ? h(
            'p',
            { class: 'done', 'data-testid': 'checked-in' },
            h('span', { class: 'tick', 'aria-hidden': 'true', text: '✓' }),
            h('span', { text: t('tablet.checkedIn', { at: fmtTime(mine) }) }),
          )
        : h('button', {
            type: 'button',
            class: 'btn btn-primary btn-huge',
            'data-key': 'checkin',
            i18n: 'tablet.checkin',
            disabled: queued || !['scheduled', 'live'].includes(s.status),
            on: { click: () => live.send({ type: 'checkin' }) },
          }),
      queued && !mine ? pendingTag() : null,
    );
  };
  whenState(live, render);
  live.on('outbox', () => live.state && render());
  return card('tablet.checkinTitle', body);
}

function voteCard(live, meetingId) {
  const body = h('div', { class: 'vote', 'aria-live': 'polite' });
  const secretKey = (poll) => `cauhop.secret.${meetingId}.${poll.id}`;
  const render = () => {
    const s = live.state;
    const poll = openPoll(s);
    if (!poll) {
      const last = lastClosedPoll(s);
      const mine = last && (last.secret ? localStorage.getItem(secretKey(last)) : last.ballots[String(live.personId)]);
      patch(
        body,
        last ? resultView(last) : h('p', { class: 'muted', i18n: 'tablet.noPoll' }),
        mine ? h('p', { class: 'my-ballot', text: t('tablet.myBallot', { choice: optionLabel(mine) }) }) : null,
      );
      return;
    }
    const me = String(live.personId);
    const queued = live.pending('vote').filter((e) => e.cmd.poll_id === poll.id);
    const voted = me in poll.ballots;
    const stored = poll.secret ? localStorage.getItem(secretKey(poll)) : poll.ballots[me];
    const chosen = queued.length ? queued[queued.length - 1].cmd.choice : stored;
    const locked = voted && !poll.changeable;
    const vote = (option) => {
      if (poll.secret) localStorage.setItem(secretKey(poll), option);
      live.send({ type: 'vote', poll_id: poll.id, choice: option });
    };
    patch(
      body,
      h(
        'p',
        { class: 'poll-q' },
        h('span', { class: 'badge badge-live', i18n: 'poll.voting' }),
        ' ',
        h('strong', { text: poll.question }),
      ),
      h('p', {
        class: 'poll-meta',
        text: `${t(`poll.rule.${poll.rule}`)}${poll.secret ? ` · ${t('poll.secretShort')}` : ''}`,
      }),
      h(
        'div',
        { class: 'options', role: 'group', 'aria-label': poll.question },
        poll.options.map((option) =>
          h(
            'button',
            {
              type: 'button',
              class: `btn option option-${option}`,
              'data-key': `vote-${option}`,
              'aria-pressed': String(chosen === option),
              disabled: locked,
              on: { click: () => vote(option) },
            },
            h('span', { text: optionLabel(option) }),
            h('span', { class: 'option-check', 'aria-hidden': 'true', text: '✓' }),
          ),
        ),
      ),
      queued.length
        ? pendingTag()
        : voted
          ? h(
              'p',
              { class: 'done', 'data-testid': 'vote-stored' },
              h('span', { class: 'tick', 'aria-hidden': 'true', text: '✓' }),
              h('span', {
                text: chosen ? t('tablet.voted', { choice: optionLabel(chosen) }) : t('tablet.votedSecret'),
              }),
            )
          : null,
      voted && poll.changeable ? h('p', { class: 'hint', i18n: 'tablet.canChange' }) : null,
    );
  };
  whenState(live, render);
  live.on('outbox', () => live.state && render());
  return card('poll.title', body);
}

start(async () => {
  const { me, main } = await boot('tablet', 'tablet.title');
  const meetingId = meetingIdFromPath();
  const { meeting, live } = await joinMeeting(meetingId, me);
  setTitle('tablet.titleOf', { title: meeting.title });
  main.append(
    liveHead(meeting, live),
    h(
      'div',
      { class: 'grid-tablet' },
      readerCard(live, meetingId, me),
      h('div', { class: 'side' }, checkinCard(live), voteCard(live, meetingId), speakerCard(live)),
    ),
  );
  live.connect();
});
