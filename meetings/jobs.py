"""Scheduled jobs: APScheduler 3 with its job store in our own database, run by one leader process.

How it fits together:

* **What to run** comes from the pure planner (``meetings.reminders.plan_jobs``) over a meeting's current
  state. ``sync_meeting(id, now)`` stores the planned jobs in APScheduler's ``SQLAlchemyJobStore`` (table
  ``apscheduler_jobs``, same database): new ones are added, moved ones replaced, stale ones removed.
  The HTTP handlers call ``on_meeting_changed(id)`` after a meeting command commits; any process may, the
  store is shared. A reconciliation job (every minute, on the leader) re-syncs every meeting whose
  ``updated_at`` moved since its last pass — this covers changes made by other processes, the live
  session, the CLI, or a hook that was not called — and a full pass runs whenever a process becomes leader.
* **Who runs it**: every process starts a scheduler, but only the leader executes jobs: a PostgreSQL session
  advisory lock (released by the server when its holder's connection dies), or on SQLite a lease row that
  the leader renews and any process takes over once it expires.
* **Once**: a due job is claimed by removing it from the store, then executed in one transaction that first
  inserts its run key into ``job_run``: a second runner (a second leader in a split brain, a restart that
  replays) fails on that key and changes nothing. A job is checked against the *current* plan when it runs,
  so a stale one (the meeting moved or was cancelled meanwhile) does nothing. A job that comes due later
  than the grace time (the server was down) is recorded as ``missed`` and logged, not run.
* **Time** is passed in: ``tick(now)`` elects, reconciles and runs what is due at ``now``. In ``auto`` mode
  APScheduler's own thread calls it with the wall clock; in ``manual`` mode (tests, tools) nothing runs
  unless someone calls ``tick``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, delete, select

from meetings import commands, eventlog, notify, queries
from meetings import series as series_mod
from meetings.clock import LOCAL_TZ, from_db, utcnow
from meetings.db import reading, transaction
from meetings.errors import CauhopError, FieldError, Forbidden, Invalid, NotFound, SchedulingConflict
from meetings.live_service import event_message
from meetings.models import BridgePoint, Meeting, MeetingBridgePoint, Series, User
from meetings.models_jobs import ConnectivityResult, JobRun, SchedulerLease, apscheduler_jobs
from meetings.permissions import Actor, MeetingRole, manages_unit, meeting_role, require_view_meeting
from meetings.recurrence import parse_rrule
from meetings.reminders import (
    Decision,
    JobKind,
    MeetingFacts,
    PlannedJob,
    PlanSettings,
    connectivity_notice,
    connectivity_status,
    decide,
    meeting_of,
    meeting_prefix,
    no_answer_summary,
    notice_text,
    plan_jobs,
    roll_forward_slots,
    run_key,
    sync_actions,
)
from meetings.schemas import Strict

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RECONCILE, DELIVER, ROLL_SERIES = "system:reconcile", "system:deliver", "system:roll_series"
ADVISORY_KEY = 0x43415549  # "CAUI": the scheduler leader's PostgreSQL advisory lock
RECONCILE_SLACK = timedelta(minutes=5)  # re-check edits that committed a little after the last pass began


@dataclass(frozen=True)
class JobSettings:
    mode: str = (
        "auto"  # auto: APScheduler's thread runs tick() on the wall clock; manual: only explicit ticks
    )
    plan: PlanSettings = PlanSettings()
    smtp: notify.SmtpSettings = notify.SmtpSettings()
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
        return cls(mode=mode, plan=PlanSettings.from_env(env), smtp=notify.SmtpSettings.from_env(env))


def planned_job(*args: object) -> None:
    """The callable APScheduler records for every job of ours. Jobs are executed by ``JobService.run_due``
    (which reads their args), never through this function."""
    raise RuntimeError("Cầu Họp jobs are run by JobService.run_due, not called directly")


# ---- the leader ----


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


class _JobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """APScheduler's SQLAlchemy job store on the app's engine, which it must not dispose of at shutdown."""

    def shutdown(self) -> None:
        return None


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's background thread, asking ``tick`` what to do instead of reading the clock itself."""

    def __init__(self, tick: Callable[[], float | None], **options: Any) -> None:
        super().__init__(**options)
        self._tick = tick

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        try:
            return self._tick()
        except Exception:  # a database hiccup must not kill the scheduler thread: log it, try again soon
            log.exception("scheduler tick failed; trying again shortly")
            return 10.0


# ---- facts and effects ----


def load_facts(session: Session, meeting_id: int) -> MeetingFacts | None:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    pub = notify.publications(session, [meeting_id])[meeting_id]
    bps = session.exec(
        select(func.count())
        .select_from(MeetingBridgePoint)
        .where(MeetingBridgePoint.meeting_id == meeting_id)
    ).one()
    deadline = session.exec(
        select(func.min(ConnectivityResult.deadline_at)).where(
            ConnectivityResult.meeting_id == meeting_id, ConnectivityResult.status == "pending"
        )
    ).one()
    return MeetingFacts(
        meeting_id=meeting_id,
        status=meeting.status,
        start=from_db(meeting.start_at),
        end=from_db(meeting.end_at),
        version=meeting.version,
        published_at=pub.published_at,
        changed_at=pub.changed_at,
        cancelled_at=pub.cancelled_at,
        bridge_points=bps,
        connectivity_deadline=from_db(deadline) if deadline is not None else None,
    )


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


def _notice(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    meeting = queries.get_meeting(ctx.session, facts.meeting_id)
    text_ = notice_text(job.kind, meeting.title, facts.start, facts.end, job.variant)
    data = {"start": facts.start.isoformat(), "end": facts.end.isoformat(), "variant": job.variant}
    draft = notify.Draft(job.kind.value, text_.title, text_.body, facts.meeting_id, data, dedupe=job.run_key)
    ids = notify.create(
        ctx.session, notify.everyone(ctx.session, facts.meeting_id), draft, ctx.now, email=ctx.email
    )
    return Outbox(notified=ids, detail=f"{len(ids)} notified")


def _room_open(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    meeting = eventlog.lock_meeting(ctx.session, facts.meeting_id)
    minutes = int(ctx.settings.plan.room_open.total_seconds() // 60)
    payload = {"start": facts.start.isoformat(), "minutes_before": minutes}
    event = eventlog.append(ctx.session, meeting, "meeting.room_opened", payload, actor_id=None, at=ctx.now)
    ctx.session.flush()
    return Outbox(messages=[(f"meeting:{facts.meeting_id}", event_message(event))], detail=f"seq {event.seq}")


class ConnectivityTestRequest(BaseModel):
    """Sent on ``bridge-point:{id}``: run a test call now and answer (``answer_to``) before ``deadline``."""

    type: Literal["connectivity_test"] = "connectivity_test"
    meeting_id: int
    bridge_point_id: int
    meeting_title: str
    start: datetime
    requested_at: datetime
    deadline: datetime
    answer_to: str


def _connectivity_test(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    s, mid = ctx.session, facts.meeting_id
    meeting = queries.get_meeting(s, mid)
    deadline = ctx.now + ctx.settings.plan.connectivity_deadline
    rows = {
        r.bridge_point_id: r
        for r in s.exec(select(ConnectivityResult).where(ConnectivityResult.meeting_id == mid))
    }
    out = Outbox()
    for bp_id in queries.meeting_bridge_point_ids(s, mid):
        row = rows.get(bp_id) or ConnectivityResult(meeting_id=mid, bridge_point_id=bp_id)
        row.status, row.requested_at, row.deadline_at = "pending", ctx.now, deadline
        row.answered_at = row.reachable = row.rtt_ms = row.loss_pct = row.alerted_at = None
        s.add(row)
        message = ConnectivityTestRequest(
            meeting_id=mid,
            bridge_point_id=bp_id,
            meeting_title=meeting.title,
            start=facts.start,
            requested_at=ctx.now,
            deadline=deadline,
            answer_to=f"/api/bridge-points/{bp_id}/connectivity",
        )
        out.messages.append((f"bridge-point:{bp_id}", message.model_dump(mode="json")))
    out.detail = f"{len(out.messages)} bridge points asked"
    return out


def _connectivity_deadline(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    s, mid = ctx.session, facts.meeting_id
    late = s.exec(
        select(ConnectivityResult, BridgePoint)
        .join(BridgePoint, col(BridgePoint.id) == ConnectivityResult.bridge_point_id)
        .where(
            ConnectivityResult.meeting_id == mid,
            ConnectivityResult.status == "pending",
            col(ConnectivityResult.deadline_at) <= ctx.now,
        )
        .order_by(col(BridgePoint.code))
    ).all()
    out = Outbox()
    for row, bp in late:
        row.status, row.alerted_at = "no_answer", ctx.now
        s.add(row)
        if bp.operator_id is not None:
            out.notified += _alert(s, ctx.now, ctx.email, bp, row, [bp.operator_id])
    if late:
        meeting = queries.get_meeting(s, mid)
        notice = no_answer_summary(meeting.title, [bp.name for _, bp in late])
        draft = notify.Draft(
            "connectivity_no_answer",
            notice.title,
            notice.body,
            mid,
            {"bridge_point_ids": [bp.id for _, bp in late]},
            dedupe=job.run_key,
        )
        secretaries = notify.organisers(s, mid, meeting.created_by_id)
        out.notified += notify.create(s, secretaries, draft, ctx.now, email=ctx.email)
    out.detail = f"{len(late)} without an answer"
    return out


def _alert(
    session: Session, now: datetime, email: bool, bp: BridgePoint, row: ConnectivityResult, people: list[int]
) -> list[int]:
    """Tell ``people`` that a bridge point failed its connectivity test or did not answer (once a round)."""
    meeting = queries.get_meeting(session, row.meeting_id)
    notice = connectivity_notice(bp.name, meeting.title, row.status, row.rtt_ms, row.loss_pct)
    stamp = row.requested_at.isoformat() if row.requested_at else "unrequested"
    draft = notify.Draft(
        f"connectivity_{row.status}",
        notice.title,
        notice.body,
        row.meeting_id,
        {"bridge_point_id": bp.id, "status": row.status, "rtt_ms": row.rtt_ms, "loss_pct": row.loss_pct},
        dedupe=f"conn:{row.meeting_id}:{bp.id}:{stamp}:{row.status}",
    )
    return notify.create(session, people, draft, now, email=email)


def _overrun(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    meeting = queries.get_meeting(ctx.session, facts.meeting_id)
    if meeting.status != "live":
        return Outbox(outcome="skipped", detail=f"the meeting is {meeting.status}")
    text_ = notice_text(JobKind.overrun, meeting.title, facts.start, facts.end)
    people = notify.organisers(ctx.session, facts.meeting_id, meeting.created_by_id, chair=True)
    draft = notify.Draft("overrun", text_.title, text_.body, facts.meeting_id, {}, dedupe=job.run_key)
    return Outbox(notified=notify.create(ctx.session, people, draft, ctx.now, email=ctx.email))


EFFECTS: dict[JobKind, Callable[[JobContext, MeetingFacts, PlannedJob], Outbox]] = {
    JobKind.invitation: _notice,
    JobKind.changed: _notice,
    JobKind.cancelled: _notice,
    JobKind.reminder: _notice,
    JobKind.room_open: _room_open,
    JobKind.connectivity_test: _connectivity_test,
    JobKind.connectivity_deadline: _connectivity_deadline,
    JobKind.overrun: _overrun,
}


# ---- the service ----


def _ran(session: Session, keys: list[str]) -> set[str]:
    """Which of these run keys have run (or were reported missed)."""
    if not keys:
        return set()
    return set(session.exec(select(JobRun.run_key).where(col(JobRun.run_key).in_(keys))).all())


class JobService:
    """One per process (the app's lifespan owns it). Every process stores jobs; the leader runs them."""

    def __init__(
        self,
        engine: Engine,
        settings: JobSettings,
        *,
        publish: notify.Publish | None = None,
        buffer: timedelta = timedelta(minutes=15),
        clock: Clock = utcnow,
        lock: LeaderLock | None = None,
    ) -> None:
        self.engine, self.settings, self.publish = engine, settings, publish
        self.buffer, self.clock = buffer, clock  # set-up buffer for the series it rolls; the wall clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lock = lock or make_leader_lock(engine, self.holder, settings.lease)
        self.leading = False
        self._watermark: datetime | None = None
        self._mutex = threading.RLock()  # store changes and claims of this process, one at a time
        self.store = _JobStore(engine=engine, tablename=apscheduler_jobs.name)
        self.scheduler = _Scheduler(
            lambda: self.tick(),
            timezone=UTC,
            jobstores={"default": self.store},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )

    # -- life --

    def start(self) -> None:
        self.scheduler.start(paused=self.settings.mode != "auto")

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.leading:
            self.leading = False
            self.lock.release()

    def tick(self, now: datetime | None = None) -> float:
        """Elect, then (as leader) run what is due at ``now``. Returns the seconds until the next tick."""
        now = now or self.clock()
        leading = self.lock.hold(now)
        if leading and not self.leading:
            log.info("scheduler leader: %s", self.holder)
            self._ensure_system_jobs(now)
            self.reconcile(now, full=True)
        self.leading = leading
        if not leading:
            return self.settings.poll.total_seconds()
        self.run_due(now)
        upcoming = self.store.get_next_run_time()
        wait = (upcoming - self.clock()).total_seconds() if upcoming else float("inf")
        return max(0.0, min(wait, self.settings.poll.total_seconds()))

    # -- keeping the store in line with the plan --

    def on_meeting_changed(self, meeting_id: int) -> None:
        """Call after a meeting command committed (any process): re-plan the meeting's jobs."""
        self.sync_meeting(meeting_id, self.clock())
        if self.leading:
            self.scheduler.wakeup()

    def sync_meeting(self, meeting_id: int, now: datetime) -> None:
        with self._mutex:
            with reading(self.engine) as s:
                facts = load_facts(s, meeting_id)
                planned = plan_jobs(facts, self.settings.plan) if facts else []
                stored = self._stored(s, meeting_prefix(meeting_id))
                done = _ran(s, [p.run_key for p in planned])
            actions = sync_actions(planned, stored, done, now, self.settings.plan.grace)
            for p in [*actions.add, *actions.move]:
                self.scheduler.add_job(
                    planned_job,
                    DateTrigger(p.run_at),
                    args=p.args,
                    id=p.job_id,
                    name=p.job_id,
                    replace_existing=True,
                )
            for job_id in actions.remove:
                self._remove(job_id)

    @staticmethod
    def _stored(session: Session, prefix: str) -> dict[str, datetime]:
        t = apscheduler_jobs
        rows = session.connection().execute(
            t.select()
            .with_only_columns(t.c.id, t.c.next_run_time)
            .where(t.c.id.startswith(prefix, autoescape=True))
        )
        return {
            r.id: datetime.fromtimestamp(r.next_run_time, UTC) for r in rows if r.next_run_time is not None
        }

    def _remove(self, job_id: str) -> bool:
        try:
            self.scheduler.remove_job(job_id)
            return True
        except JobLookupError:
            return False

    def reconcile(self, now: datetime, *, full: bool = False) -> int:
        """Re-sync meetings changed since the last pass (all active ones, and those with stored jobs, when
        ``full``). Returns how many meetings were synced."""
        with reading(self.engine) as s:
            if full or self._watermark is None:
                recent = now - timedelta(days=2)
                query = select(Meeting.id).where(
                    col(Meeting.status).in_(["scheduled", "live"]) | (col(Meeting.updated_at) >= recent)
                )
                ids = set(s.exec(query).all())
                t = apscheduler_jobs
                for (job_id,) in s.connection().execute(t.select().with_only_columns(t.c.id)):
                    ids.add(meeting_of(job_id))
            else:
                since = self._watermark - RECONCILE_SLACK
                ids = set(s.exec(select(Meeting.id).where(col(Meeting.updated_at) >= since)).all())
        self._watermark = now
        for mid in sorted(i for i in ids if i is not None):
            self.sync_meeting(mid, now)
        return len(ids)

    def _ensure_system_jobs(self, now: datetime) -> None:
        s = self.settings
        for job_id, every in (
            (RECONCILE, s.reconcile_every),
            (DELIVER, s.deliver_every),
            (ROLL_SERIES, s.roll_series_every),
        ):
            job = self.scheduler.get_job(job_id)
            if job is not None and isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == every:
                continue
            self.scheduler.add_job(
                planned_job,
                IntervalTrigger(seconds=every.total_seconds(), start_date=now, timezone=UTC),
                args=(job_id,),
                id=job_id,
                name=job_id,
                next_run_time=now,
                replace_existing=True,
            )

    # -- running --

    def run_due(self, now: datetime) -> int:
        """Claim and run every job due at ``now`` (the leader's work). Returns how many were run."""
        ran = 0
        for job in self.store.get_due_jobs(now):
            with self._mutex:
                fresh = self.store.lookup_job(job.id)
                if fresh is None or fresh.next_run_time != job.next_run_time:
                    continue  # moved or taken meanwhile
                run_at = from_db(fresh.next_run_time)
                if isinstance(fresh.trigger, IntervalTrigger):
                    self.scheduler.modify_job(fresh.id, next_run_time=now + fresh.trigger.interval)
                elif not self._remove(fresh.id):
                    continue  # another runner claimed it first
            self._execute(fresh.id, tuple(fresh.args), run_at, now)
            ran += 1
        return ran

    def _execute(self, job_id: str, args: tuple[Any, ...], run_at: datetime, now: datetime) -> None:
        if job_id == RECONCILE:
            self.reconcile(now)
        elif job_id == DELIVER:
            self.deliver(now)
        elif job_id == ROLL_SERIES:
            self.roll_series(now)
        elif (meeting_id := meeting_of(job_id)) is not None:
            outbox = self._run_planned(job_id, meeting_id, run_at, now)
            self._flush(outbox, now)
            self.sync_meeting(meeting_id, now)  # e.g. the connectivity deadline the test has just set
        else:
            log.warning("unknown job %s (args %s) dropped", job_id, args)

    def _run_planned(self, job_id: str, meeting_id: int, run_at: datetime, now: datetime) -> Outbox:
        key = run_key(job_id, run_at)
        try:
            with transaction(self.engine) as s:
                if s.get(JobRun, key) is not None:
                    return Outbox(outcome="duplicate")
                facts = load_facts(s, meeting_id)
                plan = plan_jobs(facts, self.settings.plan) if facts else []
                job = next((p for p in plan if p.job_id == job_id and p.run_at == run_at), None)
                if job is None or facts is None:
                    log.info("job %s is no longer planned for %s: nothing to do", job_id, run_at)
                    return Outbox(outcome="superseded")
                run = JobRun(
                    run_key=key,
                    job_id=job_id,
                    kind=job.kind.value,
                    meeting_id=meeting_id,
                    run_at=run_at,
                    ran_at=now,
                    outcome="running",
                )
                s.add(run)
                s.flush()  # claims the run key: a concurrent runner waits here, then fails
                if decide(job, now, self.settings.plan.grace) is Decision.missed:
                    log.warning("job %s due at %s was missed (now %s): not run", job_id, run_at, now)
                    run.outcome, run.detail = "missed", f"late by {now - run_at}"
                    return Outbox(outcome="missed")
                outbox = EFFECTS[job.kind](JobContext(s, now, self.settings, self.buffer), facts, job)
                run.outcome, run.detail = outbox.outcome, outbox.detail[:500]
                s.add(run)
                return outbox
        except IntegrityError:
            log.info("job run %s was already taken by another runner", key)
            return Outbox(outcome="duplicate")

    def _flush(self, outbox: Outbox, now: datetime) -> None:
        for channel, message in outbox.messages:
            self._publish(channel, message)
        if outbox.notified:
            self.deliver(now)

    def _publish(self, channel: str, message: dict[str, Any]) -> None:
        if self.publish is None:
            log.info("no event bus: %s message not published", channel)
            return
        try:
            self.publish(channel, message)
        except RuntimeError as exc:  # the bus is not running
            log.warning("could not publish on %s: %s", channel, exc)

    def deliver(self, now: datetime) -> notify.DeliveryReport:
        return notify.deliver_due(self.engine, now, publish=self.publish, smtp=self.settings.smtp)

    # -- series --

    def roll_series(self, now: datetime) -> list[int]:
        """Materialise each series' occurrences up to the horizon (a year): the ids of new meetings."""
        with reading(self.engine) as s:
            ids = [i for i in s.exec(select(Series.id)).all() if i is not None]
        created: list[int] = []
        for sid in ids:
            try:
                created += self._roll_one(sid, now)
            except CauhopError as exc:  # e.g. its host unit is gone: the other series still roll
                log.warning("series %s cannot be rolled forward: %s", sid, exc.detail)
        for mid in created:
            self.sync_meeting(mid, now)
        return created

    def _roll_one(self, series_id: int, now: datetime) -> list[int]:
        with transaction(self.engine) as s:
            row = s.get(Series, series_id)
            if row is None:
                return []
            last = s.exec(
                select(func.max(Meeting.occurrence_start)).where(Meeting.series_id == series_id)
            ).one()
            rule = parse_rrule(row.rrule, LOCAL_TZ)
            first = from_db(row.dtstart).astimezone(LOCAL_TZ)
            slots = roll_forward_slots(
                rule, first, from_db(last) if last else None, now + self.settings.series_horizon
            )
            ctx = commands.Context(s, None, now, self.buffer)
            clashes: list[str] = []
            for slot in slots:
                try:
                    with s.begin_nested():
                        series_mod._materialise(ctx, row, [slot], bool(row.template.get("publish", True)))
                except SchedulingConflict:
                    clashes.append(f"{slot:%d/%m/%Y %H:%M}")
            if clashes and row.created_by_id is not None:
                self._series_clash(s, row, clashes, now)
            query = select(Meeting.id).where(Meeting.series_id == series_id)
            if last is not None:
                query = query.where(col(Meeting.occurrence_start) > last)
            return [i for i in s.exec(query).all() if i is not None]

    def _series_clash(self, s: Session, row: Series, clashes: list[str], now: datetime) -> None:
        creator = s.get(User, row.created_by_id) if row.created_by_id is not None else None
        if creator is None or creator.person_id is None:
            return
        draft = notify.Draft(
            "series_clash",
            f"Không tạo được {len(clashes)} buổi họp định kỳ: {row.title}",
            f"Các buổi họp định kỳ «{row.title}» sau trùng lịch nên chưa được tạo: {', '.join(clashes)}.",
            None,
            {"series_id": row.id, "occurrences": clashes},
            dedupe=f"series:{row.id}:clash:{clashes[0]}:{clashes[-1]}",
        )
        notify.create(s, [creator.person_id], draft, now, email=self.settings.smtp.host is not None)


# ---- the connectivity test's answers (from the bridge point's console or agent) ----


class ConnectivityAnswer(Strict):
    meeting_id: int
    reachable: bool
    rtt_ms: float | None = Field(default=None, ge=0, le=600_000)
    loss_pct: float | None = Field(default=None, ge=0, le=100)


class ConnectivityOut(BaseModel):
    bridge_point_id: int
    code: str
    name: str
    status: Literal["not_tested", "pending", "ok", "failed", "no_answer"]
    failed: bool = Field(default=False, description="failed the test or did not answer in time")
    requested_at: datetime | None = None
    deadline_at: datetime | None = None
    answered_at: datetime | None = None
    reachable: bool | None = None
    rtt_ms: float | None = None
    loss_pct: float | None = None


class ConnectivityReport(BaseModel):
    meeting_id: int
    counts: dict[str, int]
    results: list[ConnectivityOut]


def _out(bp: BridgePoint, row: ConnectivityResult | None) -> ConnectivityOut:
    assert bp.id is not None
    if row is None:
        return ConnectivityOut(bridge_point_id=bp.id, code=bp.code, name=bp.name, status="not_tested")

    def t(v: datetime | None) -> datetime | None:
        return from_db(v) if v is not None else None

    return ConnectivityOut(
        bridge_point_id=bp.id,
        code=bp.code,
        name=bp.name,
        status=row.status,
        failed=row.status in {"failed", "no_answer"},
        requested_at=t(row.requested_at),
        deadline_at=t(row.deadline_at),
        answered_at=t(row.answered_at),
        reachable=row.reachable,
        rtt_ms=row.rtt_ms,
        loss_pct=row.loss_pct,
    )


def record_connectivity(
    session: Session,
    actor: Actor,
    bridge_point_id: int,
    answer: ConnectivityAnswer,
    now: datetime,
    *,
    email: bool,
) -> tuple[ConnectivityOut, list[int]]:
    """Store a bridge point's test result; a failure alerts its operator and the meeting's secretaries at
    once (once per test round). Returns the result and the new notification ids."""
    bp = session.get(BridgePoint, bridge_point_id)
    if bp is None:
        raise NotFound(f"bridge point {bridge_point_id} does not exist")
    meeting = queries.get_meeting(session, answer.meeting_id)
    access, tree = queries.meeting_access(session, meeting), queries.unit_tree(session)
    runner = meeting_role(actor, access) in {MeetingRole.chair, MeetingRole.secretary}
    if (
        actor.person_id != bp.operator_id
        and not runner
        and not manages_unit(actor, meeting.host_unit_id, tree)
    ):
        raise Forbidden(
            "only the operator of this bridge point (or the meeting's secretary) may report its test"
        )
    if bridge_point_id not in queries.meeting_bridge_point_ids(session, answer.meeting_id):
        msg = f"bridge point {bp.code} does not take part in meeting {answer.meeting_id}"
        raise Invalid(msg, [FieldError(("meeting_id",), msg)])
    row = session.exec(
        select(ConnectivityResult).where(
            ConnectivityResult.meeting_id == answer.meeting_id,
            ConnectivityResult.bridge_point_id == bridge_point_id,
        )
    ).first() or ConnectivityResult(meeting_id=answer.meeting_id, bridge_point_id=bridge_point_id)
    row.reachable, row.rtt_ms, row.loss_pct, row.answered_at = (
        answer.reachable,
        answer.rtt_ms,
        answer.loss_pct,
        now,
    )
    before, row.status = row.status, connectivity_status(answer.reachable, answer.loss_pct)
    notified: list[int] = []
    if row.status == "failed" and before != "failed":
        row.alerted_at = now
        people = [bp.operator_id] if bp.operator_id is not None else []
        people += notify.organisers(session, answer.meeting_id, meeting.created_by_id)
        notified = _alert(session, now, email, bp, row, people)
    session.add(row)
    session.flush()
    return _out(bp, row), notified


def connectivity_report(session: Session, actor: Actor, meeting_id: int) -> ConnectivityReport:
    meeting = queries.get_meeting(session, meeting_id)
    require_view_meeting(actor, queries.meeting_access(session, meeting), queries.unit_tree(session))
    rows = {
        r.bridge_point_id: r
        for r in session.exec(select(ConnectivityResult).where(ConnectivityResult.meeting_id == meeting_id))
    }
    bps = session.exec(
        select(BridgePoint)
        .join(MeetingBridgePoint, col(MeetingBridgePoint.bridge_point_id) == BridgePoint.id)
        .where(MeetingBridgePoint.meeting_id == meeting_id)
        .order_by(col(BridgePoint.code))
    ).all()
    results = [_out(bp, rows.get(bp.id or 0)) for bp in bps]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return ConnectivityReport(meeting_id=meeting_id, counts=counts, results=results)
