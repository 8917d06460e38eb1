"""The live session's state and how each event changes it (pure). ``apply`` is the only writer."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from meetings.permissions import MeetingRole

MEMBER_ROLES = frozenset({MeetingRole.chair, MeetingRole.delegate})


@dataclass
class Speaker:
    id: int
    person_id: int | None
    bridge_point_id: int | None
    topic: str
    requested_at: str
    status: str = "waiting"  # waiting | speaking | done | withdrawn


@dataclass
class Poll:
    id: int
    question: str
    options: list[str]
    secret: bool
    rule: str
    changeable: bool
    item_id: int | None
    status: str = "open"
    ballots: dict[int, str | None] = field(default_factory=dict)  # person → choice (None when secret)
    result: dict[str, Any] | None = None


@dataclass
class LiveState:
    meeting_id: int
    body: str = ""
    members: dict[int, MeetingRole] = field(default_factory=dict)
    bridge_points: frozenset[int] = frozenset()
    seq: int = 0
    status: str = "draft"
    paused: bool = False
    item_id: int | None = None
    item_title: str = ""
    presenter: dict[str, Any] | None = None
    checked_in: dict[int, str] = field(default_factory=dict)
    headcounts: dict[int, int] = field(default_factory=dict)
    speakers: list[Speaker] = field(default_factory=list)
    floor: dict[str, Any] | None = None
    polls: dict[int, Poll] = field(default_factory=dict)
    conclusions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def member_ids(self) -> set[int]:
        return {p for p, r in self.members.items() if r in MEMBER_ROLES}

    def quorum(self) -> dict[str, Any]:
        members = len(self.member_ids)
        present = len(self.member_ids & set(self.checked_in))
        needed = math.ceil(members * 2 / 3) if "HĐND" in self.body else members // 2 + 1
        return {
            "members": members,
            "present": present,
            "needed": needed,
            "reached": members > 0 and present >= needed,
        }

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["members"] = {str(k): v for k, v in self.members.items()}
        data["bridge_points"] = sorted(self.bridge_points)
        data["checked_in"] = {str(k): v for k, v in self.checked_in.items()}
        data["headcounts"] = {str(k): v for k, v in self.headcounts.items()}
        data["polls"] = {str(k): _poll_json(p) for k, p in self.polls.items()}
        data["quorum"] = self.quorum()
        return data


def _poll_json(poll: Poll) -> dict[str, Any]:
    data = asdict(poll)
    data["ballots"] = {str(k): v for k, v in poll.ballots.items()}
    data["turnout"] = len(poll.ballots)
    return data


def apply(state: LiveState, seq: int, kind: str, payload: dict[str, Any], at: str) -> None:
    """Fold one logged event into the state (events of other kinds only advance ``seq``)."""
    state.seq = seq
    fold = _FOLDS.get(kind)
    if fold is not None:
        fold(state, seq, payload, at)


def _status(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.status = p["to"]
    if p["to"] != "live":
        state.paused = False
        state.floor = None


def _paused(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.paused = True


def _resumed(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.paused = False


def _item(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.item_id, state.item_title = p["item_id"], p.get("title", "")


def _presenter(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.presenter = {**p, "seq": seq}


def _checkin(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    if p["present"]:
        state.checked_in[p["person_id"]] = at
    else:
        state.checked_in.pop(p["person_id"], None)


def _headcount(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.headcounts[p["bridge_point_id"]] = p["count"]


def _requested(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.speakers.append(Speaker(seq, p["person_id"], p["bridge_point_id"], p.get("topic", ""), at))


def _speaker_status(state: LiveState, request_id: int | None, status: str) -> None:
    for s in state.speakers:
        if s.id == request_id:
            s.status = status


def _withdrawn(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    _speaker_status(state, p["request_id"], "withdrawn")


def _ordered(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    rank = {rid: i for i, rid in enumerate(p["request_ids"])}
    waiting = sorted(
        (s for s in state.speakers if s.status == "waiting"), key=lambda s: rank.get(s.id, len(rank))
    )
    state.speakers = [s for s in state.speakers if s.status != "waiting"] + waiting


def _granted(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    if state.floor is not None:
        _speaker_status(state, state.floor["request_id"], "done")
    _speaker_status(state, p["request_id"], "speaking")
    state.floor = {
        "request_id": p["request_id"],
        "person_id": p["person_id"],
        "bridge_point_id": p["bridge_point_id"],
        "granted_at": at,
        "limit_seconds": p["limit_seconds"],
    }


def _floor_ended(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    _speaker_status(state, p["request_id"], "done")
    state.floor = None


def _poll_opened(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.polls[seq] = Poll(
        seq, p["question"], list(p["options"]), p["secret"], p["rule"], p["changeable"], p.get("item_id")
    )


def _ballot(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.polls[p["poll_id"]].ballots[p["person_id"]] = p["choice"]


def _poll_closed(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    poll = state.polls[p["poll_id"]]
    poll.status, poll.result = "closed", p["result"]


def _conclusion(state: LiveState, seq: int, p: dict[str, Any], at: str) -> None:
    state.conclusions.append({"seq": seq, "item_id": p["item_id"], "text": p["text"], "at": at})


_FOLDS = {
    "meeting.status_changed": _status,
    "live.paused": _paused,
    "live.resumed": _resumed,
    "live.item": _item,
    "live.presenter": _presenter,
    "live.checkin": _checkin,
    "live.headcount": _headcount,
    "live.speak_requested": _requested,
    "live.speak_withdrawn": _withdrawn,
    "live.speak_ordered": _ordered,
    "live.floor_granted": _granted,
    "live.floor_ended": _floor_ended,
    "poll.opened": _poll_opened,
    "poll.ballot": _ballot,
    "poll.closed": _poll_closed,
    "live.conclusion": _conclusion,
}
