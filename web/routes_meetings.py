"""Meetings: list, create, read, edit, move through the lifecycle, suggest free slots, the event log."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from meetings import commands, eventlog, queries
from meetings.clock import LOCAL_TZ, aware, from_db, to_db
from meetings.errors import FieldError, Invalid
from meetings.lifecycle import Status
from meetings.models import Meeting, MeetingEvent
from meetings.permissions import can_view_meeting, require_view_meeting
from meetings.schedule import BookingIndex, suggest_slots
from meetings.schemas import MeetingCreate, MeetingOut, MeetingPatch, TransitionIn
from meetings.scope import Scope, ScopeRule, resolve
from meetings.units import Level
from web.endpoint import ApiRoute, Call


def _context(call: Call, session: Session) -> commands.Context:
    return commands.Context(
        session, call.user, call.now, timedelta(minutes=call.settings.setup_buffer_minutes)
    )


class MeetingQuery(BaseModel):
    from_: datetime | None = Field(default=None, alias="from", description="meetings ending after this time")
    to: datetime | None = Field(default=None, description="meetings starting before this time")
    status: Status | None = None


def list_meetings(call: Call) -> list[MeetingOut]:
    q: MeetingQuery = call.query
    query = select(Meeting).order_by(col(Meeting.start_at), col(Meeting.id))
    if q.from_ is not None:
        query = query.where(col(Meeting.end_at) > to_db(q.from_))
    if q.to is not None:
        query = query.where(col(Meeting.start_at) < to_db(q.to))
    if q.status is not None:
        query = query.where(Meeting.status == q.status)
    with call.read() as s:
        tree = queries.unit_tree(s)
        return [
            queries.meeting_out(s, m)
            for m in s.exec(query).all()
            if can_view_meeting(call.user, queries.meeting_access(s, m), tree)
        ]


def create_meeting(call: Call) -> MeetingOut:
    with call.write() as s:
        meeting = commands.create_meeting(_context(call, s), call.body)
        out = queries.meeting_out(s, meeting)
    call.request.app.state.jobs.on_meeting_changed(out.id)
    return out


def get_meeting(call: Call) -> MeetingOut:
    with call.read() as s:
        meeting = queries.get_meeting(s, call.path["meeting_id"])
        require_view_meeting(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
        return queries.meeting_out(s, meeting)


def patch_meeting(call: Call) -> MeetingOut:
    with call.write() as s:
        meeting = commands.update_meeting(_context(call, s), call.path["meeting_id"], call.body)
        out = queries.meeting_out(s, meeting)
    call.request.app.state.jobs.on_meeting_changed(out.id)
    return out


def transition_meeting(call: Call) -> MeetingOut:
    data: TransitionIn = call.body
    with call.write() as s:
        meeting = commands.transition(
            _context(call, s), call.path["meeting_id"], Status(data.to), data.reason
        )
        out = queries.meeting_out(s, meeting)
    call.request.app.state.jobs.on_meeting_changed(out.id)
    return out


class EventOut(BaseModel):
    seq: int
    kind: str
    payload: dict[str, object]
    actor_id: int | None
    at: datetime
    hash: str


class EventQuery(BaseModel):
    since: int = Field(default=0, ge=0)
    limit: int = Field(default=500, ge=1, le=1000)


def meeting_events(call: Call) -> list[EventOut]:
    q: EventQuery = call.query
    with call.read() as s:
        meeting = queries.get_meeting(s, call.path["meeting_id"])
        require_view_meeting(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
        events = eventlog.events_since(s, call.path["meeting_id"], q.since, q.limit)
        return [
            EventOut(
                seq=e.seq, kind=e.kind, payload=e.payload, actor_id=e.actor_id, at=from_db(e.at), hash=e.hash
            )
            for e in events
        ]


class VerifyOut(BaseModel):
    ok: bool
    events: int
    first_broken_seq: int | None
    reason: str | None


def verify_meeting(call: Call) -> VerifyOut:
    with call.read() as s:
        meeting = queries.get_meeting(s, call.path["meeting_id"])
        require_view_meeting(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
        events = list(
            s.exec(
                select(MeetingEvent)
                .where(MeetingEvent.meeting_id == meeting.id)
                .order_by(col(MeetingEvent.seq))
            ).all()
        )
        report = eventlog.verify_chain(events)
        return VerifyOut(
            ok=report.ok, events=report.events, first_broken_seq=report.first_broken_seq, reason=report.reason
        )


def _id_list(value: object) -> object:
    if isinstance(value, str):
        try:
            return [int(v) for v in value.split(",") if v.strip()]
        except ValueError:
            raise ValueError("must be a comma-separated list of ids") from None
    return value


class SuggestQuery(BaseModel):
    meeting_id: int | None = Field(
        default=None, description="take scope, people and length from this meeting"
    )
    bridge_point_ids: list[int] = Field(default_factory=list, description="comma-separated ids")
    person_ids: list[int] = Field(default_factory=list, description="comma-separated ids")
    under_unit_id: int | None = Field(default=None, description="add every bridge point under this unit")
    level: Level | None = Field(default=None, description="with under_unit_id: only units at this level")
    duration_minutes: int | None = Field(default=None, ge=15, le=24 * 60)
    after: datetime | None = Field(default=None, description="earliest start (default: now)")
    count: int = Field(default=5, ge=1, le=50)

    _ids = field_validator("bridge_point_ids", "person_ids", mode="before")(_id_list)


class SuggestOut(BaseModel):
    duration_minutes: int
    bridge_point_ids: list[int]
    person_ids: list[int]
    slots: list[datetime] = Field(description="start times, local Asia/Ho_Chi_Minh")


def suggest(call: Call) -> SuggestOut:
    q: SuggestQuery = call.query
    buffer = timedelta(minutes=call.settings.setup_buffer_minutes)
    with call.read() as s:
        bp_ids, person_ids, minutes = set(q.bridge_point_ids), set(q.person_ids), q.duration_minutes
        if q.meeting_id is not None:
            meeting = queries.get_meeting(s, q.meeting_id)
            require_view_meeting(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
            bp_ids |= set(queries.meeting_bridge_point_ids(s, q.meeting_id))
            person_ids |= {p.person_id for p, _ in queries.participants(s, q.meeting_id)}
            minutes = minutes or int((meeting.end_at - meeting.start_at).total_seconds() // 60)
        if q.under_unit_id is not None:
            rule = ScopeRule(q.under_unit_id, q.level)
            bp_ids |= set(resolve(Scope(rules=(rule,)), queries.unit_tree(s), queries.bridge_point_refs(s)))
        if minutes is None:
            raise Invalid(
                "say how long the meeting lasts",
                [FieldError(("query", "duration_minutes"), "required without meeting_id")],
            )
        after = from_db(to_db(q.after)) if q.after else from_db(call.now)
        horizon = timedelta(days=60)
        bookings = queries.bookings_between(
            s,
            to_db(after) - buffer,
            to_db(after + horizon) + buffer,
            bridge_point_ids=bp_ids,
            person_ids=person_ids,
            exclude_meeting_id=q.meeting_id,
        )
    slots = suggest_slots(
        BookingIndex(bookings),
        bridge_point_ids=frozenset(bp_ids),
        person_ids=frozenset(person_ids),
        duration=timedelta(minutes=minutes),
        after=after,
        count=q.count,
        buffer=buffer,
        horizon=horizon,
        exclude_meeting_id=q.meeting_id,
    )
    return SuggestOut(
        duration_minutes=minutes,
        bridge_point_ids=sorted(bp_ids),
        person_ids=sorted(person_ids),
        slots=[aware(slot).astimezone(LOCAL_TZ) for slot in slots],
    )


ROUTES = [
    ApiRoute(
        "GET",
        "/api/meetings",
        list_meetings,
        "Meetings you may see, by time window and status",
        "meetings",
        query=MeetingQuery,
        response=MeetingOut,
        many=True,
    ),
    ApiRoute(
        "POST",
        "/api/meetings",
        create_meeting,
        "Create a meeting (draft); checks double-booking",
        "meetings",
        body=MeetingCreate,
        response=MeetingOut,
        status=201,
        errors=(403, 409, 422),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/suggest",
        suggest,
        "Next free slots for a scope and its people",
        "meetings",
        query=SuggestQuery,
        response=SuggestOut,
        errors=(404, 422),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}",
        get_meeting,
        "One meeting",
        "meetings",
        response=MeetingOut,
        errors=(403, 404),
    ),
    ApiRoute(
        "PATCH",
        "/api/meetings/{meeting_id:int}",
        patch_meeting,
        "Edit a meeting (send its version)",
        "meetings",
        body=MeetingPatch,
        response=MeetingOut,
        errors=(403, 404, 409, 422),
    ),
    ApiRoute(
        "POST",
        "/api/meetings/{meeting_id:int}/transitions",
        transition_meeting,
        "Move a meeting through its lifecycle",
        "meetings",
        body=TransitionIn,
        response=MeetingOut,
        errors=(403, 404, 409, 422),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/events",
        meeting_events,
        "The meeting's event log",
        "meetings",
        query=EventQuery,
        response=EventOut,
        many=True,
        errors=(403, 404),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/verify",
        verify_meeting,
        "Recompute the event hash chain; name the first broken link",
        "meetings",
        response=VerifyOut,
        errors=(403, 404),
    ),
]
