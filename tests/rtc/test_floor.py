"""Floor control and last-N: who receives which publisher, and who is paused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rtc.floor import Floor, Loudest, Pick, Viewer

points = st.sets(st.integers(1, 30), min_size=1, max_size=12)


@st.composite
def meetings(draw: st.DrawFn) -> tuple[Floor, list[Viewer], set[int]]:
    publishing = draw(points)
    floor = Floor(
        chair=draw(st.none() | st.sampled_from(sorted(publishing)) | st.integers(31, 40)),
        granted=draw(st.none() | st.sampled_from(sorted(publishing)) | st.integers(31, 40)),
        rotate_every=10.0,
    )
    viewers = [
        Viewer(f"bp:{bp}", bp, draw(st.integers(1, 3)), low_bandwidth=draw(st.booleans()))
        for bp in sorted(draw(st.sets(st.integers(1, 40), max_size=12)) | publishing)
    ]
    if draw(st.booleans()):
        viewers.append(Viewer("console", None, draw(st.integers(1, 6)), console=True))
    return floor, viewers, publishing


@given(meetings(), st.floats(0, 1000))
def test_every_room_gets_the_chair_and_the_speaker_and_never_itself(
    m: tuple[Floor, list[Viewer], set[int]], now: float
) -> None:
    floor, viewers, publishing = m
    plan = floor.plan(viewers, publishing, now)
    speaker = floor.granted if floor.granted in publishing else None
    chair = floor.chair if floor.chair in publishing else None
    assert (plan.speaker, plan.chair) == (speaker, chair)
    for v in viewers:
        picks = plan.picks[v.key]
        assert len(picks) == v.slots
        shown = [p.source for p in picks if p.source is not None]
        assert len(shown) == len(set(shown))  # nobody twice
        assert all(s in publishing for s in shown)
        if v.low_bandwidth:
            assert not any(p.video for p in picks)
        if v.console:
            assert picks[0].source == speaker and not any(p.audio for p in picks)
            continue
        assert v.bridge_point_id not in shown
        wanted = [s for s in (speaker, chair) if s is not None and s != v.bridge_point_id]
        assert shown == list(dict.fromkeys(wanted))[: v.slots]
        assert all(p.audio for p in picks if p.source is not None)
    forwarded = {p.source for ps in plan.picks.values() for p in ps if p.video}
    paused = plan.paused(publishing)
    assert {bp for bp, (video, _) in paused.items() if not video} == forwarded


@given(st.sets(st.integers(1, 50), min_size=3, max_size=30), st.integers(2, 6))
def test_the_console_tours_every_room(rooms: set[int], slots: int) -> None:
    chair, speaker = sorted(rooms)[:2]
    floor = Floor(chair=chair, granted=speaker, rotate_every=5.0)
    console = Viewer("console", None, slots, console=True)
    seen: set[int] = set()
    others = rooms - {chair, speaker}
    turns = -(-len(others) // (slots - 1)) + 1
    for turn in range(turns):
        picks = floor.plan([console], rooms, turn * 5.0).picks["console"]
        assert picks[0] == Pick(speaker, True, False)
        tiles = [p.source for p in picks[1:] if p.source is not None]
        assert len(tiles) == min(slots - 1, len(others))
        seen |= set(tiles)
    assert seen == others


def test_rooms_waiting_to_speak_come_first_on_the_console() -> None:
    floor = Floor(chair=1, granted=2, pinned=(9, 7))
    picks = floor.plan([Viewer("c", None, 4, console=True)], set(range(1, 12)), 0.0).picks["c"]
    assert [p.source for p in picks] == [2, 9, 7, 3]


def test_low_bandwidth_rooms_hear_but_do_not_see() -> None:
    floor = Floor(chair=1, granted=2)
    plan = floor.plan([Viewer("bp:3", 3, 2, low_bandwidth=True)], {1, 2, 3}, 0.0)
    assert plan.picks["bp:3"] == (Pick(2, False, True), Pick(1, False, True))
    assert plan.paused({1, 2, 3}) == {1: (True, False), 2: (True, False), 3: (True, True)}


def test_auto_speaker_follows_the_loudest_room_with_hysteresis() -> None:
    loud = Loudest(hold=1.0, margin=6.0, threshold=60.0)
    floor = Floor(chair=1, auto=True, loudest=loud)
    assert loud.update({2: 50.0, 3: 40.0}, 0.0) is None  # nobody above the threshold
    assert loud.update({2: 90.0, 3: 40.0}, 0.1) == 2  # the first loud room takes the empty floor at once
    for t in range(2, 10):
        loud.update({2: 90.0, 3: 40.0}, t / 10)
    assert floor.speaker == 2
    for t in range(10, 15):  # 3 gets louder, but only briefly
        loud.update({2: 80.0, 3: 100.0}, t / 10)
    assert floor.speaker == 2
    for t in range(15, 40):
        loud.update({2: 70.0, 3: 100.0}, t / 10)
    assert floor.speaker == 3
    floor.granted = 5  # a granted floor wins over "auto"
    assert floor.speaker == 5
    assert loud.update({}, 5.0) is None  # everyone left


def test_auto_hears_every_room_so_a_quiet_meeting_can_find_its_loudest() -> None:
    """Rooms nobody receives are paused; under "auto" their audio keeps coming (the relay must hear who is
    loudest), their video stays paused."""
    viewers = [Viewer(f"bp:{bp}", bp, 2) for bp in (1, 2, 3, 4)]
    floor = Floor(chair=1)
    assert floor.plan(viewers, {1, 2, 3, 4}, 0.0).paused({2, 3}) == {2: (True, True), 3: (True, True)}
    floor.auto = True
    assert floor.plan(viewers, {1, 2, 3, 4}, 0.0).paused({2, 3}) == {2: (True, False), 3: (True, False)}


@given(meetings(), points, st.floats(0, 1000))
def test_a_cascade_link_is_never_sent_back_what_it_sends_up(
    m: tuple[Floor, list[Viewer], set[int]], below: set[int], now: float
) -> None:
    """A relay below (a viewer with no bridge point of its own) publishes its roster ``below``; the floor
    plans over them too, and sends the link the chair and the speaker only when they are not its own."""
    floor, viewers, publishing = m
    link = Viewer("relay:district", None, 2, own=frozenset(below))
    plan = floor.plan([*viewers, link], publishing | below, now)
    shown = [p.source for p in plan.picks[link.key] if p.source is not None]
    assert not set(shown) & below
    wanted = [s for s in (plan.speaker, plan.chair) if s is not None and s not in below]
    assert shown == list(dict.fromkeys(wanted))
    if floor.chair in below:
        assert plan.chair == floor.chair  # the chair sits below: the others still get it


@given(
    st.sets(st.integers(1, 50), min_size=3, max_size=30),
    st.integers(2, 6),
    st.integers(1, 50),
    st.floats(0.01, 5.0),
)
def test_the_consoles_next_turn_is_known_ahead_and_not_before(
    rooms: set[int], slots: int, turn: int, before: float
) -> None:
    floor = Floor(chair=min(rooms), rotate_every=5.0, warm_ahead=1.5)
    console = Viewer("console", None, slots, console=True)
    viewers = [console, Viewer("bp:1", 1, 2)]
    at = turn * 5.0
    soon = floor.upcoming(viewers, rooms, at - before)
    tiles = {
        p.source for p in floor.plan(viewers, rooms, at + 0.001).picks["console"] if p.source is not None
    }
    if before < 1.49:
        assert soon == tiles
    elif before > 1.51:
        assert soon == frozenset()
    assert floor.upcoming([Viewer("bp:1", 1, 2)], rooms, at - 0.1) == frozenset()  # no console, no turns
