"""Invitations of one meeting, per participant: was the invitation (giấy mời) sent, delivered, read — or
did it fail, or can the person not be reached at all; and sending it again to those it did not reach.

An invitation is a notification of kind ``invitation`` (``meetings.notify``), written by the scheduler when
the meeting is published, to whoever joins it after that (``meetings.jobs_roster``), and by ``resend`` here.
A participant's state comes from their latest invitation and its deliveries (``invitation_state``, pure).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from meetings import notify, queries
from meetings.clock import from_db
from meetings.errors import Conflict, FieldError, Invalid
from meetings.models import Meeting, User
from meetings.models_jobs import Notification, NotificationDelivery
from meetings.notices import notice_text
from meetings.permissions import MeetingRole
from meetings.reminders import JobKind

State = Literal["not_sent", "unreachable", "pending", "sent", "read", "failed"]
INVITATION = JobKind.invitation.value
PUBLISHED = {"scheduled", "live"}  # invitations are sent for these; a draft has not been announced
NOT_REACHED: frozenset[str] = frozenset({"not_sent", "failed"})  # whom "send again" aims at by default


def invitation_state(*, reachable: bool, invited: bool, read: bool, deliveries: Iterable[str]) -> State:
    """One participant's state. ``reachable``: they have an account, or an e-mail address while e-mail is
    on; ``invited``: an invitation was recorded for them; ``deliveries``: the statuses of its channels."""
    statuses = set(deliveries)
    if not invited:
        return "not_sent" if reachable else "unreachable"
    if read:
        return "read"
    if "sent" in statuses:
        return "sent"
    if statuses and statuses <= {"failed"}:
        return "failed"
    return "pending"


class InvitationOut(BaseModel):
    person_id: int
    full_name: str
    role: MeetingRole
    state: State
    invited_at: datetime | None = Field(description="when the latest invitation was recorded")
    read_at: datetime | None
    deliveries: list[notify.DeliveryOut] = Field(description="its channels: in_app, email")


class InvitationReport(BaseModel):
    meeting_id: int
    published: bool = Field(description="the meeting is announced (scheduled or live): invitations go out")
    participants: list[InvitationOut]


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[int] | None = Field(
        default=None, description="participants to invite again (default: those it did not reach)"
    )


def invitation_report(session: Session, meeting: Meeting, *, email: bool) -> InvitationReport:
    assert meeting.id is not None
    people = queries.participants(session, meeting.id)
    ids = [p.person_id for p, _ in people]
    latest = _latest_invitations(session, meeting.id, ids)
    channels = _deliveries(session, [n.id for n in latest.values() if n.id is not None])
    accounts = _people_with_accounts(session, ids)
    rows = []
    for part, person in people:
        n = latest.get(part.person_id)
        found = channels.get(n.id, []) if n is not None and n.id is not None else []
        reachable = part.person_id in accounts or (email and bool(person.email))
        state = invitation_state(
            reachable=reachable,
            invited=n is not None,
            read=n is not None and n.read_at is not None,
            deliveries=[d.status for d in found],
        )
        rows.append(
            InvitationOut(
                person_id=part.person_id,
                full_name=person.full_name,
                role=MeetingRole(part.role),
                state=state,
                invited_at=from_db(n.created_at) if n is not None else None,
                read_at=from_db(n.read_at) if n is not None and n.read_at else None,
                deliveries=notify.notification_out(n, found).deliveries if n is not None else [],
            )
        )
    return InvitationReport(meeting_id=meeting.id, published=meeting.status in PUBLISHED, participants=rows)


def resend(
    session: Session, meeting: Meeting, person_ids: list[int] | None, now: datetime, *, email: bool
) -> list[int]:
    """Record a new invitation for ``person_ids`` (default: every participant it did not reach). Returns
    the new notification ids; sending them is the caller's (``notify_delivery``)."""
    assert meeting.id is not None
    if meeting.status not in PUBLISHED:
        raise Conflict(
            f"the meeting is {meeting.status}: invitations go out once it is published",
            "not_published",
            status=str(meeting.status),
        )
    report = invitation_report(session, meeting, email=email)
    states = {p.person_id: p.state for p in report.participants}
    if person_ids is None:
        targets = [pid for pid, state in states.items() if state in NOT_REACHED]
    else:
        errors = [
            FieldError(("body", "person_ids", i), f"person {pid} is not a participant of this meeting")
            for i, pid in enumerate(person_ids)
            if pid not in states
        ]
        if errors:
            raise Invalid("invitations go only to the meeting's participants", errors)
        targets = list(dict.fromkeys(person_ids))
    start, end = from_db(meeting.start_at), from_db(meeting.end_at)
    words = notice_text(JobKind.invitation, meeting.title, start, end)
    data = {"start": start.isoformat(), "end": end.isoformat(), "variant": "again"}
    draft = notify.Draft(INVITATION, words.title, words.body, meeting.id, data)
    return notify.create(session, targets, draft, now, email=email)


def _latest_invitations(session: Session, meeting_id: int, person_ids: list[int]) -> dict[int, Notification]:
    if not person_ids:
        return {}
    rows = session.exec(
        select(Notification)
        .where(
            Notification.meeting_id == meeting_id,
            Notification.kind == INVITATION,
            col(Notification.person_id).in_(person_ids),
        )
        .order_by(col(Notification.id))
    ).all()
    return {n.person_id: n for n in rows}  # the later row wins


def _deliveries(session: Session, notification_ids: list[int]) -> dict[int, list[NotificationDelivery]]:
    found: dict[int, list[NotificationDelivery]] = {}
    if notification_ids:
        for d in session.exec(
            select(NotificationDelivery)
            .where(col(NotificationDelivery.notification_id).in_(notification_ids))
            .order_by(col(NotificationDelivery.channel))
        ).all():
            found.setdefault(d.notification_id, []).append(d)
    return found


def _people_with_accounts(session: Session, person_ids: list[int]) -> set[int]:
    if not person_ids:
        return set()
    rows = session.exec(
        select(User.person_id).where(col(User.person_id).in_(person_ids), col(User.active))
    ).all()
    return {pid for pid in rows if pid is not None}
