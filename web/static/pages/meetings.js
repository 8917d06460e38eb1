// My meetings (GET /api/meetings: those I may see), each with the links my role in it allows.
import { api } from '../js/api.js';
import { fmtRange, onLangChange, t } from '../js/i18n.js';
import { boot, start } from '../js/shell.js';
import { h, patch, showError, statusBadge, toast } from '../js/ui.js';

const RUNNERS = new Set(['chair', 'secretary']);
const ORDER = { live: 0, scheduled: 1, draft: 2, ended: 3, archived: 4, cancelled: 5 };

function linksFor(meeting, me) {
  const mine = meeting.participants.find((p) => p.person_id === me.person_id);
  const role = mine ? mine.role : null;
  const manager = me.role === 'admin' || me.role === 'secretary';
  const links = [];
  if (RUNNERS.has(role) || manager) links.push(['/app/chair/', 'meetings.open.chair', 'btn-primary']);
  if (role === 'delegate' || role === 'chair')
    links.push(['/app/tablet/', 'meetings.open.tablet', role === 'delegate' ? 'btn-primary' : '']);
  if (me.role === 'operator' || me.role === 'admin')
    links.push(['/app/bridge/', 'meetings.open.bridge', me.role === 'operator' ? 'btn-primary' : '']);
  return {
    role,
    links: links.map(([base, key, cls]) => h('a', { class: `btn ${cls}`, href: `${base}${meeting.id}`, i18n: key })),
  };
}

function publishButton(meeting, reload) {
  const button = h('button', { type: 'button', class: 'btn', i18n: 'meetings.publish' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api.post(`/api/meetings/${meeting.id}/transitions`, { to: 'scheduled' });
      toast(t('secretary.published', { title: meeting.title }), 'ok');
      await reload();
    } catch (err) {
      showError(err);
      button.disabled = false;
    }
  });
  return button;
}

function meetingCard(meeting, me, reload) {
  const { role, links } = linksFor(meeting, me);
  const manager = me.role === 'admin' || me.role === 'secretary';
  return h(
    'li',
    { class: `meeting-card status-${meeting.status}`, 'data-meeting-id': meeting.id },
    h(
      'div',
      { class: 'meeting-card-main' },
      h(
        'div',
        { class: 'meeting-card-top' },
        statusBadge(meeting.status),
        meeting.series_id ? h('span', { class: 'badge badge-neutral', i18n: 'meetings.series' }) : null,
      ),
      h('h2', { class: 'meeting-title', text: meeting.title }),
      h('p', { class: 'meeting-when', text: fmtRange(meeting.start, meeting.end) }),
      h(
        'p',
        { class: 'meeting-meta' },
        meeting.body ? h('span', { text: meeting.body }) : null,
        h('span', { text: t('meetings.bridgePoints', { n: meeting.bridge_point_ids.length }) }),
        h('span', { text: t('meetings.people', { n: meeting.participants.length }) }),
        role ? h('span', { class: 'meeting-role', text: t('meetings.myRole', { role: t(`mrole.${role}`) }) }) : null,
      ),
    ),
    h(
      'div',
      { class: 'meeting-card-actions' },
      links,
      manager && meeting.status === 'draft' ? publishButton(meeting, reload) : null,
    ),
  );
}

start(async () => {
  const { me, main } = await boot('meetings', 'meetings.title');
  const list = h('ul', { class: 'meeting-list', 'aria-live': 'polite' });
  const header = h(
    'div',
    { class: 'page-head' },
    h(
      'div',
      {},
      h('h1', { i18n: 'meetings.title' }),
      h('p', { class: 'lead', i18n: 'meetings.hello', vars: { name: me.full_name || me.username } }),
    ),
    me.role === 'admin' || me.role === 'secretary'
      ? h('a', { class: 'btn btn-primary', href: '/app/secretary', i18n: 'meetings.create' })
      : null,
  );
  main.append(header, list);
  let meetings = [];
  const render = () => {
    const sorted = [...meetings].sort(
      (a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || a.start.localeCompare(b.start),
    );
    patch(
      list,
      sorted.length
        ? sorted.map((m) => meetingCard(m, me, reload))
        : h('li', { class: 'empty', i18n: 'meetings.none' }),
    );
  };
  const reload = async () => {
    const since = new Date(Date.now() - 30 * 86400000).toISOString();
    meetings = await api.get('/api/meetings', { from: since });
    render();
  };
  onLangChange(render);
  await reload();
});
