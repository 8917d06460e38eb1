"""The live session's pure core, without a server: random command streams against invariants."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from meetings import live_schema as m
from meetings.errors import CauhopError
from meetings.live import Who, decide, tally
from meetings.live_state import LiveState, apply
from meetings.permissions import MeetingRole

CHAIR, SECRETARY, DELEGATES, OPERATOR = 1, 2, [10, 11, 12, 13, 14], 50
BRIDGE_POINTS = frozenset({100, 101})


def fresh() -> LiveState:
    members = {CHAIR: MeetingRole.chair, SECRETARY: MeetingRole.secretary}
    members |= {d: MeetingRole.delegate for d in DELEGATES}
    return LiveState(1, body="HĐND tỉnh", members=members, bridge_points=BRIDGE_POINTS, status="scheduled")


def who(person: int) -> Who:
    state = fresh()
    role = state.members.get(person)
    return Who(
        person,
        role,
        role in {MeetingRole.chair, MeetingRole.secretary},
        frozenset({100}) if person == OPERATOR else frozenset(),
    )


people = st.sampled_from([CHAIR, SECRETARY, OPERATOR, *DELEGATES])
ids = st.integers(1, 40)
commands = st.one_of(
    st.builds(m.Start, type=st.just("start"), id=st.just("x")),
    st.builds(m.End, type=st.just("end"), id=st.just("x")),
    st.builds(m.Pause, type=st.just("pause"), id=st.just("x")),
    st.builds(m.Resume, type=st.just("resume"), id=st.just("x")),
    st.builds(m.Present, type=st.just("present"), id=st.just("x"), page=st.integers(1, 50)),
    st.builds(
        m.CheckIn,
        type=st.just("checkin"),
        id=st.just("x"),
        person_id=st.one_of(st.none(), people),
        present=st.booleans(),
    ),
    st.builds(
        m.Headcount,
        type=st.just("headcount"),
        id=st.just("x"),
        bridge_point_id=st.sampled_from([100, 101, 7]),
        count=st.integers(0, 40),
    ),
    st.builds(
        m.SpeakRequest,
        type=st.just("speak_request"),
        id=st.just("x"),
        bridge_point_id=st.one_of(st.none(), st.just(100)),
    ),
    st.builds(m.SpeakWithdraw, type=st.just("speak_withdraw"), id=st.just("x"), request_id=ids),
    st.builds(m.FloorGrant, type=st.just("floor_grant"), id=st.just("x"), request_id=ids),
    st.builds(m.FloorEnd, type=st.just("floor_end"), id=st.just("x")),
    st.builds(
        m.PollOpen,
        type=st.just("poll_open"),
        id=st.just("x"),
        question=st.just("Q?"),
        secret=st.booleans(),
        changeable=st.booleans(),
        rule=st.sampled_from(["of_present", "of_members", "two_thirds"]),
    ),
    st.builds(
        m.Vote,
        type=st.just("vote"),
        id=st.just("x"),
        poll_id=ids,
        choice=st.sampled_from(["for", "against", "abstain", "maybe"]),
    ),
    st.builds(m.PollClose, type=st.just("poll_close"), id=st.just("x"), poll_id=ids),
    st.builds(m.Conclude, type=st.just("conclude"), id=st.just("x"), text=st.just("Kết luận")),
)


def run(steps: list[tuple[int, Any]]) -> tuple[LiveState, list[tuple[int, str, dict[str, Any]]]]:
    state, log = fresh(), []
    for person, cmd in steps:
        try:
            kind, payload = decide(state, cmd, who(person), "t")
        except CauhopError:
            continue
        seq = state.seq + 1
        apply(state, seq, kind, payload, "t")
        log.append((seq, kind, payload))
    return state, log


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(people, commands), max_size=60))
def test_random_sessions_keep_their_invariants(steps: list[tuple[int, Any]]) -> None:
    state, log = run(steps)
    # Replaying the log gives the same state: the log is the whole truth.
    replayed = fresh()
    for seq, kind, payload in log:
        apply(replayed, seq, kind, payload, "t")
    assert replayed.as_json() == state.as_json()
    members = state.member_ids
    for poll in state.polls.values():
        assert set(poll.ballots) <= members  # only members vote, once each
        if poll.secret:
            assert all(choice is None for choice in poll.ballots.values())
        elif poll.status == "closed":
            assert poll.result is not None and sum(poll.result["counts"].values()) == poll.result["turnout"]
    assert sum(1 for s in state.speakers if s.status == "speaking") == (1 if state.floor else 0)
    assert set(state.checked_in) <= set(state.members)
    assert set(state.headcounts) <= BRIDGE_POINTS
    secret_ballots = [p for _, k, p in log if k == "poll.ballot" and state.polls[p["poll_id"]].secret]
    assert all(p["choice"] is None for p in secret_ballots)


def test_majority_rules() -> None:
    state = fresh()
    apply(state, 1, "meeting.status_changed", {"to": "live"}, "t")
    for seq, person in enumerate(DELEGATES[:3], start=2):  # 3 of 6 members present
        apply(state, seq, "live.checkin", {"person_id": person, "present": True}, "t")
    expectations = {"of_present": True, "of_members": False, "two_thirds": False}
    for rule, passed in expectations.items():
        kind, payload = decide(
            state, m.PollOpen(type="poll_open", id="o", question="Q", rule=rule), who(CHAIR), "t"
        )
        apply(state, state.seq + 1, kind, payload, "t")
        poll_id = state.seq
        for person in DELEGATES[:2]:  # 2 for, 1 against
            apply(
                state,
                state.seq + 1,
                "poll.ballot",
                {"poll_id": poll_id, "person_id": person, "choice": "for"},
                "t",
            )
        apply(
            state,
            state.seq + 1,
            "poll.ballot",
            {"poll_id": poll_id, "person_id": DELEGATES[2], "choice": "against"},
            "t",
        )
        assert tally(state.polls[poll_id]) == {"for": 2, "against": 1, "abstain": 0}
        kind, payload = decide(
            state, m.PollClose(type="poll_close", id="c", poll_id=poll_id), who(CHAIR), "t"
        )
        assert payload["result"]["passed"] is passed, rule
        apply(state, state.seq + 1, kind, payload, "t")
    # HĐND needs two thirds of its members present for quorum: 4 of 6.
    assert state.quorum() == {"members": 6, "present": 3, "needed": 4, "reached": False}
