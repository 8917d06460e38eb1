// The meeting's participants (thành phần dự họp) on the secretary's screen: who, in which role, and where
// their invitation (giấy mời) is — not sent, sending, sent, read, failed, or no way to reach them; add people
// found by name, title or unit, change a role, remove someone: each change is saved at once with the
// meeting's version. A change the server refuses (someone else saved first, a double booking) stays on
// screen, marked unsaved, to apply again to the latest version or to drop.
import { api } from './api.js';
import { fmtDateTime, t } from './i18n.js';
import { h, patch, showError } from './ui.js';

const ROLES = ['chair', 'secretary', 'delegate', 'guest', 'operator'];
const STATE_BADGE = {
  not_sent: 'neutral',
  unreachable: 'muted',
  pending: 'warn',
  sent: 'ok',
  read: 'ok',
  failed: 'bad',
};
const NOT_REACHED = new Set(['not_sent', 'failed']);

const plain = (list) => list.map(({ person_id, role }) => ({ person_id, role }));

// The changes from `before` to `after` (added, removed, role changed) applied to `latest`.
export function rebase(before, after, latest) {
  const was = new Map(before.map((p) => [p.person_id, p.role]));
  const kept = new Set(after.map((p) => p.person_id));
  const out = new Map(latest.map((p) => [p.person_id, p]));
  for (const id of was.keys()) if (!kept.has(id)) out.delete(id);
  for (const p of after) {
    if (was.get(p.person_id) !== p.role) out.set(p.person_id, { ...(out.get(p.person_id) || p), role: p.role });
  }
  return [...out.values()];
}

function deliveryText(d) {
  const what = `${t(`invite.channel.${d.channel}`)}: ${t(`invite.delivery.${d.status}`)}`;
  if (d.status === 'sent' && d.sent_at) return `${what} ${fmtDateTime(d.sent_at)}`;
  return d.status === 'failed' && d.last_error ? `${what} (${d.last_error})` : what;
}

export class ParticipantsCard {
  // `changed()`: the meeting was saved or reloaded (the shared meeting object holds its latest state).
  constructor(meeting, { changed }) {
    this.meeting = meeting;
    this.base = `/api/meetings/${meeting.id}`;
    this.onChanged = changed;
    this.draft = null; // the list shown while a change is not saved
    this.problem = null; // the error that refused it
    this.saving = Promise.resolve();
    this.invites = new Map();
    this.published = false;
    this.searchSeq = 0;
    this.found = [];
    this.list = h('ul', { class: 'participant-list', 'data-testid': 'participants' });
    this.problemBox = h('div', { class: 'participant-problem' });
    this.announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    this.summary = h('p', { class: 'invite-summary', 'aria-live': 'polite' });
    this.refresh = h('button', {
      type: 'button',
      class: 'btn btn-small',
      i18n: 'invite.refresh',
      on: { click: () => this.refreshAll() },
    });
    this.resend = h('button', {
      type: 'button',
      class: 'btn btn-small',
      i18n: 'invite.resend',
      on: { click: () => this.sendAgain() },
    });
    this.search = h('input', {
      type: 'search',
      id: 'people-search',
      maxLength: 100,
      autocomplete: 'off',
      on: { input: () => this.find() },
    });
    this.newRole = h(
      'select',
      { id: 'people-role' },
      ROLES.map((r) => h('option', { value: r, i18n: `mrole.${r}`, selected: r === 'delegate' })),
    );
    this.results = h('ul', { class: 'people-found' });
    this.el = h(
      'section',
      { class: 'card participants-card', 'aria-labelledby': 'participants-title' },
      h('h2', { class: 'card-title', id: 'participants-title', i18n: 'people.title' }),
      h('p', { class: 'hint', i18n: 'people.hint' }),
      this.announce,
      this.problemBox,
      h('div', { class: 'invite-bar' }, this.summary, h('div', { class: 'form-actions' }, this.refresh, this.resend)),
      this.list,
      h(
        'div',
        { class: 'people-add' },
        h('h3', { i18n: 'people.add' }),
        h(
          'div',
          { class: 'people-add-fields' },
          h('div', { class: 'field' }, h('label', { for: 'people-search', i18n: 'people.search' }), this.search),
          h('div', { class: 'field' }, h('label', { for: 'people-role', i18n: 'people.newRole' }), this.newRole),
        ),
        this.results,
      ),
    );
  }

  current() {
    return this.draft || this.meeting.participants;
  }

  say(message) {
    this.announce.textContent = message;
  }

  async load() {
    await this.reloadInvitations();
    await this.find();
  }

  // The meeting as stored now (unless a change is waiting on screen), and its invitations.
  async refreshAll() {
    try {
      if (!this.draft) this.accept(await api.get(this.base));
      await this.reloadInvitations(t('invite.refreshed'));
    } catch (err) {
      showError(err);
    }
  }

  async reloadInvitations(message) {
    try {
      const report = await api.get(`${this.base}/invitations`);
      this.takeReport(report);
      if (message) this.say(message);
    } catch (err) {
      showError(err);
    }
  }

  takeReport(report) {
    this.published = report.published;
    this.invites = new Map(report.participants.map((p) => [p.person_id, p]));
    this.render();
  }

  async sendAgain() {
    this.resend.disabled = true;
    try {
      this.takeReport(await api.post(`${this.base}/invitations`, {}));
      this.say(t('invite.resent'));
    } catch (err) {
      showError(err);
      this.render();
    }
  }

  async find() {
    const seq = ++this.searchSeq;
    try {
      const people = await api.get('/api/people', { q: this.search.value.trim(), limit: 8 });
      if (seq !== this.searchSeq) return; // a later search is on its way
      this.found = people;
      this.renderResults();
    } catch (err) {
      showError(err);
    }
  }

  add(person) {
    const role = this.newRole.value;
    const entry = { person_id: person.id, role, full_name: person.full_name };
    this.change([...this.current(), entry], t('people.added', { name: person.full_name, role: t(`mrole.${role}`) }));
  }

  setRole(p, role) {
    const next = this.current().map((x) => (x.person_id === p.person_id ? { ...x, role } : x));
    this.change(next, t('people.roleSet', { name: p.full_name, role: t(`mrole.${role}`) }));
  }

  remove(p) {
    const next = this.current().filter((x) => x.person_id !== p.person_id);
    this.change(next, t('people.removed', { name: p.full_name }), 'people-search');
  }

  // Show the change at once, then store it after the changes before it (each with the version it needs).
  change(next, message, focusAfter) {
    this.draft = next;
    this.render();
    this.renderResults();
    this.saving = this.saving.then(() => this.store(next, message, focusAfter));
    return this.saving;
  }

  async store(next, message, focusAfter) {
    if (this.problem) return; // an earlier change was refused: this one waits, unsaved, with it
    try {
      const out = await api.patch(this.base, { version: this.meeting.version, participants: plain(next) });
      this.accept(out);
      if (this.draft === next) this.draft = null;
      this.say(message);
      await this.reloadInvitations();
    } catch (err) {
      this.problem = err;
      this.render();
    }
    if (focusAfter) document.getElementById(focusAfter)?.focus();
  }

  accept(meeting) {
    Object.assign(this.meeting, meeting);
    this.render();
    this.renderResults();
    this.onChanged();
  }

  // After a refusal: the latest version from the server, with (`mine`) or without the unsaved change on it.
  async settle(mine) {
    const before = this.meeting.participants;
    const unsaved = this.draft;
    try {
      const latest = await api.get(this.base);
      this.problem = null;
      this.draft = null;
      this.accept(latest);
      if (mine && unsaved) await this.change(rebase(before, unsaved, latest.participants), t('people.reapplied'));
      else this.say(t('people.discarded'));
      await this.reloadInvitations();
    } catch (err) {
      showError(err);
    }
  }

  render() {
    const people = this.current();
    const saved = new Map(this.meeting.participants.map((p) => [p.person_id, p.role]));
    patch(
      this.list,
      people.length
        ? people.map((p) => this.row(p, this.draft !== null && saved.get(p.person_id) !== p.role))
        : h('li', { class: 'empty', i18n: 'people.none' }),
    );
    this.renderProblem();
    const states = [...this.invites.values()].map((p) => p.state);
    const count = (s) => states.filter((x) => x === s).length;
    this.summary.textContent = this.published
      ? t('invite.summary', { read: count('read'), sent: count('sent'), missing: count('not_sent') + count('failed') })
      : t('invite.unpublished');
    this.resend.disabled = !this.published || !states.some((s) => NOT_REACHED.has(s));
  }

  row(p, unsaved) {
    const name = p.full_name;
    const invite = this.invites.get(p.person_id);
    const role = h(
      'select',
      {
        'aria-label': t('people.roleOf', { name }),
        'data-key': `role-${p.person_id}`,
        on: { change: (e) => this.setRole(p, e.target.value) },
      },
      ROLES.map((r) => h('option', { value: r, i18n: `mrole.${r}`, selected: r === p.role })),
    );
    const shown = unsaved ? null : invite;
    const facts = shown ? shown.deliveries.map(deliveryText) : [];
    if (shown?.read_at) facts.push(t('invite.readAt', { when: fmtDateTime(shown.read_at) }));
    return h(
      'li',
      { class: ['participant', unsaved && 'unsaved'], 'data-person-id': p.person_id },
      h('strong', { class: 'participant-name', text: name }),
      role,
      h(
        'div',
        { class: 'participant-invite' },
        unsaved ? h('span', { class: 'badge badge-warn', i18n: 'people.unsaved' }) : null,
        shown
          ? h('span', {
              class: `badge badge-${STATE_BADGE[shown.state]}`,
              'data-state': shown.state,
              i18n: `invite.${shown.state}`,
            })
          : null,
        facts.length ? h('small', { text: facts.join(' · ') }) : null,
      ),
      h('button', {
        type: 'button',
        class: 'btn btn-small btn-danger',
        'data-key': `remove-${p.person_id}`,
        'aria-label': t('people.removeOf', { name }),
        i18n: 'people.remove',
        on: { click: () => this.remove(p) },
      }),
    );
  }

  renderResults() {
    this.results.setAttribute('aria-label', t('people.results')); // follows the language switch
    const taken = new Set(this.current().map((p) => p.person_id));
    patch(
      this.results,
      this.found.length
        ? this.found.map((person) =>
            h(
              'li',
              { 'data-person-id': person.id },
              h(
                'div',
                { class: 'people-found-main' },
                h('strong', { text: person.full_name }),
                h('small', { text: [person.title, person.unit_name].filter(Boolean).join(' · ') }),
              ),
              taken.has(person.id)
                ? h('span', { class: 'muted', i18n: 'people.already' })
                : h('button', {
                    type: 'button',
                    class: 'btn btn-small',
                    'data-key': `add-${person.id}`,
                    'aria-label': t('people.addOf', { name: person.full_name }),
                    i18n: 'people.addButton',
                    on: { click: () => this.add(person) },
                  }),
            ),
          )
        : h('li', { class: 'empty', i18n: 'people.noMatch' }),
    );
  }

  renderProblem() {
    const err = this.problem;
    if (!err) {
      patch(this.problemBox);
      return;
    }
    const names = new Map(this.current().map((p) => [p.person_id, p.full_name]));
    const clashes = (err.body.conflicts || [])
      .filter((c) => c.kind === 'person')
      .map((c) =>
        t('people.clash', { name: names.get(c.id) || `#${c.id}`, title: c.meeting_title || `#${c.meeting_id}` }),
      );
    const stale = err.body.reason === 'changed_meanwhile';
    const lead = stale ? 'people.stale' : clashes.length ? 'people.clashLead' : 'people.refused';
    patch(
      this.problemBox,
      h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        h('p', {}, h('strong', { i18n: lead })),
        clashes.length ? h('ul', {}, clashes.map((c) => h('li', { text: c }))) : null,
        // A stale version: the lead says it, and the button below applies the change again (no reload needed).
        stale ? null : h('p', { class: 'server-detail', text: [err.detail, ...err.fieldErrors].join(' — ') }),
        h(
          'div',
          { class: 'form-actions' },
          stale
            ? h('button', {
                type: 'button',
                class: 'btn btn-primary btn-small',
                i18n: 'people.reapply',
                on: { click: () => this.settle(true) },
              })
            : null,
          h('button', {
            type: 'button',
            class: 'btn btn-small',
            i18n: 'people.discard',
            on: { click: () => this.settle(false) },
          }),
        ),
      ),
    );
  }
}
