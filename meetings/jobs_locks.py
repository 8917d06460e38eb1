"""The scheduler's leader: every process runs a scheduler, only the holder of this lock executes jobs.

PostgreSQL: a session advisory lock, freed by the server when its holder's connection dies. SQLite: a lease
row that the leader renews at every tick and any process takes over once it has expired.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, delete

from meetings.clock import from_db
from meetings.db import transaction
from meetings.models_jobs import SchedulerLease

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x43415549  # "CAUI": the scheduler leader's PostgreSQL advisory lock


class LeaderLock(Protocol):
    def hold(self, now: datetime) -> bool:
        """Take or keep the lock; False while another process holds it."""

    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL: a session advisory lock on a connection kept open; the server frees it when that
    connection dies, so a follower takes over at its next try."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.engine, self.key = engine, key
        self.conn: Connection | None = None

    def hold(self, now: datetime) -> bool:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("the scheduler lock's connection is gone: no longer leader")
                self._drop()
                return False
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except DBAPIError:
            conn.close()
            raise
        if got:
            self.conn = conn
        else:
            conn.close()
        return got

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.invalidate()
            self.conn = None

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self.conn.close()
            except DBAPIError:
                self.conn.invalidate()
            self.conn = None


class LeaseLock:
    """A lease row (SQLite): the holder renews it at every tick; anyone takes it once it has expired."""

    NAME = "scheduler"

    def __init__(self, engine: Engine, holder: str, ttl: timedelta) -> None:
        self.engine, self.holder, self.ttl = engine, holder, ttl

    def hold(self, now: datetime) -> bool:
        try:
            with transaction(self.engine) as s:
                row = s.get(SchedulerLease, self.NAME, with_for_update=True)
                if row is not None and row.holder != self.holder and from_db(row.expires_at) > now:
                    return False
                row = row or SchedulerLease(name=self.NAME, holder=self.holder, expires_at=now)
                row.holder, row.expires_at = self.holder, now + self.ttl
                s.add(row)
            return True
        except IntegrityError:  # another process created the row at the same moment
            return False

    def release(self) -> None:
        with transaction(self.engine) as s:
            s.exec(
                delete(SchedulerLease).where(
                    col(SchedulerLease.name) == self.NAME, col(SchedulerLease.holder) == self.holder
                )
            )


def make_leader_lock(engine: Engine, holder: str, lease: timedelta) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return LeaseLock(engine, holder, lease)
