// Polls as the screens show them: option labels, the rule in words, turnout, and a closed poll's result.
import { t } from './i18n.js';
import { h } from './ui.js';

const STANDARD = new Set(['for', 'against', 'abstain']);

export function optionLabel(option) {
  return STANDARD.has(option) ? t(`poll.option.${option}`) : option;
}

export function turnoutMeter(poll, members) {
  const value = poll.turnout ?? Object.keys(poll.ballots || {}).length;
  const id = `turnout-${poll.id}`;
  return h(
    'div',
    { class: 'turnout' },
    h('label', {
      for: id,
      class: 'turnout-label',
      'data-testid': 'turnout',
      text: t('poll.turnout', { n: value, of: members }),
    }),
    h('progress', { id, max: Math.max(members, 1), value }),
  );
}

export function resultView(poll) {
  const r = poll.result;
  if (!r) return null;
  const total = Math.max(1, ...Object.values(r.counts));
  const verdict =
    r.passed === undefined
      ? null
      : h('span', {
          class: `badge ${r.passed ? 'badge-ok' : 'badge-bad'} verdict`,
          'data-testid': 'verdict',
          i18n: r.passed ? 'poll.passed' : 'poll.failed',
        });
  return h(
    'div',
    { class: 'poll-result', 'data-poll-id': poll.id },
    h('div', { class: 'poll-result-head' }, h('strong', { text: poll.question }), verdict),
    h(
      'table',
      { class: 'result-table' },
      h('caption', { class: 'visually-hidden', text: t('poll.resultOf', { q: poll.question }) }),
      h(
        'tbody',
        {},
        Object.entries(r.counts).map(([option, n]) => {
          const bar = h('span', { class: `bar bar-${option}` });
          bar.style.width = `${(100 * n) / total}%`;
          return h(
            'tr',
            { 'data-option': option },
            h('th', { scope: 'row', text: optionLabel(option) }),
            h('td', { class: 'bar-cell' }, bar),
            h('td', { class: 'num', text: String(n) }),
          );
        }),
      ),
    ),
    h('p', {
      class: 'poll-meta',
      text: t('poll.resultMeta', { turnout: r.turnout, base: r.base, rule: t(`poll.rule.${r.rule}`) }),
    }),
  );
}
