"""Time at the edges: the database keeps aware UTC (SQLModel's UTCDateTime); people see Asia/Ho_Chi_Minh."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """An input time made aware: a naive time is a local (Asia/Ho_Chi_Minh) wall-clock time."""
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def to_db(value: datetime) -> datetime:
    """Any input time as aware UTC, the form stored and compared."""
    return aware(value).astimezone(UTC)


def from_db(value: datetime) -> datetime:
    """A stored time as aware UTC (databases without time zones give it back naive, meaning UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    return from_db(value).astimezone(LOCAL_TZ)
