"""SQLModel tables: the persisted shape of the domain. Times are aware UTC (UTCDateTime columns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    level: str = Field(max_length=16, index=True)
    kind: str = Field(max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=255)
    title: str = Field(default="", max_length=255)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    email: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=32)


class BridgePoint(SQLModel, table=True):
    __tablename__ = "bridge_point"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    address: str = Field(default="", max_length=500)
    capacity: int = Field(default=0, ge=0)
    equipment: str = Field(default="", max_length=500)
    operator_id: int | None = Field(default=None, foreign_key="person.id")
    link_quality: str = Field(default="good", max_length=8)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    active: bool = True


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    csrf_token: str = Field(max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime
    expires_at: datetime


class Series(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    rrule: str = Field(max_length=500)
    dtstart: datetime  # the first occurrence
    duration_minutes: int
    template: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class Meeting(SQLModel, table=True):
    __table_args__ = (Index("ix_meeting_time", "start_at", "end_at"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    body: str = Field(default="", max_length=255)
    description: str = Field(default="")
    host_unit_id: int = Field(foreign_key="unit.id", index=True)
    start_at: datetime
    end_at: datetime
    status: str = Field(default="draft", max_length=16, index=True)
    scope: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    occurrence_start: datetime | None = None  # the series slot this meeting fills (RECURRENCE-ID)
    detached: bool = False  # edited on its own: a change to "the rest of the series" leaves it alone
    version: int = 1
    last_seq: int = 0
    last_hash: str = Field(default="", max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime
    updated_at: datetime


class MeetingParticipant(SQLModel, table=True):
    __tablename__ = "meeting_participant"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=16)


class MeetingBridgePoint(SQLModel, table=True):
    __tablename__ = "meeting_bridge_point"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    bridge_point_id: int = Field(foreign_key="bridge_point.id", primary_key=True, index=True)


class MeetingEvent(SQLModel, table=True):
    """The per-meeting event log: every change, in order, hash-chained."""

    __tablename__ = "meeting_event"
    __table_args__ = (
        UniqueConstraint("meeting_id", "seq"),
        UniqueConstraint("meeting_id", "idempotency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    seq: int
    kind: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    idempotency_key: str | None = Field(default=None, max_length=128)
    at: datetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class SecretBallot(SQLModel, table=True):
    """A secret ballot's choice, kept apart from who cast it (the log records only that they voted).
    The key is random, and the row carries no time and no voter."""

    __tablename__ = "secret_ballot"

    id: str = Field(primary_key=True, max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    poll_id: int = Field(index=True)
    choice: str = Field(max_length=100)
