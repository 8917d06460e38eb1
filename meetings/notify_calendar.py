"""The iCalendar feed of a user's meetings (``/api/calendar/{token}.ics``) and its secret token."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from meetings.auth import token_digest
from meetings.clock import from_db
from meetings.errors import NotFound
from meetings.ical import CalendarEvent, render_calendar
from meetings.models import BridgePoint, Meeting, MeetingBridgePoint, MeetingParticipant, Person, Unit, User
from meetings.models_jobs import CalendarToken
from meetings.notify import publications

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
