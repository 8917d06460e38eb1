"""The live session's edge: load the state from the log, run a command in one transaction, and say what
to publish. Shared by the WebSocket and the HTTP command route, so both apply the same rules."""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from meetings import eventlog, live_schema, queries
from meetings.db import reading, transaction
from meetings.live import Who, decide
from meetings.live_state import LiveState, apply
from meetings.models import BridgePoint, Meeting, MeetingEvent, MeetingParticipant, SecretBallot
from meetings.permissions import Actor, MeetingRole, manages_unit, meeting_role, require_view_meeting

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


class LiveService:
    """Keeps a folded state per meeting (a cache: the log is the truth) and runs commands."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[int, LiveState] = {}
        self._lock = threading.Lock()

    def _state(self, session: Session, meeting: Meeting) -> LiveState:
        assert meeting.id is not None
        with self._lock:
            cached = self._cache.get(meeting.id)
            state = copy.deepcopy(cached) if cached else LiveState(meeting.id)
        if state.seq > meeting.last_seq:  # the database went back (restored): start over
            state = LiveState(meeting.id)
        for ev in eventlog.events_since(session, meeting.id, state.seq, limit=1_000_000):
            apply(state, ev.seq, ev.kind, ev.payload, ev.at.isoformat())
        state.body = meeting.body
        state.status = meeting.status
        members = select(MeetingParticipant.person_id, MeetingParticipant.role).where(
            MeetingParticipant.meeting_id == meeting.id
        )  # two columns, not the participant and person rows: this runs on every command
        state.members = {person_id: MeetingRole(role) for person_id, role in session.exec(members).all()}
        state.bridge_points = frozenset(queries.meeting_bridge_point_ids(session, meeting.id))
        self._remember(state)
        return state

    def _remember(self, state: LiveState) -> None:
        with self._lock:
            cached = self._cache.get(state.meeting_id)
            if cached is None or cached.seq < state.seq:
                self._cache[state.meeting_id] = copy.deepcopy(state)

    def who(self, session: Session, actor: Actor, meeting: Meeting) -> Who:
        access = queries.meeting_access(session, meeting)
        tree = queries.unit_tree(session)
        require_view_meeting(actor, access, tree)
        role = meeting_role(actor, access)
        operated: frozenset[int] = frozenset()
        if actor.person_id is not None:
            query = select(BridgePoint.id).where(BridgePoint.operator_id == actor.person_id)
            operated = frozenset(bp for bp in session.exec(query).all() if bp is not None)
        runner = role in RUNNER_ROLES or manages_unit(actor, meeting.host_unit_id, tree)
        return Who(actor.person_id, role, runner, operated)

    def snapshot(self, actor: Actor, meeting_id: int) -> LiveState:
        with reading(self.engine) as session:
            meeting = queries.get_meeting(session, meeting_id)
            self.who(session, actor, meeting)
            return self._state(session, meeting)

    def execute(self, actor: Actor, meeting_id: int, cmd: Any, now: datetime) -> Outcome:
        key = f"{actor.user_id}:{cmd.id}"
        with transaction(self.engine) as session:
            meeting = eventlog.lock_meeting(session, meeting_id)
            seen = session.exec(
                select(MeetingEvent.seq).where(
                    MeetingEvent.meeting_id == meeting_id, MeetingEvent.idempotency_key == key
                )
            ).first()
            if seen is not None:
                return Outcome(seen, True, None)
            who = self.who(session, actor, meeting)
            state = self._state(session, meeting)
            tally = self._secret_tally(session, meeting_id, cmd, state)
            kind, payload = decide(state, cmd, who, now.isoformat(), tally)
            if kind == "poll.ballot" and payload["choice"] is None:
                session.add(
                    SecretBallot(
                        id=secrets.token_hex(16),
                        meeting_id=meeting_id,
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
            apply(state, event.seq, kind, event.payload, now.isoformat())
        self._remember(state)
        return Outcome(event.seq, False, event)

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
