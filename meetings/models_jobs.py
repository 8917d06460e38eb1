"""Tables of scheduled jobs and notifications. Times are aware UTC (UTCDateTime columns).

``apscheduler_jobs`` is APScheduler 3's own job-store table, declared here with exactly the columns its
SQLAlchemyJobStore creates, so that our migrations own the schema and the store finds it already there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Float, Index, LargeBinary, Table, Unicode, UniqueConstraint
from sqlmodel import Field, SQLModel

APSCHEDULER_TABLE = "apscheduler_jobs"

apscheduler_jobs = Table(
    APSCHEDULER_TABLE,
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class JobRun(SQLModel, table=True):
    """One execution of a planned job, written in the same transaction as its effects: a run key that is
    here has run (or was reported missed) and never runs again, whichever process or restart comes next."""

    __tablename__ = "job_run"

    run_key: str = Field(primary_key=True, max_length=191)
    job_id: str = Field(max_length=160, index=True)
    kind: str = Field(max_length=32)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    run_at: datetime
    ran_at: datetime
    outcome: str = Field(max_length=16)  # done | missed | skipped
    detail: str = Field(default="", max_length=500)


class SchedulerLease(SQLModel, table=True):
    """The scheduler leader's lease (SQLite; PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=191)
    expires_at: datetime


class Notification(SQLModel, table=True):
    """A message to one person (and their user account, if they have one)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=500)
    body: str = Field(default="")
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=191, unique=True)
    created_at: datetime
    read_at: datetime | None = None


class NotificationDelivery(SQLModel, table=True):
    """One channel of a notification (``in_app`` over the user's bus channel, ``email``) and its state."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_notification_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=255)  # the e-mail address, or the bus channel
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    attempts: int = 0
    last_error: str = Field(default="", max_length=1000)
    next_attempt_at: datetime
    sent_at: datetime | None = None


class ConnectivityResult(SQLModel, table=True):
    """The latest pre-meeting connectivity test of one bridge point for one meeting."""

    __tablename__ = "connectivity_result"
    __table_args__ = (UniqueConstraint("meeting_id", "bridge_point_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    bridge_point_id: int = Field(foreign_key="bridge_point.id", index=True)
    status: str = Field(default="pending", max_length=16)  # pending | ok | failed | no_answer
    requested_at: datetime | None = None
    deadline_at: datetime | None = None
    answered_at: datetime | None = None
    reachable: bool | None = None
    rtt_ms: float | None = None
    loss_pct: float | None = None
    alerted_at: datetime | None = None


class CalendarToken(SQLModel, table=True):
    """A user's secret calendar-feed token (stored hashed; rotating it replaces the row)."""

    __tablename__ = "calendar_token"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime
