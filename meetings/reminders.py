"""What the scheduler must do for a meeting, and when (pure: plain data in, plain data out, no I/O).

``plan_jobs(facts, settings)`` turns one meeting's current state into its planned jobs — invitation, change
and cancellation notices, reminders, room opening, the pre-meeting connectivity test and its deadline,
the agenda (documents) deadline, the closing of each document's comments, the overrun alert.
``sync_actions`` compares that plan with the jobs already stored and says what to add, move and remove;
``decide`` says whether a due job still runs or was missed. The edge (``meetings.jobs``) only loads facts,
applies these answers to APScheduler's job store, and performs the effects; ``meetings.notices`` words them.

Rules of the plan, in words:

* a draft has no notices; a scheduled meeting gets the invitation (at the time it was published), a change
  notice (at its last edit after publication, other than of only its participants or scope: the people
  that edit adds or removes are told by ``meetings.jobs_roster``), its reminders, the room opening and the
  connectivity test;
* a reminder that would fall before the latest notice the recipients got (invitation or change) is not
  planned: that notice already told them;
* the agenda deadline (``agenda_deadline`` before the start) checks that the packet was published: it is
  planned for a scheduled meeting announced before that deadline (one announced later is short of time and
  its secretary knows it); whether the packet is published and current is decided when it runs
  (``packet_status`` over the meeting's log);
* each document with a comment (góp ý) deadline gets a closing job at that deadline
  (``m42:comments_closed:7``), in any status short of cancelled or archived: moving the deadline moves it;
* beside those comment deadlines: a live meeting keeps only the overrun alert (and a pending connectivity
  deadline); a cancelled meeting that had been published gets a cancellation notice; ended and archived
  meetings get nothing;
* every job has a stable id (``m42:reminder:60``) so a reschedule *moves* it, and a run key
  (``m42:reminder:60@20310105T000000Z``) that names one execution: a run key that has run never runs again;
* a job runs if it comes due no later than ``grace`` after its time and before its own expiry (a reminder
  expires when the meeting starts); after that it is reported as missed instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from meetings.recurrence import Rule, occurrences


class JobKind(StrEnum):
    invitation = "invitation"
    changed = "changed"
    cancelled = "cancelled"
    reminder = "reminder"
    room_open = "room_open"
    connectivity_test = "connectivity_test"
    connectivity_deadline = "connectivity_deadline"
    agenda_deadline = "agenda_deadline"
    comments_closed = "comments_closed"
    overrun = "overrun"


NOTICES = frozenset({JobKind.invitation, JobKind.changed, JobKind.cancelled, JobKind.reminder})


@dataclass(frozen=True)
class PlanSettings:
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1), timedelta(minutes=15))
    room_open: timedelta = timedelta(minutes=15)
    connectivity_test: timedelta = timedelta(minutes=30)
    connectivity_deadline: timedelta = timedelta(minutes=5)
    overrun: timedelta = timedelta(minutes=15)
    grace: timedelta = timedelta(hours=1)
    agenda_deadline: timedelta = timedelta(hours=72)  # the packet is due this long before the start

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PlanSettings:
        """``CAUHOP_REMINDERS`` (minutes before the start, e.g. ``1440,60,15``; empty for none),
        ``CAUHOP_{ROOM_OPEN,CONNECTIVITY_TEST,CONNECTIVITY_DEADLINE,OVERRUN,JOB_GRACE}_MINUTES`` and
        ``CAUHOP_AGENDA_DEADLINE_HOURS`` (default 72; 0 for no agenda deadline)."""
        d = cls()
        hours = env.get("CAUHOP_AGENDA_DEADLINE_HOURS", "").strip()

        def minutes(name: str, default: timedelta) -> timedelta:
            value = env.get(f"CAUHOP_{name}_MINUTES", "").strip()
            return timedelta(minutes=int(value)) if value else default

        reminders = d.reminders
        if "CAUHOP_REMINDERS" in env:
            reminders = tuple(
                timedelta(minutes=int(m)) for m in env["CAUHOP_REMINDERS"].split(",") if m.strip()
            )
        return cls(
            reminders=reminders,
            room_open=minutes("ROOM_OPEN", d.room_open),
            connectivity_test=minutes("CONNECTIVITY_TEST", d.connectivity_test),
            connectivity_deadline=minutes("CONNECTIVITY_DEADLINE", d.connectivity_deadline),
            overrun=minutes("OVERRUN", d.overrun),
            grace=minutes("JOB_GRACE", d.grace),
            agenda_deadline=timedelta(hours=float(hours)) if hours else d.agenda_deadline,
        )


@dataclass(frozen=True)
class MeetingFacts:
    """What the plan needs to know of one meeting (aware UTC times)."""

    meeting_id: int
    status: str
    start: datetime
    end: datetime
    version: int = 1
    published_at: datetime | None = None  # the last move to 'scheduled'
    changed_at: datetime | None = None  # the last edit after that move
    cancelled_at: datetime | None = None
    bridge_points: int = 0
    connectivity_deadline: datetime | None = None  # earliest deadline of an unanswered connectivity test
    comment_deadlines: tuple[tuple[int, datetime], ...] = ()  # (document id, its comment deadline)


@dataclass(frozen=True)
class PlannedJob:
    job_id: str
    run_at: datetime
    kind: JobKind
    meeting_id: int
    variant: str = ""  # the reminder's minutes, the change notice's version
    expires_at: datetime | None = None

    @property
    def run_key(self) -> str:
        return run_key(self.job_id, self.run_at)

    @property
    def args(self) -> tuple[str, int, str]:
        return (self.kind.value, self.meeting_id, self.variant)


def run_key(job_id: str, run_at: datetime) -> str:
    return f"{job_id}@{run_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def meeting_prefix(meeting_id: int) -> str:
    return f"m{meeting_id}:"


def planned_job_id(meeting_id: int, kind: JobKind, variant: str = "") -> str:
    """``m42:invitation``, or ``m42:reminder:60`` for a job of its own per variant."""
    return meeting_prefix(meeting_id) + kind.value + (f":{variant}" if variant else "")


def invitation_run_key(meeting_id: int, published_at: datetime) -> str:
    """The run key of the invitation job of a publication (``published_at``), as the plan names it."""
    return run_key(planned_job_id(meeting_id, JobKind.invitation), published_at.replace(microsecond=0))


def meeting_of(job_id: str) -> int | None:
    """The meeting a job id belongs to (``m42:reminder:60`` → 42), or None for other jobs."""
    head, sep, _ = job_id.partition(":")
    return int(head[1:]) if sep and head[:1] == "m" and head[1:].isdigit() else None


def _job(
    f: MeetingFacts,
    kind: JobKind,
    run_at: datetime,
    expires: datetime | None,
    variant: str = "",
    *,
    own_id: bool = False,
) -> PlannedJob:
    """``own_id``: each variant is a job of its own (the reminders); else the variant only rides along."""
    name = planned_job_id(f.meeting_id, kind, variant if own_id else "")
    # whole seconds: the job store keeps times as float timestamps, exact only to about a microsecond
    return PlannedJob(name, run_at.replace(microsecond=0), kind, f.meeting_id, variant, expires)


def plan_jobs(f: MeetingFacts, s: PlanSettings) -> list[PlannedJob]:
    """Every job the meeting needs now, sorted by time (then id)."""
    jobs: list[PlannedJob] = []
    if f.status == "cancelled" and f.published_at is not None and f.cancelled_at is not None:
        jobs.append(_job(f, JobKind.cancelled, f.cancelled_at, f.end))
    if f.status == "scheduled":
        jobs += _scheduled(f, s)
    if f.status in {"scheduled", "live"}:
        jobs.append(_job(f, JobKind.overrun, f.end + s.overrun, None))
        if f.connectivity_deadline is not None:
            jobs.append(_job(f, JobKind.connectivity_deadline, f.connectivity_deadline, f.end))
    if f.status not in {"cancelled", "archived"}:
        for doc_id, deadline in f.comment_deadlines:
            jobs.append(_job(f, JobKind.comments_closed, deadline, None, str(doc_id), own_id=True))
    return sorted(jobs, key=lambda j: (j.run_at, j.job_id))


def _scheduled(f: MeetingFacts, s: PlanSettings) -> list[PlannedJob]:
    jobs = []
    told = [t for t in (f.published_at, f.changed_at) if t is not None]
    if f.published_at is not None:
        jobs.append(_job(f, JobKind.invitation, f.published_at, f.start))
    if f.changed_at is not None:
        jobs.append(_job(f, JobKind.changed, f.changed_at, f.start, str(f.version)))
    for before in sorted(set(s.reminders), reverse=True):
        at = f.start - before
        if not told or at > max(told):
            minutes = str(int(before.total_seconds() // 60))
            jobs.append(_job(f, JobKind.reminder, at, f.start, minutes, own_id=True))
    jobs.append(_job(f, JobKind.room_open, f.start - s.room_open, f.end))
    agenda_due = f.start - s.agenda_deadline
    if s.agenda_deadline > timedelta(0) and (f.published_at is None or agenda_due > f.published_at):
        jobs.append(_job(f, JobKind.agenda_deadline, agenda_due, f.start))
    if f.bridge_points:
        jobs.append(_job(f, JobKind.connectivity_test, f.start - s.connectivity_test, f.start))
    return jobs


class Decision(StrEnum):
    run = "run"
    missed = "missed"


def decide(job: PlannedJob, now: datetime, grace: timedelta) -> Decision:
    """A due job runs while it is at most ``grace`` late and not expired; otherwise it was missed."""
    if now - job.run_at > grace or (job.expires_at is not None and now >= job.expires_at):
        return Decision.missed
    return Decision.run


def runnable(job: PlannedJob, now: datetime, grace: timedelta) -> bool:
    return job.run_at > now or decide(job, now, grace) is Decision.run


@dataclass(frozen=True)
class SyncActions:
    add: list[PlannedJob] = field(default_factory=list)
    move: list[PlannedJob] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.move or self.remove)


def sync_actions(
    planned: Sequence[PlannedJob],
    stored: Mapping[str, datetime],
    done: frozenset[str] | set[str],
    now: datetime,
    grace: timedelta,
) -> SyncActions:
    """Bring the stored jobs (id → next run time) of one meeting in line with its plan.

    A stored job that is still planned at the same time is kept whatever its lateness (it is reported as
    missed when it comes due, if too late); a new or moved job is stored only while it can still run; a job
    whose run key already ran is never stored again."""
    actions = SyncActions()
    wanted = {p.job_id: p for p in planned}
    actions.remove.extend(job_id for job_id in sorted(stored) if job_id not in wanted)
    for p in planned:
        current = stored.get(p.job_id)
        if p.run_key in done or (current != p.run_at and not runnable(p, now, grace)):
            if current is not None:
                actions.remove.append(p.job_id)
        elif current is None:
            actions.add.append(p)
        elif current != p.run_at:
            actions.move.append(p)
    return actions


def retry_delay(
    attempts: int, base: timedelta = timedelta(seconds=30), cap: timedelta = timedelta(hours=1)
) -> timedelta:
    """Exponential back-off after the ``attempts``-th failed attempt: base, 2·base, 4·base … at most cap."""
    if attempts < 1:
        return timedelta(0)
    delay: timedelta = base * (2 ** min(attempts - 1, 30))
    return min(cap, delay)


def roll_forward_slots(
    rule: Rule, first: datetime, materialised_until: datetime | None, until: datetime, limit: int = 400
) -> list[datetime]:
    """Occurrences after the last materialised one and before ``until`` (aware, in ``first``'s zone)."""
    start = first if materialised_until is None else materialised_until + timedelta(seconds=1)
    return list(occurrences(rule, first, window_start=max(start, first), window_end=until, limit=limit))


MAX_LOSS_PCT = 20.0


def connectivity_status(reachable: bool, loss_pct: float | None) -> str:
    """``ok`` or ``failed``: unreachable, or losing so many packets that the call will not hold."""
    if not reachable or (loss_pct is not None and loss_pct >= MAX_LOSS_PCT):
        return "failed"
    return "ok"


# ---- is the packet published, and current? ----

PACKET_EVENTS = ("packet.published", "agenda.changed", "document.published", "document.versioned")
PACKET_AUDIENCE = "all_participants"  # the confidentiality of the documents a packet carries


@dataclass(frozen=True)
class PacketStatus:
    compiled: bool = False  # a packet was published
    agenda_changed: bool = False  # the agenda was edited after the last one
    documents: tuple[int, ...] = ()  # packet documents published or given a new version after it

    @property
    def current(self) -> bool:
        return self.compiled and not self.agenda_changed and not self.documents


def packet_status(events: Iterable[tuple[str, Mapping[str, Any]]]) -> PacketStatus:
    """Fold a meeting's ``PACKET_EVENTS`` (kind, payload), in log order: was a packet published, and what
    changed after the last one? Documents only the named or the delegates may read are not in a packet, so
    their uploads do not make it stale; nor do edits of a document's title, place or comment deadline."""
    compiled, agenda = False, False
    docs: dict[int, None] = {}  # in the order they changed, each once
    for kind, payload in events:
        if kind == "packet.published":
            compiled, agenda, docs = True, False, {}
        elif kind == "agenda.changed":
            agenda = True
        elif payload.get("confidentiality") == PACKET_AUDIENCE and "document_id" in payload:
            docs[int(payload["document_id"])] = None
    return PacketStatus(compiled, compiled and agenda, tuple(docs) if compiled else ())
