"""The live session's edge: load the state from the log, run a command in one transaction, and say what
to publish. Shared by the WebSocket and the HTTP command route, so both apply the same rules."""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func
from sqlmodel import Session, col, select

from meetings import eventlog, live_schema, queries
from meetings.db import reading, transaction
from meetings.live import Who, decide
from meetings.live_state import LiveState, apply
from meetings.models import (
    BridgePoint,
    Meeting,
    MeetingBridgePoint,
    MeetingEvent,
    MeetingParticipant,
    SecretBallot,
)
from meetings.permissions import (
    Actor,
    MeetingAccess,
    MeetingRole,
    Role,
    manages_unit,
    meeting_role,
    require_view_meeting,
)
from meetings.units import UnitTree

RUNNER_ROLES = frozenset({MeetingRole.chair, MeetingRole.secretary})


@dataclass(frozen=True)
class Outcome:
    seq: int
    duplicate: bool
    event: MeetingEvent | None  # the new event to publish (None for a duplicate)


def event_message(event: MeetingEvent) -> dict[str, Any]:
    return live_schema.EventMsg(
        seq=event.seq,
        kind=event.kind,
        payload=event.payload,
        at=event.at.isoformat(),
        actor_id=event.actor_id,
    ).model_dump(mode="json")


@dataclass(frozen=True)
class MeetingPeople:
    """Who is who in one meeting, for one caller, read afresh for every command in three column queries."""

    access: MeetingAccess
    bridge_points: frozenset[int]
    operated: frozenset[int]  # bridge points the caller operates (in any meeting)


# Built once (a command runs them all): only the parameters change.
_SEEN = select(MeetingEvent.seq).where(
    MeetingEvent.meeting_id == bindparam("meeting_id"), MeetingEvent.idempotency_key == bindparam("key")
)
_ROLES = select(MeetingParticipant.person_id, MeetingParticipant.role).where(
    MeetingParticipant.meeting_id == bindparam("meeting_id")
)
_POINTS = (
    select(MeetingBridgePoint.bridge_point_id, BridgePoint.operator_id)
    .join(BridgePoint, col(BridgePoint.id) == MeetingBridgePoint.bridge_point_id)
    .where(MeetingBridgePoint.meeting_id == bindparam("meeting_id"))
)
_OPERATED = select(BridgePoint.id).where(BridgePoint.operator_id == bindparam("person_id"))


def meeting_people(session: Session, meeting: Meeting, actor: Actor) -> MeetingPeople:
    at = {"meeting_id": meeting.id}
    points = session.exec(_POINTS, params=at).all()
    operated: frozenset[int] = frozenset()
    if actor.person_id is not None:
        mine = session.exec(_OPERATED, params={"person_id": actor.person_id}).all()
        operated = frozenset(bp for bp in mine if bp is not None)
    access = MeetingAccess(
        meeting.host_unit_id,
        {person_id: MeetingRole(role) for person_id, role in session.exec(_ROLES, params=at).all()},
        frozenset(operator for _, operator in points if operator is not None),
    )
    return MeetingPeople(access, frozenset(bp for bp, _ in points), operated)


class LiveService:
    """Keeps a folded state per meeting (a cache: the log is the truth) and runs commands.

    A command takes its meeting's state out of the cache without copying it (the meeting is locked, so no
    other command of that meeting runs meanwhile), folds in any event it has not seen, decides, commits,
    folds its own event and puts the state back. A snapshot works on a copy."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[int, LiveState] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _state(
        session: Session, meeting: Meeting, people: MeetingPeople, cached: LiveState | None
    ) -> LiveState:
        assert meeting.id is not None
        state = cached or LiveState(meeting.id)
        if state.seq > meeting.last_seq:  # the database went back (restored): start over
            state = LiveState(meeting.id)
        if state.seq < meeting.last_seq:
            for ev in eventlog.events_since(session, meeting.id, state.seq, limit=1_000_000):
                apply(state, ev.seq, ev.kind, ev.payload, ev.at.isoformat())
        state.body = meeting.body
        state.status = meeting.status
        state.members = dict(people.access.roles_by_person)
        state.bridge_points = people.bridge_points
        return state

    def _take(self, meeting_id: int) -> LiveState | None:
        with self._lock:
            return self._cache.pop(meeting_id, None)

    def _copy(self, meeting_id: int) -> LiveState | None:
        with self._lock:
            cached = self._cache.get(meeting_id)
            return copy.deepcopy(cached) if cached is not None else None

    def _remember(self, state: LiveState | None) -> None:
        """Cache ``state``, which its caller no longer touches, unless the cache holds a newer one."""
        if state is None:
            return
        with self._lock:
            cached = self._cache.get(state.meeting_id)
            if cached is None or cached.seq < state.seq:
                self._cache[state.meeting_id] = state

    def who(self, session: Session, actor: Actor, meeting: Meeting) -> Who:
        return self._who(session, actor, meeting, meeting_people(session, meeting, actor))

    @staticmethod
    def _who(session: Session, actor: Actor, meeting: Meeting, people: MeetingPeople) -> Who:
        # Of all callers only a secretary's rights depend on the unit hierarchy (``manages_unit``).
        tree = queries.unit_tree(session) if actor.role is Role.secretary else UnitTree(())
        require_view_meeting(actor, people.access, tree)
        role = meeting_role(actor, people.access)
        runner = role in RUNNER_ROLES or manages_unit(actor, meeting.host_unit_id, tree)
        return Who(actor.person_id, role, runner, people.operated)

    def snapshot(self, actor: Actor, meeting_id: int) -> LiveState:
        with reading(self.engine) as session:
            meeting = queries.get_meeting(session, meeting_id)
            people = meeting_people(session, meeting, actor)
            self._who(session, actor, meeting, people)
            state = self._state(session, meeting, people, self._copy(meeting_id))
        self._remember(copy.deepcopy(state))
        return state

    def execute(self, actor: Actor, meeting_id: int, cmd: Any, now: datetime) -> Outcome:
        key = f"{actor.user_id}:{cmd.id}"
        state: LiveState | None = None
        try:
            with transaction(self.engine) as session:
                meeting = eventlog.lock_meeting(session, meeting_id)
                seen = session.exec(_SEEN, params={"meeting_id": meeting_id, "key": key}).first()
                if seen is not None:
                    return Outcome(seen, True, None)
                people = meeting_people(session, meeting, actor)
                who = self._who(session, actor, meeting, people)
                state = self._state(session, meeting, people, self._take(meeting_id))
                tally = self._secret_tally(session, meeting_id, cmd, state)
                kind, payload = decide(state, cmd, who, now.isoformat(), tally)
                event = self._record(session, meeting, actor, cmd, kind, payload, now, key)
        except BaseException:
            self._remember(state)  # as folded from the log (``decide`` changes nothing)
            raise
        assert state is not None
        apply(state, event.seq, kind, event.payload, now.isoformat())  # committed
        self._remember(state)
        return Outcome(event.seq, False, event)

    @staticmethod
    def _record(
        session: Session,
        meeting: Meeting,
        actor: Actor,
        cmd: Any,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        key: str,
    ) -> MeetingEvent:
        assert meeting.id is not None
        if kind == "poll.ballot" and payload["choice"] is None:
            session.add(
                SecretBallot(
                    id=secrets.token_hex(16),
                    meeting_id=meeting.id,
                    poll_id=payload["poll_id"],
                    choice=cmd.choice,
                )
            )
        if kind == "meeting.status_changed":
            meeting.status = payload["to"]
            meeting.version += 1
            meeting.updated_at = now
        event = eventlog.append(
            session, meeting, kind, payload, actor_id=actor.user_id, at=now, idempotency_key=key
        )
        session.flush()
        return event

    @staticmethod
    def _secret_tally(session: Session, meeting_id: int, cmd: Any, state: LiveState) -> dict[str, int] | None:
        if not isinstance(cmd, live_schema.PollClose):
            return None
        poll = state.polls.get(cmd.poll_id)
        if poll is None or not poll.secret:
            return None
        rows = session.exec(
            select(SecretBallot.choice, func.count())
            .where(SecretBallot.meeting_id == meeting_id, SecretBallot.poll_id == cmd.poll_id)
            .group_by(col(SecretBallot.choice))
        ).all()
        return {**dict.fromkeys(poll.options, 0), **{choice: int(n) for choice, n in rows}}
