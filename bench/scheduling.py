"""Benchmark of meetings/schedule.py: indexed conflict checks against the brute-force oracle.

    .venv/bin/python bench/scheduling.py [--meetings 10000] [--bridge-points 250] [--checks 300] [--seed 1]

Generates a year of meetings in working hours (most on 1-20 bridge points, a few three-level ones on all of
them, 1-4 h long, 1-10 people from a pool of 500; they may overlap each other), builds a BookingIndex, then
times conflict checks of new 241-bridge-point meetings with a 15-minute buffer through the index and through
the oracle (asserting they agree), and slot suggestions. Prints a markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time as clock
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meetings.schedule import (  # noqa: E402  (the repository root is put on sys.path just above)
    Booking,
    BookingIndex,
    WorkingHours,
    brute_force_conflicts,
    suggest_slots,
)

HOURS = WorkingHours()
YEAR = 2025
PEOPLE = 500
BUFFER = timedelta(minutes=15)
T = TypeVar("T")


def working_days(year: int) -> list[date]:
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() in HOURS.weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def random_start(rng: random.Random, days: list[date], length: timedelta) -> datetime:
    """A quarter-hour start on a working day such that the meeting ends by closing time."""
    opening, closing = HOURS.window(rng.choice(days))
    quarters = int((closing - opening - length) / timedelta(minutes=15))
    return opening + timedelta(minutes=15 * rng.randint(0, quarters))


def make_meeting(rng: random.Random, meeting_id: int, days: list[date], bridge_points: int) -> Booking:
    length = timedelta(minutes=15 * rng.randint(4, 16))
    start = random_start(rng, days, length)
    if rng.random() < 0.03:  # province → district → commune: every bridge point
        rooms = frozenset(range(bridge_points))
    else:
        rooms = frozenset(rng.sample(range(bridge_points), rng.randint(1, min(20, bridge_points))))
    people = frozenset(rng.sample(range(PEOPLE), rng.randint(1, 10)))
    return Booking(meeting_id, start, start + length, rooms, people)


def big_candidate(rng: random.Random, meeting_id: int, days: list[date], bridge_points: int) -> Booking:
    length = timedelta(hours=2)
    start = random_start(rng, days, length)
    rooms = frozenset(rng.sample(range(bridge_points), min(241, bridge_points)))
    people = frozenset(rng.sample(range(PEOPLE), rng.randint(1, 10)))
    return Booking(meeting_id, start, start + length, rooms, people)


def timed(action: Callable[[], T]) -> tuple[float, T]:
    began = clock.perf_counter()
    result = action()
    return (clock.perf_counter() - began) * 1000, result


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def check_conflicts(
    index: BookingIndex, meetings: list[Booking], candidates: list[Booking]
) -> tuple[list[float], list[float], int]:
    fast, slow, clashes = [], [], 0
    for candidate in candidates:
        t_index, got = timed(partial(index.conflicts, candidate, BUFFER))
        t_oracle, want = timed(partial(brute_force_conflicts, candidate, meetings, BUFFER))
        assert got == want, f"index and oracle disagree for {candidate}"
        fast.append(t_index)
        slow.append(t_oracle)
        clashes += len(want)
    return fast, slow, clashes


def time_suggestions(index: BookingIndex, candidates: list[Booking]) -> tuple[list[float], int]:
    samples, found = [], 0
    for candidate in candidates:
        elapsed, slots = timed(
            partial(
                suggest_slots,
                index,
                bridge_point_ids=candidate.bridge_point_ids,
                person_ids=candidate.person_ids,
                duration=candidate.end - candidate.start,
                after=candidate.start,
                buffer=BUFFER,
            )
        )
        samples.append(elapsed)
        found += len(slots)
    return samples, found


def row(name: str, samples: list[float], note: str = "") -> str:
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    return f"| {name} | {len(samples)} | {p50:.3f} | {p99:.3f} | {note} |"


def conflict_rows(
    index: BookingIndex, meetings: list[Booking], candidates: list[Booking], label: str
) -> list[str]:
    fast, slow, clashes = check_conflicts(index, meetings, candidates)
    ratio = percentile(slow, 0.5) / percentile(fast, 0.5)
    per_check = f"{clashes / len(candidates):.0f} clashes per check"
    return [
        row(f"conflicts, index ({label})", fast, f"{per_check}; same as the oracle every time"),
        row(f"conflicts, brute-force oracle ({label})", slow, f"oracle/index at p50: {ratio:.1f}x"),
    ]


def suggestion_row(index: BookingIndex, candidates: list[Booking], label: str) -> str:
    samples, found = time_suggestions(index, candidates)
    return row(
        f"suggest_slots ({label}, 2 h)", samples, f"{found / len(candidates):.1f} of 5 found in 60 days"
    )


def shrink(rng: random.Random, candidate: Booking, rooms: int) -> Booking:
    fewer = frozenset(rng.sample(sorted(candidate.bridge_point_ids), rooms))
    return Booking(candidate.meeting_id, candidate.start, candidate.end, fewer, candidate.person_ids)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--bridge-points", type=int, default=250)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--suggestions", type=int, default=50, help="suggest_slots runs per row")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    days = working_days(YEAR)
    meetings = [make_meeting(rng, i, days, args.bridge_points) for i in range(1, args.meetings + 1)]
    build_ms, index = timed(partial(BookingIndex, meetings))
    big = [big_candidate(rng, -i, days, args.bridge_points) for i in range(1, args.checks + 1)]
    small = [shrink(rng, candidate, 5) for candidate in big]
    rows = conflict_rows(index, meetings, big, "241 points") + conflict_rows(
        index, meetings, small, "5 points"
    )
    rows.append(suggestion_row(index, big[: args.suggestions], "241 points"))
    rows.append(suggestion_row(index, small[: args.suggestions], "5 points"))

    print(
        f"{args.meetings} meetings in {YEAR} over {args.bridge_points} bridge points (seed {args.seed}); ",
        end="",
    )
    print(f"index built in {build_ms:.0f} ms. Candidates: 2 h, 15-min buffer, random working-hours starts.")
    print(f"Python {platform.python_version()} on {platform.machine()}; times per call.\n")
    print("| operation | runs | p50 ms | p99 ms | notes |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
