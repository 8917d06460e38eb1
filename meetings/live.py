"""The live session as a pure state machine: ``decide`` turns a command into an event (or raises),
``apply`` folds an event into the state. No I/O: the edge (``live_service``) loads the log, locks the
meeting, persists the event and publishes it. Replaying the same events always gives the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meetings import live_schema as m
from meetings.errors import Conflict, Forbidden, Invalid, NotFound
from meetings.live_state import LiveState, Poll, Speaker
from meetings.permissions import MeetingRole

DEFAULT_OPTIONS = ("for", "against", "abstain")


@dataclass(frozen=True)
class Who:
    """The caller as the live session sees them."""

    person_id: int | None
    role: MeetingRole | None
    runner: bool  # chair, secretary, or a secretary of the host unit: runs the meeting
    operator_of: frozenset[int] = frozenset()  # bridge points this person operates


# ---- decide: command → (kind, payload) --------------------------------------------------------------------


def _require_runner(who: Who, what: str) -> None:
    if not who.runner:
        raise Forbidden(f"only the chair or the secretary may {what}", "runners_only")


def _require_live(state: LiveState, what: str) -> None:
    if state.status != "live":
        raise Conflict(
            f"the meeting is '{state.status}', not live: cannot {what}", "not_live", status=state.status
        )


def decide(
    state: LiveState, cmd: Any, who: Who, at: str, secret_tally: dict[str, int] | None = None
) -> tuple[str, dict[str, Any]]:
    """Validate ``cmd`` against the state and the caller; return the event to record."""
    handler = _DECIDERS.get(type(cmd))
    if handler is None:
        raise Invalid(f"'{getattr(cmd, 'type', '?')}' is not a command", reason="not_a_command")
    event: tuple[str, dict[str, Any]] = handler(state, cmd, who, at, secret_tally)
    return event


def _start(state: LiveState, cmd: Any, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "start the meeting")
    if state.status != "scheduled":
        raise Conflict(
            f"only a scheduled meeting can start; this one is '{state.status}'",
            "start_unscheduled",
            status=state.status,
        )
    return "meeting.status_changed", {"from": "scheduled", "to": "live", "reason": "started"}


def _end(state: LiveState, cmd: Any, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "end the meeting")
    _require_live(state, "end it")
    if any(p.status == "open" for p in state.polls.values()):
        raise Conflict("close the open poll(s) before ending the meeting", "polls_open")
    return "meeting.status_changed", {"from": "live", "to": "ended", "reason": "ended"}


def _pause(state: LiveState, cmd: Any, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "pause or resume the meeting")
    _require_live(state, "pause or resume")
    pausing = isinstance(cmd, m.Pause)
    if state.paused == pausing:
        if pausing:
            raise Conflict("the meeting is already paused", "already_paused")
        raise Conflict("the meeting is not paused", "not_paused")
    return ("live.paused" if pausing else "live.resumed"), {}


def _set_item(state: LiveState, cmd: m.SetItem, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "change the agenda item")
    _require_live(state, "change the agenda item")
    return "live.item", {"item_id": cmd.item_id, "title": cmd.title}


def _present(state: LiveState, cmd: m.Present, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "turn the presenter's page")
    _require_live(state, "present")
    return "live.presenter", cmd.model_dump(exclude={"id", "type"})


def _checkin(state: LiveState, cmd: m.CheckIn, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    person = cmd.person_id if cmd.person_id is not None else who.person_id
    if person is None:
        raise Invalid("say whom to check in: this account is not linked to a person", reason="no_person")
    if person != who.person_id:
        _require_runner(who, "check in someone else")
    if person not in state.members:
        raise NotFound(
            f"person {person} is not a participant of this meeting", "not_participant", person=person
        )
    if state.status not in {"scheduled", "live"}:
        raise Conflict(
            f"check-in is closed: the meeting is '{state.status}'", "checkin_closed", status=state.status
        )
    return "live.checkin", {"person_id": person, "present": cmd.present, "by": who.person_id}


def _headcount(state: LiveState, cmd: m.Headcount, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    if cmd.bridge_point_id not in state.bridge_points:
        raise NotFound(
            f"bridge point {cmd.bridge_point_id} is not in this meeting's scope",
            "room_not_in_meeting",
            bridge_point=cmd.bridge_point_id,
        )
    if cmd.bridge_point_id not in who.operator_of and not who.runner:
        raise Forbidden("only the operator of that bridge point may report its headcount", "operators_only")
    return "live.headcount", {"bridge_point_id": cmd.bridge_point_id, "count": cmd.count}


def _speak_request(
    state: LiveState, cmd: m.SpeakRequest, who: Who, at: str, _t: Any
) -> tuple[str, dict[str, Any]]:
    _require_live(state, "ask to speak")
    if cmd.bridge_point_id is not None:
        if cmd.bridge_point_id not in who.operator_of and not who.runner:
            raise Forbidden(
                "only the operator of that bridge point may ask to speak for the room", "operators_only"
            )
        key: tuple[str, int | None] = ("bridge_point_id", cmd.bridge_point_id)
    else:
        if who.person_id is None or who.person_id not in state.members:
            raise Forbidden("only participants may ask to speak", "participants_only")
        key = ("person_id", who.person_id)
    if any(getattr(s, key[0]) == key[1] and s.status in {"waiting", "speaking"} for s in state.speakers):
        raise Conflict("already in the speaker queue", "already_queued")
    return "live.speak_requested", {
        "person_id": None if cmd.bridge_point_id else who.person_id,
        "bridge_point_id": cmd.bridge_point_id,
        "topic": cmd.topic,
    }


def _speaker(state: LiveState, request_id: int) -> Speaker:
    found = next((s for s in state.speakers if s.id == request_id), None)
    if found is None:
        raise NotFound(f"speak request {request_id} does not exist", "no_such_request", request=request_id)
    return found


def _withdraw(
    state: LiveState, cmd: m.SpeakWithdraw, who: Who, at: str, _t: Any
) -> tuple[str, dict[str, Any]]:
    req = _speaker(state, cmd.request_id)
    mine = req.person_id == who.person_id or req.bridge_point_id in who.operator_of
    if not (mine or who.runner):
        raise Forbidden("only the requester or the chair may withdraw a request", "not_your_request")
    if req.status != "waiting":
        raise Conflict(
            f"speak request {req.id} is '{req.status}', not waiting", "request_not_waiting", request=req.id
        )
    return "live.speak_withdrawn", {"request_id": req.id}


def _order(state: LiveState, cmd: m.SpeakOrder, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "order the speakers")
    waiting = [s.id for s in state.speakers if s.status == "waiting"]
    if sorted(cmd.request_ids) != sorted(waiting):
        raise Invalid(f"the order must list exactly the waiting requests: {waiting}", reason="order_mismatch")
    return "live.speak_ordered", {"request_ids": cmd.request_ids}


def _grant(state: LiveState, cmd: m.FloorGrant, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "grant the floor")
    _require_live(state, "grant the floor")
    req = _speaker(state, cmd.request_id)
    if req.status != "waiting":
        raise Conflict(
            f"speak request {req.id} is '{req.status}', not waiting", "request_not_waiting", request=req.id
        )
    return "live.floor_granted", {
        "request_id": req.id,
        "person_id": req.person_id,
        "bridge_point_id": req.bridge_point_id,
        "limit_seconds": cmd.limit_seconds,
        "previous": state.floor["request_id"] if state.floor else None,
    }


def _floor_end(state: LiveState, cmd: m.FloorEnd, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "end the floor")
    if state.floor is None:
        raise Conflict("nobody has the floor", "no_floor")
    return "live.floor_ended", {"request_id": state.floor["request_id"]}


def _poll_open(state: LiveState, cmd: m.PollOpen, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "open a poll")
    _require_live(state, "open a poll")
    if len(set(cmd.options)) != len(cmd.options):
        raise Invalid("poll options must be different from each other", reason="options_repeat")
    data = cmd.model_dump(exclude={"id", "type"})
    data["changeable"] = (
        cmd.changeable and not cmd.secret
    )  # a secret ballot cannot be traced back to change it
    return "poll.opened", data


def _poll(state: LiveState, poll_id: int) -> Poll:
    poll = state.polls.get(poll_id)
    if poll is None:
        raise NotFound(f"poll {poll_id} does not exist", "no_such_poll", poll=poll_id)
    return poll


def _vote(state: LiveState, cmd: m.Vote, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    poll = _poll(state, cmd.poll_id)
    if poll.status != "open":
        raise Conflict(f"poll {poll.id} is closed", "poll_closed", poll=poll.id)
    if who.person_id is None or who.person_id not in state.member_ids:
        raise Forbidden("only members of the meeting (delegates and the chair) may vote", "members_only")
    if cmd.choice not in poll.options:
        raise Invalid(
            f"'{cmd.choice}' is not an option of poll {poll.id}: {', '.join(poll.options)}",
            reason="not_an_option",
            choice=cmd.choice,
        )
    if who.person_id in poll.ballots and not poll.changeable:
        raise Conflict(
            f"you have already voted in poll {poll.id}, and its ballots cannot be changed",
            "already_voted",
            poll=poll.id,
        )
    return "poll.ballot", {
        "poll_id": poll.id,
        "person_id": who.person_id,
        "choice": None if poll.secret else cmd.choice,
    }


def tally(poll: Poll) -> dict[str, int]:
    counts = dict.fromkeys(poll.options, 0)
    for choice in poll.ballots.values():
        if choice is not None:
            counts[choice] += 1
    return counts


def _poll_close(
    state: LiveState, cmd: m.PollClose, who: Who, at: str, secret_tally: dict[str, int] | None
) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "close a poll")
    poll = _poll(state, cmd.poll_id)
    if poll.status != "open":
        raise Conflict(f"poll {poll.id} is already closed", "poll_closed", poll=poll.id)
    counts = (secret_tally or dict.fromkeys(poll.options, 0)) if poll.secret else tally(poll)
    return "poll.closed", {"poll_id": poll.id, "result": result(state, poll, counts)}


def result(state: LiveState, poll: Poll, counts: dict[str, int]) -> dict[str, Any]:
    """Counts, turnout and — for for/against/abstain polls — whether it passed under the poll's rule."""
    q = state.quorum()
    base = q["present"] if poll.rule == "of_present" else q["members"]
    out: dict[str, Any] = {"counts": counts, "turnout": len(poll.ballots), "base": base, "rule": poll.rule}
    if tuple(poll.options) == DEFAULT_OPTIONS:
        yes = counts["for"]
        out["passed"] = yes * 3 >= base * 2 if poll.rule == "two_thirds" else yes * 2 > base
    return out


def _conclude(state: LiveState, cmd: m.Conclude, who: Who, at: str, _t: Any) -> tuple[str, dict[str, Any]]:
    _require_runner(who, "record a conclusion")
    return "live.conclusion", {
        "item_id": cmd.item_id if cmd.item_id is not None else state.item_id,
        "text": cmd.text,
    }


_DECIDERS: dict[type, Any] = {
    m.Start: _start,
    m.End: _end,
    m.Pause: _pause,
    m.Resume: _pause,
    m.SetItem: _set_item,
    m.Present: _present,
    m.CheckIn: _checkin,
    m.Headcount: _headcount,
    m.SpeakRequest: _speak_request,
    m.SpeakWithdraw: _withdraw,
    m.SpeakOrder: _order,
    m.FloorGrant: _grant,
    m.FloorEnd: _floor_end,
    m.PollOpen: _poll_open,
    m.Vote: _vote,
    m.PollClose: _poll_close,
    m.Conclude: _conclude,
}
