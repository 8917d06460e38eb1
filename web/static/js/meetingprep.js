// The secretary's work on one meeting (/app/secretary?meeting=ID): the agenda builder with each item's
// documents, publishing the packet (its page count, a link to it), the minutes, the participants and their
// invitations, and the comments handling table of the drafts.
import { AgendaBuilder } from './agenda.js';
import { ApiError, api } from './api.js';
import { CommentsTable } from './comments.js';
import { fmtDateTime, fmtNumber, fmtRange, onLangChange, t } from './i18n.js';
import { ParticipantsCard } from './participants.js';
import { card, h, patch, showError, statusBadge } from './ui.js';

class PacketCard {
  constructor(meeting) {
    this.base = `/api/meetings/${meeting.id}`;
    this.meeting = meeting;
    this.last = null; // {pages, size, at, reused}
    this.stale = false;
    this.state = h('div', { class: 'packet-state', 'aria-live': 'polite' });
    this.button = h('button', {
      type: 'button',
      class: 'btn btn-primary',
      i18n: 'packet.publish',
      on: { click: () => this.publish() },
    });
    this.el = card('packet.title', h('p', { class: 'hint', i18n: 'packet.hint' }), this.state, this.button);
  }

  // The last published packet: what it holds, without fetching the file (that would count as a download).
  async load() {
    try {
      const p = await api.get(`${this.base}/packet/info`);
      this.last = { ...p, at: p.compiled_at, reused: false };
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      this.last = null;
    }
    this.render();
  }

  changed() {
    if (this.last) {
      this.stale = true;
      this.render();
    }
  }

  async publish() {
    this.button.disabled = true;
    this.el.setAttribute('aria-busy', 'true');
    patch(this.state, h('p', { class: 'notice notice-info', role: 'status', i18n: 'packet.compiling' }));
    try {
      const out = await api.post(`${this.base}/packet`);
      this.last = { pages: out.pages, size: out.size, at: out.compiled_at, reused: out.reused, fresh: true };
      this.stale = false;
      this.render();
    } catch (err) {
      showError(err);
      patch(this.state, h('p', { class: 'notice notice-error', role: 'alert', text: err.detail }));
    } finally {
      this.button.disabled = false;
      this.el.removeAttribute('aria-busy');
    }
  }

  render() {
    const p = this.last;
    if (!p) {
      patch(this.state, h('p', { class: 'muted', i18n: 'packet.none' }));
      return;
    }
    const kind = this.stale ? 'notice-warn' : p.fresh ? 'notice-ok' : 'notice-info';
    const headline = p.reused ? 'packet.reused' : p.fresh ? 'packet.published' : 'packet.last';
    patch(
      this.state,
      h(
        'div',
        { class: `notice ${kind} packet-result`, role: 'status' },
        h('p', {}, h('strong', { i18n: headline })),
        h(
          'p',
          { class: 'packet-facts' },
          h('span', { class: 'packet-pages', 'data-testid': 'packet-pages', text: String(p.pages) }),
          h('span', {
            text: ` ${t('packet.pages')} · ${fmtNumber(Math.round(p.size / 1024))} KB · ${fmtDateTime(p.at)}`,
          }),
        ),
        this.stale ? h('p', { i18n: 'packet.stale' }) : null,
        h('a', { class: 'btn btn-small', href: `${this.base}/packet`, target: '_blank', i18n: 'packet.open' }),
      ),
    );
  }
}

function minutesCard(meeting) {
  return card(
    'minutes.title',
    h('p', { class: 'hint', i18n: 'minutes.hint' }),
    h('a', {
      class: 'btn',
      href: `/api/meetings/${meeting.id}/minutes.pdf`,
      target: '_blank',
      i18n: 'minutes.open',
    }),
  );
}

export async function meetingWorkspace(main, meetingId) {
  const meeting = await api.get(`/api/meetings/${meetingId}`);
  const packet = new PacketCard(meeting);
  const comments = new CommentsTable();
  const agenda = new AgendaBuilder(meeting, {
    comments: (doc) => comments.show(doc.id, true),
    changed: () => {
      packet.changed();
      comments.setDocuments(agenda.allDocuments());
    },
  });
  const heading = h('h1', { text: meeting.title });
  const when = h('p', { class: 'lead' });
  const showWhen = () => patch(when, statusBadge(meeting.status), ` ${fmtRange(meeting.start, meeting.end)}`);
  const participants = new ParticipantsCard(meeting, {
    changed: () => {
      heading.textContent = meeting.title;
      showWhen();
      agenda.participantsChanged();
    },
  });
  showWhen();
  main.append(
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('p', { class: 'eyebrow', i18n: 'prep.eyebrow' }),
        heading,
        when,
      ),
      h(
        'div',
        { class: 'form-actions' },
        h('a', { class: 'btn', href: `/app/chair/${meeting.id}`, i18n: 'meetings.open.chair' }),
        h('a', { class: 'btn', href: '/app/secretary', i18n: 'prep.back' }),
      ),
    ),
    h(
      'div',
      { class: 'grid-prep' },
      agenda.el,
      h('div', { class: 'side' }, packet.el, minutesCard(meeting)),
    ),
    participants.el,
    comments.el,
  );
  await agenda.load();
  comments.setDocuments(agenda.allDocuments());
  await packet.load();
  await participants.load();
  onLangChange(() => {
    showWhen();
    agenda.participantsChanged();
    participants.render();
    participants.renderResults();
    comments.render();
    packet.render();
  });
}
