"""The per-meeting event log: every change is appended here, in the same transaction as the change.

Each event gets the meeting's next sequence number and a link in the meeting's hash chain:
``hash = sha256(prev_hash + canonical JSON of the event)``. The meeting row carries ``last_seq`` and
``last_hash``; it is locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) while appending,
so sequence numbers have no gaps and no duplicates under concurrent writers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from meetings.errors import NotFound
from meetings.models import Meeting, MeetingEvent

GENESIS = "0" * 64
APPENDED = "cauhop_appended_events"


def lock_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} does not exist", "no_such_meeting", meeting=meeting_id)
    return meeting


def event_hash(
    prev_hash: str,
    meeting_id: int,
    seq: int,
    kind: str,
    payload: dict[str, Any],
    actor_id: int | None,
    at: datetime,
) -> str:
    body = json.dumps(
        {
            "meeting_id": meeting_id,
            "seq": seq,
            "kind": kind,
            "payload": payload,
            "actor_id": actor_id,
            "at": at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(
    session: Session,
    meeting: Meeting,
    kind: str,
    payload: dict[str, Any],
    *,
    actor_id: int | None,
    at: datetime,
    idempotency_key: str | None = None,
) -> MeetingEvent:
    """Append one event to a meeting locked by ``lock_meeting`` (or created in this transaction)."""
    if meeting.id is None:
        session.flush()
    assert meeting.id is not None
    seq = meeting.last_seq + 1
    prev = meeting.last_hash or GENESIS
    payload = json.loads(json.dumps(payload, default=str))  # what is hashed is exactly what is stored
    digest = event_hash(prev, meeting.id, seq, kind, payload, actor_id, at)
    event = MeetingEvent(
        meeting_id=meeting.id,
        seq=seq,
        kind=kind,
        payload=payload,
        actor_id=actor_id,
        idempotency_key=idempotency_key,
        at=at,
        prev_hash=prev,
        hash=digest,
    )
    meeting.last_seq, meeting.last_hash = seq, digest
    session.add(meeting)
    session.add(event)
    session.info.setdefault(APPENDED, []).append(event)
    return event


def appended(session: Session) -> list[MeetingEvent]:
    """The events this session appended (to publish once it has committed)."""
    return list(session.info.get(APPENDED, []))


def events_since(session: Session, meeting_id: int, since: int = 0, limit: int = 1000) -> list[MeetingEvent]:
    query = (
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > since)
        .order_by(col(MeetingEvent.seq))
        .limit(limit)
    )
    return list(session.exec(query))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify_chain(events: list[MeetingEvent]) -> ChainReport:
    """Recompute the chain; name the first event whose link does not hold."""
    prev, expected_seq = GENESIS, 1
    for ev in events:
        if ev.seq != expected_seq:
            return ChainReport(False, len(events), expected_seq, f"event {expected_seq} is missing")
        if ev.prev_hash != prev:
            return ChainReport(
                False, len(events), ev.seq, "its previous-hash does not match the event before it"
            )
        if event_hash(prev, ev.meeting_id, ev.seq, ev.kind, ev.payload, ev.actor_id, ev.at) != ev.hash:
            return ChainReport(False, len(events), ev.seq, "its content does not match its hash")
        prev, expected_seq = ev.hash, expected_seq + 1
    return ChainReport(True, len(events))
