"""The runners of the meeting jobs, one per kind (``RUNNERS``), and the facts the plan is made from.

Each runner is called inside the job's transaction, after its run key was claimed: it writes its effects
(notifications, events, rows) in that transaction and returns an ``Outbox`` of what to publish afterwards.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from meetings import eventlog, notify, queries
from meetings.clock import from_db
from meetings.jobs_connectivity import run_connectivity_deadline, run_connectivity_test
from meetings.jobs_context import JobContext, Outbox, Runner
from meetings.jobs_documents import comment_deadlines, run_agenda_deadline, run_comments_closed
from meetings.jobs_roster import invited_since
from meetings.live_service import event_message
from meetings.models import Meeting, MeetingBridgePoint
from meetings.models_jobs import ConnectivityResult
from meetings.notices import notice_text
from meetings.reminders import JobKind, MeetingFacts, PlannedJob


def load_facts(session: Session, meeting_id: int) -> MeetingFacts | None:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    pub = notify.publications(session, [meeting_id])[meeting_id]
    bps = session.exec(
        select(func.count())
        .select_from(MeetingBridgePoint)
        .where(MeetingBridgePoint.meeting_id == meeting_id)
    ).one()
    deadline = session.exec(
        select(func.min(ConnectivityResult.deadline_at)).where(
            ConnectivityResult.meeting_id == meeting_id, ConnectivityResult.status == "pending"
        )
    ).one()
    return MeetingFacts(
        meeting_id=meeting_id,
        status=meeting.status,
        start=from_db(meeting.start_at),
        end=from_db(meeting.end_at),
        version=meeting.version,
        published_at=pub.published_at,
        changed_at=pub.changed_at,
        cancelled_at=pub.cancelled_at,
        bridge_points=bps,
        connectivity_deadline=from_db(deadline) if deadline is not None else None,
        comment_deadlines=comment_deadlines(session, meeting_id),
    )


def run_notice(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    """The notice to everyone invited. The invitation locks the meeting first, so that it and a late
    invitation (``jobs_roster``) see each other; a change notice skips whoever was invited since the
    change (their invitation has the meeting as it is now)."""
    if job.kind is JobKind.invitation:
        eventlog.lock_meeting(ctx.session, facts.meeting_id)
    meeting = queries.get_meeting(ctx.session, facts.meeting_id)
    text_ = notice_text(job.kind, meeting.title, facts.start, facts.end, job.variant)
    data = {"start": facts.start.isoformat(), "end": facts.end.isoformat(), "variant": job.variant}
    draft = notify.Draft(job.kind.value, text_.title, text_.body, facts.meeting_id, data, dedupe=job.run_key)
    people = notify.everyone(ctx.session, facts.meeting_id)
    if job.kind is JobKind.changed and facts.changed_at is not None:
        told = invited_since(ctx.session, facts.meeting_id, facts.changed_at)
        people = [pid for pid in people if pid not in told]
    ids = notify.create(ctx.session, people, draft, ctx.now, email=ctx.email)
    return Outbox(notified=ids, detail=f"{len(ids)} notified")


def run_room_open(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    meeting = eventlog.lock_meeting(ctx.session, facts.meeting_id)
    minutes = int(ctx.settings.plan.room_open.total_seconds() // 60)
    payload = {"start": facts.start.isoformat(), "minutes_before": minutes}
    event = eventlog.append(ctx.session, meeting, "meeting.room_opened", payload, actor_id=None, at=ctx.now)
    ctx.session.flush()
    return Outbox(messages=[(f"meeting:{facts.meeting_id}", event_message(event))], detail=f"seq {event.seq}")


def run_overrun(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    meeting = queries.get_meeting(ctx.session, facts.meeting_id)
    if meeting.status != "live":
        return Outbox(outcome="skipped", detail=f"the meeting is {meeting.status}")
    text_ = notice_text(JobKind.overrun, meeting.title, facts.start, facts.end)
    people = notify.organisers(ctx.session, facts.meeting_id, meeting.created_by_id, chair=True)
    draft = notify.Draft("overrun", text_.title, text_.body, facts.meeting_id, {}, dedupe=job.run_key)
    return Outbox(notified=notify.create(ctx.session, people, draft, ctx.now, email=ctx.email))


RUNNERS: dict[JobKind, Runner] = {
    JobKind.invitation: run_notice,
    JobKind.changed: run_notice,
    JobKind.cancelled: run_notice,
    JobKind.reminder: run_notice,
    JobKind.room_open: run_room_open,
    JobKind.connectivity_test: run_connectivity_test,
    JobKind.connectivity_deadline: run_connectivity_deadline,
    JobKind.agenda_deadline: run_agenda_deadline,
    JobKind.comments_closed: run_comments_closed,
    JobKind.overrun: run_overrun,
}
