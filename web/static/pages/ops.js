// Operations board: every bridge point of the province in its tree, by district, with its link quality
// and a filter. MEDIA: the live columns (online, in call, RTT / loss) are filled by the media work.
import { api } from '../js/api.js';
import { fmtNumber, onLangChange, t } from '../js/i18n.js';
import { UnitIndex } from '../js/scope.js';
import { boot, start } from '../js/shell.js';
import { h, patch } from '../js/ui.js';

const fold = (s) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();

function groups(index, bridgePoints) {
  const byGroup = new Map([[null, []], ...index.districts().map((d) => [d.id, []])]);
  for (const bp of bridgePoints) {
    const district = index.districtOf(bp.unit_id);
    byGroup.get(district ? district.id : null).push(bp);
  }
  return [...byGroup.entries()].map(([id, bps]) => ({
    unit: id === null ? index.root : index.byId.get(id),
    province: id === null,
    bps,
  }));
}

function row(bp, index) {
  const level = index.byId.get(bp.unit_id).level;
  return h(
    'tr',
    { 'data-bp': bp.id, class: `bp-row quality-${bp.link_quality}` },
    h('td', { class: 'code', text: bp.code }),
    h('th', { scope: 'row' }, h('span', { class: 'bp-name', text: bp.name }), h('small', { text: bp.unit_name })),
    h('td', {}, h('span', { class: 'level', i18n: `level.${level}` })),
    h('td', { class: 'num', text: String(bp.capacity) }),
    h(
      'td',
      {},
      h('span', {
        class: `badge ${bp.link_quality === 'good' ? 'badge-ok' : 'badge-warn'}`,
        i18n: `quality.${bp.link_quality}`,
      }),
    ),
    h('td', { class: 'live-col', 'data-slot': 'media-state' }, h('span', { class: 'muted', text: '—' })),
    h('td', { class: 'live-col', 'data-slot': 'media-stats' }, h('span', { class: 'muted', text: '—' })),
  );
}

function table(group, index, open) {
  const poor = group.bps.filter((bp) => bp.link_quality !== 'good').length;
  return h(
    'details',
    { class: 'ops-group', open, 'data-group': group.unit.id },
    h(
      'summary',
      {},
      h('span', {
        class: 'ops-group-name',
        text: group.province ? t('ops.provinceGroup', { name: group.unit.name }) : group.unit.name,
      }),
      h('span', { class: 'ops-group-count', text: t('ops.groupCount', { n: group.bps.length, poor }) }),
    ),
    h(
      'table',
      { class: 'ops-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'ops.col.code',
            'ops.col.name',
            'ops.col.level',
            'ops.col.capacity',
            'ops.col.link',
            'ops.col.state',
            'ops.col.stats',
          ].map((k) => h('th', { scope: 'col', i18n: k })),
        ),
      ),
      h(
        'tbody',
        {},
        group.bps.map((bp) => row(bp, index)),
      ),
    ),
  );
}

start(async () => {
  const { main } = await boot('ops', 'ops.title');
  const [units, bridgePoints] = await Promise.all([api.get('/api/units'), api.get('/api/bridge-points')]);
  const index = new UnitIndex(units);
  const text = h('input', {
    type: 'search',
    id: 'ops-filter',
    autocomplete: 'off',
    'data-i18n-placeholder': 'ops.filter.placeholder',
    placeholder: t('ops.filter.placeholder'),
  });
  const quality = h(
    'select',
    { id: 'ops-quality' },
    ['', 'good', 'poor'].map((q) => h('option', { value: q, i18n: q ? `quality.${q}` : 'ops.all' })),
  );
  const level = h(
    'select',
    { id: 'ops-level' },
    ['', 'province', 'district', 'commune'].map((l) => h('option', { value: l, i18n: l ? `level.${l}` : 'ops.all' })),
  );
  const stats = h('div', { class: 'stats', 'aria-live': 'polite' });
  const board = h('div', { class: 'ops-board' });
  const render = () => {
    const q = fold(text.value.trim());
    const shown = bridgePoints.filter(
      (bp) =>
        (!q || fold(`${bp.code} ${bp.name} ${bp.unit_name} ${bp.address}`).includes(q)) &&
        (!quality.value || bp.link_quality === quality.value) &&
        (!level.value || index.byId.get(bp.unit_id).level === level.value),
    );
    const poor = shown.filter((bp) => bp.link_quality !== 'good').length;
    const stat = (n, key, cls = '') =>
      h('div', { class: `stat ${cls}` }, h('strong', { text: fmtNumber(n) }), h('span', { i18n: key }));
    patch(
      stats,
      h(
        'div',
        { class: 'stat stat-main' },
        h('strong', { 'data-testid': 'bp-count', text: fmtNumber(shown.length) }),
        h('span', { i18n: 'ops.stat.shown', vars: { of: fmtNumber(bridgePoints.length) } }),
      ),
      stat(shown.length - poor, 'ops.stat.good', 'stat-ok'),
      stat(poor, 'ops.stat.poor', 'stat-warn'),
      stat(groups(index, shown).filter((g) => !g.province && g.bps.length).length, 'ops.stat.districts'),
    );
    const filtered = Boolean(q || quality.value || level.value);
    patch(
      board,
      groups(index, shown)
        .filter((g) => g.bps.length)
        .map((g) => table(g, index, filtered || g.province)),
    );
  };
  for (const control of [text, quality, level]) control.addEventListener('input', render);
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', { i18n: 'ops.title' }), h('p', { class: 'lead', i18n: 'ops.lead' })),
    ),
    h(
      'div',
      { class: 'ops-filters', role: 'search' },
      h('div', { class: 'field grow' }, h('label', { for: text.id, i18n: 'ops.filter' }), text),
      h('div', { class: 'field' }, h('label', { for: quality.id, i18n: 'ops.quality' }), quality),
      h('div', { class: 'field' }, h('label', { for: level.id, i18n: 'ops.level' }), level),
    ),
    stats,
    h(
      'div',
      { class: 'ops-tools' },
      h('button', {
        type: 'button',
        class: 'btn btn-small',
        i18n: 'ops.expand',
        on: {
          click: () =>
            board.querySelectorAll('details').forEach((d) => {
              d.open = true;
            }),
        },
      }),
      h('button', {
        type: 'button',
        class: 'btn btn-small',
        i18n: 'ops.collapse',
        on: {
          click: () =>
            board.querySelectorAll('details').forEach((d) => {
              d.open = false;
            }),
        },
      }),
    ),
    board,
  );
  onLangChange(render);
  render();
});
