"""Presence's pure parts: a process's roll of its sockets, and the sets heard from every process with expiry
(web/presence.py). Across real processes: tests/test_processes.py."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from meetings.bus import LocalBus
from web.presence import Presence, PresenceTracker, Roll

PEOPLE = st.integers(1, 4)
MEETINGS = st.integers(1, 3)


@given(st.lists(st.tuples(MEETINGS, PEOPLE, st.booleans()), max_size=60))
def test_the_roll_lists_whoever_has_a_socket_open_and_says_when_that_changed(
    moves: list[tuple[int, int, bool]],
) -> None:
    roll, sockets = Roll(), Counter[tuple[int, int]]()
    for meeting, person, opening in moves:
        if not opening and sockets[meeting, person] == 0:
            continue  # a socket closes only once it was opened
        before = {p for (m, p), n in sockets.items() if m == meeting and n > 0}
        sockets[meeting, person] += 1 if opening else -1
        after = {p for (m, p), n in sockets.items() if m == meeting and n > 0}
        assert roll.change(meeting, person, opening) == (before != after)  # a second tablet changes nothing
        assert roll.people(meeting) == after
    assert roll.sets() == {
        m: frozenset(p for (mm, p), n in sockets.items() if mm == m and n > 0)
        for (m, _), n in sockets.items()
        if n > 0
    }


SETS = st.dictionaries(MEETINGS, st.frozensets(PEOPLE, max_size=3), max_size=3)


@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), SETS, st.booleans(), st.floats(0, 2)),
        max_size=30,
    )
)
def test_the_union_is_of_what_each_live_process_said_last(
    heard: list[tuple[str, dict[int, frozenset[int]], bool, float]],
) -> None:
    """A model: each process's sets replaced (whole) or updated (some meetings); processes unheard for
    longer than the ttl are dropped; online is the union of what is left."""
    presence, model, now = Presence(ttl=3.0), dict[str, tuple[float, dict[int, frozenset[int]]]](), 0.0
    for origin, sets, whole, wait in heard:
        now += wait
        for o in [o for o, (at, _) in model.items() if now - at > 3.0]:
            del model[o]
        before = {m: presence.online(m) for m in range(1, 4)}
        expired = presence.expire(now)
        touched = presence.fold(origin, sets, whole, now)
        kept = {} if whole else dict(model.get(origin, (now, {}))[1])
        kept.update(sets)
        model[origin] = (now, {m: p for m, p in kept.items() if p})
        for m in range(1, 4):
            expected = sorted(set().union(*(s.get(m, frozenset()) for _, s in model.values())))
            assert presence.online(m) == expected
            if expected != before[m]:
                assert m in touched | expired  # a changed list is always told


def test_a_message_it_cannot_read_changes_nothing_and_the_tracker_goes_on() -> None:
    """A process of an older version (mid-upgrade) says presence its own way: ignored, not fatal."""

    async def scenario() -> list[dict[str, object]]:
        bus = LocalBus()
        await bus.start()
        tracker = PresenceTracker(bus, heartbeat=60)
        await tracker.start()
        told = bus.subscribe("meeting:1")
        try:
            await bus.publish("presence", {"meeting_id": 1, "person_id": 5, "online": True})
            await bus.publish("presence", {"origin": "other", "sets": [[1, ["x"]]], "whole": True})
            await bus.publish("presence", {"origin": "other", "sets": [[1, [7]]], "whole": True})
            first = await asyncio.wait_for(told.get(), 5)  # the listener read past what it could not
            await tracker.announce(1, 8, True)
            return [first, await asyncio.wait_for(told.get(), 5)]
        finally:
            await tracker.stop()

    told = asyncio.run(scenario())
    assert told == [{"type": "presence", "online": [7]}, {"type": "presence", "online": [7, 8]}]
