// Secretary: create a meeting (or a weekly series) over a scope of bridge points, see conflicts explained,
// take a suggested free slot, and publish (draft → scheduled). With ?meeting=ID: that meeting's papers
// (agenda, documents, packet, minutes, comments table — js/meetingprep.js).
import { api } from '../js/api.js';
import { fmtDate, fmtRange, fmtTime, onLangChange, t } from '../js/i18n.js';
import { meetingWorkspace } from '../js/meetingprep.js';
import { conflictPanel, MeetingForm, minutesBetween } from '../js/meetingform.js';
import { UnitIndex } from '../js/scope.js';
import { boot, start } from '../js/shell.js';
import { card, h, patch, showError, statusBadge } from '../js/ui.js';

const prepLink = (m) => h('a', { class: 'btn btn-small', href: `/app/secretary?meeting=${m.id}`, i18n: 'prep.open' });

start(async () => {
  const preparing = Number(new URLSearchParams(location.search).get('meeting'));
  if (preparing) {
    const { main } = await boot('secretary', 'prep.title');
    await meetingWorkspace(main, preparing);
    return;
  }
  const { me, main } = await boot('secretary', 'secretary.title');
  const [units, bridgePoints] = await Promise.all([api.get('/api/units'), api.get('/api/bridge-points')]);
  const form = new MeetingForm(new UnitIndex(units), bridgePoints, me);
  const outcome = h('div', { class: 'outcome', 'aria-live': 'polite' });
  const slots = h('div', { class: 'slots', 'aria-live': 'polite' });
  const drafts = h('ul', { class: 'draft-list' });
  const upcoming = h('ul', { class: 'draft-list prep-list' });

  const loadDrafts = async () => {
    const [list, soon] = await Promise.all([
      api.get('/api/meetings', { status: 'draft' }),
      api.get('/api/meetings', { from: new Date().toISOString() }),
    ]);
    patch(
      drafts,
      list.length ? list.map((m) => draftItem(m)) : h('li', { class: 'empty', i18n: 'secretary.drafts.none' }),
    );
    const ready = soon.filter((m) => m.status === 'scheduled' || m.status === 'live');
    patch(
      upcoming,
      ready.length
        ? ready.map((m) =>
            h(
              'li',
              { 'data-meeting-id': m.id },
              h(
                'div',
                {},
                statusBadge(m.status),
                h('strong', { text: m.title }),
                h('small', { text: fmtRange(m.start, m.end) }),
              ),
              prepLink(m),
            ),
          )
        : h('li', { class: 'empty', i18n: 'prep.none' }),
    );
  };
  const publish = async (meeting, button) => {
    button.disabled = true;
    try {
      const out = await api.post(`/api/meetings/${meeting.id}/transitions`, { to: 'scheduled' });
      patch(outcome, createdPanel(out));
      await loadDrafts();
    } catch (err) {
      showError(err);
      button.disabled = false;
    }
  };
  const draftItem = (m) => {
    const button = h('button', {
      type: 'button',
      class: 'btn btn-small',
      'data-key': `pub-${m.id}`,
      i18n: 'meetings.publish',
    });
    button.addEventListener('click', () => publish(m, button));
    return h(
      'li',
      { 'data-meeting-id': m.id },
      h(
        'div',
        {},
        h('strong', { text: m.title }),
        h('small', {
          text: `${fmtRange(m.start, m.end)} · ${t('meetings.bridgePoints', { n: m.bridge_point_ids.length })}`,
        }),
      ),
      h('div', { class: 'draft-actions' }, prepLink(m), button),
    );
  };
  const createdPanel = (m) => {
    const published = m.status !== 'draft';
    const button = published
      ? null
      : h('button', { type: 'button', class: 'btn btn-primary', i18n: 'secretary.publish' });
    if (button) button.addEventListener('click', () => publish(m, button));
    return h(
      'div',
      { class: `notice ${published ? 'notice-ok' : 'notice-info'} created`, 'data-meeting-id': m.id },
      h('div', { class: 'created-head' }, statusBadge(m.status), h('strong', { text: m.title })),
      h('p', { text: `${fmtRange(m.start, m.end)} · ${t('meetings.bridgePoints', { n: m.bridge_point_ids.length })}` }),
      h('p', { i18n: published ? 'secretary.created.published' : 'secretary.created.draft' }),
      h(
        'div',
        { class: 'form-actions' },
        button,
        h('a', { class: 'btn', href: `/app/secretary?meeting=${m.id}`, i18n: 'prep.open' }),
        h('a', { class: 'btn', href: `/app/chair/${m.id}`, i18n: 'meetings.open.chair' }),
      ),
    );
  };

  const submit = async () => {
    if (!form.f.title.value.trim()) {
      form.f.title.focus();
      patch(outcome, h('div', { class: 'notice notice-error', role: 'alert', i18n: 'secretary.needTitle' }));
      return;
    }
    form.submit.disabled = true;
    try {
      if (form.f.weekly.checked) {
        const s = await api.post('/api/series', form.series());
        patch(
          outcome,
          h(
            'div',
            { class: 'notice notice-ok', role: 'status' },
            h('strong', { text: s.title }),
            h('p', { text: t('secretary.seriesCreated', { summary: s.summary, n: s.occurrences.length }) }),
            h(
              'ul',
              { class: 'occurrences' },
              s.occurrences.slice(0, 6).map((o) => h('li', { text: `${fmtDate(o.start)} ${fmtTime(o.start)}` })),
            ),
          ),
        );
      } else {
        patch(outcome, createdPanel(await api.post('/api/meetings', form.meeting())));
        resetSlots();
        await loadDrafts();
      }
    } catch (err) {
      if (err.status === 409 && err.body.conflicts) patch(outcome, conflictPanel(err, form));
      else
        patch(
          outcome,
          h(
            'div',
            { class: 'notice notice-error', role: 'alert' },
            h('p', { text: err.detail }),
            h(
              'ul',
              {},
              err.fieldErrors.map((e) => h('li', { text: e })),
            ),
          ),
        );
    } finally {
      form.submit.disabled = false;
    }
  };

  const resetSlots = () => patch(slots, h('p', { class: 'hint', i18n: 'secretary.suggest.hint' }));
  const pick = (button, slot, minutes) => {
    form.f.start.value = slot.slice(0, 16);
    form.duration = minutes;
    form.keepDuration();
    for (const b of slots.querySelectorAll('.slot')) b.setAttribute('aria-pressed', String(b === button));
    form.submit.focus();
  };
  const suggest = async () => {
    const m = form.meeting();
    const minutes = Math.max(15, minutesBetween(m.start, m.end) || 120);
    try {
      const out = await api.get('/api/meetings/suggest', {
        bridge_point_ids: form.scope.resolved(),
        duration_minutes: minutes,
        count: 6,
      });
      patch(
        slots,
        out.slots.length
          ? h(
              'ul',
              { class: 'slot-list' },
              out.slots.map((slot, i) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn slot',
                      'data-key': `slot-${i}`,
                      'aria-label': t('secretary.slotLabel', { when: `${fmtDate(slot)} ${fmtTime(slot)}` }),
                      'aria-pressed': 'false',
                      on: { click: (e) => pick(e.currentTarget, slot, minutes) },
                    },
                    h('span', { text: fmtDate(slot) }),
                    h('span', {
                      class: 'slot-time',
                      text: `${fmtTime(slot)}–${fmtTime(new Date(Date.parse(slot) + minutes * 60000).toISOString())}`,
                    }),
                  ),
                ),
              ),
            )
          : h('p', { class: 'hint', i18n: 'secretary.suggest.none' }),
      );
    } catch (err) {
      showError(err);
    }
  };

  const count = h(
    'p',
    { class: 'big-number' },
    h('strong', { id: 'resolved-count', text: '0' }),
    h('span', { i18n: 'scope.total' }),
  );
  resetSlots();
  form.scope.onChange((ids) => {
    count.querySelector('strong').textContent = String(ids.length);
  });
  form.scope.refresh();
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h('div', {}, h('h1', { i18n: 'secretary.title' }), h('p', { class: 'lead', i18n: 'secretary.lead' })),
    ),
    h(
      'div',
      { class: 'grid-secretary' },
      h('div', { class: 'card' }, form.element(submit, suggest)),
      h(
        'div',
        { class: 'side' },
        card('secretary.scopeCard', count, outcome),
        card('secretary.slots', slots),
        card('secretary.drafts', drafts),
        card('prep.upcoming', upcoming),
      ),
    ),
  );
  onLangChange(() => loadDrafts());
  await loadDrafts();
});
