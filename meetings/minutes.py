"""The minutes (biên bản) of a meeting, composed from its event log (pure: plain data in, plain data out).

Attendance, the agenda items taken up and when, who spoke and for how long, every poll and its result, and
the conclusions. ``docs_store.minutes_pdf`` typesets it; nothing here reads a clock or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from meetings.clock import LOCAL_TZ
from meetings.live_state import LiveState, apply
from meetings.permissions import MeetingRole

ROLE_VI = {
    "chair": "Chủ trì",
    "secretary": "Thư ký",
    "delegate": "Đại biểu",
    "guest": "Khách mời",
    "operator": "Kỹ thuật",
}
OPTION_VI = {"for": "Tán thành", "against": "Không tán thành", "abstain": "Không biểu quyết"}


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    payload: dict[str, Any]
    at: datetime  # aware


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    title: str
    role: str


@dataclass
class Minutes:
    title: str
    body: str
    host: str
    scheduled: str
    started: str | None
    ended: str | None
    bridge_points: int
    present: list[Person] = field(default_factory=list)
    absent: list[Person] = field(default_factory=list)
    quorum: dict[str, Any] = field(default_factory=dict)
    headcount: int = 0
    items: list[tuple[str, str]] = field(default_factory=list)  # (time, title)
    speeches: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # (start, speaker, topic, duration)
    polls: list[dict[str, Any]] = field(default_factory=list)
    conclusions: list[tuple[str, str]] = field(default_factory=list)  # (time, text)
    last_seq: int = 0
    chain_head: str = ""


def _clock(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%H:%M")


def _stamp(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%H:%M ngày %d/%m/%Y")


def compose(
    meeting: dict[str, Any],
    people: list[Person],
    bridge_point_names: dict[int, str],
    events: list[Event],
    chain_head: str,
) -> Minutes:
    """``meeting``: title, body, host, start (aware), bridge_points (count)."""
    state = LiveState(0, body=meeting["body"], members={p.id: MeetingRole(p.role) for p in people})
    minutes = Minutes(
        meeting["title"],
        meeting["body"],
        meeting["host"],
        _stamp(meeting["start"]),
        None,
        None,
        meeting["bridge_points"],
        chain_head=chain_head,
    )
    names = {p.id: p.name for p in people}
    floor: tuple[datetime, str, str] | None = None
    for ev in events:
        apply(state, ev.seq, ev.kind, ev.payload, ev.at.isoformat())
        p = ev.payload
        if ev.kind == "meeting.status_changed" and p.get("to") == "live":
            minutes.started = _stamp(ev.at)
        elif ev.kind == "meeting.status_changed" and p.get("to") == "ended":
            minutes.ended = _stamp(ev.at)
            _close_speech(minutes, floor, ev.at)
            floor = None
        elif ev.kind == "live.item" and p.get("title"):
            minutes.items.append((_clock(ev.at), p["title"]))
        elif ev.kind == "live.floor_granted":
            _close_speech(minutes, floor, ev.at)
            who = (
                names.get(p["person_id"])
                if p.get("person_id")
                else bridge_point_names.get(p["bridge_point_id"])
            )
            topic = next((s.topic for s in state.speakers if s.id == p["request_id"]), "")
            floor = (ev.at, who or "—", topic)
        elif ev.kind == "live.floor_ended":
            _close_speech(minutes, floor, ev.at)
            floor = None
        elif ev.kind == "poll.closed":
            poll = state.polls[p["poll_id"]]
            minutes.polls.append(
                {"question": poll.question, "secret": poll.secret, "rule": poll.rule, **p["result"]}
            )
        elif ev.kind == "live.conclusion":
            minutes.conclusions.append((_clock(ev.at), p["text"]))
    minutes.present = [p for p in people if p.id in state.checked_in]
    minutes.absent = [p for p in people if p.id not in state.checked_in and p.role in {"chair", "delegate"}]
    minutes.quorum = state.quorum()
    minutes.headcount = sum(state.headcounts.values())
    minutes.last_seq = state.seq
    return minutes


def _close_speech(minutes: Minutes, floor: tuple[datetime, str, str] | None, at: datetime) -> None:
    if floor is not None:
        start, who, topic = floor
        seconds = int((at - start).total_seconds())
        minutes.speeches.append((_clock(start), who, topic, f"{seconds // 60} phút {seconds % 60:02d} giây"))
