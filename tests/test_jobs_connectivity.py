"""The pre-meeting connectivity test: every bridge point is asked 30 minutes before the start, answers over
HTTP, and a failure or a silence reaches its operator and the secretary while there is time to fix it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from meetings.lifecycle import Status
from meetings.models import BridgePoint
from meetings.models_jobs import Notification
from tests.conftest import login
from tests.test_jobs import (
    Demo,
    Factory,
    FakeClock,
    advance,
    app_client,
    create_meeting,
    demo,
    local,
    move,
    next_message,
    services,
)

__all__ = ["app_client", "demo", "services"]  # fixtures used here


def _bp(engine: Engine, code: str) -> int:
    with Session(engine) as s:
        bp_id = s.exec(select(BridgePoint.id).where(BridgePoint.code == code)).one()
        assert bp_id is not None
        return bp_id


def test_each_bridge_point_is_asked_and_failures_and_silences_are_alerted(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    ubnd, room2, tu = demo.bridge_point, _bp(engine, "BP-HG-UBND-2"), _bp(engine, "BP-HG-TU")
    other = _bp(engine, "BP-HG-HDND")
    clock = FakeClock(local("2031-10-01 07:00"))
    svc = services(clock)
    mid = create_meeting(
        engine, demo, clock.now, "2031-10-01T08:00", "2031-10-01T10:00", bps=[ubnd, room2, tu]
    )
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    bus = app_client.app.state.bus  # type: ignore[attr-defined]
    asked = bus.subscribe(f"bridge-point:{ubnd}")
    secretary_feed = bus.subscribe(f"user:{demo.users[demo.secretary]}")
    sec, op = login(app_client, "secretary"), login(app_client, "operator")
    report = f"/api/meetings/{mid}/connectivity"
    assert Counter(r["status"] for r in app_client.get(report, headers=sec).json()["results"]) == {
        "not_tested": 3
    }

    advance(svc, clock, local("2031-10-01 07:30"))
    request = app_client.portal.call(next_message, asked)  # type: ignore[union-attr]
    assert request["type"] == "connectivity_test" and request["meeting_id"] == mid
    assert datetime.fromisoformat(request["deadline"]) == local("2031-10-01 07:35")
    assert Counter(r["status"] for r in app_client.get(report, headers=op).json()["results"]) == {
        "pending": 3
    }

    good = {"meeting_id": mid, "reachable": True, "rtt_ms": 42.5, "loss_pct": 0.4}
    r = app_client.post(f"/api/bridge-points/{ubnd}/connectivity", json=good, headers=op)
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text
    bad = {"meeting_id": mid, "reachable": False}
    delegate = login(app_client, "delegate01")
    for who in (op, delegate):  # not the operator's bridge point; not the delegate's meeting to run
        assert (
            app_client.post(f"/api/bridge-points/{room2}/connectivity", json=bad, headers=who).status_code
            == 403
        )
    r = app_client.post(f"/api/bridge-points/{other}/connectivity", json=bad, headers=sec)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["meeting_id"]
    r = app_client.post(f"/api/bridge-points/{room2}/connectivity", json=bad, headers=sec)  # for its operator
    assert r.status_code == 200 and r.json()["status"] == "failed"
    alert = app_client.portal.call(next_message, secretary_feed, "connectivity_failed")  # type: ignore[union-attr]
    assert alert["type"] == "notification"
    assert alert["data"]["bridge_point_id"] == room2 and "Phòng họp số 2" in alert["title"]
    r = app_client.post(
        f"/api/bridge-points/{room2}/connectivity", json=bad, headers=sec
    )  # again: no second alert
    assert r.status_code == 200

    advance(svc, clock, local("2031-10-01 07:34"))
    assert {x["code"]: x["status"] for x in app_client.get(report, headers=sec).json()["results"]}[
        "BP-HG-TU"
    ] == "pending"
    advance(svc, clock, local("2031-10-01 07:35"))  # the deadline: the Tỉnh ủy hall never answered
    body = app_client.get(report, headers=sec).json()
    assert body["counts"] == {"ok": 1, "failed": 1, "no_answer": 1}
    assert {x["code"] for x in body["results"] if x["failed"]} == {"BP-HG-UBND-2", "BP-HG-TU"}
    ok = next(x for x in body["results"] if x["bridge_point_id"] == ubnd)
    assert ok["rtt_ms"] == 42.5 and ok["loss_pct"] == 0.4 and ok["reachable"] is True

    with Session(engine) as s:
        alerts = s.exec(select(Notification).where(Notification.meeting_id == mid)).all()
    to_secretary = Counter(
        n.kind for n in alerts if n.person_id == demo.secretary and n.kind.startswith("conn")
    )
    assert to_secretary == {"connectivity_failed": 1, "connectivity_no_answer": 1}
    silent = next(n for n in alerts if n.kind == "connectivity_no_answer")
    assert silent.data["bridge_point_ids"] == [tu] and "Hội trường Tỉnh ủy" in silent.body
    mine = app_client.get("/api/notifications", headers=sec).json()
    assert [n["kind"] for n in mine["items"]][:2] == ["connectivity_no_answer", "connectivity_failed"]


def test_a_late_answer_still_counts(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    clock = FakeClock(local("2031-11-03 07:00"))
    svc = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-11-03T08:00", "2031-11-03T09:00")
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    advance(svc, clock, local("2031-11-03 07:36"))
    report = app_client.get(f"/api/meetings/{mid}/connectivity", headers=login(app_client, "operator")).json()
    assert report["counts"] == {"no_answer": 1}
    clock.now += timedelta(minutes=1)
    late = {"meeting_id": mid, "reachable": True, "rtt_ms": 80}
    r = app_client.post(
        f"/api/bridge-points/{demo.bridge_point}/connectivity",
        json=late,
        headers=login(app_client, "operator"),
    )
    assert r.json()["status"] == "ok"  # a late answer still counts
    outsider = login(app_client, "delegate02")
    assert app_client.get(f"/api/meetings/{mid}/connectivity", headers=outsider).status_code == 403
    r = app_client.post(
        "/api/bridge-points/999999/connectivity", json=late, headers=login(app_client, "operator")
    )
    assert r.status_code == 404
