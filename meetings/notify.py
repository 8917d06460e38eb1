"""Notifications: recorded per person, delivered in-app (the user's bus channel ``user:{id}``) and by e-mail
(SMTP), each delivery with its state (pending → sent, or failed after its last attempt).

Creating a notification only writes rows, in the caller's transaction: nothing is sent before the change
that caused it commits, and no request waits for a mail server. Sending is ``meetings.notify_delivery``;
the calendar feed is ``meetings.notify_calendar``. This module holds what both share: the settings, the
schema a client sees, who hears about a meeting, creating and reading notifications, and what was
announced of a meeting (from its event log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from meetings.clock import from_db
from meetings.errors import NotFound
from meetings.models import BridgePoint, MeetingBridgePoint, MeetingEvent, MeetingParticipant, Person, User
from meetings.models_jobs import Notification, NotificationDelivery

Publish = Callable[[str, dict[str, Any]], None]
IN_APP, EMAIL = "in_app", "email"


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None  # None: e-mail is off
    port: int = 25
    sender: str = "cauhop@localhost"
    timeout: float = 10.0
    max_attempts: int = 8

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        return cls(
            host=env.get("CAUHOP_SMTP_HOST") or None,
            port=int(env.get("CAUHOP_SMTP_PORT", "25")),
            sender=env.get("CAUHOP_SMTP_FROM", "cauhop@localhost"),
        )


# ---- what a client sees (HTTP and the user's WebSocket channel share this schema) ----


class DeliveryOut(BaseModel):
    channel: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str
    sent_at: datetime | None


class NotificationOut(BaseModel):
    type: Literal["notification"] = "notification"
    id: int
    kind: str
    title: str
    body: str
    meeting_id: int | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    deliveries: list[DeliveryOut] = []


class NotificationList(BaseModel):
    unread: int
    items: list[NotificationOut]


def notification_out(n: Notification, deliveries: Iterable[NotificationDelivery] = ()) -> NotificationOut:
    assert n.id is not None
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        meeting_id=n.meeting_id,
        data=n.data,
        created_at=from_db(n.created_at),
        read_at=from_db(n.read_at) if n.read_at else None,
        deliveries=[
            DeliveryOut(
                channel=d.channel,
                status=d.status,
                attempts=d.attempts,
                last_error=d.last_error,
                sent_at=from_db(d.sent_at) if d.sent_at else None,
            )
            for d in deliveries
        ],
    )


# ---- who hears about a meeting ----


def meeting_people(session: Session, meeting_id: int, roles: Iterable[str] | None = None) -> list[int]:
    """Person ids of the meeting's participants (of ``roles``, or all) — in list order."""
    query = select(MeetingParticipant.person_id, MeetingParticipant.role).where(
        MeetingParticipant.meeting_id == meeting_id
    )
    wanted = set(roles) if roles is not None else None
    rows = session.exec(query.order_by(col(MeetingParticipant.id))).all()
    return [pid for pid, role in rows if wanted is None or role in wanted]


def operators(session: Session, meeting_id: int) -> dict[int, int]:
    """Bridge point id → its operator's person id, for the meeting's bridge points that have one."""
    rows = session.exec(
        select(BridgePoint.id, BridgePoint.operator_id)
        .join(MeetingBridgePoint, col(MeetingBridgePoint.bridge_point_id) == BridgePoint.id)
        .where(MeetingBridgePoint.meeting_id == meeting_id, col(BridgePoint.operator_id).is_not(None))
    ).all()
    return {bp: op for bp, op in rows if bp is not None and op is not None}


def everyone(session: Session, meeting_id: int) -> list[int]:
    """Participants and bridge-point operators, each once."""
    people = [*meeting_people(session, meeting_id), *operators(session, meeting_id).values()]
    return list(dict.fromkeys(people))


def organisers(
    session: Session, meeting_id: int, creator_id: int | None, *, chair: bool = False
) -> list[int]:
    """The meeting's secretaries (its creator when it names none), and its chair when asked."""
    people = meeting_people(session, meeting_id, ["secretary"])
    creator = session.get(User, creator_id) if creator_id is not None and not people else None
    if creator is not None and creator.person_id is not None:
        people.append(creator.person_id)
    if chair:
        people += meeting_people(session, meeting_id, ["chair"])
    return list(dict.fromkeys(people))


# ---- creating ----


@dataclass(frozen=True)
class Draft:
    kind: str
    title: str
    body: str
    meeting_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    dedupe: str | None = None  # with the person id, makes the notification once-only


def create(
    session: Session, person_ids: Iterable[int], draft: Draft, now: datetime, *, email: bool
) -> list[int]:
    """Record one notification per person who can be reached (a user account, or an e-mail address when
    ``email``), with a pending delivery per channel. Returns the new notification ids."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return []
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids))).all()}
    users = {
        u.person_id: u
        for u in session.exec(select(User).where(col(User.person_id).in_(ids), col(User.active))).all()
    }
    seen: set[str | None] = set()
    if draft.dedupe is not None:
        keys = [f"{draft.dedupe}:p{pid}" for pid in ids]
        query = select(Notification.dedupe_key).where(col(Notification.dedupe_key).in_(keys))
        seen = set(session.exec(query).all())
    created = []
    for pid in ids:
        person, user = people.get(pid), users.get(pid)
        key = f"{draft.dedupe}:p{pid}" if draft.dedupe is not None else None
        mail = person.email if person is not None and email and person.email else None
        if person is None or key in seen or (user is None and mail is None):
            continue
        n = Notification(
            person_id=pid,
            user_id=user.id if user else None,
            meeting_id=draft.meeting_id,
            kind=draft.kind,
            title=draft.title,
            body=draft.body,
            data=draft.data,
            dedupe_key=key,
            created_at=now,
        )
        session.add(n)
        session.flush()
        assert n.id is not None
        if user is not None:
            session.add(_delivery(n.id, IN_APP, f"user:{user.id}", now))
        if mail is not None:
            session.add(_delivery(n.id, EMAIL, mail, now))
        created.append(n.id)
    return created


def _delivery(notification_id: int, channel: str, address: str, now: datetime) -> NotificationDelivery:
    return NotificationDelivery(
        notification_id=notification_id, channel=channel, address=address, next_attempt_at=now
    )


# ---- reading ----


def list_for_user(session: Session, user_id: int, *, unread_only: bool, limit: int) -> NotificationList:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit)).all())
    by_id: dict[int, list[NotificationDelivery]] = {n.id: [] for n in rows if n.id is not None}
    if by_id:
        for d in session.exec(
            select(NotificationDelivery)
            .where(col(NotificationDelivery.notification_id).in_(list(by_id)))
            .order_by(col(NotificationDelivery.channel))
        ).all():
            by_id[d.notification_id].append(d)
    unread = session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    ).one()
    return NotificationList(unread=unread, items=[notification_out(n, by_id[n.id or 0]) for n in rows])


def mark_read(session: Session, user_id: int, notification_id: int, now: datetime) -> NotificationOut:
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise NotFound(f"notification {notification_id} does not exist")
    if n.read_at is None:
        n.read_at = now
        session.add(n)
    deliveries = session.exec(
        select(NotificationDelivery).where(NotificationDelivery.notification_id == notification_id)
    ).all()
    return notification_out(n, deliveries)


# ---- what was announced: publication, later edits, cancellation (from the event log) ----


AUDIENCE_FIELDS = frozenset({"participants", "scope"})  # an edit of only these changes who is invited


@dataclass(frozen=True)
class Publication:
    published_at: datetime | None = None  # the last move to 'scheduled'
    changed_at: datetime | None = None  # the last edit after it (other than of its audience only)
    cancelled_at: datetime | None = None


def _audience_only(payload: Mapping[str, Any]) -> bool:
    """A ``meeting.updated`` that changed only who attends: those it adds are invited and those it removes
    told (``meetings.jobs_roster``); the others are not sent a change notice for it."""
    changes = payload.get("changes")
    return isinstance(changes, dict) and set(changes) <= AUDIENCE_FIELDS


def publications(session: Session, meeting_ids: Iterable[int]) -> dict[int, Publication]:
    ids = list(meeting_ids)
    found: dict[int, Publication] = {mid: Publication() for mid in ids}
    if not ids:
        return found
    rows = session.exec(
        select(MeetingEvent.meeting_id, MeetingEvent.kind, MeetingEvent.payload, MeetingEvent.at)
        .where(
            col(MeetingEvent.meeting_id).in_(ids),
            col(MeetingEvent.kind).in_(["meeting.status_changed", "meeting.updated"]),
        )
        .order_by(col(MeetingEvent.meeting_id), col(MeetingEvent.seq))
    ).all()
    for mid, kind, payload, at in rows:
        p, at = found[mid], from_db(at)
        if kind == "meeting.updated" and _audience_only(payload):
            continue
        if kind == "meeting.updated":
            found[mid] = Publication(p.published_at, at if p.published_at else None, p.cancelled_at)
        elif payload.get("to") == "scheduled":
            found[mid] = Publication(at, None, p.cancelled_at)
        elif payload.get("to") == "draft":
            found[mid] = Publication(None, None, p.cancelled_at)
        elif payload.get("to") == "cancelled":
            found[mid] = Publication(p.published_at, p.changed_at, at)
    return found
