"""People who join a meeting after its invitation went out are invited by themselves, once: a participant
added by PATCH (in-app at once, e-mail through the scheduler's sender with its retries), whatever the
replays, second processes and reconciliations; a participant removed is told they are no longer invited;
a role change sends nothing; a bridge point gained by the scope, by PATCH or by a unit import, has its
operator invited once, even when two processes reconcile at the same moment.

The HTTP layer stamps the wall clock, so the tests that go through it start their scheduler's clock at
the wall clock's present; the others run on a clock of their own.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from meetings import commands
from meetings.clock import LOCAL_TZ, utcnow
from meetings.config import Settings
from meetings.db import transaction
from meetings.jobs import JobService, JobSettings
from meetings.jobs_roster import RosterChanges, roster_changes
from meetings.lifecycle import Status
from meetings.models import BridgePoint, Meeting, Person, User
from meetings.models_jobs import Notification
from meetings.notify import SmtpSettings
from meetings.permissions import MeetingRole
from meetings.schemas import MeetingPatch, ParticipantIn, ScopeIn, ScopeRuleIn
from server import create_app
from tests.conftest import login
from tests.test_jobs import (
    QUIET,
    Demo,
    Factory,
    FakeClock,
    create_meeting,
    demo,
    local,
    move,
    next_message,
    services,
)
from tests.test_notify import free_port, smtp_server
from web import routes_notifications

__all__ = ["demo", "services"]  # fixtures used here

TITLE = "Giao ban trực tuyến tháng 1"


@pytest.fixture
def mail_port() -> int:
    return free_port()


@pytest.fixture
def app_client(settings: Settings, monkeypatch: pytest.MonkeyPatch, mail_port: int) -> Iterator[TestClient]:
    """The real app with e-mail on (to an SMTP server on ``mail_port``, up only when a test starts it); its
    scheduler manual. The job services of ``services`` publish on its bus."""
    monkeypatch.setenv("CAUHOP_SCHEDULER", "manual")
    monkeypatch.setenv("CAUHOP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CAUHOP_SMTP_PORT", str(mail_port))
    app = create_app(settings)
    paths = {getattr(r, "path", None) for r in app.routes}
    app.router.routes.extend(r.route() for r in routes_notifications.ROUTES if r.path not in paths)
    with TestClient(app) as client:
        yield client


def _mail(port: int) -> JobSettings:
    return replace(QUIET, smtp=SmtpSettings(host="127.0.0.1", port=port))


def _slot(now: datetime) -> tuple[str, str]:
    """14:00–16:00 local, five days after ``now`` (clear of the demo conference, a morning)."""
    day = (now.astimezone(LOCAL_TZ) + timedelta(days=5)).date()
    return f"{day}T14:00", f"{day}T16:00"


def _published(
    services: Factory, engine: Engine, demo: Demo, clock: FakeClock, **kw: Any
) -> tuple[JobService, int]:
    """A meeting of the chair, secretary and delegate01 (no bridge point), published and invited."""
    svc = services(clock, **kw)
    mid = create_meeting(engine, demo, clock.now, *_slot(clock.now), bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    svc.tick(clock.now)
    assert _sent(engine, mid) == Counter(
        {("invitation", demo.chair): 1, ("invitation", demo.secretary): 1, ("invitation", demo.delegate): 1}
    )
    return svc, mid


def _sent(engine: Engine, mid: int) -> Counter[tuple[str, int]]:
    with Session(engine) as s:
        rows = s.exec(select(Notification.kind, Notification.person_id).where(Notification.meeting_id == mid))
        return Counter(rows.all())


def _person(engine: Engine, username: str) -> int:
    with Session(engine) as s:
        pid = s.exec(select(User.person_id).where(User.username == username)).one()
    assert pid is not None
    return pid


def _guest_with_address(engine: Engine, demo: Demo, email: str) -> int:
    """A guest from outside the province's directory: no account, an e-mail address."""
    with transaction(engine) as s:
        person = Person(full_name="Trần Văn Khách", title="Chuyên gia", unit_id=demo.host, email=email)
        s.add(person)
        s.flush()
        assert person.id is not None
        return person.id


def _patch(
    client: TestClient,
    mid: int,
    headers: dict[str, str],
    people: list[dict[str, Any]],
    version: int | None = None,
) -> Any:
    if version is None:
        version = client.get(f"/api/meetings/{mid}", headers=headers).json()["version"]
    return client.patch(
        f"/api/meetings/{mid}", json={"version": version, "participants": people}, headers=headers
    )


def _people(client: TestClient, mid: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    meeting = client.get(f"/api/meetings/{mid}", headers=headers).json()
    return [{"person_id": p["person_id"], "role": p["role"]} for p in meeting["participants"]]


def _report(
    client: TestClient, mid: int, headers: dict[str, str]
) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    r = client.get(f"/api/meetings/{mid}/invitations", headers=headers)
    assert r.status_code == 200, r.text
    return {
        p["person_id"]: (p["state"], [(d["channel"], d["status"]) for d in p["deliveries"]])
        for p in r.json()["participants"]
    }


def _feed(client: TestClient, demo: Demo, person_id: int) -> Any:
    return client.app.state.bus.subscribe(f"user:{demo.users[person_id]}")  # type: ignore[attr-defined]


def test_a_participant_added_after_publication_is_invited_once_in_app_at_once_and_by_email(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient, mail_port: int
) -> None:
    clock = FakeClock(utcnow().replace(microsecond=0))
    svc, mid = _published(services, engine, demo, clock, job_settings=_mail(mail_port))
    newcomer, guest = _person(engine, "delegate02"), _guest_with_address(engine, demo, "khach@hagiang.gov.vn")
    feed = _feed(app_client, demo, newcomer)
    sec = login(app_client, "secretary")
    people = [*_people(app_client, mid, sec), {"person_id": newcomer, "role": "delegate"}]
    people.append({"person_id": guest, "role": "guest"})
    version = app_client.get(f"/api/meetings/{mid}", headers=sec).json()["version"]

    r = _patch(app_client, mid, sec, people, version)
    assert r.status_code == 200, r.text
    pushed = app_client.portal.call(next_message, feed)  # type: ignore[union-attr]
    assert (pushed["kind"], pushed["title"], pushed["meeting_id"]) == (
        "invitation",
        f"Giấy mời họp: {TITLE}",
        mid,
    )
    assert pushed["data"]["variant"] == "added"
    report = _report(app_client, mid, sec)
    assert report[newcomer] == ("sent", [("in_app", "sent")])  # in-app at once; no address
    assert report[guest] == ("pending", [("email", "pending")])  # no account: e-mail, by the sender job

    # the same PATCH again (a retry whose answer was lost) is refused as stale; made again on the latest
    # version it changes nothing; a second process and the leader's reconciliations find nothing to do
    r = _patch(app_client, mid, sec, people, version)
    assert r.status_code == 409, r.text
    assert _patch(app_client, mid, sec, people).status_code == 200
    services(clock, _mail(mail_port)).on_meeting_changed(mid)
    svc.reconcile(clock.now, full=True)
    svc.reconcile(clock.now)

    # the e-mail goes out through the scheduler's sender: the server is down, then back
    clock.now = utcnow()
    assert (svc.deliver(clock.now).retrying, svc.deliver(clock.now).sent) == (1, 0)
    with smtp_server(mail_port) as box:
        assert svc.deliver(clock.now + timedelta(minutes=1)).sent == 1
    assert box.subjects() == {"khach@hagiang.gov.vn": f"Giấy mời họp: {TITLE}"}
    assert _report(app_client, mid, sec)[guest][0] == "sent"

    clock.now = utcnow() + timedelta(minutes=1)  # past the edits: a change notice would be due by now
    svc.tick(clock.now)
    everyone = [demo.chair, demo.secretary, demo.delegate, newcomer, guest]
    assert _sent(engine, mid) == Counter({("invitation", p): 1 for p in everyone})  # and no change notice


def test_a_removed_participant_is_told_a_role_change_sends_nothing_and_a_return_is_invited_again(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    clock = FakeClock(utcnow().replace(microsecond=0))
    svc, mid = _published(services, engine, demo, clock)
    feed = _feed(app_client, demo, demo.delegate)
    sec = login(app_client, "secretary")
    before = _people(app_client, mid, sec)
    assert (
        _patch(app_client, mid, sec, [p for p in before if p["person_id"] != demo.delegate]).status_code
        == 200
    )
    told = app_client.portal.call(next_message, feed)  # type: ignore[union-attr]
    assert (told["kind"], told["title"]) == ("invitation_withdrawn", f"Thôi mời dự họp: {TITLE}")
    assert "không còn trong thành phần dự cuộc họp" in told["body"]
    assert demo.delegate not in _report(app_client, mid, sec)

    chair_as_guest = [
        {**p, "role": "guest"} if p["person_id"] == demo.chair else p for p in _people(app_client, mid, sec)
    ]
    assert _patch(app_client, mid, sec, chair_as_guest).status_code == 200
    clock.now = utcnow() + timedelta(minutes=1)
    svc.tick(clock.now)
    services(clock).on_meeting_changed(mid)
    invited = {("invitation", p): 1 for p in (demo.chair, demo.secretary, demo.delegate)}
    assert _sent(engine, mid) == Counter({**invited, ("invitation_withdrawn", demo.delegate): 1})

    assert _patch(app_client, mid, sec, [*_people(app_client, mid, sec), before[2]]).status_code == 200
    back = app_client.portal.call(next_message, feed)  # type: ignore[union-attr]
    assert back["kind"] == "invitation" and back["data"]["variant"] == "added"
    assert _report(app_client, mid, sec)[demo.delegate][0] == "sent"
    svc.tick(clock.now)
    assert _sent(engine, mid)[("invitation", demo.delegate)] == 2  # once for each time they were added


def test_a_bridge_point_gained_by_the_scope_has_its_operator_invited_once_when_two_processes_race(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    clock = FakeClock(local("2031-08-04 09:00"))
    svc, mid = _published(services, engine, demo, clock)
    feed = _feed(app_client, demo, demo.operator)
    with transaction(engine) as s:  # the edit commits; the process that made it dies before its hook
        version = s.get(Meeting, mid).version  # type: ignore[union-attr]
        patch = MeetingPatch(version=version, scope=ScopeIn(bridge_point_ids=[demo.bridge_point]))
        commands.update_meeting(commands.Context(s, None, clock.now), mid, patch)

    others, start, errors = [services(clock), services(clock)], threading.Barrier(2), []

    def reconcile(other: JobService) -> None:
        try:
            start.wait()
            other.sync_meeting(mid, clock.now)  # what each one's reconciliation does for this meeting
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=reconcile, args=(other,)) for other in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    pushed = app_client.portal.call(next_message, feed)  # type: ignore[union-attr]
    assert (pushed["kind"], pushed["meeting_id"]) == ("invitation", mid)
    svc.tick(clock.now)
    assert _sent(engine, mid)[("invitation", demo.operator)] == 1

    with transaction(engine) as s:
        patch = MeetingPatch(version=version + 1, scope=ScopeIn())
        commands.update_meeting(commands.Context(s, None, clock.now), mid, patch)
    svc.on_meeting_changed(mid)
    assert app_client.portal.call(next_message, feed)["kind"] == "invitation_withdrawn"  # type: ignore[union-attr]
    assert _sent(engine, mid)[("invitation_withdrawn", demo.operator)] == 1


def test_a_unit_import_that_brings_a_bridge_point_into_the_scope_invites_its_operator_at_the_reconciliation(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    clock = FakeClock(local("2031-08-11 09:00"))
    svc = services(clock, replace(QUIET, reconcile_every=timedelta(minutes=1)))
    mid = create_meeting(engine, demo, clock.now, "2031-08-15T14:00", "2031-08-15T16:00", bps=[])
    with transaction(engine) as s:  # the scope: every bridge point of the host unit (BP-HG-UBND today)
        patch = MeetingPatch(version=1, scope=ScopeIn(rules=[ScopeRuleIn(under_unit_id=demo.host)]))
        commands.update_meeting(commands.Context(s, None, clock.now), mid, patch)
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    svc.tick(clock.now)
    assert _sent(engine, mid)[("invitation", demo.operator)] == 1
    newcomer = _person(engine, "delegate02")
    feed = _feed(app_client, demo, newcomer)

    clock.now += timedelta(hours=1)
    svc.tick(clock.now)  # the reconciliation has passed since the meeting was last edited
    clock.now += timedelta(hours=1)  # an import adds a second room under the host unit, run by delegate02
    with transaction(engine) as s:
        s.add(
            BridgePoint(
                code="BP-HG-UBND-PH2", name="Phòng họp 2 UBND tỉnh", unit_id=demo.host, operator_id=newcomer
            )
        )
        s.flush()
        assert mid in commands.reresolve_scopes(commands.Context(s, None, clock.now))
    clock.now += timedelta(minutes=1)
    svc.tick(clock.now)  # the leader's minute reconciliation
    pushed = app_client.portal.call(next_message, feed)  # type: ignore[union-attr]
    assert (pushed["kind"], pushed["meeting_id"]) == ("invitation", mid)
    clock.now += timedelta(minutes=1)
    svc.tick(clock.now)
    assert _sent(engine, mid) == Counter(
        {("invitation", p): 1 for p in (demo.chair, demo.secretary, demo.delegate, demo.operator, newcomer)}
    )


def test_a_reschedule_that_adds_someone_tells_the_others_of_the_change_and_only_invites_the_newcomer(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-08-18 09:00"))
    svc, mid = _published(services, engine, demo, clock)
    newcomer = _person(engine, "delegate02")
    clock.now += timedelta(hours=1)
    with transaction(engine) as s:
        meeting = s.get(Meeting, mid)
        assert meeting is not None
        people = [
            ParticipantIn(person_id=pid, role=MeetingRole(role))
            for pid, role in [
                (demo.chair, "chair"),
                (demo.secretary, "secretary"),
                (demo.delegate, "delegate"),
            ]
        ]
        patch = MeetingPatch(
            version=meeting.version,
            start=datetime.fromisoformat("2031-08-25T08:00"),
            end=datetime.fromisoformat("2031-08-25T10:00"),
            participants=[*people, ParticipantIn(person_id=newcomer, role=MeetingRole.delegate)],
        )
        commands.update_meeting(commands.Context(s, None, clock.now), mid, patch)
    svc.on_meeting_changed(mid)
    svc.tick(clock.now)  # the change notice is due at once
    told = Counter({("changed", p): 1 for p in (demo.chair, demo.secretary, demo.delegate)})
    invited = Counter({("invitation", p): 1 for p in (demo.chair, demo.secretary, demo.delegate, newcomer)})
    assert _sent(engine, mid) == told + invited
    with Session(engine) as s:
        theirs = s.exec(select(Notification).where(Notification.person_id == newcomer)).one()
    assert "08:00 Thứ Hai, 25/08/2031" in theirs.body  # their invitation has the new date


@pytest.mark.parametrize(
    ("audience", "latest", "reachable", "invite", "withdraw"),
    [
        ([1, 2, 3], {1: "invitation", 2: "invitation"}, {1, 2, 3}, (3,), ()),
        ([1, 2], {1: "invitation", 2: "invitation", 3: "invitation"}, {1, 2, 3}, (), (3,)),
        ([1, 2, 3], {1: "invitation", 3: "invitation_withdrawn"}, {1, 2, 3}, (2, 3), ()),  # 3 came back
        ([1, 2], {1: "invitation", 3: "invitation_withdrawn"}, {1, 2}, (2,), ()),  # 3 was told already
        ([1, 2, 2], {1: "invitation"}, {1}, (), ()),  # 2 cannot be reached: nothing to send, no churn
    ],
)
def test_whom_to_invite_and_whom_to_tell(
    audience: list[int],
    latest: dict[int, str],
    reachable: set[int],
    invite: tuple[int, ...],
    withdraw: tuple[int, ...],
) -> None:
    assert roster_changes(audience, latest, reachable) == RosterChanges(invite, withdraw)
