"""An RFC 5545 (iCalendar) writer for meeting feeds (pure text generation).

Only what a subscribed calendar needs: one VCALENDAR of VEVENTs with UID, SEQUENCE, DTSTAMP,
DTSTART/DTEND in UTC, STATUS (CANCELLED for cancellations), SUMMARY, DESCRIPTION, LOCATION. TEXT values are
escaped (RFC 5545 §3.3.11) and every content line is folded at 75 octets without splitting a UTF-8
character (§3.1); lines end with CRLF.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

PRODID = "-//Cau Hop//Lich hop//VI"
MAX_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in TEXT (HTAB is)
_NEWLINE = re.compile(r"\r\n|\r|\n")

Status = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime  # aware
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    status: Status = "CONFIRMED"
    last_modified: datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, any line break as ``\\n``, controls dropped."""
    value = _CONTROL.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _NEWLINE.sub("\\\\n", value)


def utc_stamp(value: datetime) -> str:
    """A DATE-TIME in UTC form (``20310106T010000Z``)."""
    if value.utcoffset() is None:
        raise ValueError("a calendar time must be timezone-aware")
    return f"{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def fold(line: str) -> str:
    """One content line folded into chunks of at most 75 octets, continuation lines starting with a space."""
    data = line.encode()
    if len(data) <= MAX_OCTETS:
        return line + "\r\n"
    chunks, start, limit = [], 0, MAX_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never cut inside a UTF-8 sequence
            end -= 1
        chunks.append(data[start:end].decode())
        start, limit = end, MAX_OCTETS - 1  # the leading space counts
    return "\r\n ".join(chunks) + "\r\n"


def _event_lines(event: CalendarEvent, stamp: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTART:{utc_stamp(event.start)}",
        f"DTEND:{utc_stamp(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{event.status}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{utc_stamp(event.last_modified)}")
    return [*lines, "END:VEVENT"]


def render_calendar(
    name: str, events: Iterable[CalendarEvent], stamp: datetime, *, refresh_minutes: int = 15
) -> str:
    """The whole feed. ``stamp`` is when it was generated (DTSTAMP of every event)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Ho_Chi_Minh",
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{refresh_minutes}M",
        f"X-PUBLISHED-TTL:PT{refresh_minutes}M",
    ]
    for event in events:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
