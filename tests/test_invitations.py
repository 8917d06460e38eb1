"""A meeting's invitations per participant (GET /api/meetings/{id}/invitations): not sent before it is
published, then sent (in-app, and a refused e-mail), read, unreachable without an account or address;
sending them again to whoever they did not reach; who may see and do that. And the people to pick
participants from (GET /api/people), found with or without accents."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from meetings.db import transaction
from meetings.invitations import invitation_state
from meetings.lifecycle import Status
from meetings.models import Person, User
from meetings.models_jobs import Notification
from meetings.notify import SmtpSettings
from tests.conftest import login
from tests.test_jobs import (
    QUIET,
    Demo,
    Factory,
    FakeClock,
    app_client,
    create_meeting,
    demo,
    local,
    move,
    services,
)
from tests.test_notify import free_port, smtp_server

__all__ = ["app_client", "demo", "services"]  # fixtures used here


@pytest.mark.parametrize(
    ("reachable", "invited", "read", "deliveries", "state"),
    [
        (True, False, False, [], "not_sent"),
        (False, False, False, [], "unreachable"),
        (True, True, False, ["pending", "pending"], "pending"),
        (True, True, False, ["failed", "sent"], "sent"),
        (True, True, False, ["failed", "failed"], "failed"),
        (True, True, False, ["failed", "pending"], "pending"),  # e-mail still being retried
        (True, True, True, ["sent"], "read"),
    ],
)
def test_a_participants_state_follows_their_latest_invitation(
    reachable: bool, invited: bool, read: bool, deliveries: list[str], state: str
) -> None:
    assert invitation_state(reachable=reachable, invited=invited, read=read, deliveries=deliveries) == state


def _person_without_account(engine: Engine, email: str | None = None) -> int:
    """A bridge-point operator of the demo province with no user account (given ``email``)."""
    with transaction(engine) as s:
        accounts = select(User.person_id).where(col(User.person_id).is_not(None))
        person = s.exec(
            select(Person).where(col(Person.id).not_in(accounts)).order_by(col(Person.id))
        ).first()
        assert person is not None and person.id is not None
        person.email = email
        s.add(person)
        return person.id


def _states(client: TestClient, mid: int, headers: dict[str, str]) -> dict[int, str]:
    r = client.get(f"/api/meetings/{mid}/invitations", headers=headers)
    assert r.status_code == 200, r.text
    return {p["person_id"]: p["state"] for p in r.json()["participants"]}


def _add(client: TestClient, mid: int, headers: dict[str, str], person_id: int, role: str) -> None:
    meeting = client.get(f"/api/meetings/{mid}", headers=headers).json()
    people = [{"person_id": p["person_id"], "role": p["role"]} for p in meeting["participants"]]
    body = {"version": meeting["version"], "participants": [*people, {"person_id": person_id, "role": role}]}
    r = client.patch(f"/api/meetings/{mid}", json=body, headers=headers)
    assert r.status_code == 200, r.text


def test_invitations_are_tracked_per_participant_and_sent_again_to_those_not_reached(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    port = free_port()
    clock = FakeClock(local("2031-05-12 09:00"))
    svc = services(clock, replace(QUIET, smtp=SmtpSettings(host="127.0.0.1", port=port, max_attempts=1)))
    mid = create_meeting(engine, demo, clock.now, "2031-05-14T08:00", "2031-05-14T10:00", bps=[])
    sec, chair = login(app_client, "secretary"), login(app_client, "chair")
    mailed = _person_without_account(engine, "bad.address@hagiang.gov.vn")  # the mail server refuses it
    _add(app_client, mid, sec, mailed, "guest")

    draft = app_client.get(f"/api/meetings/{mid}/invitations", headers=sec).json()
    assert draft["published"] is False
    assert [(p["full_name"] != "", p["role"], p["state"]) for p in draft["participants"]] == [
        (True, "chair", "not_sent"),
        (True, "secretary", "not_sent"),
        (True, "delegate", "not_sent"),
        (True, "guest", "unreachable"),  # no account, and e-mail is off in this server
    ]
    r = app_client.post(f"/api/meetings/{mid}/invitations", json={}, headers=sec)
    assert r.status_code == 409 and "published" in r.json()["detail"]

    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    with smtp_server(port):
        svc.tick(clock.now)  # the invitation: in-app to the three with accounts, e-mail to the guest
    states = _states(app_client, mid, chair)  # the chair may see them too
    assert states == {demo.chair: "sent", demo.secretary: "sent", demo.delegate: "sent", mailed: "failed"}
    guest = next(p for p in _report(app_client, mid, sec) if p["person_id"] == mailed)
    assert [(d["channel"], d["status"]) for d in guest["deliveries"]] == [("email", "failed")]
    assert "550" in guest["deliveries"][0]["last_error"]

    delegate = login(app_client, "delegate01")
    mine = app_client.get("/api/notifications", headers=delegate).json()["items"]
    assert app_client.post(f"/api/notifications/{mine[0]['id']}/read", headers=delegate).status_code == 200
    assert _states(app_client, mid, sec)[demo.delegate] == "read"
    r = app_client.get(f"/api/meetings/{mid}/invitations", headers=delegate)
    assert (
        r.status_code == 403
        and r.json()["detail"] == "only the meeting's chair or secretary may see its invitations"
    )

    # someone added after publication is invited at once (tests/test_invitations_late.py); "send again"
    with Session(engine) as s:
        newcomer = s.exec(select(User.person_id).where(User.username == "delegate02")).one()
    assert newcomer is not None
    _add(app_client, mid, sec, newcomer, "delegate")
    assert _states(app_client, mid, sec)[newcomer] == "sent"
    assert app_client.post(f"/api/meetings/{mid}/invitations", json={}, headers=chair).status_code == 403
    r = app_client.post(
        f"/api/meetings/{mid}/invitations", json={"person_ids": [newcomer, 999999]}, headers=sec
    )
    assert r.status_code == 422 and r.json()["errors"][0]["msg"] == (
        "person 999999 is not a participant of this meeting"
    )
    with Session(engine) as s:  # nothing sent for a refused request
        theirs_so_far = s.exec(select(Notification.id).where(Notification.person_id == newcomer)).all()
    assert len(theirs_so_far) == 1
    r = app_client.post(f"/api/meetings/{mid}/invitations", json={}, headers=sec)
    assert r.status_code == 200, r.text
    again = {p["person_id"]: p["state"] for p in r.json()["participants"]}
    assert again == {
        demo.chair: "sent",
        demo.secretary: "sent",
        demo.delegate: "read",
        mailed: "failed",  # only e-mail reaches them, and this server sends none: not sent again
        newcomer: "sent",  # reached already: not sent again
    }
    with Session(engine) as s:
        invited = s.exec(
            select(Notification.person_id).where(
                Notification.meeting_id == mid, Notification.kind == "invitation"
            )
        ).all()
    assert sorted(invited) == sorted([demo.chair, demo.secretary, demo.delegate, mailed, newcomer])
    theirs = app_client.get("/api/notifications", headers=login(app_client, "delegate02")).json()["items"]
    assert [(n["kind"], n["title"]) for n in theirs][-1] == (
        "invitation",
        "Giấy mời họp: Giao ban trực tuyến tháng 1",
    )


def _report(client: TestClient, mid: int, headers: dict[str, str]) -> list[dict[str, object]]:
    participants: list[dict[str, object]] = client.get(
        f"/api/meetings/{mid}/invitations", headers=headers
    ).json()["participants"]
    return participants


def test_people_are_found_by_name_title_or_unit_without_accents(app_client: TestClient) -> None:
    sec = login(app_client, "secretary")
    r = app_client.get("/api/people", params={"q": "nguyen thi thu ha"}, headers=sec)
    assert r.status_code == 200, r.text
    first, *others = r.json()  # the name as written first; then others holding every word somewhere
    assert (first["full_name"], first["title"]) == ("Nguyễn Thị Thu Hà", "Chánh Văn phòng UBND tỉnh")
    assert all("Nguyễn Thị Thu Hà" != p["full_name"] for p in others)
    chair = app_client.get("/api/people", params={"q": "CHỦ TỊCH ubnd"}, headers=sec).json()
    assert "Hoàng Văn Thắng" in [p["full_name"] for p in chair]
    some = app_client.get("/api/people", params={"limit": 5}, headers=sec).json()
    assert len(some) == 5 and all(p["unit_name"] for p in some)
    r = app_client.get("/api/people", params={"limit": 0}, headers=sec)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "limit"]
    r = app_client.get("/api/people", headers=login(app_client, "delegate01"))
    assert (
        r.status_code == 403
        and r.json()["detail"] == "only secretaries and administrators may look people up"
    )
