"""Meeting commands: validate → authorise → apply → persist (with an event in the same transaction).

Each command takes a ``Context`` (the open transaction, who acts, when) and typed input; it raises from the
one exception tree and never commits: the caller's ``transaction()`` does, so the change and its event land
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, delete, select

from meetings import eventlog, queries
from meetings.clock import from_db, to_db
from meetings.errors import FieldError, Invalid, SchedulingConflict, StaleVersion
from meetings.lifecycle import HOLDS_RESOURCES, Status, check_editable, check_transition
from meetings.models import Meeting, MeetingBridgePoint, MeetingParticipant, Person, Unit
from meetings.permissions import (
    Actor,
    MeetingAccess,
    require_create_meeting,
    require_edit_meeting,
    require_run_meeting,
    require_view_meeting,
)
from meetings.schedule import Booking
from meetings.schemas import MeetingCreate, MeetingPatch, ParticipantIn, ScopeIn
from meetings.scope import Scope, resolve
from meetings.units import UnitTree

SCHEDULE_LOCK_KEY = 0x43415548  # "CAUH": the advisory lock that serialises booking checks


@dataclass(frozen=True)
class Context:
    session: Session
    actor: Actor | None  # None for the system itself (jobs, imports)
    now: datetime  # aware UTC
    buffer: timedelta = timedelta(minutes=15)

    @property
    def actor_id(self) -> int | None:
        return self.actor.user_id if self.actor else None


def _scope_of(data: ScopeIn) -> Scope:
    return Scope.from_json(data.model_dump(mode="json"))


def _check_host(session: Session, host_unit_id: int) -> None:
    if session.get(Unit, host_unit_id) is None:
        raise Invalid("unknown host unit", [FieldError(("host_unit_id",), f"unknown unit {host_unit_id}")])


def _check_participants(session: Session, people: list[ParticipantIn]) -> None:
    ids = [p.person_id for p in people]
    known = set(session.exec(select(Person.id).where(col(Person.id).in_(ids))).all()) if ids else set()
    errors, seen = [], set()
    for i, pid in enumerate(ids):
        if pid not in known:
            errors.append(FieldError(("participants", i, "person_id"), f"unknown person {pid}"))
        elif pid in seen:
            errors.append(FieldError(("participants", i, "person_id"), f"person {pid} is listed twice"))
        seen.add(pid)
    if errors:
        raise Invalid("the participants list is not valid", errors)


def _lock_schedule(session: Session) -> None:
    """Serialise booking checks: two concurrent requests must not both see a slot free and both take it.
    SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=SCHEDULE_LOCK_KEY))  # type: ignore[call-overload]


def _check_free(
    ctx: Context,
    meeting_id: int | None,
    start: datetime,
    end: datetime,
    bp_ids: list[int],
    person_ids: list[int],
) -> None:
    _lock_schedule(ctx.session)
    candidate = Booking(
        meeting_id or 0, from_db(start), from_db(end), frozenset(bp_ids), frozenset(person_ids)
    )
    found = queries.clashes(ctx.session, candidate, ctx.buffer)
    if found:
        bps = sum(1 for c in found if c.kind == "bridge_point")
        buffer = int(ctx.buffer.total_seconds() // 60)
        raise SchedulingConflict(
            f"the meeting would double-book {bps} bridge point(s) and {len(found) - bps} person(s) "
            f"(set-up buffer {buffer} min)",
            found,
            "double_booked",
            rooms=bps,
            people=len(found) - bps,
            buffer=buffer,
        )


def _write_links(session: Session, meeting_id: int, bp_ids: list[int], people: list[ParticipantIn]) -> None:
    session.exec(delete(MeetingBridgePoint).where(col(MeetingBridgePoint.meeting_id) == meeting_id))
    session.exec(delete(MeetingParticipant).where(col(MeetingParticipant.meeting_id) == meeting_id))
    session.add_all(MeetingBridgePoint(meeting_id=meeting_id, bridge_point_id=b) for b in bp_ids)
    session.add_all(
        MeetingParticipant(meeting_id=meeting_id, person_id=p.person_id, role=p.role) for p in people
    )


def create_meeting(
    ctx: Context,
    data: MeetingCreate,
    *,
    series_id: int | None = None,
    occurrence_start: datetime | None = None,
) -> Meeting:
    session = ctx.session
    _check_host(session, data.host_unit_id)
    tree = queries.unit_tree(session)
    if ctx.actor is not None:
        require_create_meeting(ctx.actor, data.host_unit_id, tree)
    _check_participants(session, data.participants)
    bp_ids = resolve(_scope_of(data.scope), tree, queries.bridge_point_refs(session))
    start, end = to_db(data.start), to_db(data.end)
    _check_free(ctx, None, start, end, bp_ids, [p.person_id for p in data.participants])
    meeting = Meeting(
        title=data.title,
        body=data.body,
        description=data.description,
        host_unit_id=data.host_unit_id,
        start_at=start,
        end_at=end,
        status=Status.draft,
        scope=data.scope.model_dump(mode="json"),
        series_id=series_id,
        occurrence_start=occurrence_start,
        created_by_id=ctx.actor_id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    _write_links(session, meeting.id, bp_ids, data.participants)
    eventlog.append(
        session,
        meeting,
        "meeting.created",
        {**data.model_dump(mode="json"), "bridge_point_ids": bp_ids},
        actor_id=ctx.actor_id,
        at=ctx.now,
    )
    return meeting


Check = Callable[[Actor, MeetingAccess, UnitTree], None]


def _locked(ctx: Context, meeting_id: int, check: Check) -> tuple[Meeting, UnitTree]:
    """Lock the meeting for this transaction; the actor must see it and pass ``check``."""
    meeting = eventlog.lock_meeting(ctx.session, meeting_id)
    access = queries.meeting_access(ctx.session, meeting)
    tree = queries.unit_tree(ctx.session)
    if ctx.actor is not None:
        require_view_meeting(ctx.actor, access, tree)
        check(ctx.actor, access, tree)
    return meeting, tree


def update_meeting(ctx: Context, meeting_id: int, patch: MeetingPatch, *, detach: bool = True) -> Meeting:
    session = ctx.session
    meeting, tree = _locked(ctx, meeting_id, require_edit_meeting)
    if patch.version != meeting.version:
        raise StaleVersion(
            f"meeting {meeting_id} was changed by someone else (you edited version "
            f"{patch.version}, it is now at {meeting.version}); reload and try again",
            "changed_meanwhile",
        )
    check_editable(Status(meeting.status))
    changes = patch.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    start = to_db(patch.start) if patch.start else meeting.start_at
    end = to_db(patch.end) if patch.end else meeting.end_at
    if end <= start:
        raise Invalid(
            "end must be after start", [FieldError(("end",), "end must be after start")], "end_before_start"
        )
    scope = patch.scope if patch.scope is not None else ScopeIn.model_validate(meeting.scope)
    people = patch.participants
    if people is None:
        people = [
            ParticipantIn(person_id=p.person_id, role=p.role)
            for p, _ in queries.participants(session, meeting_id)
        ]
    _check_participants(session, people)
    bp_ids = resolve(_scope_of(scope), tree, queries.bridge_point_refs(session))
    if Status(meeting.status) in HOLDS_RESOURCES:
        _check_free(ctx, meeting_id, start, end, bp_ids, [p.person_id for p in people])
    for name in ("title", "body", "description"):
        if getattr(patch, name) is not None:
            setattr(meeting, name, getattr(patch, name))
    meeting.start_at, meeting.end_at, meeting.scope = start, end, scope.model_dump(mode="json")
    meeting.version += 1
    meeting.updated_at = ctx.now
    meeting.detached = meeting.detached or (detach and meeting.series_id is not None)
    _write_links(session, meeting_id, bp_ids, people)
    eventlog.append(
        session,
        meeting,
        "meeting.updated",
        {"changes": changes, "bridge_point_ids": bp_ids, "version": meeting.version},
        actor_id=ctx.actor_id,
        at=ctx.now,
    )
    return meeting


def transition(ctx: Context, meeting_id: int, to: Status, reason: str = "") -> Meeting:
    session = ctx.session
    check = require_run_meeting if to in {Status.live, Status.ended} else require_edit_meeting
    meeting, _ = _locked(ctx, meeting_id, check)
    current = Status(meeting.status)
    check_transition(current, to)
    meeting.status, meeting.updated_at = to, ctx.now
    meeting.version += 1
    payload: dict[str, Any] = {"from": current, "to": to, "reason": reason, "version": meeting.version}
    eventlog.append(session, meeting, "meeting.status_changed", payload, actor_id=ctx.actor_id, at=ctx.now)
    return meeting


def reresolve_scopes(ctx: Context) -> list[int]:
    """After the unit tree or the bridge points changed: re-resolve every editable meeting's scope.

    Returns the ids of meetings whose bridge points changed (each gets a ``meeting.scope_resolved`` event).
    Conflicts are not re-checked here: the tree changed under the meeting, nobody booked anything new."""
    session = ctx.session
    tree, refs = queries.unit_tree(session), queries.bridge_point_refs(session)
    known_bps = {r.id for r in refs}
    changed = []
    editable = [s.value for s in (Status.draft, Status.scheduled, Status.live)]
    for meeting in session.exec(select(Meeting).where(col(Meeting.status).in_(editable))).all():
        assert meeting.id is not None
        scope = Scope.from_json(meeting.scope)
        scope = Scope(
            frozenset(b for b in scope.bridge_point_ids if b in known_bps),
            tuple(r for r in scope.rules if r.under_unit_id in tree),
        )
        new = resolve(scope, tree, refs)
        old = queries.meeting_bridge_point_ids(session, meeting.id)
        if new == old:
            continue
        meeting = eventlog.lock_meeting(session, meeting.id)
        assert meeting.id is not None
        session.exec(delete(MeetingBridgePoint).where(col(MeetingBridgePoint.meeting_id) == meeting.id))
        session.add_all(MeetingBridgePoint(meeting_id=meeting.id, bridge_point_id=b) for b in new)
        meeting.updated_at = ctx.now  # the scheduler's reconciliation re-plans it and invites new operators
        eventlog.append(
            session,
            meeting,
            "meeting.scope_resolved",
            {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new))},
            actor_id=ctx.actor_id,
            at=ctx.now,
        )
        changed.append(meeting.id)
    return changed
