"""Conflict detection and slot suggestion (meetings/schedule.py), checked against brute force."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.errors import Clash
from meetings.schedule import (
    Booking,
    BookingIndex,
    WorkingHours,
    brute_force_conflicts,
    suggest_slots,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = datetime(2025, 3, 6, tzinfo=UTC)  # a Thursday; New York moves its clocks on Sunday 9 March
PROPERTY = settings(max_examples=200, deadline=None)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """Hà Nội time on 2025-03-``day``, as an aware datetime."""
    return datetime(2025, 3, day, hh, mm, tzinfo=HCM)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


# --- strategies -----------------------------------------------------------------------------------------

resource_ids = st.frozensets(st.integers(0, 4), max_size=3)
MEETING_IDS = st.integers(1, 12)
buffers = st.one_of(st.sampled_from([0, 5, 15, 30]), st.integers(0, 30)).map(minutes)
# One grid and span per example: a coarse grid over one day makes touching and nested meetings common.
grid = st.shared(st.sampled_from([1, 5, 15, 30]), key="grid")
span_days = st.shared(st.sampled_from([1, 2, 4]), key="span")


@st.composite
def bookings(
    draw: st.DrawFn,
    meeting_ids: st.SearchStrategy[int] = MEETING_IDS,
    rooms: st.SearchStrategy[frozenset[int]] = resource_ids,
) -> Booking:
    step, days = draw(grid), draw(span_days)
    start = BASE + minutes(step * draw(st.integers(0, days * 24 * 60 // step)))
    length = minutes(step * draw(st.integers(1, max(1, 240 // step))))
    return Booking(draw(meeting_ids), start, start + length, draw(rooms), draw(resource_ids))


def unique(bs: list[Booking]) -> list[Booking]:
    return list({b.meeting_id: b for b in bs}.values())


schedules = st.lists(bookings(), max_size=25).map(unique)
busy_schedules = st.lists(bookings(st.integers(1, 60)), min_size=10, max_size=40).map(unique)
candidates = st.lists(bookings(st.integers(0, 14)), min_size=1, max_size=4)


def check_all(index: BookingIndex, current: list[Booking], cands: list[Booking], buf: timedelta) -> None:
    assert len(index) == len(current)
    for cand in cands:
        assert index.conflicts(cand, buf) == brute_force_conflicts(cand, current, buf)


# --- conflicts: properties --------------------------------------------------------------------------------


@PROPERTY
@given(schedules, candidates, buffers)
def test_index_agrees_with_brute_force(current: list[Booking], cands: list[Booking], buf: timedelta) -> None:
    check_all(BookingIndex(current), current, cands, buf)


operations = st.lists(st.one_of(bookings(), st.integers(0, 14)), max_size=30)


@PROPERTY
@given(schedules, operations, candidates, buffers)
def test_index_agrees_after_removes_and_replacements(
    initial: list[Booking], ops: list[Booking | int], cands: list[Booking], buf: timedelta
) -> None:
    index = BookingIndex(initial)
    model = {b.meeting_id: b for b in initial}
    for op in ops:
        if isinstance(op, Booking):
            index.add(op)
            model[op.meeting_id] = op
        else:
            index.remove(op)
            model.pop(op, None)
        check_all(index, list(model.values()), cands[:1], buf)
    check_all(index, list(model.values()), cands, buf)


def expected_busy(
    current: list[Booking], cand: Booking, buf: timedelta, exclude: int | None
) -> list[tuple[datetime, datetime]]:
    spans = sorted(
        (b.start - buf, b.end + buf)
        for b in current
        if b.meeting_id != exclude
        and (b.bridge_point_ids & cand.bridge_point_ids or b.person_ids & cand.person_ids)
        and b.start - buf < cand.end
        and cand.start < b.end + buf
    )
    merged: list[tuple[datetime, datetime]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


@PROPERTY
@given(schedules, bookings(), buffers, st.none() | st.integers(1, 12))
def test_busy_is_the_merged_widened_bookings(
    current: list[Booking], cand: Booking, buf: timedelta, exclude: int | None
) -> None:
    window = Booking(
        0,
        cand.start - timedelta(hours=3),
        cand.end + timedelta(hours=3),
        cand.bridge_point_ids,
        cand.person_ids,
    )
    got = BookingIndex(current).busy(
        window.bridge_point_ids, window.person_ids, window.start, window.end, buf, exclude_meeting_id=exclude
    )
    assert got == expected_busy(current, window, buf, exclude)


# --- suggest_slots: properties ----------------------------------------------------------------------------


def brute_force_slots(
    current: list[Booking],
    probe: Booking,
    after: datetime,
    count: int,
    buf: timedelta,
    hours: WorkingHours,
    step: timedelta,
    horizon: timedelta,
) -> list[datetime]:
    """Walk every aligned wall-clock time from local midnight on, keeping the valid free ones."""
    duration, limit = probe.end - probe.start, after + horizon
    found: list[datetime] = []
    day = after.astimezone(hours.tz).date()
    while len(found) < count and datetime.combine(day, time(0), tzinfo=hours.tz) <= limit:
        wall = datetime.combine(day, time(0))
        while wall.date() == day and len(found) < count:
            if valid_slot(wall, day, duration, after, limit, hours):
                start = wall.replace(tzinfo=hours.tz).astimezone(UTC)
                moved = Booking(
                    probe.meeting_id, start, start + duration, probe.bridge_point_ids, probe.person_ids
                )
                if not brute_force_conflicts(moved, current, buf):
                    found.append(start)
            wall += step
        day += timedelta(days=1)
    return found


def valid_slot(
    wall: datetime, day: date, duration: timedelta, after: datetime, limit: datetime, hours: WorkingHours
) -> bool:
    start = wall.replace(tzinfo=hours.tz)
    end = (start + duration).astimezone(hours.tz)
    return (
        day.weekday() in hours.weekdays
        and wall.time() >= hours.start
        and end.date() == day
        and end.time() <= hours.end
        and after <= start <= limit
    )


working_hours = st.builds(
    WorkingHours,
    tz=st.sampled_from([HCM, ZoneInfo("UTC"), ZoneInfo("America/New_York")]),
    start=st.sampled_from([time(7, 30), time(6, 0), time(8, 15)]),
    end=st.sampled_from([time(17, 0), time(11, 45), time(16, 10)]),
    weekdays=st.sampled_from([range(5), range(7), (0, 2, 4), (5, 6)]).map(frozenset)
    | st.frozensets(st.integers(0, 6), min_size=1),
)


@PROPERTY
@given(
    current=busy_schedules,
    probe=bookings(st.sampled_from([-1, 1, 2, 3]), st.frozensets(st.integers(0, 4), min_size=1, max_size=3)),
    after_minutes=st.integers(-12 * 12, 3 * 24 * 12).map(lambda k: 5 * k),
    jitter=st.sampled_from([-1, 0, 0, 1, 59]).map(lambda s: timedelta(seconds=s)),
    count=st.integers(1, 6),
    buf=buffers,
    hours=working_hours,
    step=st.sampled_from([15, 25, 30, 60]).map(minutes),
    horizon=st.sampled_from([80, 200, 30, 5, 0]).map(lambda h: timedelta(hours=h)),
)
def test_suggested_slots_are_free_valid_and_first(
    current: list[Booking],
    probe: Booking,
    after_minutes: int,
    jitter: timedelta,
    count: int,
    buf: timedelta,
    hours: WorkingHours,
    step: timedelta,
    horizon: timedelta,
) -> None:
    after = BASE + minutes(after_minutes) + jitter
    duration = probe.end - probe.start
    slots = suggest_slots(
        BookingIndex(current),
        bridge_point_ids=probe.bridge_point_ids,
        person_ids=probe.person_ids,
        duration=duration,
        after=after,
        count=count,
        buffer=buf,
        hours=hours,
        step=step,
        horizon=horizon,
        exclude_meeting_id=probe.meeting_id,
    )
    assert slots == sorted(slots) and len(slots) <= count
    for start in slots:
        assert start.utcoffset() == timedelta(0) and start >= after
        moved = Booking(probe.meeting_id, start, start + duration, probe.bridge_point_ids, probe.person_ids)
        assert brute_force_conflicts(moved, current, buf) == []
        local = start.astimezone(hours.tz)
        midnight = datetime.combine(local.date(), time(0))
        assert (local.replace(tzinfo=None) - midnight) % step == timedelta(0)
        assert valid_slot(local.replace(tzinfo=None), local.date(), duration, after, after + horizon, hours)
    assert slots == brute_force_slots(current, probe, after, count, buf, hours, step, horizon)


# --- examples -------------------------------------------------------------------------------------------


def test_back_to_back_meetings_clash_only_with_a_buffer() -> None:
    first = Booking(1, at(10, 9), at(10, 10), frozenset({7}), frozenset())
    second = Booking(2, at(10, 10), at(10, 11), frozenset({7}), frozenset())
    index = BookingIndex([first])
    assert index.conflicts(second) == [] == brute_force_conflicts(second, [first])
    expected = [Clash("bridge_point", 7, 1)]
    assert (
        index.conflicts(second, minutes(15))
        == expected
        == brute_force_conflicts(second, [first], minutes(15))
    )


def test_person_and_bridge_point_clashes_are_all_reported_in_order() -> None:
    index = BookingIndex(
        [
            Booking(1, at(10, 9), at(10, 11), frozenset({3, 4}), frozenset({50})),
            Booking(2, at(10, 10), at(10, 12), frozenset({9}), frozenset({51, 50})),
        ]
    )
    cand = Booking(3, at(10, 10, 30), at(10, 11, 30), frozenset({4, 9}), frozenset({50}))
    assert index.conflicts(cand) == [
        Clash("bridge_point", 4, 1),
        Clash("bridge_point", 9, 2),
        Clash("person", 50, 1),
        Clash("person", 50, 2),
    ]


def test_a_meeting_never_clashes_with_itself_and_replacing_moves_it() -> None:
    index = BookingIndex([Booking(1, at(10, 9), at(10, 10), frozenset({1}), frozenset())])
    moved = Booking(1, at(10, 14), at(10, 15), frozenset({1}), frozenset())
    assert index.conflicts(moved) == []
    index.add(moved)
    assert len(index) == 1
    assert index.conflicts(Booking(2, at(10, 9), at(10, 10), frozenset({1}), frozenset())) == []
    assert index.conflicts(Booking(2, at(10, 14), at(10, 15), frozenset({1}), frozenset())) != []
    index.remove(1)
    index.remove(1)  # absent: a no-op
    assert len(index) == 0


def test_naive_and_empty_intervals_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Booking(1, datetime(2025, 3, 10, 9), at(10, 10), frozenset(), frozenset())
    with pytest.raises(ValueError, match="end must be after start"):
        Booking(1, at(10, 10), at(10, 10), frozenset(), frozenset())
    with pytest.raises(ValueError, match="timezone-aware"):
        suggest_slots(
            BookingIndex(),
            bridge_point_ids=frozenset(),
            person_ids=frozenset(),
            duration=minutes(60),
            after=datetime(2025, 3, 10, 9),
        )
    with pytest.raises(ValueError):
        WorkingHours(start=time(17), end=time(8))


def test_friday_afternoon_request_rolls_over_the_weekend_to_monday_morning() -> None:
    slots = suggest_slots(
        BookingIndex(),
        bridge_point_ids=frozenset({1}),
        person_ids=frozenset(),
        duration=timedelta(hours=2),
        after=at(7, 15, 10),  # Friday 7 March 2025, 15:10 in Hà Nội: 15:30-17:30 overruns the day
        count=2,
    )
    assert slots == [at(10, 7, 30).astimezone(UTC), at(10, 8).astimezone(UTC)]
    assert slots[0] == datetime(2025, 3, 10, 0, 30, tzinfo=UTC)


def first_slot(index: BookingIndex, after: datetime, **options: object) -> datetime:
    slots = suggest_slots(
        index,
        bridge_point_ids=frozenset({2}),
        person_ids=frozenset({9}),
        duration=minutes(60),
        after=after,
        count=1,
        **options,  # type: ignore[arg-type]
    )
    return slots[0].astimezone(HCM)


def test_suggestions_skip_busy_time_and_honour_the_buffer() -> None:
    index = BookingIndex([Booking(1, at(10, 8), at(10, 10), frozenset({1}), frozenset({9}))])
    assert first_slot(index, at(10, 7)) == at(10, 10)
    assert first_slot(index, at(10, 7), buffer=minutes(15)) == at(10, 10, 30)
    assert first_slot(index, at(10, 7), exclude_meeting_id=1) == at(10, 7, 30)  # moving meeting 1 itself
    index.add(Booking(1, at(10, 8, 30), at(10, 9, 45), frozenset({1}), frozenset({9})))
    assert first_slot(index, at(10, 7)) == at(10, 7, 30)  # ends exactly when the meeting starts
    assert first_slot(index, at(10, 7), buffer=minutes(15)) == at(10, 10)  # 09:45 + 15 min


def test_busy_joins_back_to_back_meetings_and_skips_those_ending_at_the_start() -> None:
    index = BookingIndex(
        [
            Booking(1, at(10, 8), at(10, 9), frozenset({1}), frozenset()),
            Booking(2, at(10, 9), at(10, 10), frozenset(), frozenset({5})),
            Booking(3, at(10, 11), at(10, 12), frozenset({1}), frozenset()),
            Booking(4, at(10, 9), at(10, 10), frozenset({2}), frozenset()),  # another room
        ]
    )
    busy = index.busy(frozenset({1}), frozenset({5}), at(10, 7), at(10, 11))
    assert busy == [(at(10, 8).astimezone(UTC), at(10, 10).astimezone(UTC))]
    assert index.busy(frozenset({1}), frozenset(), at(10, 9), at(10, 11)) == []
    widened = index.busy(frozenset({1}), frozenset(), at(10, 9), at(10, 11), minutes(30))
    assert widened == [
        (at(10, 7, 30).astimezone(UTC), at(10, 9, 30).astimezone(UTC)),
        (at(10, 10, 30).astimezone(UTC), at(10, 12, 30).astimezone(UTC)),
    ]


def test_the_horizon_bounds_the_start_inclusively() -> None:
    def slots(horizon: timedelta) -> list[datetime]:
        return suggest_slots(
            BookingIndex(),
            bridge_point_ids=frozenset({1}),
            person_ids=frozenset(),
            duration=minutes(30),
            after=at(10, 9),
            horizon=horizon,
        )

    assert slots(timedelta(0)) == [at(10, 9).astimezone(UTC)]
    assert slots(minutes(59)) == [at(10, 9).astimezone(UTC), at(10, 9, 30).astimezone(UTC)]
    assert len(slots(timedelta(days=60))) == 5
