"""Notifications: recorded per person, delivered in-app (the user's bus channel ``user:{id}``) and by e-mail
(SMTP), each delivery with its state (pending → sent, or failed after its last attempt).

Creating a notification only writes rows, in the caller's transaction: nothing is sent before the change
that caused it commits, and no request waits for a mail server. ``deliver_due`` sends what is due:
it claims deliveries (moving their next attempt a lease ahead, so a second sender skips them), sends
outside any transaction, then records each outcome; a failed e-mail is retried with exponential back-off
(``reminders.retry_delay``) and is ``failed`` after ``max_attempts`` or on a permanent (5xx) refusal.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from meetings.auth import token_digest
from meetings.clock import from_db
from meetings.db import transaction
from meetings.errors import NotFound
from meetings.ical import CalendarEvent, render_calendar
from meetings.models import (
    BridgePoint,
    Meeting,
    MeetingBridgePoint,
    MeetingEvent,
    MeetingParticipant,
    Person,
    Unit,
    User,
)
from meetings.models_jobs import CalendarToken, Notification, NotificationDelivery
from meetings.reminders import retry_delay

log = logging.getLogger(__name__)

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


# ---- delivering ----


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    channel: str
    address: str
    attempts: int
    message: NotificationOut


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class _Permanent(Exception):
    """A refusal that retrying will not change (5xx)."""


def deliver_due(
    engine: Engine,
    now: datetime,
    *,
    publish: Publish | None,
    smtp: SmtpSettings,
    channels: tuple[str, ...] = (IN_APP, EMAIL),
    limit: int = 500,
    lease: timedelta = timedelta(minutes=5),
) -> DeliveryReport:
    """Send every due delivery of ``channels`` once; record sent / retry later / failed."""
    usable = tuple(c for c in channels if (c != IN_APP or publish) and (c != EMAIL or smtp.host))
    claimed = _claim(engine, now, usable, limit, lease) if usable else []
    if not claimed:
        return DeliveryReport()
    outcomes: dict[int, str | None] = {}
    permanent: set[int] = set()
    for item in (c for c in claimed if c.channel == IN_APP):
        assert publish is not None
        try:
            publish(item.address, item.message.model_dump(mode="json", exclude={"deliveries"}))
            outcomes[item.delivery_id] = None
        except RuntimeError as exc:  # the bus is not running
            outcomes[item.delivery_id] = f"bus: {exc}"
    mails = [c for c in claimed if c.channel == EMAIL]
    if mails:
        outcomes.update(_send_mails(smtp, mails, now, permanent))
    return _settle(engine, now, claimed, outcomes, permanent, smtp.max_attempts)


def _claim(
    engine: Engine, now: datetime, channels: tuple[str, ...], limit: int, lease: timedelta
) -> list[_Claimed]:
    with transaction(engine) as s:
        rows = s.exec(
            select(NotificationDelivery, Notification)
            .join(Notification, col(Notification.id) == NotificationDelivery.notification_id)
            .where(
                NotificationDelivery.status == "pending",
                col(NotificationDelivery.next_attempt_at) <= now,
                col(NotificationDelivery.channel).in_(channels),
            )
            .order_by(col(NotificationDelivery.id))
            .limit(limit)
            .with_for_update(of=NotificationDelivery, skip_locked=True)
        ).all()
        claimed = []
        for d, n in rows:
            assert d.id is not None
            d.attempts += 1
            d.next_attempt_at = now + lease
            s.add(d)
            claimed.append(_Claimed(d.id, d.channel, d.address, d.attempts, notification_out(n)))
        return claimed


def _send_mails(
    smtp: SmtpSettings, mails: list[_Claimed], now: datetime, permanent: set[int]
) -> dict[int, str | None]:
    assert smtp.host is not None
    outcomes: dict[int, str | None] = {}
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as conn:
            for item in mails:
                outcomes[item.delivery_id] = _send_one(conn, smtp, item, now, permanent)
    except (OSError, smtplib.SMTPException) as exc:  # the server is unreachable or hung up
        for item in mails:
            outcomes.setdefault(item.delivery_id, f"smtp {smtp.host}:{smtp.port}: {exc}")
    return outcomes


def _send_one(
    conn: smtplib.SMTP, smtp: SmtpSettings, item: _Claimed, now: datetime, permanent: set[int]
) -> str | None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, item.address, item.message.title
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(f"n{item.message.id}")
    msg.set_content(item.message.body or item.message.title)
    try:
        conn.send_message(msg)
        return None
    except smtplib.SMTPRecipientsRefused as exc:
        permanent.add(item.delivery_id)
        return f"refused: {exc.recipients}"
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            permanent.add(item.delivery_id)
        return f"smtp {exc.smtp_code}: {exc.smtp_error!r}"


def _settle(
    engine: Engine,
    now: datetime,
    claimed: list[_Claimed],
    outcomes: dict[int, str | None],
    permanent: set[int],
    max_attempts: int,
) -> DeliveryReport:
    sent = retrying = failed = 0
    with transaction(engine) as s:
        for item in claimed:
            d = s.get(NotificationDelivery, item.delivery_id)
            if d is None:
                continue
            error = outcomes.get(item.delivery_id, "not attempted")
            if error is None:
                d.status, d.sent_at, d.last_error = "sent", now, ""
                sent += 1
            elif item.delivery_id in permanent or item.attempts >= max_attempts:
                d.status, d.last_error = "failed", error[:1000]
                failed += 1
                log.warning("delivery %s to %s failed for good: %s", d.id, d.address, error)
            else:
                d.next_attempt_at, d.last_error = now + retry_delay(item.attempts), error[:1000]
                retrying += 1
            s.add(d)
    return DeliveryReport(sent, retrying, failed)


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


@dataclass(frozen=True)
class Publication:
    published_at: datetime | None = None  # the last move to 'scheduled'
    changed_at: datetime | None = None  # the last edit after it
    cancelled_at: datetime | None = None


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
        if kind == "meeting.updated":
            found[mid] = Publication(p.published_at, at if p.published_at else None, p.cancelled_at)
        elif payload.get("to") == "scheduled":
            found[mid] = Publication(at, None, p.cancelled_at)
        elif payload.get("to") == "draft":
            found[mid] = Publication(None, None, p.cancelled_at)
        elif payload.get("to") == "cancelled":
            found[mid] = Publication(p.published_at, p.changed_at, at)
    return found


# ---- the calendar feed ----

FEED_PAST = timedelta(days=180)


def issue_calendar_token(session: Session, user_id: int, now: datetime) -> str:
    """A new secret feed token for the user; the previous one stops working."""
    token = secrets.token_urlsafe(24)
    row = session.get(CalendarToken, user_id) or CalendarToken(user_id=user_id, token_hash="", created_at=now)
    row.token_hash, row.created_at = token_digest(token), now
    session.add(row)
    return token


def calendar_owner(session: Session, token: str) -> User:
    row = session.exec(select(CalendarToken).where(CalendarToken.token_hash == token_digest(token))).first()
    user = session.get(User, row.user_id) if row is not None else None
    if user is None or not user.active:
        raise NotFound("no calendar at this address (the link may have been replaced by a new one)")
    return user


def _feed_meetings(session: Session, user: User, since: datetime) -> list[Meeting]:
    ids: set[int] = set()
    if user.person_id is not None:
        ids |= set(
            session.exec(
                select(MeetingParticipant.meeting_id).where(MeetingParticipant.person_id == user.person_id)
            ).all()
        )
        ids |= set(
            session.exec(
                select(MeetingBridgePoint.meeting_id)
                .join(BridgePoint, col(BridgePoint.id) == MeetingBridgePoint.bridge_point_id)
                .where(BridgePoint.operator_id == user.person_id)
            ).all()
        )
    query = select(Meeting).where(col(Meeting.end_at) >= since, Meeting.status != "draft")
    if ids:
        query = query.where((col(Meeting.id).in_(ids)) | (Meeting.created_by_id == user.id))
    else:
        query = query.where(Meeting.created_by_id == user.id)
    return list(session.exec(query.order_by(col(Meeting.start_at), col(Meeting.id))).all())


def calendar_feed(session: Session, user: User, now: datetime) -> str:
    """The user's meetings (taking part, operating a bridge point, or organised by them) as iCalendar;
    a cancelled meeting stays in the feed as STATUS:CANCELLED if it had been announced."""
    meetings = _feed_meetings(session, user, now - FEED_PAST)
    cancelled = publications(session, [m.id for m in meetings if m.status == "cancelled" and m.id])
    unit_ids = {m.host_unit_id for m in meetings}
    units = {u.id: u.name for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))).all()}
    events = []
    for m in meetings:
        if m.status == "cancelled" and cancelled[m.id or 0].published_at is None:
            continue
        events.append(
            CalendarEvent(
                uid=f"meeting-{m.id}@cauhop",
                sequence=m.version,
                start=from_db(m.start_at),
                end=from_db(m.end_at),
                summary=m.title,
                description="\n".join(t for t in (m.body, m.description) if t),
                location=units.get(m.host_unit_id, ""),
                status="CANCELLED" if m.status == "cancelled" else "CONFIRMED",
                last_modified=from_db(m.updated_at),
            )
        )
    person = session.get(Person, user.person_id) if user.person_id is not None else None
    return render_calendar(f"Lịch họp – {person.full_name if person else user.username}", events, now)
