"""Recurrence rules for meeting series: a small, strict subset of RFC 5545 RRULE (pure: no I/O).

Supported: ``FREQ=DAILY|WEEKLY|MONTHLY``, ``INTERVAL``, ``COUNT`` or ``UNTIL``, ``BYDAY`` (plain weekdays for
WEEKLY; plain weekdays *or* ordinals such as ``1MO``/``-1FR`` for MONTHLY) and ``BYMONTHDAY`` (MONTHLY only).
Everything else is refused with :class:`~meetings.errors.InvalidRule`.

Expansion follows ``dateutil.rrule`` exactly (the tests use it as an oracle):

* it runs in the wall-clock time of ``dtstart``'s time zone, keeping dtstart's time of day;
* weeks start on Monday (``WKST=MO``), so ``INTERVAL=2;BYDAY=MO`` counts from the week holding dtstart;
* WEEKLY without BYDAY uses dtstart's weekday; MONTHLY without BYDAY/BYMONTHDAY uses dtstart's day of month;
* dtstart is the first occurrence **only if it matches the rule**; a dtstart that does not match BYDAY or
  BYMONTHDAY is not an occurrence and is not counted by COUNT (RFC 5545 would count it; dateutil does not);
* a month lacking a wanted day (``BYMONTHDAY=31``, ``5MO``) is skipped; microseconds of dtstart are dropped.

Choices of our own: a date-only ``UNTIL=YYYYMMDD`` means "through the end of that day" in the parse time zone
(23:59:59 local); mixing plain weekdays and ordinals in one BYDAY is refused (dateutil would silently
intersect them into nothing); expansion gives up after 1000 consecutive periods without an occurrence.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from enum import StrEnum
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

from meetings.errors import InvalidRule

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_EMPTY_PERIODS = 1000
_SUPPORTED = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY")
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_BYDAY_RE = re.compile(r"([+-]?[0-9]+)?([A-Z]{2})", re.ASCII)
_UNTIL_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?:T([0-9]{2})([0-9]{2})([0-9]{2})(Z?))?", re.ASCII)
_MAX_ORDINAL = date.max.toordinal()


class Freq(StrEnum):
    """How often the rule's periods come round."""

    daily = "DAILY"
    weekly = "WEEKLY"
    monthly = "MONTHLY"


@dataclass(frozen=True)
class WeekdayRule:
    """One BYDAY item: ``weekday`` 0=Monday..6=Sunday; ``ordinal`` 1..5 or -5..-1 (MONTHLY only), or None."""

    weekday: int
    ordinal: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidRule(f"weekday must be from 0 (Monday) to 6 (Sunday), got {self.weekday}")
        if self.ordinal is not None and not (1 <= abs(self.ordinal) <= 5):
            raise InvalidRule(f"BYDAY ordinal must be from -5 to -1 or 1 to 5, got '{self.code}'")

    @property
    def code(self) -> str:
        """The RRULE spelling: ``MO``, ``2TU``, ``-1FR``."""
        return f"{'' if self.ordinal is None else self.ordinal}{DAY_CODES[self.weekday]}"


@dataclass(frozen=True)
class Rule:
    """A validated recurrence rule. BYDAY and BYMONTHDAY are kept sorted and without duplicates."""

    freq: Freq
    interval: int = 1
    count: int | None = None
    until: datetime | None = None
    by_day: tuple[WeekdayRule, ...] = ()
    by_month_day: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "freq", Freq(self.freq))
        by_day = tuple(sorted(set(self.by_day), key=lambda w: (w.weekday, w.ordinal or 0)))
        object.__setattr__(self, "by_day", by_day)
        object.__setattr__(self, "by_month_day", tuple(sorted(set(self.by_month_day))))
        _check_int("INTERVAL", self.interval, 1, 366)
        if self.count is not None:
            _check_int("COUNT", self.count, 1, 1000)
        if self.until is not None:
            if self.until.utcoffset() is None:
                raise InvalidRule("UNTIL must be a timezone-aware date and time")
            object.__setattr__(self, "until", self.until.replace(microsecond=0))
            if self.count is not None:
                raise InvalidRule("RRULE cannot have both COUNT and UNTIL")
        self._check_by_parts()

    def _check_by_parts(self) -> None:
        if self.by_day and self.freq is Freq.daily:
            raise InvalidRule("BYDAY needs FREQ=WEEKLY or FREQ=MONTHLY")
        ordinals = [w for w in self.by_day if w.ordinal is not None]
        if ordinals and self.freq is not Freq.monthly:
            raise InvalidRule(f"BYDAY ordinals like '{ordinals[0].code}' need FREQ=MONTHLY")
        if ordinals and len(ordinals) != len(self.by_day):
            codes = ",".join(w.code for w in self.by_day)
            raise InvalidRule(f"BYDAY cannot mix plain weekdays and ordinals, got '{codes}'")
        if self.by_month_day and self.freq is not Freq.monthly:
            raise InvalidRule("BYMONTHDAY needs FREQ=MONTHLY")
        for day in self.by_month_day:
            if not (1 <= abs(day) <= 31):
                raise InvalidRule(f"BYMONTHDAY values must be from 1 to 31 or -31 to -1, got '{day}'")


def _check_int(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidRule(f"{name} must be an integer from {low} to {high}, got '{value}'")


def parse_rrule(text: str, tz: tzinfo = VIETNAM) -> Rule:
    """Parse RRULE text (an optional ``RRULE:`` prefix allowed); an UNTIL without ``Z`` is local time in tz.

    Raises :class:`InvalidRule`, naming the bad part, for anything outside the supported subset.
    """
    parts = _split_parts(text)
    if "FREQ" not in parts:
        raise InvalidRule("RRULE must have a FREQ part")
    until = parts.get("UNTIL")
    return Rule(
        freq=_parse_freq(parts["FREQ"]),
        interval=_parse_int("INTERVAL", parts.get("INTERVAL", "1"), 1, 366),
        count=None if "COUNT" not in parts else _parse_int("COUNT", parts["COUNT"], 1, 1000),
        until=None if until is None else _parse_until(until, tz),
        by_day=tuple(_parse_weekday(item) for item in _items(parts.get("BYDAY"))),
        by_month_day=tuple(_parse_month_day(item) for item in _items(parts.get("BYMONTHDAY"))),
    )


def _split_parts(text: str) -> dict[str, str]:
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:].strip()
    if not body:
        raise InvalidRule("RRULE is empty")
    parts: dict[str, str] = {}
    for raw in body.split(";"):
        if not raw.strip():
            raise InvalidRule("RRULE has an empty part (look for ';;' or a trailing ';')")
        name, sep, value = raw.partition("=")
        name = name.strip()
        if not sep:
            raise InvalidRule(f"RRULE part '{raw.strip()}' must look like NAME=VALUE")
        if name.upper() not in _SUPPORTED:
            raise InvalidRule(f"unsupported RRULE part '{name}'")
        if name.upper() in parts:
            raise InvalidRule(f"RRULE part '{name.upper()}' appears more than once")
        parts[name.upper()] = value.strip()
    return parts


def _parse_freq(value: str) -> Freq:
    try:
        return Freq(value.upper())
    except ValueError:
        raise InvalidRule(f"unsupported FREQ '{value}' (use DAILY, WEEKLY or MONTHLY)") from None


def _parse_int(name: str, value: str, low: int, high: int) -> int:
    if not _INT_RE.fullmatch(value) or not low <= int(value) <= high:
        raise InvalidRule(f"{name} must be an integer from {low} to {high}, got '{value}'")
    return int(value)


def _parse_until(value: str, tz: tzinfo) -> datetime:
    match = _UNTIL_RE.fullmatch(value.upper())
    if match is None:
        raise InvalidRule(f"UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ, got '{value}'")
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        if hour is None:
            return datetime.combine(date(int(year), int(month), int(day)), time(23, 59, 59), tzinfo=tz)
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC if utc else tz
        )
    except ValueError:
        raise InvalidRule(f"UNTIL is not a real date and time, got '{value}'") from None


def _items(value: str | None) -> list[str]:
    return [] if value is None else [item.strip() for item in value.split(",")]


def _parse_weekday(item: str) -> WeekdayRule:
    match = _BYDAY_RE.fullmatch(item.upper())
    if match is None or match[2] not in DAY_CODES:
        raise InvalidRule(f"BYDAY item '{item}' is not a weekday like MO, 1MO or -1FR")
    return WeekdayRule(DAY_CODES.index(match[2]), None if match[1] is None else int(match[1]))


def _parse_month_day(item: str) -> int:
    if not _INT_RE.fullmatch(item) or not 1 <= abs(int(item)) <= 31:
        raise InvalidRule(f"BYMONTHDAY values must be from 1 to 31 or -31 to -1, got '{item}'")
    return int(item)


def format_rrule(rule: Rule) -> str:
    """Canonical RRULE text (no ``RRULE:`` prefix, UNTIL in UTC); ``parse_rrule(format_rrule(r)) == r``."""
    parts = [f"FREQ={rule.freq.value}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    if rule.until is not None:
        parts.append(f"UNTIL={rule.until.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    if rule.by_day:
        parts.append("BYDAY=" + ",".join(w.code for w in rule.by_day))
    if rule.by_month_day:
        parts.append("BYMONTHDAY=" + ",".join(str(d) for d in rule.by_month_day))
    return ";".join(parts)


def occurrences(
    rule: Rule,
    dtstart: datetime,
    *,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    limit: int | None = None,
) -> Iterator[datetime]:
    """Occurrences of ``rule`` from ``dtstart``, ascending, as aware datetimes in dtstart's time zone.

    COUNT and UNTIL (inclusive) apply from dtstart; ``window_start`` (inclusive) and ``window_end``
    (exclusive) only filter what is yielded; ``limit`` caps how many are yielded. Lazy: an endless rule
    with no bound is safe to iterate step by step.
    """
    for name, value in (("dtstart", dtstart), ("window_start", window_start), ("window_end", window_end)):
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    start = dtstart.replace(microsecond=0)
    found: Iterator[datetime] = _expand(rule, start, None if rule.count is not None else window_start)
    if rule.count is not None:
        found = islice(found, rule.count)
    if (until := rule.until) is not None:
        found = takewhile(lambda occ: occ <= until, found)
    if window_end is not None:
        found = takewhile(lambda occ: occ < window_end, found)
    if window_start is not None:
        found = (occ for occ in found if occ >= window_start)
    return found if limit is None else islice(found, limit)


def _unit(freq: Freq, day: date) -> int:
    """The number of the day, week (Monday-based) or month holding ``day``."""
    if freq is Freq.daily:
        return day.toordinal()
    if freq is Freq.weekly:
        return (day.toordinal() - 1) // 7  # ordinal 1 (0001-01-01) is a Monday
    return day.year * 12 + day.month - 1


def _expand(rule: Rule, start: datetime, skip_to: datetime | None) -> Iterator[datetime]:
    """Every occurrence from ``start`` on; periods wholly before ``skip_to`` are not even looked at."""
    first = _unit(rule.freq, start.date())
    unit = first
    if skip_to is not None:
        target = _unit(rule.freq, skip_to.astimezone(start.tzinfo).date())
        unit += max(0, (target - first) // rule.interval) * rule.interval
    last = _unit(rule.freq, date.max)
    empty = 0
    while unit <= last and empty < MAX_EMPTY_PERIODS:
        days = _period_days(rule, unit, start.date())
        empty = 0 if days else empty + 1
        for day in days:
            occ = datetime.combine(day, start.timetz())
            if occ >= start:
                yield occ
        unit += rule.interval


def _period_days(rule: Rule, unit: int, first: date) -> list[date]:
    """The days of one period that match the rule, ascending."""
    if rule.freq is Freq.daily:
        return [date.fromordinal(unit)]
    if rule.freq is Freq.weekly:
        weekdays = sorted({w.weekday for w in rule.by_day}) or [first.weekday()]
        ordinals = (unit * 7 + 1 + weekday for weekday in weekdays)
        return [date.fromordinal(o) for o in ordinals if o <= _MAX_ORDINAL]
    year, month = divmod(unit, 12)
    return _month_days(rule, year, month + 1, first.day)


def _month_days(rule: Rule, year: int, month: int, default_day: int) -> list[date]:
    first_weekday, length = calendar.monthrange(year, month)
    days = set(range(1, length + 1))
    if rule.by_month_day or not rule.by_day:
        wanted = rule.by_month_day or (default_day,)
        days &= {d if d > 0 else length + 1 + d for d in wanted}
    if rule.by_day:
        days &= set[int]().union(*(_weekday_days(w, first_weekday, length) for w in rule.by_day))
    return [date(year, month, d) for d in sorted(days)]


def _weekday_days(rule: WeekdayRule, first_weekday: int, length: int) -> set[int]:
    """Days of a month (given its first weekday and length) picked by one BYDAY item."""
    first = 1 + (rule.weekday - first_weekday) % 7
    if rule.ordinal is None:
        return set(range(first, length + 1, 7))
    if rule.ordinal > 0:
        day = first + 7 * (rule.ordinal - 1)
    else:
        last = length - (first_weekday + length - 1 - rule.weekday) % 7
        day = last + 7 * (rule.ordinal + 1)
    return {day} if 1 <= day <= length else set()


WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
_ORDINAL_WORDS = {1: "đầu tiên", 2: "thứ hai", 3: "thứ ba", 4: "thứ tư", 5: "thứ năm", -1: "cuối cùng"}
_ORDINAL_WORDS |= {-n: f"{_ORDINAL_WORDS[n]} từ cuối" for n in range(2, 6)}
_UNITS = {Freq.daily: "ngày", Freq.weekly: "tuần", Freq.monthly: "tháng"}


def describe(rule: Rule, tz: tzinfo = VIETNAM) -> str:
    """A short Vietnamese description for the UI, e.g. ``Thứ Sáu cuối cùng hằng tháng``."""
    unit = _UNITS[rule.freq]
    every = f"hằng {unit}" if rule.interval == 1 else f"mỗi {rule.interval} {unit}"
    text = _describe_days(rule, every)
    if rule.count is not None:
        text += f", {rule.count} lần"
    if rule.until is not None:
        text += f", đến ngày {rule.until.astimezone(tz):%d/%m/%Y}"
    return text[0].upper() + text[1:]


def _describe_days(rule: Rule, every: str) -> str:
    names = ", ".join(WEEKDAY_NAMES[w.weekday] for w in rule.by_day)
    if rule.freq is not Freq.monthly:
        return f"{every} vào {names}" if names else every
    if rule.by_month_day:
        days = ", ".join(_month_day_words(d) for d in rule.by_month_day)
        return f"{every}, {days}" + (f" nếu là {names}" if names else "")
    if any(w.ordinal is not None for w in rule.by_day):
        items = ", ".join(f"{WEEKDAY_NAMES[w.weekday]} {_ORDINAL_WORDS[w.ordinal or 1]}" for w in rule.by_day)
        return f"{items} {every}"
    return f"{every} vào mọi {names}" if names else every


def _month_day_words(day: int) -> str:
    if day > 0:
        return f"ngày {day}"
    return "ngày cuối tháng" if day == -1 else f"ngày thứ {-day} từ cuối tháng"
