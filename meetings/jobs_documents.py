"""The document jobs: the agenda deadline (is the meeting's packet published, and current, by then?) and the
closing of a document's comments (góp ý). They read the documents edge's tables (``Document``, ``Comment``)
and the meeting's event log; the documents edge itself knows nothing of the scheduler, so the reconciliation
finds its changes by ``Document.updated_at`` (``meetings_with_document_changes``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from docs_store.models import Comment, Confidentiality, Document
from meetings import eventlog, notify, queries
from meetings.clock import from_db
from meetings.jobs_context import JobContext, Outbox
from meetings.live_service import event_message
from meetings.models import MeetingEvent
from meetings.notices import agenda_deadline_notice, comments_closed_notice
from meetings.reminders import PACKET_EVENTS, MeetingFacts, PlannedJob, packet_status

AGENDA = "chương trình nghị sự"


def comment_deadlines(session: Session, meeting_id: int) -> tuple[tuple[int, datetime], ...]:
    """(document id, comment deadline) of the meeting's documents open for comments."""
    rows = session.exec(
        select(Document.id, Document.comment_deadline)
        .where(Document.meeting_id == meeting_id, col(Document.comment_deadline).is_not(None))
        .order_by(col(Document.id))
    ).all()
    return tuple((doc_id, from_db(at)) for doc_id, at in rows if doc_id is not None and at is not None)


def meetings_with_document_changes(session: Session, since: datetime) -> set[int]:
    """Meetings with a document added, given a new version or edited (its comment deadline…) since then."""
    query = select(Document.meeting_id).where(col(Document.updated_at) >= since).distinct()
    return set(session.exec(query).all())


def meetings_with_comment_deadlines(session: Session, after: datetime) -> set[int]:
    """Meetings with a document whose comments close after ``after`` (for a full reconciliation)."""
    query = select(Document.meeting_id).where(col(Document.comment_deadline) >= after).distinct()
    return set(session.exec(query).all())


def run_agenda_deadline(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    """Warn the secretary when no packet was published, or the agenda or a document changed after it."""
    s, mid = ctx.session, facts.meeting_id
    events = s.exec(
        select(MeetingEvent.kind, MeetingEvent.payload)
        .where(MeetingEvent.meeting_id == mid, col(MeetingEvent.kind).in_(PACKET_EVENTS))
        .order_by(col(MeetingEvent.seq))
    ).all()
    status = packet_status(events)
    if status.current:
        return Outbox(outcome="skipped", detail="the packet is published and current")
    changed = [AGENDA] if status.agenda_changed else []
    if status.documents:
        query = select(Document.id, Document.title).where(col(Document.id).in_(status.documents))
        titles = {doc_id: title for doc_id, title in s.exec(query).all()}
        changed += [f"«{titles[d]}»" for d in status.documents if d in titles]
    meeting = queries.get_meeting(s, mid)
    lead = ctx.settings.plan.agenda_deadline
    notice = agenda_deadline_notice(meeting.title, facts.start, lead, status.compiled, changed)
    packet = "stale" if status.compiled else "missing"
    data = {
        "packet": packet,
        "agenda_changed": status.agenda_changed,
        "document_ids": list(status.documents),
        "start": facts.start.isoformat(),
    }
    draft = notify.Draft("agenda_deadline", notice.title, notice.body, mid, data, dedupe=job.run_key)
    people = notify.organisers(s, mid, meeting.created_by_id)
    ids = notify.create(s, people, draft, ctx.now, email=ctx.email)
    return Outbox(notified=ids, detail=f"packet {packet}; {len(ids)} notified")


def run_comments_closed(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    """At a document's comment deadline: an event in the meeting's log, and the secretary told how many
    comments there are to handle. (Comments sent after the deadline are refused by the documents edge.)"""
    s, mid, doc_id = ctx.session, facts.meeting_id, int(job.variant)
    meeting = eventlog.lock_meeting(s, mid)
    doc = s.get(Document, doc_id)
    assert doc is not None  # the plan that named this job was made from it, in this transaction
    total, handled = s.exec(
        select(func.count(), func.count(col(Comment.handling))).where(Comment.document_id == doc_id)
    ).one()
    unhandled = total - handled
    payload = {
        "document_id": doc_id,
        "confidentiality": doc.confidentiality,
        "deadline": job.run_at.isoformat(),
        "comments": total,
        "unhandled": unhandled,
    }
    if doc.confidentiality == Confidentiality.all_participants:  # as the documents edge's own events
        payload["title"] = doc.title
    event = eventlog.append(s, meeting, "document.comments_closed", payload, actor_id=None, at=ctx.now)
    notice = comments_closed_notice(doc.title, job.run_at, total, unhandled)
    data = {"document_id": doc_id, "comments": total, "unhandled": unhandled}
    draft = notify.Draft("comments_closed", notice.title, notice.body, mid, data, dedupe=job.run_key)
    ids = notify.create(s, notify.organisers(s, mid, meeting.created_by_id), draft, ctx.now, email=ctx.email)
    s.flush()
    return Outbox(
        messages=[(f"meeting:{mid}", event_message(event))],
        notified=ids,
        detail=f"{total} comments, {unhandled} to handle; seq {event.seq}",
    )
