"""Scheduled jobs: APScheduler 3 with its job store in our own database, run by one leader process.

How it fits together:

* **What to run** comes from the pure planner (``meetings.reminders.plan_jobs``) over a meeting's current
  state. ``sync_meeting(id, now)`` stores the planned jobs in APScheduler's ``SQLAlchemyJobStore`` (table
  ``apscheduler_jobs``, same database): new ones are added, moved ones replaced, stale ones removed.
  The HTTP handlers call ``on_meeting_changed(id)`` after a meeting command commits; any process may, the
  store is shared. A reconciliation job (every minute, on the leader) re-syncs every meeting whose
  ``updated_at``, or one of whose documents' ``updated_at``, moved since its last pass — this covers changes
  made by other processes, the live session, the CLI, the documents edge (a comment deadline set or moved,
  a document uploaded), or a hook that was not called — and a full pass runs whenever a process becomes
  leader. Each sync first invites whoever joined the published meeting's audience since its invitation
  went out and tells whoever left it (``meetings.jobs_roster``); their in-app copies go out at once.
* **The jobs** (``meetings.jobs_run.RUNNERS``): the invitation, change and cancellation notices and the
  reminders to every participant and bridge-point operator; the room opening (an event in the meeting's
  log; the media relay makes a meeting's room when its first member joins, in whichever process that is);
  the pre-meeting connectivity test and its deadline (``meetings.jobs_connectivity``); the overrun alert;
  the agenda deadline and the closing of each document's comments (``meetings.jobs_documents``); and,
  beside the meetings, the delivery of due notifications and the series rolled forward.
* **The agenda deadline**: the meeting's packet (bộ tài liệu) is due ``CAUHOP_AGENDA_DEADLINE_HOURS``
  (default 72; 0 turns the warning off) before the start. At that time the meeting's secretary is warned
  when no packet has been published, or when the agenda or a document of the packet (one every participant
  may read) was published or given a new version after the last one; a current packet is left in peace.
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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from meetings import notify
from meetings.clock import from_db, utcnow
from meetings.db import reading, transaction
from meetings.jobs_context import JobContext, JobSettings, Outbox
from meetings.jobs_documents import meetings_with_comment_deadlines, meetings_with_document_changes
from meetings.jobs_locks import LeaderLock, make_leader_lock
from meetings.jobs_roster import sync_roster
from meetings.jobs_run import RUNNERS, load_facts
from meetings.jobs_series import roll_series
from meetings.models import Meeting
from meetings.models_jobs import JobRun, apscheduler_jobs
from meetings.notify_delivery import DeliveryReport, deliver_due
from meetings.reminders import Decision, decide, meeting_of, meeting_prefix, plan_jobs, run_key, sync_actions

__all__ = ["JobService", "JobSettings", "planned_job"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RECONCILE, DELIVER, ROLL_SERIES = "system:reconcile", "system:deliver", "system:roll_series"
RECONCILE_SLACK = timedelta(minutes=5)  # re-check edits that committed a little after the last pass began


def planned_job(*args: object) -> None:
    """The callable APScheduler records for every job of ours. Jobs are executed by ``JobService.run_due``
    (which reads their args), never through this function."""
    raise RuntimeError("Cầu Họp jobs are run by JobService.run_due, not called directly")


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
        if sync_roster(self.engine, meeting_id, now, email=self.settings.smtp.host is not None):
            # in-app at once (as "send again" does); e-mail is the sender job's, with its retries
            deliver_due(
                self.engine, now, publish=self.publish, smtp=self.settings.smtp, channels=(notify.IN_APP,)
            )
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
        """Re-sync meetings (or their documents) changed since the last pass; when ``full``, every active
        meeting, those with stored jobs and those with comments still to close. Returns how many."""
        with reading(self.engine) as s:
            if full or self._watermark is None:
                recent = now - timedelta(days=2)
                query = select(Meeting.id).where(
                    col(Meeting.status).in_(["scheduled", "live"]) | (col(Meeting.updated_at) >= recent)
                )
                ids = set(s.exec(query).all())
                ids |= meetings_with_comment_deadlines(s, now - self.settings.plan.grace)
                t = apscheduler_jobs
                for (job_id,) in s.connection().execute(t.select().with_only_columns(t.c.id)):
                    ids.add(meeting_of(job_id))
            else:
                since = self._watermark - RECONCILE_SLACK
                ids = set(s.exec(select(Meeting.id).where(col(Meeting.updated_at) >= since)).all())
                ids |= meetings_with_document_changes(s, since)
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
                outbox = RUNNERS[job.kind](JobContext(s, now, self.settings, self.buffer), facts, job)
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

    def deliver(self, now: datetime) -> DeliveryReport:
        return deliver_due(self.engine, now, publish=self.publish, smtp=self.settings.smtp)

    # -- series --

    def roll_series(self, now: datetime) -> list[int]:
        """Materialise each series' occurrences up to the horizon (a year): the ids of new meetings."""
        s = self.settings
        created = roll_series(self.engine, now, s.series_horizon, self.buffer, s.smtp.host is not None)
        for mid in created:
            self.sync_meeting(mid, now)
        return created
