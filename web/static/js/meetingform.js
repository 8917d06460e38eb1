// The meeting form of the secretary screen: title, body, host unit, local start/end, the scope picker, the
// weekly recurrence; it builds the API's MeetingCreate / SeriesCreate bodies. And a 409's clashes explained.
import { t } from './i18n.js';
import { ScopePicker } from './scope.js';
import { field, h } from './ui.js';

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

// "YYYY-MM-DDTHH:MM" in Vietnam's time (what a datetime-local input holds), `days` from today at `hour`.
function localInput(days, hour) {
  const d = new Date(Date.now() + 7 * 3600000 + days * 86400000);
  return `${d.toISOString().slice(0, 10)}T${String(hour).padStart(2, '0')}:00`;
}

function plusMinutes(local, minutes) {
  const d = new Date(`${local}:00Z`);
  return new Date(d.getTime() + minutes * 60000).toISOString().slice(0, 16);
}

export function minutesBetween(a, b) {
  return Math.round((new Date(`${b}:00Z`) - new Date(`${a}:00Z`)) / 60000);
}

function hostUnits(index, me) {
  const all = [...index.byId.values()];
  if (me.role === 'admin') return all;
  const mine = index.subtree(me.unit_id);
  return all.filter((u) => mine.has(u.id));
}

export class MeetingForm {
  constructor(index, bridgePoints, me) {
    this.index = index;
    this.bpById = new Map(bridgePoints.map((bp) => [bp.id, bp]));
    this.scope = new ScopePicker(index, bridgePoints);
    this.f = {
      title: h('input', { name: 'title', required: true, maxLength: 500 }),
      body: h('input', { name: 'body', list: 'bodies', maxLength: 255 }),
      host: h(
        'select',
        { name: 'host_unit_id' },
        hostUnits(index, me).map((u) => h('option', { value: u.id, text: u.name, selected: u.id === me.unit_id })),
      ),
      start: h('input', { name: 'start', type: 'datetime-local', required: true, value: localInput(1, 14), step: 900 }),
      end: h('input', { name: 'end', type: 'datetime-local', required: true, value: localInput(1, 16), step: 900 }),
      description: h('textarea', { name: 'description', rows: 2, maxLength: 20000 }),
      weekly: h('input', { type: 'checkbox', id: 'weekly' }),
      count: h('input', { name: 'count', type: 'number', min: 2, max: 100, value: 8, inputmode: 'numeric' }),
    };
    this.days = WEEKDAYS.map((d) => h('input', { type: 'checkbox', value: d, id: `day-${d}` }));
    this.f.start.addEventListener('change', () => this.keepDuration());
    this.duration = 120;
    this.f.end.addEventListener('change', () => {
      const minutes = minutesBetween(this.f.start.value, this.f.end.value);
      if (minutes > 0) this.duration = minutes;
    });
  }

  keepDuration() {
    if (this.f.start.value) this.f.end.value = plusMinutes(this.f.start.value, this.duration);
  }

  element(onSubmit, onSuggest) {
    const f = this.f;
    const weeklyBox = h(
      'fieldset',
      { class: 'weekly', hidden: true },
      h('legend', { i18n: 'secretary.weekly.days' }),
      h(
        'div',
        { class: 'weekday-row' },
        this.days.map((box, i) =>
          h('label', { class: 'weekday', for: box.id }, box, h('span', { i18n: `weekday.${WEEKDAYS[i]}` })),
        ),
      ),
      field('secretary.weekly.count', f.count),
    );
    f.weekly.addEventListener('change', () => {
      weeklyBox.hidden = !f.weekly.checked;
      if (f.weekly.checked && !this.days.some((d) => d.checked)) {
        this.days[(new Date(`${f.start.value}:00Z`).getUTCDay() + 6) % 7].checked = true;
      }
      this.submit.dataset.i18n = f.weekly.checked ? 'secretary.createSeries' : 'secretary.save';
      this.submit.textContent = t(this.submit.dataset.i18n);
    });
    this.submit = h('button', { type: 'submit', class: 'btn btn-primary', i18n: 'secretary.save' });
    const form = h(
      'form',
      { class: 'meeting-form', 'aria-labelledby': 'form-title' },
      h('h2', { class: 'card-title', id: 'form-title', i18n: 'secretary.new' }),
      field('secretary.title.label', f.title),
      h(
        'div',
        { class: 'row2' },
        field('secretary.body', f.body, 'secretary.body.hint'),
        field('secretary.host', f.host),
      ),
      h(
        'datalist',
        { id: 'bodies' },
        ['UBND tỉnh', 'HĐND tỉnh', 'Tỉnh ủy', 'Ban Chỉ đạo tỉnh'].map((v) => h('option', { value: v })),
      ),
      h('div', { class: 'row2' }, field('secretary.start', f.start, 'secretary.tz'), field('secretary.end', f.end)),
      this.scope.el,
      h('label', { class: 'check', for: f.weekly.id }, f.weekly, h('span', { i18n: 'secretary.weekly' })),
      weeklyBox,
      field('secretary.description', f.description),
      h(
        'div',
        { class: 'form-actions' },
        this.submit,
        h('button', { type: 'button', class: 'btn', i18n: 'secretary.suggest', on: { click: onSuggest } }),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      onSubmit();
    });
    return form;
  }

  meeting() {
    const f = this.f;
    return {
      title: f.title.value.trim(),
      body: f.body.value.trim(),
      description: f.description.value.trim(),
      host_unit_id: Number(f.host.value),
      start: f.start.value,
      end: f.end.value,
      scope: this.scope.value(),
    };
  }

  series() {
    const m = this.meeting();
    const days = this.days.filter((d) => d.checked).map((d) => d.value);
    return {
      title: m.title,
      body: m.body,
      description: m.description,
      host_unit_id: m.host_unit_id,
      start: m.start,
      duration_minutes: minutesBetween(m.start, m.end),
      rrule: `FREQ=WEEKLY;BYDAY=${days.join(',') || 'MO'};COUNT=${Number(this.f.count.value) || 8}`,
      scope: m.scope,
      publish: true,
    };
  }
}

export function conflictPanel(err, form) {
  const groups = new Map();
  for (const c of err.body.conflicts || []) {
    if (!groups.has(c.meeting_id)) groups.set(c.meeting_id, { title: c.meeting_title, items: [] });
    groups.get(c.meeting_id).items.push(c);
  }
  const what = (c) =>
    c.kind === 'bridge_point'
      ? t('conflict.bp', {
          name: form.bpById.get(c.id)?.name || `#${c.id}`,
          unit: form.bpById.get(c.id)?.unit_name || '',
        })
      : t('conflict.person', { id: c.id });
  return h(
    'div',
    { class: 'notice notice-warn conflicts', role: 'alert' },
    h('h3', { i18n: 'conflict.title' }),
    h('p', { text: t('conflict.lead', { n: (err.body.conflicts || []).length, meetings: groups.size }) }),
    [...groups.entries()].map(([id, g]) =>
      h(
        'div',
        { class: 'conflict-group' },
        h('h4', { text: t('conflict.with', { title: g.title || `#${id}`, id, n: g.items.length }) }),
        h(
          'ul',
          { class: 'clash-list' },
          g.items.map((c) => h('li', { text: `${what(c)} — ${t('conflict.taken', { title: g.title || `#${id}` })}` })),
        ),
      ),
    ),
    h('p', { class: 'server-detail', text: err.detail }),
    h('p', { class: 'hint', i18n: 'conflict.hint' }),
  );
}
