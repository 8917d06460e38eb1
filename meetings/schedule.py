"""Double-booking detection and free-slot suggestion (pure: no I/O, no database).

A meeting holds bridge points and people over ``[start, end)``. Two meetings clash on each resource they
share when ``a.start < b.end + buffer and b.start < a.end + buffer``: back to back is fine at zero buffer.
``BookingIndex`` keeps per resource the bookings sorted by start and the longest duration filed there, so
a query visits only starts in ``(start - buffer - longest, end + buffer)``; times are held as integer
microseconds since the epoch, which compare fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from meetings.errors import Clash

BRIDGE_POINT = "bridge_point"
PERSON = "person"

Key = tuple[str, int]
Entry = tuple[int, int, int]  # (start µs, end µs, meeting_id)
Span = tuple[int, int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def _us(value: datetime) -> int:
    return (value - _EPOCH) // _US


def _dt(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _buffer_us(buffer: timedelta) -> int:
    if buffer < timedelta(0):
        raise ValueError("buffer must not be negative")
    return buffer // _US


def _keys(bridge_point_ids: Iterable[int], person_ids: Iterable[int]) -> Iterator[Key]:
    for bp in bridge_point_ids:
        yield (BRIDGE_POINT, bp)
    for person in person_ids:
        yield (PERSON, person)


@dataclass(frozen=True)
class Booking:
    """One meeting's hold on bridge points and people over ``[start, end)``."""

    meeting_id: int
    start: datetime
    end: datetime
    bridge_point_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        _require_aware("start", self.start)
        _require_aware("end", self.end)
        if self.end <= self.start:
            raise ValueError(f"meeting {self.meeting_id}: end must be after start")
        object.__setattr__(self, "bridge_point_ids", frozenset(self.bridge_point_ids))
        object.__setattr__(self, "person_ids", frozenset(self.person_ids))

    def keys(self) -> Iterator[Key]:
        return _keys(self.bridge_point_ids, self.person_ids)


@dataclass
class _Lane:
    """The bookings of one resource sorted by (start, end, meeting_id), with their starts alongside."""

    entries: list[Entry] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # entries[i][0], bisected as plain ints for speed
    longest: int = 0  # µs; never shrinks, so it stays an upper bound after removals

    def insert(self, entry: Entry) -> None:
        at = bisect_left(self.entries, entry)
        self.entries.insert(at, entry)
        self.starts.insert(at, entry[0])
        self.longest = max(self.longest, entry[1] - entry[0])

    def delete(self, entry: Entry) -> None:
        at = bisect_left(self.entries, entry)
        del self.entries[at], self.starts[at]

    def window(self, lo: int, hi: int) -> list[Entry]:
        """Entries that may overlap ``(lo, hi)``: start in ``(lo - longest, hi)``."""
        first = bisect_right(self.starts, lo - self.longest)
        return self.entries[first : bisect_left(self.starts, hi, first)]


def _entry(booking: Booking) -> Entry:
    return (_us(booking.start), _us(booking.end), booking.meeting_id)


class BookingIndex:
    """Per-resource sorted intervals. Add, remove and replace bookings; query conflicts fast."""

    def __init__(self, bookings: Iterable[Booking] = ()) -> None:
        self._bookings: dict[int, Booking] = {}
        self._lanes: dict[Key, _Lane] = {}
        for booking in bookings:
            self._bookings[booking.meeting_id] = booking  # a later duplicate replaces an earlier one
        for booking in self._bookings.values():
            entry = _entry(booking)
            for key in booking.keys():
                lane = self._lanes.setdefault(key, _Lane())
                lane.entries.append(entry)
                lane.longest = max(lane.longest, entry[1] - entry[0])
        for lane in self._lanes.values():
            lane.entries.sort()
            lane.starts = [entry[0] for entry in lane.entries]

    def __len__(self) -> int:
        return len(self._bookings)

    def __contains__(self, meeting_id: object) -> bool:
        return meeting_id in self._bookings

    def add(self, booking: Booking) -> None:
        """File ``booking``; one with the same meeting_id is replaced."""
        self.remove(booking.meeting_id)
        self._bookings[booking.meeting_id] = booking
        entry = _entry(booking)
        for key in booking.keys():
            self._lanes.setdefault(key, _Lane()).insert(entry)

    def remove(self, meeting_id: int) -> None:
        """Forget a meeting; a no-op if it is not filed."""
        booking = self._bookings.pop(meeting_id, None)
        if booking is None:
            return
        entry = _entry(booking)
        for key in booking.keys():
            lane = self._lanes[key]
            lane.delete(entry)
            if not lane.entries:
                del self._lanes[key]

    def conflicts(self, candidate: Booking, buffer: timedelta = timedelta(0)) -> list[Clash]:
        """Every clash of ``candidate`` with another filed meeting, sorted by (kind, id, meeting_id)."""
        buf = _buffer_us(buffer)
        start, end = _us(candidate.start), _us(candidate.end)
        lo, hi = start - buf, end + buf
        hits: list[tuple[str, int, int]] = []  # sorted as plain tuples: cheaper than sorting Clashes
        for key in candidate.keys():
            lane = self._lanes.get(key)
            if lane is None:
                continue
            for _, other_end, meeting_id in lane.window(lo, hi):
                if other_end > lo and meeting_id != candidate.meeting_id:
                    hits.append((key[0], key[1], meeting_id))
        hits.sort()
        return [Clash(kind, id_, meeting_id) for kind, id_, meeting_id in hits]

    def _busy_us(
        self, keys: Iterable[Key], lo: int, hi: int, buf: int, exclude_meeting_id: int | None
    ) -> list[Span]:
        spans: set[Span] = set()  # a set: a meeting on many of the resources counts once
        for key in keys:
            lane = self._lanes.get(key)
            if lane is None:
                continue
            for other_start, other_end, meeting_id in lane.window(lo - buf, hi + buf):
                if other_end + buf > lo and meeting_id != exclude_meeting_id:
                    spans.add((other_start - buf, other_end + buf))
        return _merge(sorted(spans))

    def busy(
        self,
        bridge_point_ids: Iterable[int],
        person_ids: Iterable[int],
        start: datetime,
        end: datetime,
        buffer: timedelta = timedelta(0),
        *,
        exclude_meeting_id: int | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """Merged busy intervals of the resources, widened by ``buffer``, that touch ``[start, end)``."""
        _require_aware("start", start)
        _require_aware("end", end)
        keys = _keys(bridge_point_ids, person_ids)
        spans = self._busy_us(keys, _us(start), _us(end), _buffer_us(buffer), exclude_meeting_id)
        return [(_dt(a), _dt(b)) for a, b in spans]


def _merge(spans: list[Span]) -> list[Span]:
    """Union of sorted half-open spans; touching spans are joined."""
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def brute_force_conflicts(
    candidate: Booking, bookings: Iterable[Booking], buffer: timedelta = timedelta(0)
) -> list[Clash]:
    """The obviously correct oracle: compare ``candidate`` with every booking."""
    _buffer_us(buffer)  # validates
    found: list[Clash] = []
    for other in bookings:
        if other.meeting_id == candidate.meeting_id:
            continue
        if candidate.start < other.end + buffer and other.start < candidate.end + buffer:
            for bp in candidate.bridge_point_ids & other.bridge_point_ids:
                found.append(Clash(BRIDGE_POINT, bp, other.meeting_id))
            for person in candidate.person_ids & other.person_ids:
                found.append(Clash(PERSON, person, other.meeting_id))
    found.sort(key=lambda clash: (clash.kind, clash.id, clash.meeting_id))
    return found


@dataclass(frozen=True)
class WorkingHours:
    """Office hours on working days, in local wall-clock time of ``tz``."""

    tz: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")
    start: time = time(7, 30)
    end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays must be in 0..6 (Monday = 0)")

    def window(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing instants (UTC) of ``day``."""
        opening = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        closing = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return opening, closing


OFFICE_HOURS = WorkingHours()


def _aligned_starts(day: date, hours: WorkingHours, step: timedelta) -> Iterator[datetime]:
    """Wall-clock times ``midnight + k * step`` of ``day`` from opening time on, as UTC instants."""
    midnight = datetime.combine(day, time(0))
    k = -(-(datetime.combine(day, hours.start) - midnight) // step)  # ceiling division
    wall = midnight + k * step
    while wall.date() == day and wall.time() < hours.end:
        yield wall.replace(tzinfo=hours.tz).astimezone(UTC)
        wall += step


class _Busy:
    """Merged busy spans, sorted, with their ends alongside for bisection."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.ends = [end for _, end in spans]  # ascending, as merged spans are disjoint

    def free(self, start: int, end: int) -> bool:
        j = bisect_right(self.ends, start)  # the first span still running at ``start``
        return j == len(self.spans) or self.spans[j][0] >= end


@dataclass(frozen=True)
class _Rules:
    """When a slot may start, busy time aside."""

    hours: WorkingHours
    step: timedelta
    duration: timedelta
    after: datetime
    limit: datetime

    def slots(self, day: date, busy: _Busy, wanted: int) -> list[datetime]:
        """Up to ``wanted`` free aligned starts on ``day``, ascending."""
        opening, closing = self.hours.window(day)
        found: list[datetime] = []
        for start in _aligned_starts(day, self.hours, self.step):
            if start > self.limit or start + self.duration > closing or len(found) >= wanted:
                break
            if start >= self.after and start >= opening and busy.free(_us(start), _us(start + self.duration)):
                found.append(start)
        return found


def _runs_of_days(first: date, last: date) -> Iterator[list[date]]:
    """Consecutive days from ``first`` to ``last`` in runs of 1, 2, 4, 8, then 16 days."""
    size = 1
    while first <= last:
        run = min(size, (last - first).days + 1)
        yield [first + timedelta(days=i) for i in range(run)]
        first += timedelta(days=run)
        size = min(2 * size, 16)


def suggest_slots(
    index: BookingIndex,
    *,
    bridge_point_ids: frozenset[int],
    person_ids: frozenset[int],
    duration: timedelta,
    after: datetime,
    count: int = 5,
    buffer: timedelta = timedelta(0),
    hours: WorkingHours = OFFICE_HOURS,
    step: timedelta = timedelta(minutes=30),
    horizon: timedelta = timedelta(days=60),
    exclude_meeting_id: int | None = None,
) -> list[datetime]:
    """The first ``count`` free aligned starts in ``[after, after + horizon]``, ascending, in UTC.

    A start is aligned when it is local midnight plus a whole number of ``step`` in ``hours.tz``; it is
    free when ``[start, start + duration)`` fits in one working day's hours and no listed resource is
    busy then (widened by ``buffer``; ``exclude_meeting_id``, the meeting being moved, is ignored).
    """
    _require_aware("after", after)
    if duration <= timedelta(0) or step <= timedelta(0) or count < 0 or horizon < timedelta(0):
        raise ValueError("duration and step must be positive, count and horizon not negative")
    buf = _buffer_us(buffer)
    rules = _Rules(hours, step, duration, after, after + horizon)
    keys = tuple(_keys(bridge_point_ids, person_ids))
    found: list[datetime] = []
    local_days = (after.astimezone(hours.tz).date(), rules.limit.astimezone(hours.tz).date())
    for days in _runs_of_days(*local_days):  # one busy query per run: cheap early, amortised later
        if len(found) >= count:
            break
        lo, hi = hours.window(days[0])[0], hours.window(days[-1])[1]
        busy = _Busy(index._busy_us(keys, _us(lo), _us(hi), buf, exclude_meeting_id))
        for day in days:
            if day.weekday() in hours.weekdays:
                found += rules.slots(day, busy, count - len(found))
    return found
