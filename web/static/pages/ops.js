// Operations board: every bridge point of the province in its tree, by district, with its link quality
// and a filter. For a chosen meeting (today's or coming up), the live columns show who is in the call with the
// relay's round trip and loss (polled from /api/meetings/{id}/media), the pre-meeting connectivity test's
// result per bridge point, and the alerts (failed tests, high loss).
import { ApiError, api } from '../js/api.js';
import { fmtDateTime, fmtNumber, onLangChange, t } from '../js/i18n.js';
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

const POLL_MS = 3000;
const HIGH_LOSS_PCT = 5;
const CONN_KIND = { ok: 'ok', pending: 'neutral', not_tested: 'muted', failed: 'bad', no_answer: 'bad' };

// The chosen meeting's live figures: bridge point id → media point / connectivity result; the live relays.
const live = { meeting: null, media: new Map(), conn: new Map(), relays: [] };

// Which relay serves a room in the call, once the deployment has several (a cascade): the province's (root)
// relay, or a district's, named by its unit.
function relayNote(m) {
  if (!m.in_call || !m.relay || live.relays.length < 2) return null;
  if (m.relay_unit_id === null) {
    return h('small', { class: 'live-relay', 'data-relay-unit': 'root', i18n: 'ops.live.viaProvince' });
  }
  const name = m.relay_unit_name ?? `#${m.relay_unit_id}`;
  return h('small', {
    class: 'live-relay',
    'data-relay-unit': m.relay_unit_id,
    i18n: 'ops.live.viaRelay',
    vars: { name },
  });
}

function stateCell(bp) {
  const m = live.media.get(bp.id);
  if (!m) return h('span', { class: 'muted', text: '—' });
  const badge = h('span', {
    class: `badge ${m.in_call ? 'badge-ok live-in-call' : 'badge-muted'}`,
    i18n: m.in_call ? 'ops.live.inCall' : 'ops.live.out',
  });
  const note = relayNote(m);
  return note ? [badge, ' ', note] : badge;
}

function statsCell(bp) {
  const m = live.media.get(bp.id);
  if (!m || !m.in_call || m.rtt_ms === null) return h('span', { class: 'muted', text: '—' });
  const loss = m.loss_pct === null ? '—' : fmtNumber(m.loss_pct);
  return h('span', {
    class: m.loss_pct >= HIGH_LOSS_PCT ? 'live-stats live-bad' : 'live-stats',
    i18n: 'ops.live.stats',
    vars: { rtt: fmtNumber(Math.round(m.rtt_ms)), loss },
  });
}

function connCell(bp) {
  const c = live.conn.get(bp.id);
  if (!c) return h('span', { class: 'muted', text: '—' });
  return h('span', { class: `badge badge-${CONN_KIND[c.status]}`, 'data-conn': c.status, i18n: `conn.${c.status}` });
}

function fillLive(tr, bp) {
  patch(tr.querySelector('[data-slot="media-state"]'), stateCell(bp));
  patch(tr.querySelector('[data-slot="media-stats"]'), statsCell(bp));
  patch(tr.querySelector('[data-slot="conn"]'), connCell(bp));
}

function alerts() {
  const out = [];
  for (const c of live.conn.values()) {
    if (c.failed) out.push({ id: c.bridge_point_id, key: `ops.alert.${c.status}`, vars: { name: c.name } });
  }
  for (const m of live.media.values()) {
    if (m.in_call && m.loss_pct !== null && m.loss_pct >= HIGH_LOSS_PCT) {
      out.push({ id: m.bridge_point_id, key: 'ops.alert.loss', vars: { name: m.name, loss: fmtNumber(m.loss_pct) } });
    }
  }
  return out;
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
    h('td', { class: 'live-col', 'data-slot': 'conn' }, connCell(bp)),
    h('td', { class: 'live-col', 'data-slot': 'media-state' }, stateCell(bp)),
    h('td', { class: 'live-col', 'data-slot': 'media-stats' }, statsCell(bp)),
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
            'ops.col.test',
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
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const [units, bridgePoints, meetings] = await Promise.all([
    api.get('/api/units'),
    api.get('/api/bridge-points'),
    api.get('/api/meetings', { from: today.toISOString() }),
  ]);
  const index = new UnitIndex(units);
  const byId = new Map(bridgePoints.map((bp) => [bp.id, bp]));
  const upcoming = meetings.filter((m) => m.status !== 'ended' && m.status !== 'cancelled');
  const wanted = Number(new URLSearchParams(location.search).get('meeting'));
  const meeting = h(
    'select',
    { id: 'ops-meeting' },
    upcoming.length
      ? upcoming.map((m) =>
          h('option', { value: m.id, selected: m.id === wanted, text: `${fmtDateTime(m.start_utc)} · ${m.title}` }),
        )
      : h('option', { value: '', i18n: 'ops.meeting.none' }),
  );
  const liveNote = h('p', { class: 'ops-live-note', role: 'status' });
  const alertBox = h('section', { class: 'ops-alerts', 'data-testid': 'ops-alerts', 'aria-live': 'polite' });
  const inCall = h('div', { class: 'stat stat-live' });
  const showLive = () => {
    for (const tr of board.querySelectorAll('tr.bp-row')) fillLive(tr, byId.get(Number(tr.dataset.bp)));
    const list = alerts();
    patch(
      alertBox,
      h('h2', { i18n: 'ops.alerts' }),
      list.length
        ? h(
            'ul',
            {},
            list.map((a) => h('li', { class: 'ops-alert', 'data-bp': a.id, i18n: a.key, vars: a.vars })),
          )
        : h('p', { class: 'muted', i18n: 'ops.alerts.none' }),
    );
    const points = [...live.media.values()];
    patch(
      inCall,
      h('strong', { 'data-testid': 'in-call-count', text: fmtNumber(points.filter((p) => p.in_call).length) }),
      h('span', { i18n: 'ops.stat.inCall', vars: { of: fmtNumber(points.length) } }),
    );
  };
  let timer = null;
  const poll = async () => {
    const id = live.meeting;
    if (!id) return;
    const [media, conn] = await Promise.allSettled([
      api.get(`/api/meetings/${id}/media`),
      api.get(`/api/meetings/${id}/connectivity`),
    ]);
    if (id !== live.meeting) return; // another meeting was chosen meanwhile
    const forbidden = media.status === 'rejected' && media.reason instanceof ApiError && media.reason.status === 403;
    patch(liveNote, forbidden ? h('span', { i18n: 'ops.live.forbidden' }) : null);
    live.media = new Map(media.status === 'fulfilled' ? media.value.points.map((p) => [p.bridge_point_id, p]) : []);
    live.relays = media.status === 'fulfilled' ? media.value.relays : [];
    live.conn = new Map(conn.status === 'fulfilled' ? conn.value.results.map((c) => [c.bridge_point_id, c]) : []);
    showLive();
    if (!forbidden) timer = setTimeout(poll, POLL_MS);
  };
  const choose = () => {
    clearTimeout(timer);
    live.meeting = Number(meeting.value) || null;
    live.media = new Map();
    live.conn = new Map();
    live.relays = [];
    showLive();
    poll();
  };
  meeting.addEventListener('change', choose);
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
      inCall,
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
      { class: 'ops-meeting-bar' },
      h('div', { class: 'field' }, h('label', { for: meeting.id, i18n: 'ops.meeting' }), meeting),
      liveNote,
    ),
    alertBox,
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
  choose();
});
