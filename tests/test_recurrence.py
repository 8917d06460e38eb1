"""Tests for meetings.recurrence: examples, exact error messages, and properties checked against dateutil."""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.errors import Invalid, InvalidRule
from meetings.recurrence import (
    DAY_CODES,
    Freq,
    Rule,
    WeekdayRule,
    describe,
    format_rrule,
    occurrences,
    parse_rrule,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAP = 60
PROPERTY = settings(max_examples=200, deadline=None)


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=VN)


# ---------------------------------------------------------------------------------------------- examples


def test_giao_ban_every_monday_at_eight() -> None:
    rule = parse_rrule("FREQ=WEEKLY;BYDAY=MO")
    got = list(occurrences(rule, vn(2025, 1, 6, 8, 0), limit=4))
    assert got == [vn(2025, 1, d, 8, 0) for d in (6, 13, 20, 27)]
    assert all(o.tzinfo is VN for o in got)
    assert describe(rule) == "Hằng tuần vào Thứ Hai"


def test_every_two_weeks_on_monday_and_thursday() -> None:
    rule = parse_rrule("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,MO;COUNT=5")
    got = list(occurrences(rule, vn(2025, 1, 6, 14, 30)))
    assert [o.day for o in got] == [6, 9, 20, 23, 3]
    assert describe(rule) == "Mỗi 2 tuần vào Thứ Hai, Thứ Năm, 5 lần"


def test_last_friday_of_the_month() -> None:
    rule = parse_rrule("RRULE:FREQ=MONTHLY;BYDAY=-1FR")
    got = list(occurrences(rule, vn(2025, 1, 31, 7, 30), limit=4))
    assert got == [
        vn(2025, 1, 31, 7, 30),
        vn(2025, 2, 28, 7, 30),
        vn(2025, 3, 28, 7, 30),
        vn(2025, 4, 25, 7, 30),
    ]
    assert describe(rule) == "Thứ Sáu cuối cùng hằng tháng"


def test_bymonthday_31_skips_short_months() -> None:
    rule = parse_rrule("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4")
    got = list(occurrences(rule, vn(2025, 1, 31, 8, 0)))
    assert [(o.month, o.day) for o in got] == [(1, 31), (3, 31), (5, 31), (7, 31)]


def test_monthly_without_by_parts_uses_dtstart_day() -> None:
    got = list(occurrences(parse_rrule("FREQ=MONTHLY;COUNT=3"), vn(2025, 1, 30, 9, 0)))
    assert [(o.month, o.day) for o in got] == [(1, 30), (3, 30), (4, 30)]
    assert describe(parse_rrule("FREQ=MONTHLY;BYMONTHDAY=5")) == "Hằng tháng, ngày 5"


@pytest.mark.parametrize(
    ("until", "expected_days"),
    [
        ("20250305T010000Z", [1, 2, 3, 4, 5]),  # exactly the 08:00 local occurrence: inclusive
        ("20250305T005959Z", [1, 2, 3, 4]),
        ("20250305T080000", [1, 2, 3, 4, 5]),  # local time in the parse time zone
        ("20250305T075959", [1, 2, 3, 4]),
        ("20250305", [1, 2, 3, 4, 5]),  # a date means through the end of that day
        ("20250228", []),
    ],
)
def test_until_is_inclusive(until: str, expected_days: list[int]) -> None:
    rule = parse_rrule(f"FREQ=DAILY;UNTIL={until}")
    assert [o.day for o in occurrences(rule, vn(2025, 3, 1, 8, 0))] == expected_days


def test_date_only_until_is_end_of_local_day() -> None:
    assert parse_rrule("FREQ=DAILY;UNTIL=20251231").until == vn(2025, 12, 31, 23, 59, 59)
    assert parse_rrule("FREQ=DAILY;UNTIL=20251231", tz=UTC).until == datetime(
        2025, 12, 31, 23, 59, 59, tzinfo=UTC
    )


def test_dtstart_not_matching_is_not_an_occurrence() -> None:
    # 2025-01-01 is a Wednesday: like dateutil, it is neither yielded nor counted.
    got = list(occurrences(parse_rrule("FREQ=WEEKLY;BYDAY=MO;COUNT=2"), vn(2025, 1, 1, 8, 0)))
    assert got == [vn(2025, 1, 6, 8, 0), vn(2025, 1, 13, 8, 0)]
    got = list(occurrences(parse_rrule("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=1"), vn(2025, 1, 20, 8, 0)))
    assert got == [vn(2025, 2, 15, 8, 0)]


def test_window_filters_without_changing_count() -> None:
    rule = parse_rrule("FREQ=DAILY;COUNT=10")
    start = vn(2025, 1, 1, 8, 0)
    got = list(occurrences(rule, start, window_start=vn(2025, 1, 8, 8, 0), window_end=vn(2025, 2, 1)))
    assert [o.day for o in got] == [8, 9, 10]
    got = list(occurrences(rule, start, window_start=vn(2025, 1, 3), window_end=vn(2025, 1, 5, 8, 0)))
    assert [o.day for o in got] == [3, 4]


@pytest.mark.parametrize(
    "text", ["FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30", "FREQ=MONTHLY;BYMONTHDAY=1;BYDAY=5MO"]
)
def test_rules_that_cannot_produce_stop(text: str) -> None:
    began = clock.monotonic()
    assert list(occurrences(parse_rrule(text), vn(2025, 2, 1, 8, 0))) == []
    assert clock.monotonic() - began < 2


def test_rare_rules_still_find_far_occurrences() -> None:
    text = "FREQ=MONTHLY;INTERVAL=12;BYDAY=5FR;COUNT=3"  # a fifth Friday in February: leap years only
    dtstart = vn(2025, 2, 1, 8, 0)
    got = list(occurrences(parse_rrule(text), dtstart))
    assert got == list(rrulestr(text, dtstart=dtstart))
    assert [o.year for o in got] == [2036, 2064, 2092]


def test_endless_rule_is_lazy_and_can_jump_far_ahead() -> None:
    rule = parse_rrule("FREQ=DAILY")
    assert len(list(islice(occurrences(rule, vn(2025, 1, 1, 8, 0)), 3))) == 3
    began = clock.monotonic()
    later = next(occurrences(rule, vn(2025, 1, 1, 8, 0), window_start=vn(9000, 6, 1, 9, 0)))
    assert later == vn(9000, 6, 2, 8, 0)
    assert clock.monotonic() - began < 0.5


def test_expansion_stops_at_the_end_of_the_calendar() -> None:
    assert len(list(occurrences(parse_rrule("FREQ=DAILY"), vn(9999, 12, 29, 8, 0)))) == 3
    weekend = list(occurrences(parse_rrule("FREQ=WEEKLY;BYDAY=FR,SA"), vn(9999, 12, 20, 8, 0)))
    assert weekend == [vn(9999, 12, d, 8, 0) for d in (24, 25, 31)]  # no Saturday after the 31st
    assert list(occurrences(parse_rrule("FREQ=MONTHLY"), vn(9999, 11, 5, 8, 0))) == [
        vn(9999, 11, 5, 8, 0),
        vn(9999, 12, 5, 8, 0),
    ]


def test_limit_and_awareness_are_checked() -> None:
    rule = parse_rrule("FREQ=DAILY")
    assert list(occurrences(rule, vn(2025, 1, 1), limit=0)) == []
    with pytest.raises(ValueError, match="limit must not be negative"):
        occurrences(rule, vn(2025, 1, 1), limit=-1)
    with pytest.raises(ValueError, match="dtstart must be timezone-aware"):
        occurrences(rule, datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="window_end must be timezone-aware"):
        occurrences(rule, vn(2025, 1, 1), window_end=datetime(2025, 2, 1))


def test_results_keep_dtstart_zone_and_time_of_day() -> None:
    plus_two = timezone(timedelta(hours=2))
    got = list(occurrences(parse_rrule("FREQ=WEEKLY;COUNT=2"), datetime(2025, 3, 3, 23, 15, tzinfo=plus_two)))
    assert got == [datetime(2025, 3, d, 23, 15, tzinfo=plus_two) for d in (3, 10)]
    assert all(o.tzinfo is plus_two for o in got)


def test_parse_is_lenient_about_case_prefix_order_and_spaces() -> None:
    rule = parse_rrule(" rrule:byday=we, mo ; freq=weekly;Interval=+2 ")
    assert rule == Rule(Freq.weekly, interval=2, by_day=(WeekdayRule(0), WeekdayRule(2)))
    assert format_rrule(rule) == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"


def test_format_is_canonical() -> None:
    rule = parse_rrule("BYMONTHDAY=-1,5,5;FREQ=MONTHLY;INTERVAL=1;UNTIL=20251231T170000")
    assert format_rrule(rule) == "FREQ=MONTHLY;UNTIL=20251231T100000Z;BYMONTHDAY=-1,5"
    assert format_rrule(parse_rrule("FREQ=MONTHLY;BYDAY=-1FR,1MO")) == "FREQ=MONTHLY;BYDAY=1MO,-1FR"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FREQ=DAILY", "Hằng ngày"),
        ("FREQ=DAILY;INTERVAL=3;COUNT=4", "Mỗi 3 ngày, 4 lần"),
        ("FREQ=WEEKLY", "Hằng tuần"),
        ("FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=2", "Mỗi 2 tuần vào Thứ Hai, Thứ Năm"),
        ("FREQ=WEEKLY;BYDAY=SU;UNTIL=20251231", "Hằng tuần vào Chủ Nhật, đến ngày 31/12/2025"),
        ("FREQ=MONTHLY", "Hằng tháng"),
        ("FREQ=MONTHLY;BYMONTHDAY=5,20", "Hằng tháng, ngày 5, ngày 20"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "Hằng tháng, ngày cuối tháng"),
        ("FREQ=MONTHLY;BYMONTHDAY=-2", "Hằng tháng, ngày thứ 2 từ cuối tháng"),
        ("FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR", "Hằng tháng, ngày 13 nếu là Thứ Sáu"),
        ("FREQ=MONTHLY;BYDAY=1MO", "Thứ Hai đầu tiên hằng tháng"),
        ("FREQ=MONTHLY;BYDAY=2TU;INTERVAL=3", "Thứ Ba thứ hai mỗi 3 tháng"),
        ("FREQ=MONTHLY;BYDAY=-2WE", "Thứ Tư thứ hai từ cuối hằng tháng"),
        ("FREQ=MONTHLY;BYDAY=SA,SU", "Hằng tháng vào mọi Thứ Bảy, Chủ Nhật"),
    ],
)
def test_describe(text: str, expected: str) -> None:
    assert describe(parse_rrule(text)) == expected


BAD_RULES = [
    ("", "RRULE is empty"),
    ("RRULE:", "RRULE is empty"),
    ("FREQ=WEEKLY;", "RRULE has an empty part (look for ';;' or a trailing ';')"),
    ("FREQ=WEEKLY;;BYDAY=MO", "RRULE has an empty part (look for ';;' or a trailing ';')"),
    ("FREQ=WEEKLY;BYDAY", "RRULE part 'BYDAY' must look like NAME=VALUE"),
    ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO", "unsupported RRULE part 'BYSETPOS'"),
    ("FREQ=DAILY;BYHOUR=8", "unsupported RRULE part 'BYHOUR'"),
    ("FREQ=WEEKLY;WKST=SU", "unsupported RRULE part 'WKST'"),
    ("FREQ=WEEKLY;COLOR=red", "unsupported RRULE part 'COLOR'"),
    ("FREQ=WEEKLY;freq=DAILY", "RRULE part 'FREQ' appears more than once"),
    ("INTERVAL=2", "RRULE must have a FREQ part"),
    ("FREQ=YEARLY", "unsupported FREQ 'YEARLY' (use DAILY, WEEKLY or MONTHLY)"),
    ("FREQ=", "unsupported FREQ '' (use DAILY, WEEKLY or MONTHLY)"),
    ("FREQ=DAILY;INTERVAL=x", "INTERVAL must be an integer from 1 to 366, got 'x'"),
    ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be an integer from 1 to 366, got '0'"),
    ("FREQ=DAILY;INTERVAL=367", "INTERVAL must be an integer from 1 to 366, got '367'"),
    ("FREQ=DAILY;INTERVAL=", "INTERVAL must be an integer from 1 to 366, got ''"),
    ("FREQ=DAILY;INTERVAL=1.5", "INTERVAL must be an integer from 1 to 366, got '1.5'"),
    ("FREQ=DAILY;INTERVAL=٣", "INTERVAL must be an integer from 1 to 366, got '٣'"),
    ("FREQ=DAILY;COUNT=0", "COUNT must be an integer from 1 to 1000, got '0'"),
    ("FREQ=DAILY;COUNT=1001", "COUNT must be an integer from 1 to 1000, got '1001'"),
    ("FREQ=DAILY;COUNT=-3", "COUNT must be an integer from 1 to 1000, got '-3'"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20250101", "RRULE cannot have both COUNT and UNTIL"),
    (
        "FREQ=DAILY;UNTIL=2025-01-01",
        "UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ, got '2025-01-01'",
    ),
    (
        "FREQ=DAILY;UNTIL=20250101T0800",
        "UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ, got '20250101T0800'",
    ),
    (
        "FREQ=DAILY;UNTIL=20250101T080000+07",
        "UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ, got '20250101T080000+07'",
    ),
    ("FREQ=DAILY;UNTIL=20250230", "UNTIL is not a real date and time, got '20250230'"),
    ("FREQ=DAILY;UNTIL=20250101T246000Z", "UNTIL is not a real date and time, got '20250101T246000Z'"),
    ("FREQ=DAILY;BYDAY=MO", "BYDAY needs FREQ=WEEKLY or FREQ=MONTHLY"),
    ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY ordinals like '1MO' need FREQ=MONTHLY"),
    ("FREQ=WEEKLY;BYDAY=MO,XX", "BYDAY item 'XX' is not a weekday like MO, 1MO or -1FR"),
    ("FREQ=WEEKLY;BYDAY=MO,,FR", "BYDAY item '' is not a weekday like MO, 1MO or -1FR"),
    ("FREQ=WEEKLY;BYDAY=", "BYDAY item '' is not a weekday like MO, 1MO or -1FR"),
    ("FREQ=MONTHLY;BYDAY=MONDAY", "BYDAY item 'MONDAY' is not a weekday like MO, 1MO or -1FR"),
    ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY ordinal must be from -5 to -1 or 1 to 5, got '6MO'"),
    ("FREQ=MONTHLY;BYDAY=0TU", "BYDAY ordinal must be from -5 to -1 or 1 to 5, got '0TU'"),
    ("FREQ=MONTHLY;BYDAY=-6FR", "BYDAY ordinal must be from -5 to -1 or 1 to 5, got '-6FR'"),
    ("FREQ=MONTHLY;BYDAY=MO,1FR", "BYDAY cannot mix plain weekdays and ordinals, got 'MO,1FR'"),
    ("FREQ=WEEKLY;BYMONTHDAY=5", "BYMONTHDAY needs FREQ=MONTHLY"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY values must be from 1 to 31 or -31 to -1, got '0'"),
    ("FREQ=MONTHLY;BYMONTHDAY=5,32", "BYMONTHDAY values must be from 1 to 31 or -31 to -1, got '32'"),
    ("FREQ=MONTHLY;BYMONTHDAY=-32", "BYMONTHDAY values must be from 1 to 31 or -31 to -1, got '-32'"),
    ("FREQ=MONTHLY;BYMONTHDAY=last", "BYMONTHDAY values must be from 1 to 31 or -31 to -1, got 'last'"),
]


@pytest.mark.parametrize(("text", "message"), BAD_RULES)
def test_parse_errors_name_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(InvalidRule) as caught:
        parse_rrule(text)
    assert caught.value.detail == message
    assert isinstance(caught.value, Invalid)


def test_rule_validates_direct_construction() -> None:
    until = vn(2025, 6, 1)
    with pytest.raises(InvalidRule, match="RRULE cannot have both COUNT and UNTIL"):
        Rule(Freq.daily, count=3, until=until)
    with pytest.raises(InvalidRule, match="UNTIL must be a timezone-aware date and time"):
        Rule(Freq.daily, until=datetime(2025, 6, 1))
    with pytest.raises(InvalidRule, match="weekday must be from 0 \\(Monday\\) to 6 \\(Sunday\\), got 7"):
        WeekdayRule(7)
    with pytest.raises(InvalidRule, match="INTERVAL must be an integer from 1 to 366, got '0'"):
        Rule(Freq.weekly, interval=0)
    assert Rule(Freq.weekly, by_day=(WeekdayRule(4), WeekdayRule(0), WeekdayRule(4))).by_day == (
        WeekdayRule(0),
        WeekdayRule(4),
    )


# -------------------------------------------------------------------------------------------- properties


@dataclass
class Spec:
    """A rule drawn as plain values, spelled as RRULE text independently of the module under test."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None
    by_day: list[tuple[int | None, int]] = field(default_factory=list)
    by_month_day: list[int] = field(default_factory=list)

    def parts(self) -> list[str]:
        parts = [f"FREQ={self.freq}", f"INTERVAL={self.interval}"]
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append("UNTIL=" + self.until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
        if self.by_day:
            parts.append("BYDAY=" + ",".join(f"{n or ''}{DAY_CODES[d]}" for n, d in self.by_day))
        if self.by_month_day:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.by_month_day)))
        return parts

    def rule(self) -> Rule:
        return Rule(
            Freq(self.freq),
            self.interval,
            self.count,
            self.until,
            tuple(WeekdayRule(d, n) for n, d in self.by_day),
            tuple(self.by_month_day),
        )


dtstarts = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31, 23, 59, 59), timezones=st.just(VN))
weekdays = st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True)


@st.composite
def monthly_by_parts(draw: st.DrawFn) -> tuple[list[tuple[int | None, int]], list[int]]:
    kind = draw(
        st.sampled_from(["none", "plain", "ordinal", "monthday", "monthday+plain", "monthday+ordinal"])
    )
    if kind == "ordinal":
        ordinals = st.integers(1, 5) | st.integers(-5, -1)
        pairs = draw(st.lists(st.tuples(ordinals, st.integers(0, 6)), min_size=1, max_size=3))
        return [(n, d) for n, d in pairs], []
    if kind == "monthday+ordinal":  # keep it satisfiable: the day lies in the ordinal's week of the month
        n, d = draw(st.sampled_from([1, 2, 3, 4, -1, -2, -3, -4])), draw(st.integers(0, 6))
        lo = 7 * (abs(n) - 1) + 1
        day = draw(st.integers(lo, lo + 6))
        return [(n, d)], [day if n > 0 else -day]
    plain: list[tuple[int | None, int]] = [(None, d) for d in draw(weekdays)] if "plain" in kind else []
    days = st.integers(1, 31) | st.integers(-31, -1)
    monthdays = draw(st.lists(days, min_size=1, max_size=3)) if "monthday" in kind else []
    return plain, monthdays


@st.composite
def specs_and_starts(draw: st.DrawFn) -> tuple[Spec, datetime]:
    dtstart = draw(dtstarts)
    spec = Spec(draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"])))
    spec.interval = draw(st.integers(1, 4) | st.integers(1, 366))
    bound = draw(st.sampled_from(["count", "until", "none"]))
    if bound == "count":
        spec.count = draw(st.integers(1, 40) | st.integers(1, 1000))
    elif bound == "until":
        days = draw(st.integers(-3, 800))
        seconds = draw(st.sampled_from([0, -1, 1]) | st.integers(-86400, 86400))
        spec.until = dtstart.replace(microsecond=0) + timedelta(days=days, seconds=seconds)
    if spec.freq == "WEEKLY" and draw(st.booleans()):
        spec.by_day = [(None, d) for d in draw(weekdays)]
    elif spec.freq == "MONTHLY":
        spec.by_day, spec.by_month_day = draw(monthly_by_parts())
    return spec, dtstart


@PROPERTY
@given(specs_and_starts(), st.randoms(use_true_random=False))
def test_matches_dateutil(case: tuple[Spec, datetime], rnd: random.Random) -> None:
    spec, dtstart = case
    parts = spec.parts()
    oracle = list(islice(rrulestr(";".join(parts), dtstart=dtstart), CAP))
    rnd.shuffle(parts)
    rule = parse_rrule(";".join(parts))
    assert rule == spec.rule()
    assert list(occurrences(rule, dtstart, limit=CAP)) == oracle


@PROPERTY
@given(specs_and_starts(), st.data())
def test_window_and_limit_filter_the_full_expansion(case: tuple[Spec, datetime], data: st.DataObject) -> None:
    spec, dtstart = case
    rule = spec.rule()
    offsets = st.timedeltas(timedelta(days=-30), timedelta(days=900))
    window_start = dtstart + data.draw(offsets)
    window_end = window_start + data.draw(st.timedeltas(timedelta(0), timedelta(days=200)))
    limit = data.draw(st.none() | st.integers(0, 30))
    full = list(takewhile(lambda o: o < window_end, occurrences(rule, dtstart)))
    expected = [o for o in full if o >= window_start][:limit]
    got = list(occurrences(rule, dtstart, window_start=window_start, window_end=window_end, limit=limit))
    assert got == expected
    assert all(a < b for a, b in zip(full, full[1:], strict=False))
    assert all(window_start <= o < window_end and o.tzinfo is VN for o in got)
    assert all(o.time() == dtstart.time().replace(microsecond=0) for o in full)


@PROPERTY
@given(specs_and_starts(), st.sampled_from([VN, UTC, timezone(timedelta(hours=-5, minutes=-30))]))
def test_format_then_parse_round_trips(case: tuple[Spec, datetime], zone: tzinfo) -> None:
    spec, _ = case
    if spec.until is not None:
        spec.until = spec.until.astimezone(zone).replace(microsecond=123)
    rule = spec.rule()
    text = format_rrule(rule)
    assert parse_rrule(text) == rule
    assert format_rrule(parse_rrule(text)) == text
    assert parse_rrule("RRULE:" + text.lower()) == rule
    assert describe(rule)
