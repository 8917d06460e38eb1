"""Scheduled jobs on a clock we control: reminders at the right local times across a reschedule, a restart
and a cancellation; once-only runs with two schedulers on one database; the leader lock; late and missed
jobs; room opening and the overrun alert; series rolled forward.

Meeting commands run through ``meetings.commands`` with the fake clock's time (the HTTP layer would stamp
real time), then call ``on_meeting_changed`` exactly as the HTTP handlers do after they commit.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from meetings import commands, series
from meetings.clock import LOCAL_TZ, from_db
from meetings.config import Settings
from meetings.db import make_engine, reading, transaction
from meetings.jobs import JobService, JobSettings
from meetings.lifecycle import Status
from meetings.models import BridgePoint, Meeting, MeetingEvent, Unit, User
from meetings.models_jobs import JobRun, Notification
from meetings.permissions import Actor, MeetingRole, Role
from meetings.schemas import MeetingCreate, MeetingPatch, ParticipantIn, ScopeIn
from server import create_app
from web import routes_notifications

QUIET = JobSettings(
    mode="manual",
    reconcile_every=timedelta(days=1),
    deliver_every=timedelta(days=1),
    roll_series_every=timedelta(days=30),
)


def local(text_: str) -> datetime:
    """``2031-01-06 08:00`` in Asia/Ho_Chi_Minh, as aware UTC."""
    return datetime.fromisoformat(text_).replace(tzinfo=LOCAL_TZ).astimezone(UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def app_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The real app, its own scheduler (if the lifespan starts one) kept manual; our routes mounted."""
    monkeypatch.setenv("CAUHOP_SCHEDULER", "manual")
    app = create_app(settings)
    paths = {getattr(r, "path", None) for r in app.routes}
    app.router.routes.extend(r.route() for r in routes_notifications.ROUTES if r.path not in paths)
    with TestClient(app) as client:
        yield client


Factory = Callable[..., JobService]


@pytest.fixture
def services(app_client: TestClient, settings: Settings) -> Iterator[Factory]:
    """Make job services on the test database, as separate server processes would (own engine each)."""
    made: list[tuple[JobService, Engine]] = []

    def make(clock: FakeClock, job_settings: JobSettings = QUIET, **kwargs: Any) -> JobService:
        engine = make_engine(settings.database_url)
        publish = app_client.app.state.bus.publish_threadsafe  # type: ignore[attr-defined]
        svc = JobService(engine, job_settings, publish=publish, clock=clock, **kwargs)
        svc.start()
        made.append((svc, engine))
        return svc

    yield make
    for svc, engine in made:
        svc.stop()
        engine.dispose()


def crash(svc: JobService) -> None:
    """The process dies: its scheduler stops, nothing is released (a PostgreSQL connection just drops)."""
    svc.scheduler.shutdown(wait=True)
    conn = getattr(svc.lock, "conn", None)
    if conn is not None:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        conn.invalidate()
        svc.lock.conn = None  # type: ignore[attr-defined]
        _wait_backend_gone(svc.engine, pid)
    svc.leading = False


def _wait_backend_gone(engine: Engine, pid: int) -> None:
    """PostgreSQL frees a dead session's locks when its backend exits: wait for that condition. Each check
    is a transaction of its own (autocommit): within one transaction pg_stat_activity is a snapshot taken at
    its first read, so a backend still exiting then would never be seen gone."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        for _ in range(6000):  # at most about 30 s
            gone = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid})
            if gone.scalar() == 0:
                return
            conn.execute(text("SELECT pg_sleep(0.005)"))
    raise AssertionError(f"backend {pid} did not exit")


def advance(svc: JobService, clock: FakeClock, until: datetime) -> list[datetime]:
    """Move the clock to each due time of a stored job up to ``until``, ticking there; end at ``until``."""
    ticks = []
    while (nxt := svc.store.get_next_run_time()) is not None and nxt <= until:
        clock.now = max(clock.now, from_db(nxt))
        svc.tick(clock.now)
        ticks.append(clock.now)
    clock.now = until
    svc.tick(until)
    return ticks


@dataclass(frozen=True)
class Demo:
    host: int
    bridge_point: int  # BP-HG-UBND, run by the 'operator' user
    chair: int
    secretary: int
    delegate: int
    operator: int
    users: dict[int, int]  # person id → user id


@pytest.fixture
def demo(engine: Engine) -> Demo:
    with reading(engine) as s:
        users = {u.username: u for u in s.exec(select(User)).all()}
        host = s.exec(select(Unit.id).where(Unit.code == "HG-UBND")).one()
        bp = s.exec(select(BridgePoint).where(BridgePoint.code == "BP-HG-UBND")).one()
        person = {
            name: users[name].person_id or 0 for name in ("chair", "secretary", "delegate01", "operator")
        }
        by_person = {u.person_id: u.id for u in users.values() if u.person_id and u.id}
    assert host is not None and bp.id is not None and bp.operator_id == person["operator"]
    return Demo(
        host, bp.id, person["chair"], person["secretary"], person["delegate01"], person["operator"], by_person
    )


def create_meeting(
    engine: Engine, demo: Demo, now: datetime, start: str, end: str, *, bps: list[int] | None = None
) -> int:
    data = MeetingCreate(
        title="Giao ban trực tuyến tháng 1",
        body="UBND tỉnh",
        host_unit_id=demo.host,
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        scope=ScopeIn(bridge_point_ids=[demo.bridge_point] if bps is None else bps),
        participants=[
            ParticipantIn(person_id=demo.chair, role=MeetingRole.chair),
            ParticipantIn(person_id=demo.secretary, role=MeetingRole.secretary),
            ParticipantIn(person_id=demo.delegate, role=MeetingRole.delegate),
        ],
    )
    with transaction(engine) as s:
        meeting = commands.create_meeting(commands.Context(s, None, now), data)
        assert meeting.id is not None
        return meeting.id


def move(engine: Engine, meeting_id: int, status: Status, now: datetime) -> None:
    with transaction(engine) as s:
        commands.transition(commands.Context(s, None, now), meeting_id, status)


def reschedule(engine: Engine, meeting_id: int, start: str, end: str, now: datetime) -> None:
    with transaction(engine) as s:
        version = s.get(Meeting, meeting_id).version  # type: ignore[union-attr]
        patch = MeetingPatch(
            version=version, start=datetime.fromisoformat(start), end=datetime.fromisoformat(end)
        )
        commands.update_meeting(commands.Context(s, None, now), meeting_id, patch)


def sent(engine: Engine, meeting_id: int) -> list[tuple[str, str, int, str]]:
    """(kind, variant, person id, local time it was created) of every notification of the meeting."""
    with Session(engine) as s:
        rows = s.exec(
            select(Notification).where(Notification.meeting_id == meeting_id).order_by(col(Notification.id))
        ).all()
        return [
            (
                n.kind,
                str(n.data.get("variant", "")),
                n.person_id,
                f"{from_db(n.created_at).astimezone(LOCAL_TZ):%m-%d %H:%M}",
            )
            for n in rows
        ]


def test_reminders_follow_a_reschedule_a_restart_and_a_cancellation(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-01-01 09:00"))
    first = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-01-06T08:00", "2031-01-06T10:00")
    first.on_meeting_changed(mid)
    advance(first, clock, local("2031-01-01 09:30"))
    assert first.leading and sent(engine, mid) == []  # a draft: nothing yet

    move(engine, mid, Status.scheduled, clock.now)
    first.on_meeting_changed(mid)
    advance(first, clock, local("2031-01-05 09:00"))
    reschedule(engine, mid, "2031-01-07T08:00", "2031-01-07T10:00", clock.now)  # one day later
    first.on_meeting_changed(mid)
    advance(first, clock, local("2031-01-05 12:00"))

    crash(first)  # the server dies; another process (or the restarted one) carries on
    second = services(clock)
    advance(second, clock, local("2031-01-07 07:20"))
    move(engine, mid, Status.cancelled, clock.now)
    second.on_meeting_changed(mid)
    advance(second, clock, local("2031-01-08 12:00"))

    people = {demo.chair, demo.secretary, demo.delegate, demo.operator}  # each has a user account
    got = Counter((kind, variant, when) for kind, variant, person, when in sent(engine, mid))
    expected = {
        ("invitation", "", "01-01 09:30"),  # published at 09:30, sent then
        ("reminder", "1440", "01-05 08:00"),  # 24 h before the first date
        ("changed", "3", "01-05 09:00"),  # the reschedule, announced at once
        ("reminder", "1440", "01-06 08:00"),  # 24 h before the new date
        ("reminder", "60", "01-07 07:00"),  # 1 h before the new date
        ("cancelled", "", "01-07 07:20"),  # and no 15-minute reminder after it
    }
    no_packet = ("agenda_deadline", "", "01-03 08:00")  # to the secretary, 72 h before the first date
    assert got == {**{key: len(people) for key in expected}, no_packet: 1}
    with Session(engine) as s:
        runs = s.exec(select(JobRun).where(JobRun.meeting_id == mid)).all()
        events = s.exec(select(MeetingEvent.kind).where(MeetingEvent.meeting_id == mid)).all()
    assert Counter(r.outcome for r in runs) == {"done": 7}
    assert "meeting.room_opened" not in events


class AlwaysLead:
    """A split brain: this scheduler believes it leads whatever the others do."""

    def hold(self, now: datetime) -> bool:
        return True

    def release(self) -> None:
        return None


def test_two_schedulers_on_one_database_run_each_job_once(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-02-02 09:00"))
    a, b = services(clock), services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-02-04T08:00", "2031-02-04T10:00")
    move(engine, mid, Status.scheduled, clock.now)
    a.on_meeting_changed(mid)
    b.on_meeting_changed(mid)  # both processes heard of it: the store still holds each job once
    for quarter in range(48 * 4):
        clock.now = local("2031-02-02 09:00") + timedelta(minutes=15 * quarter)
        a.tick(clock.now)
        b.tick(clock.now)
    assert a.leading != b.leading  # exactly one of them runs jobs
    kinds = Counter((kind, variant) for kind, variant, _, _ in sent(engine, mid))
    assert kinds == {
        ("invitation", ""): 4,
        ("reminder", "1440"): 4,
        ("reminder", "60"): 4,
        ("reminder", "15"): 4,
        ("connectivity_no_answer", ""): 2,  # its bridge point never answered the test: operator + secretary
    }


def test_split_brain_runners_still_run_each_job_once(services: Factory, engine: Engine, demo: Demo) -> None:
    """Two schedulers that both think they lead, running the same due jobs at the same moment."""
    clock = FakeClock(local("2031-03-03 09:00"))
    runners = [services(clock, lock=AlwaysLead()) for _ in range(2)]
    ids = [
        create_meeting(engine, demo, clock.now, f"2031-03-0{d}T08:00", f"2031-03-0{d}T09:00", bps=[])
        for d in (4, 5, 6)
    ]
    for mid in ids:
        move(engine, mid, Status.scheduled, clock.now)
        runners[0].on_meeting_changed(mid)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(svc: JobService, at: datetime) -> None:
        try:
            start.wait()
            svc.run_due(at)
        except BaseException as exc:  # reported below
            errors.append(exc)

    for at in ("2031-03-03 09:00", "2031-03-04 07:45", "2031-03-05 07:45", "2031-03-06 07:45"):
        threads = [threading.Thread(target=run, args=(svc, local(at))) for svc in runners]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    for mid in ids:
        kinds = Counter((kind, variant) for kind, variant, _, _ in sent(engine, mid))
        assert (
            kinds[("invitation", "")] == 3 and kinds[("reminder", "15")] == 3
        )  # no bridge point: no operator
        with Session(engine) as s:
            opened = s.exec(
                select(MeetingEvent).where(
                    MeetingEvent.meeting_id == mid, MeetingEvent.kind == "meeting.room_opened"
                )
            ).all()
        assert len(opened) == 1


def test_the_leader_lock_passes_to_another_process_when_its_holder_dies(services: Factory) -> None:
    clock = FakeClock(local("2031-04-01 09:00"))
    first, second = services(clock), services(clock)
    first.tick(clock.now)
    second.tick(clock.now)
    assert first.leading and not second.leading
    crash(first)
    clock.now += timedelta(seconds=5)
    if second.engine.dialect.name == "sqlite":  # the lease runs out first (30 s)
        assert second.tick(clock.now) == 10.0 and not second.leading
        clock.now += timedelta(seconds=30)
    second.tick(clock.now)
    assert second.leading


def test_a_job_missed_while_the_server_was_down_runs_late_within_grace_or_is_reported(
    services: Factory, engine: Engine, demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(local("2031-05-05 09:00"))
    first = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-05-07T08:00", "2031-05-07T10:00")
    move(engine, mid, Status.scheduled, clock.now)
    first.on_meeting_changed(mid)
    advance(first, clock, local("2031-05-05 10:00"))  # the invitation
    crash(first)  # down from 10:00 on the 5th until 07:20 on the 7th: the 24 h and 1 h reminders come due
    clock.now = local("2031-05-07 07:20")
    second = services(clock)
    with caplog.at_level("WARNING", logger="meetings.jobs"):
        second.tick(clock.now)
    got = Counter((kind, variant, when) for kind, variant, _, when in sent(engine, mid))
    assert got == {("invitation", "", "05-05 09:00"): 4, ("reminder", "60", "05-07 07:20"): 4}  # 20 min late
    with Session(engine) as s:
        runs = {
            r.job_id.split(":", 1)[1]: r.outcome
            for r in s.exec(select(JobRun).where(JobRun.meeting_id == mid))
        }
    assert runs == {"invitation": "done", "reminder:1440": "missed", "reminder:60": "done"}
    assert any("reminder:1440" in r.getMessage() and "missed" in r.getMessage() for r in caplog.records)
    advance(second, clock, local("2031-05-07 08:00"))
    assert Counter(kind for kind, _, _, _ in sent(engine, mid))["reminder"] == 8  # + the 15 min one, on time


def test_the_room_opens_before_the_start_as_an_event_in_the_log(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    clock = FakeClock(local("2031-06-02 09:00"))
    svc = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-06-02T14:00", "2031-06-02T16:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    bus = app_client.app.state.bus  # type: ignore[attr-defined]
    sub = bus.subscribe(f"meeting:{mid}")
    advance(svc, clock, local("2031-06-02 13:44"))
    with Session(engine) as s:
        assert (
            "meeting.room_opened"
            not in s.exec(select(MeetingEvent.kind).where(MeetingEvent.meeting_id == mid)).all()
        )
    advance(svc, clock, local("2031-06-02 13:45"))
    with Session(engine) as s:
        event = s.exec(
            select(MeetingEvent).where(
                MeetingEvent.meeting_id == mid, MeetingEvent.kind == "meeting.room_opened"
            )
        ).one()
    assert from_db(event.at) == local("2031-06-02 13:45") and event.payload["minutes_before"] == 15
    message = app_client.portal.call(next_message, sub)  # type: ignore[union-attr]
    assert (
        message["type"] == "event"
        and message["kind"] == "meeting.room_opened"
        and message["seq"] == event.seq
    )


async def next_message(sub: Any, kind: str | None = None) -> dict[str, Any]:
    """The next message on a bus subscription (of ``kind``, skipping others), waiting at most 10 s."""
    import asyncio

    while True:
        message: dict[str, Any] = await asyncio.wait_for(sub.get(), 10)
        if kind is None or message.get("kind") == kind:
            return message


def test_a_meeting_still_live_past_its_end_alerts_the_secretary_and_chair(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-07-01 07:00"))
    svc = services(clock)
    live = create_meeting(engine, demo, clock.now, "2031-07-01T08:00", "2031-07-01T10:00", bps=[])
    done = create_meeting(engine, demo, clock.now, "2031-07-01T14:00", "2031-07-01T15:00", bps=[])
    for mid in (live, done):
        move(engine, mid, Status.scheduled, clock.now)
        svc.on_meeting_changed(mid)
    advance(svc, clock, local("2031-07-01 08:00"))
    move(engine, live, Status.live, clock.now)
    advance(svc, clock, local("2031-07-01 14:00"))
    move(engine, done, Status.live, clock.now)
    advance(svc, clock, local("2031-07-01 15:00"))
    move(engine, done, Status.ended, clock.now)  # on time: no alert
    svc.on_meeting_changed(done)
    advance(svc, clock, local("2031-07-02 09:00"))
    overrun = [(p, when) for kind, _, p, when in sent(engine, live) if kind == "overrun"]
    assert sorted(overrun) == sorted([(demo.chair, "07-01 10:15"), (demo.secretary, "07-01 10:15")])
    assert [k for k, _, _, _ in sent(engine, done) if k == "overrun"] == []


def test_changes_made_without_the_hook_are_picked_up_by_the_reconciliation(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-08-01 09:00"))
    svc = services(clock, replace(QUIET, reconcile_every=timedelta(minutes=1)))
    svc.tick(clock.now)
    mid = create_meeting(engine, demo, clock.now, "2031-08-05T08:00", "2031-08-05T10:00")
    move(engine, mid, Status.scheduled, clock.now)  # e.g. by another process, or the CLI: no hook called
    svc.tick(clock.now)
    assert sent(engine, mid) == []
    clock.now += timedelta(minutes=1)
    svc.tick(clock.now)  # the reconciliation stores the meeting's jobs; the invitation is due at once
    svc.tick(clock.now)
    assert Counter(k for k, _, _, _ in sent(engine, mid)) == {"invitation": 4}


def test_series_are_rolled_forward_to_keep_a_year_of_occurrences(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-01-02 09:00"))
    svc = services(clock)
    with transaction(engine) as s:
        data = series.SeriesCreate(
            title="Giao ban tuần UBND tỉnh",
            host_unit_id=demo.host,
            rrule="FREQ=WEEKLY;BYDAY=MO",
            start=datetime(2031, 1, 6, 8, 0),
            duration_minutes=60,
            scope=ScopeIn(bridge_point_ids=[demo.bridge_point]),
            horizon_days=30,
        )
        sid = series.create_series(commands.Context(s, None, clock.now), data).id
    assert len(_occurrences(engine, sid)) == 5  # 30 days from the first: 6, 13, 20, 27 January, 3 February

    created = svc.roll_series(clock.now)
    starts = _occurrences(engine, sid)
    assert len(created) == 47 and len(starts) == 52  # every Monday of 2031, a year ahead of "now"
    assert starts[-1] == local("2031-12-29 08:00") and all(
        s.weekday() == 0 for s in (t.astimezone(LOCAL_TZ) for t in starts)
    )
    assert svc.roll_series(clock.now) == []  # nothing twice
    clock.now = local("2031-01-09 09:00")
    assert len(svc.roll_series(clock.now)) == 1 and _occurrences(engine, sid)[-1] == local("2032-01-05 08:00")


def _occurrences(engine: Engine, series_id: int | None) -> list[datetime]:
    with Session(engine) as s:
        rows = s.exec(
            select(Meeting).where(Meeting.series_id == series_id).order_by(col(Meeting.start_at))
        ).all()
        assert {m.status for m in rows} <= {"scheduled"}
        return [from_db(m.start_at) for m in rows]


def test_in_auto_mode_the_scheduler_thread_runs_jobs_on_the_wall_clock(
    app_client: TestClient, settings: Settings, engine: Engine, demo: Demo
) -> None:
    heard = threading.Event()
    messages: list[tuple[str, dict[str, Any]]] = []

    def publish(channel: str, message: dict[str, Any]) -> None:
        messages.append((channel, message))
        heard.set()

    svc = JobService(make_engine(settings.database_url), replace(QUIET, mode="auto"), publish=publish)
    svc.start()
    try:
        now = datetime.now(UTC)
        mid = create_meeting(engine, demo, now, "2031-09-01T08:00", "2031-09-01T10:00", bps=[])
        move(engine, mid, Status.scheduled, now)
        svc.on_meeting_changed(mid)  # the invitation is due now: the scheduler's own thread sends it
        assert heard.wait(30), "the scheduler thread did not run the due invitation"
    finally:
        svc.stop()
        svc.engine.dispose()
    assert any(ch.startswith("user:") and m["kind"] == "invitation" for ch, m in messages)


def test_a_series_slot_taken_by_another_meeting_is_skipped_and_its_secretary_told(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-01-02 09:00"))
    svc = services(clock)
    secretary = Actor(demo.users[demo.secretary], "secretary", Role.secretary, demo.host, demo.secretary)
    with transaction(engine) as s:
        data = series.SeriesCreate(
            title="Giao ban tháng",
            host_unit_id=demo.host,
            rrule="FREQ=MONTHLY;BYMONTHDAY=10",
            start=datetime(2031, 1, 10, 8, 0),
            duration_minutes=60,
            scope=ScopeIn(bridge_point_ids=[demo.bridge_point]),
            horizon_days=31,
        )
        sid = series.create_series(commands.Context(s, secretary, clock.now), data).id
    blocker = create_meeting(engine, demo, clock.now, "2031-04-10T08:30", "2031-04-10T09:00")
    move(engine, blocker, Status.scheduled, clock.now)

    created = svc.roll_series(clock.now)
    starts = [f"{t.astimezone(LOCAL_TZ):%m-%d}" for t in _occurrences(engine, sid)]
    assert len(created) == 10 and "04-10" not in starts and starts[-1] == "12-10"
    with Session(engine) as s:
        [told] = s.exec(select(Notification).where(Notification.kind == "series_clash")).all()
    assert told.person_id == demo.secretary and told.data["occurrences"] == ["10/04/2031 08:00"]
    assert "trùng lịch" in told.body


def test_a_stale_job_does_nothing_and_an_unstarted_meeting_is_not_overrunning(
    services: Factory, engine: Engine, demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(local("2031-02-17 09:00"))
    svc = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-02-17T10:00", "2031-02-17T11:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.tick(clock.now)  # leading (a new leader's full pass would already sweep stale jobs away)
    svc.on_meeting_changed(mid)
    svc.scheduler.add_job(  # left behind by an old plan, e.g. written by a process that then died
        "meetings.jobs:planned_job",
        "date",
        run_date=clock.now,
        args=("reminder", mid, "30"),
        id=f"m{mid}:reminder:30",
    )
    with caplog.at_level("INFO", logger="meetings.jobs"):
        advance(svc, clock, local("2031-02-17 11:20"))  # never started: scheduled past its end
    assert any("no longer planned" in r.getMessage() for r in caplog.records)
    assert {k for k, _, _, _ in sent(engine, mid)} == {"invitation", "reminder"}
    assert Counter(v for k, v, _, _ in sent(engine, mid) if k == "reminder") == {"15": 3}
    with Session(engine) as s:
        overrun = s.exec(select(JobRun).where(JobRun.job_id == f"m{mid}:overrun")).one()
    assert (overrun.outcome, overrun.detail) == ("skipped", "the meeting is scheduled")


def test_job_settings_from_the_environment() -> None:
    got = JobSettings.from_env(
        {"CAUHOP_SCHEDULER": "manual", "CAUHOP_REMINDERS": "2880, 30", "CAUHOP_SMTP_HOST": "mail"}
    )
    assert got.mode == "manual" and got.smtp.host == "mail"
    assert got.plan.reminders == (timedelta(days=2), timedelta(minutes=30))
    assert JobSettings.from_env({}).mode == "auto"
    with pytest.raises(ValueError, match="CAUHOP_SCHEDULER"):
        JobSettings.from_env({"CAUHOP_SCHEDULER": "sometimes"})
