"""Named reads shared by commands, HTTP and WebSocket handlers (one place for each query)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from meetings.clock import from_db, to_local
from meetings.errors import Clash, NotFound
from meetings.lifecycle import HOLDS_RESOURCES
from meetings.models import BridgePoint, Meeting, MeetingBridgePoint, MeetingParticipant, Person, Unit
from meetings.permissions import MeetingAccess, MeetingRole
from meetings.schedule import Booking, BookingIndex
from meetings.schemas import MeetingOut, ParticipantOut, ScopeIn
from meetings.scope import BridgePointRef
from meetings.units import Level, UnitNode, UnitTree


def unit_tree(session: Session) -> UnitTree:
    rows = session.exec(select(Unit.id, Unit.parent_id, Unit.level)).all()
    return UnitTree(UnitNode(uid, parent, Level(level)) for uid, parent, level in rows if uid is not None)


def bridge_point_refs(session: Session) -> list[BridgePointRef]:
    rows = session.exec(select(BridgePoint.id, BridgePoint.unit_id)).all()
    return [BridgePointRef(bp_id, unit_id) for bp_id, unit_id in rows if bp_id is not None]


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} does not exist", "no_such_meeting", meeting=meeting_id)
    return meeting


def participants(session: Session, meeting_id: int) -> list[tuple[MeetingParticipant, Person]]:
    query = (
        select(MeetingParticipant, Person)
        .join(Person, col(Person.id) == MeetingParticipant.person_id)
        .where(MeetingParticipant.meeting_id == meeting_id)
        .order_by(col(MeetingParticipant.id))
    )
    return [(p, person) for p, person in session.exec(query).all()]


def meeting_bridge_point_ids(session: Session, meeting_id: int) -> list[int]:
    query = select(MeetingBridgePoint.bridge_point_id).where(MeetingBridgePoint.meeting_id == meeting_id)
    return sorted(session.exec(query).all())


def meeting_access(session: Session, meeting: Meeting) -> MeetingAccess:
    assert meeting.id is not None
    roles = {p.person_id: MeetingRole(p.role) for p, _ in participants(session, meeting.id)}
    operators = session.exec(
        select(BridgePoint.operator_id)
        .join(MeetingBridgePoint, col(MeetingBridgePoint.bridge_point_id) == BridgePoint.id)
        .where(MeetingBridgePoint.meeting_id == meeting.id, col(BridgePoint.operator_id).is_not(None))
    ).all()
    return MeetingAccess(meeting.host_unit_id, roles, frozenset(o for o in operators if o is not None))


def meeting_out(session: Session, meeting: Meeting) -> MeetingOut:
    assert meeting.id is not None
    people = [
        ParticipantOut(person_id=p.person_id, role=MeetingRole(p.role), full_name=person.full_name)
        for p, person in participants(session, meeting.id)
    ]
    return MeetingOut(
        id=meeting.id,
        title=meeting.title,
        body=meeting.body,
        description=meeting.description,
        host_unit_id=meeting.host_unit_id,
        start=to_local(meeting.start_at),
        end=to_local(meeting.end_at),
        start_utc=from_db(meeting.start_at),
        end_utc=from_db(meeting.end_at),
        status=meeting.status,
        scope=ScopeIn.model_validate(meeting.scope),
        bridge_point_ids=meeting_bridge_point_ids(session, meeting.id),
        participants=people,
        series_id=meeting.series_id,
        detached=meeting.detached,
        version=meeting.version,
        last_seq=meeting.last_seq,
    )


def bookings_between(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    bridge_point_ids: Iterable[int],
    person_ids: Iterable[int],
    exclude_meeting_id: int | None = None,
) -> list[Booking]:
    """Bookings (of meetings that hold resources) touching [start, end) on any of the given resources."""
    bp_ids, person_set = set(bridge_point_ids), set(person_ids)
    query = select(Meeting).where(
        col(Meeting.start_at) < end,
        col(Meeting.end_at) > start,
        col(Meeting.status).in_(list(HOLDS_RESOURCES)),
    )
    if exclude_meeting_id is not None:
        query = query.where(Meeting.id != exclude_meeting_id)
    meetings = {m.id: m for m in session.exec(query).all() if m.id is not None}
    if not meetings:
        return []
    bps: dict[int, set[int]] = {mid: set() for mid in meetings}
    people: dict[int, set[int]] = {mid: set() for mid in meetings}
    ids = list(meetings)
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for mid, bp in session.exec(
            select(MeetingBridgePoint.meeting_id, MeetingBridgePoint.bridge_point_id).where(
                col(MeetingBridgePoint.meeting_id).in_(chunk)
            )
        ).all():
            if bp in bp_ids:
                bps[mid].add(bp)
        for mid, pid in session.exec(
            select(MeetingParticipant.meeting_id, MeetingParticipant.person_id).where(
                col(MeetingParticipant.meeting_id).in_(chunk)
            )
        ).all():
            if pid in person_set:
                people[mid].add(pid)
    return [
        Booking(mid, from_db(m.start_at), from_db(m.end_at), frozenset(bps[mid]), frozenset(people[mid]))
        for mid, m in meetings.items()
        if bps[mid] or people[mid]
    ]


def clashes(session: Session, candidate: Booking, buffer: timedelta) -> list[Clash]:
    """Every double-booking the candidate would make, with the other meeting's title."""
    start, end = candidate.start - buffer, candidate.end + buffer
    others = bookings_between(
        session,
        start,
        end,
        bridge_point_ids=candidate.bridge_point_ids,
        person_ids=candidate.person_ids,
        exclude_meeting_id=candidate.meeting_id,
    )
    found = BookingIndex(others).conflicts(candidate, buffer)
    titles = {
        m.id: m.title
        for m in session.exec(select(Meeting).where(col(Meeting.id).in_({c.meeting_id for c in found})))
    }
    return [Clash(c.kind, c.id, c.meeting_id, {"meeting_title": titles.get(c.meeting_id)}) for c in found]
