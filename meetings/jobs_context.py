"""What every job runner gets and gives back: the scheduler's settings, the job's context (its transaction,
the time, the settings) and its outbox (what to publish and deliver once that transaction has committed)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from meetings.notify import SmtpSettings
from meetings.reminders import MeetingFacts, PlannedJob, PlanSettings


@dataclass(frozen=True)
class JobSettings:
    mode: str = (
        "auto"  # auto: APScheduler's thread runs tick() on the wall clock; manual: only explicit ticks
    )
    plan: PlanSettings = PlanSettings()
    smtp: SmtpSettings = SmtpSettings()
    poll: timedelta = timedelta(seconds=10)  # how often a follower tries to lead, and the leader renews
    lease: timedelta = timedelta(seconds=30)  # SQLite leader lease
    reconcile_every: timedelta = timedelta(minutes=1)
    deliver_every: timedelta = timedelta(seconds=30)
    roll_series_every: timedelta = timedelta(hours=6)
    series_horizon: timedelta = timedelta(days=365)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JobSettings:
        """``CAUHOP_SCHEDULER`` (auto|manual), the plan's settings (``PlanSettings.from_env``) and
        ``CAUHOP_SMTP_HOST`` / ``_PORT`` / ``_FROM``."""
        env = dict(os.environ if env is None else env)
        mode = env.get("CAUHOP_SCHEDULER", "auto").strip().lower()
        if mode not in {"auto", "manual"}:
            raise ValueError(f"CAUHOP_SCHEDULER must be 'auto' or 'manual', not {mode!r}")
        return cls(mode=mode, plan=PlanSettings.from_env(env), smtp=SmtpSettings.from_env(env))


@dataclass
class Outbox:
    """What a job leaves to do once its transaction has committed."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)
    outcome: str = "done"
    detail: str = ""


@dataclass(frozen=True)
class JobContext:
    session: Session
    now: datetime
    settings: JobSettings
    buffer: timedelta

    @property
    def email(self) -> bool:
        return self.settings.smtp.host is not None


Runner = Callable[[JobContext, MeetingFacts, PlannedJob], Outbox]
