"""The pure planning core: which jobs a meeting needs and when, how the stored jobs follow the plan, when a
late job is missed, back-off, series roll-forward, and the Vietnamese texts (no database, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetings.clock import LOCAL_TZ
from meetings.notices import (
    agenda_deadline_notice,
    comments_closed_notice,
    lead_words,
    local_when,
    notice_text,
)
from meetings.recurrence import occurrences, parse_rrule
from meetings.reminders import (
    Decision,
    JobKind,
    MeetingFacts,
    PacketStatus,
    PlannedJob,
    PlanSettings,
    connectivity_status,
    decide,
    packet_status,
    plan_jobs,
    retry_delay,
    roll_forward_slots,
    run_key,
    runnable,
    sync_actions,
)

S = PlanSettings()
T0 = datetime(2031, 1, 1, tzinfo=UTC)
START = datetime(2031, 1, 6, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


def facts(**kw: object) -> MeetingFacts:
    base: dict[str, object] = {
        "meeting_id": 7,
        "status": "scheduled",
        "start": START,
        "end": START + timedelta(hours=2),
        "version": 2,
        "published_at": T0,
        "bridge_points": 3,
    }
    return MeetingFacts(**{**base, **kw})  # type: ignore[arg-type]


def by_id(jobs: list[PlannedJob]) -> dict[str, datetime]:
    return {j.job_id: j.run_at for j in jobs}


def test_a_scheduled_conference_gets_its_whole_plan() -> None:
    assert by_id(plan_jobs(facts(), S)) == {
        "m7:invitation": T0,
        "m7:agenda_deadline": START - timedelta(hours=72),
        "m7:reminder:1440": START - timedelta(hours=24),
        "m7:reminder:60": START - timedelta(hours=1),
        "m7:connectivity_test": START - timedelta(minutes=30),
        "m7:reminder:15": START - timedelta(minutes=15),
        "m7:room_open": START - timedelta(minutes=15),
        "m7:overrun": START + timedelta(hours=2, minutes=15),
    }


@pytest.mark.parametrize("status", ["draft", "ended", "archived"])
def test_drafts_and_finished_meetings_have_no_jobs(status: str) -> None:
    assert plan_jobs(facts(status=status), S) == []


def test_a_live_meeting_keeps_only_its_overrun_alert_and_a_pending_connectivity_deadline() -> None:
    deadline = START - timedelta(minutes=25)
    assert by_id(plan_jobs(facts(status="live", connectivity_deadline=deadline), S)) == {
        "m7:connectivity_deadline": deadline,
        "m7:overrun": START + timedelta(hours=2, minutes=15),
    }


def test_a_cancellation_is_announced_only_if_the_meeting_had_been_published() -> None:
    at = START - timedelta(hours=3)
    assert by_id(plan_jobs(facts(status="cancelled", cancelled_at=at), S)) == {"m7:cancelled": at}
    assert plan_jobs(facts(status="cancelled", cancelled_at=at, published_at=None), S) == []


def test_reminders_before_the_latest_notice_are_dropped() -> None:
    late_publish = START - timedelta(minutes=50)
    assert [
        j.variant for j in plan_jobs(facts(published_at=late_publish), S) if j.kind is JobKind.reminder
    ] == ["15"]
    changed = facts(changed_at=START - timedelta(hours=2), version=5)
    ids = by_id(plan_jobs(changed, S))
    assert "m7:reminder:1440" not in ids and "m7:reminder:60" in ids
    assert ids["m7:changed"] == START - timedelta(hours=2)
    assert next(j for j in plan_jobs(changed, S) if j.kind is JobKind.changed).variant == "5"


def test_job_times_are_whole_seconds_as_the_job_store_keeps_them() -> None:
    published = T0 + timedelta(microseconds=654321)
    jobs = plan_jobs(facts(published_at=published, start=START + timedelta(microseconds=1)), S)
    assert {j.run_at.microsecond for j in jobs} == {0} and by_id(jobs)["m7:invitation"] == T0


def test_settings_move_the_jobs() -> None:
    custom = PlanSettings(
        reminders=(timedelta(days=2),), room_open=timedelta(minutes=5), connectivity_test=timedelta(hours=1)
    )
    ids = by_id(plan_jobs(facts(), custom))
    assert ids["m7:reminder:2880"] == START - timedelta(days=2)
    assert ids["m7:room_open"] == START - timedelta(minutes=5)
    assert ids["m7:connectivity_test"] == START - timedelta(hours=1)
    assert "m7:connectivity_test" not in by_id(plan_jobs(facts(bridge_points=0), S))


moments = st.datetimes(
    min_value=datetime(2030, 1, 1), max_value=datetime(2032, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
statuses = st.sampled_from(["draft", "scheduled", "live", "ended", "archived", "cancelled"])


@st.composite
def any_facts(draw: st.DrawFn) -> MeetingFacts:
    start = draw(moments)
    return MeetingFacts(
        meeting_id=draw(st.integers(1, 10**6)),
        status=draw(statuses),
        start=start,
        end=start + timedelta(minutes=draw(st.integers(15, 7 * 24 * 60))),
        version=draw(st.integers(1, 50)),
        published_at=draw(st.none() | moments),
        changed_at=draw(st.none() | moments),
        cancelled_at=draw(st.none() | moments),
        bridge_points=draw(st.integers(0, 250)),
        connectivity_deadline=draw(st.none() | moments),
        comment_deadlines=tuple(draw(st.dictionaries(st.integers(1, 10**6), moments, max_size=3)).items()),
    )


@given(any_facts())
def test_every_plan_has_unique_ids_in_time_order_under_the_meetings_prefix(f: MeetingFacts) -> None:
    jobs = plan_jobs(f, S)
    assert len({j.job_id for j in jobs}) == len(jobs)
    assert [j.run_at for j in jobs] == sorted(j.run_at for j in jobs)
    assert all(j.job_id.startswith(f"m{f.meeting_id}:") and j.meeting_id == f.meeting_id for j in jobs)
    told = [t for t in (f.published_at, f.changed_at) if t is not None]
    for j in jobs:
        if j.kind is JobKind.reminder:
            assert j.run_at == f.start - timedelta(minutes=int(j.variant)) and j.expires_at == f.start
            assert not told or j.run_at > max(told)
    assert {j.kind for j in jobs} - {JobKind.comments_closed} <= (
        set(JobKind) if f.status in {"scheduled", "live", "cancelled"} else set()
    )
    closing = {(int(j.variant), j.run_at) for j in jobs if j.kind is JobKind.comments_closed}
    open_ = f.status not in {"cancelled", "archived"}
    assert closing == ({(d, at) for d, at in f.comment_deadlines} if open_ else set())


stored_maps = st.dictionaries(
    st.sampled_from([f"m7:{k}" for k in ("invitation", "reminder:60", "room_open", "old")]), moments
)


@given(any_facts(), stored_maps, st.sets(st.booleans()), moments)
def test_syncing_converges_in_one_step_and_never_stores_what_ran_or_cannot_run(
    f: MeetingFacts, stored: dict[str, datetime], done_flags: set[bool], now: datetime
) -> None:
    f = MeetingFacts(**{**f.__dict__, "meeting_id": 7})
    planned = plan_jobs(f, S)
    done = {p.run_key for i, p in enumerate(planned) if (i % 2 == 0) in done_flags}
    actions = sync_actions(planned, stored, done, now, S.grace)
    after = dict(stored)
    for job_id in actions.remove:
        after.pop(job_id)
    for p in [*actions.add, *actions.move]:
        after[p.job_id] = p.run_at
    wanted = {p.job_id: p for p in planned}
    assert set(after) <= set(wanted)  # nothing unplanned stays
    for job_id, at in after.items():
        p = wanted[job_id]
        assert at == p.run_at and p.run_key not in done
        assert stored.get(job_id) == at or runnable(p, now, S.grace)  # new or moved only while it can run
    for p in planned:
        if p.run_key not in done and runnable(p, now, S.grace):
            assert after.get(p.job_id) == p.run_at  # everything that can still run is there
    assert not sync_actions(planned, after, done, now, S.grace)  # a second pass has nothing to do


def test_decide_by_grace_and_expiry() -> None:
    job = PlannedJob("m7:reminder:60", START - timedelta(hours=1), JobKind.reminder, 7, "60", START)
    assert decide(job, job.run_at, S.grace) is Decision.run
    assert decide(job, START - timedelta(seconds=1), S.grace) is Decision.run  # 59 min late, not yet started
    assert decide(job, START, S.grace) is Decision.missed  # the meeting has started: too late to remind
    overrun = PlannedJob("m7:overrun", START, JobKind.overrun, 7)
    assert decide(overrun, START + S.grace, S.grace) is Decision.run
    assert decide(overrun, START + S.grace + timedelta(seconds=1), S.grace) is Decision.missed
    assert run_key("m7:overrun", START) == "m7:overrun@20310106T010000Z" == overrun.run_key


def test_back_off_doubles_up_to_a_cap() -> None:
    delays = [retry_delay(n) for n in range(0, 12)]
    assert delays[:5] == [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert delays[-1] == timedelta(hours=1) and delays == sorted(delays)


@given(st.integers(1, 60), st.lists(st.integers(1, 400), min_size=1, max_size=4))
def test_rolling_a_series_forward_in_steps_gives_the_same_occurrences_as_at_once(
    interval: int, steps: list[int]
) -> None:
    rule = parse_rrule(f"FREQ=DAILY;INTERVAL={interval}", LOCAL_TZ)
    first = datetime(2031, 1, 6, 8, 0, tzinfo=LOCAL_TZ)
    until = first + timedelta(days=sum(steps))
    rolled: list[datetime] = []
    horizon = first
    for step in steps:
        horizon += timedelta(days=step)
        rolled += roll_forward_slots(rule, first, rolled[-1] if rolled else None, horizon, limit=10_000)
    assert rolled == list(occurrences(rule, first, window_end=until))


def test_connectivity_status() -> None:
    assert connectivity_status(True, 0.5) == "ok" and connectivity_status(True, None) == "ok"
    assert connectivity_status(False, 0.0) == "failed" and connectivity_status(True, 25.0) == "failed"


def test_vietnamese_texts_in_local_time() -> None:
    assert local_when(START) == "08:00 Thứ Hai, 06/01/2031"
    assert [lead_words(m) for m in (1440, 60, 15, 90, 2880, 0)] == [
        "1 ngày",
        "1 giờ",
        "15 phút",
        "1 giờ 30 phút",
        "2 ngày",
        "0 phút",
    ]
    reminder = notice_text(JobKind.reminder, "Giao ban tuần", START, START + timedelta(hours=2), "60")
    assert reminder.title == "Nhắc lịch họp: Giao ban tuần (sau 1 giờ)"
    assert reminder.body.endswith("Thời gian: 08:00 Thứ Hai, 06/01/2031 – 10:00 (giờ Việt Nam)")
    assert (
        notice_text(JobKind.cancelled, "Giao ban tuần", START, START).title == "Hủy cuộc họp: Giao ban tuần"
    )
    with pytest.raises(ValueError):
        notice_text(JobKind.room_open, "x", START, START)


def test_plan_settings_from_the_environment() -> None:
    env = {
        "CAUHOP_REMINDERS": "1440,120",
        "CAUHOP_ROOM_OPEN_MINUTES": "20",
        "CAUHOP_CONNECTIVITY_TEST_MINUTES": "45",
        "CAUHOP_CONNECTIVITY_DEADLINE_MINUTES": "10",
        "CAUHOP_OVERRUN_MINUTES": "30",
        "CAUHOP_JOB_GRACE_MINUTES": "90",
        "CAUHOP_AGENDA_DEADLINE_HOURS": "48",
    }
    got = PlanSettings.from_env(env)
    assert got == PlanSettings(
        reminders=(timedelta(hours=24), timedelta(hours=2)),
        room_open=timedelta(minutes=20),
        connectivity_test=timedelta(minutes=45),
        connectivity_deadline=timedelta(minutes=10),
        overrun=timedelta(minutes=30),
        grace=timedelta(minutes=90),
        agenda_deadline=timedelta(hours=48),
    )
    assert PlanSettings.from_env({}) == PlanSettings()
    assert PlanSettings.from_env({"CAUHOP_REMINDERS": ""}).reminders == ()  # reminders off


def test_the_agenda_deadline_is_planned_only_for_a_meeting_announced_before_it() -> None:
    assert by_id(plan_jobs(facts(), S))["m7:agenda_deadline"] == START - timedelta(hours=72)
    assert by_id(plan_jobs(facts(), PlanSettings(agenda_deadline=timedelta(hours=24))))[
        "m7:agenda_deadline"
    ] == START - timedelta(hours=24)
    late = facts(published_at=START - timedelta(hours=48))  # announced after the packet was due
    assert "m7:agenda_deadline" not in by_id(plan_jobs(late, S))
    assert "m7:agenda_deadline" not in by_id(plan_jobs(facts(), PlanSettings(agenda_deadline=timedelta(0))))
    assert PlanSettings.from_env({"CAUHOP_AGENDA_DEADLINE_HOURS": "0"}).agenda_deadline == timedelta(0)


def test_each_comment_deadline_is_a_job_of_its_own_in_any_status_short_of_cancelled() -> None:
    d3, d9 = START - timedelta(days=2), START + timedelta(days=3)
    for status in ("draft", "scheduled", "live", "ended"):
        jobs = plan_jobs(facts(status=status, comment_deadlines=((3, d3), (9, d9))), S)
        closing = [(j.job_id, j.run_at, j.variant) for j in jobs if j.kind is JobKind.comments_closed]
        assert closing == [("m7:comments_closed:3", d3, "3"), ("m7:comments_closed:9", d9, "9")]
    for status in ("cancelled", "archived"):
        jobs = plan_jobs(facts(status=status, cancelled_at=d3, comment_deadlines=((3, d3),)), S)
        assert all(j.kind is not JobKind.comments_closed for j in jobs)


OPEN_DOC = {"confidentiality": "all_participants"}


def test_packet_status_follows_the_log() -> None:
    assert packet_status([]) == PacketStatus() and not PacketStatus().current
    uploads = [("document.published", {**OPEN_DOC, "document_id": 4}), ("agenda.changed", {"items": []})]
    assert not packet_status(uploads).compiled
    published = [*uploads, ("packet.published", {"packet_id": 1})]
    assert packet_status(published).current
    restricted = ("document.published", {"confidentiality": "named", "document_id": 5})
    assert packet_status([*published, restricted]).current  # not in a packet: no need to publish it again
    later = [
        *published,
        ("document.versioned", {**OPEN_DOC, "document_id": 4}),
        ("document.published", {**OPEN_DOC, "document_id": 6}),
        ("document.versioned", {**OPEN_DOC, "document_id": 4}),
        ("agenda.changed", {"items": []}),
    ]
    assert packet_status(later) == PacketStatus(compiled=True, agenda_changed=True, documents=(4, 6))
    assert packet_status([*later, ("packet.published", {"packet_id": 2})]).current


def test_document_deadline_texts_in_local_time() -> None:
    missing = agenda_deadline_notice("Giao ban tuần", START, timedelta(hours=72), False, [])
    assert missing.title == "Chưa phát hành tài liệu họp: Giao ban tuần"
    assert "3 ngày trước giờ họp" in missing.body and "08:00 Thứ Hai, 06/01/2031" in missing.body
    stale = agenda_deadline_notice("Giao ban tuần", START, timedelta(hours=72), True, ["«Báo cáo»"])
    assert stale.title == "Bộ tài liệu họp chưa cập nhật: Giao ban tuần" and "«Báo cáo»" in stale.body
    closed = comments_closed_notice("Dự thảo nghị quyết", START, 5, 2)
    assert closed.title == "Hết hạn góp ý: Dự thảo nghị quyết (2 chưa xử lý)"
    assert "08:00 Thứ Hai, 06/01/2031" in closed.body and "Có 5 góp ý" in closed.body
    assert "Không có góp ý nào" in comments_closed_notice("Dự thảo", START, 0, 0).body
