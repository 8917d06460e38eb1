"""Meetings over HTTP: create with scope, double-booking, editing with versions, lifecycle, slots, the log."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from tests.conftest import login


def _unit(client: TestClient, h: dict[str, str], name: str) -> dict[str, Any]:
    units = client.get("/api/units", headers=h).json()
    return next(u for u in units if u["name"] == name)


def _meeting(host: int, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Giao ban tuần",
        "body": "UBND tỉnh",
        "host_unit_id": host,
        "start": start,
        "end": end,
        **extra,
    }


def test_create_resolves_scope_rule_to_bridge_points(client: TestClient) -> None:
    h = login(client, "secretary")
    ubnd = _unit(client, h, "UBND tỉnh Hà Giang")
    meo_vac = _unit(client, h, "Huyện Mèo Vạc")
    body = _meeting(
        ubnd["id"],
        "2030-03-04T08:00",
        "2030-03-04T10:00",
        scope={"rules": [{"under_unit_id": meo_vac["id"], "level": "commune"}], "bridge_point_ids": [3]},
    )
    r = client.post("/api/meetings", json=body, headers=h)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["status"] == "draft" and m["version"] == 1
    assert len(m["bridge_point_ids"]) == 18 + 1 and 3 in m["bridge_point_ids"]
    assert m["start"] == "2030-03-04T08:00:00+07:00" and m["start_utc"] == "2030-03-04T01:00:00Z"
    assert client.get(f"/api/meetings/{m['id']}", headers=h).json() == m


def test_double_booking_is_409_with_every_clash(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    chair = client.get("/api/auth/me", headers=login(client, "chair")).json()["person_id"]
    first = _meeting(
        host,
        "2030-03-05T08:00",
        "2030-03-05T10:00",
        scope={"bridge_point_ids": [1, 2, 3]},
        participants=[{"person_id": chair, "role": "chair"}],
    )
    a = client.post("/api/meetings", json=first, headers=h).json()
    clash = _meeting(
        host,
        "2030-03-05T09:30",
        "2030-03-05T11:00",
        scope={"bridge_point_ids": [2, 3, 4]},
        participants=[{"person_id": chair, "role": "chair"}],
    )
    r = client.post("/api/meetings", json=clash, headers=h)
    assert r.status_code == 409
    body = r.json()
    assert "double-book 2 bridge point(s) and 1 person(s)" in body["detail"]
    assert [(c["kind"], c["id"], c["meeting_id"]) for c in body["conflicts"]] == [
        ("bridge_point", 2, a["id"]),
        ("bridge_point", 3, a["id"]),
        ("person", chair, a["id"]),
    ]
    # Back to back is fine only past the 15-minute set-up buffer.
    r = client.post(
        "/api/meetings",
        json=_meeting(host, "2030-03-05T10:10", "2030-03-05T11:00", scope={"bridge_point_ids": [1]}),
        headers=h,
    )
    assert r.status_code == 409
    r = client.post(
        "/api/meetings",
        json=_meeting(host, "2030-03-05T10:15", "2030-03-05T11:00", scope={"bridge_point_ids": [1]}),
        headers=h,
    )
    assert r.status_code == 201


def test_cancelled_meeting_frees_its_bridge_points(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    body = _meeting(host, "2030-03-06T08:00", "2030-03-06T10:00", scope={"bridge_point_ids": [7]})
    a = client.post("/api/meetings", json=body, headers=h).json()
    assert client.post("/api/meetings", json=body, headers=h).status_code == 409
    r = client.post(f"/api/meetings/{a['id']}/transitions", json={"to": "cancelled"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.post("/api/meetings", json=body, headers=h).status_code == 201


def test_permissions_on_create(client: TestClient) -> None:
    h = login(client, "delegate01")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    r = client.post("/api/meetings", json=_meeting(host, "2030-03-07T08:00", "2030-03-07T09:00"), headers=h)
    assert r.status_code == 403 and "may not create meetings" in r.json()["detail"]
    # A secretary of UBND tỉnh may not host a meeting for the Party committee, a sibling unit.
    s = login(client, "secretary")
    tinh_uy = _unit(client, s, "Tỉnh ủy Hà Giang")["id"]
    r = client.post(
        "/api/meetings", json=_meeting(tinh_uy, "2030-03-07T08:00", "2030-03-07T09:00"), headers=s
    )
    assert r.status_code == 403 and "their own unit" in r.json()["detail"]


def test_invalid_input_names_the_field(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    r = client.post("/api/meetings", json=_meeting(host, "2030-03-08T10:00", "2030-03-08T09:00"), headers=h)
    assert r.status_code == 422 and "end must be after start" in r.json()["detail"]
    r = client.post(
        "/api/meetings",
        json=_meeting(host, "2030-03-08T08:00", "2030-03-08T09:00", scope={"bridge_point_ids": [99999]}),
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"loc": ["scope", "bridge_point_ids"], "msg": "unknown bridge point 99999"}]
    r = client.post(
        "/api/meetings",
        json=_meeting(
            host, "2030-03-08T08:00", "2030-03-08T09:00", participants=[{"person_id": 1, "role": "king"}]
        ),
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["participants", 0, "role"]
    r = client.post(
        "/api/meetings", json={**_meeting(host, "2030-03-08T08:00", "2030-03-08T09:00"), "x": 1}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["x"]


def test_patch_needs_current_version(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    m = client.post(
        "/api/meetings", json=_meeting(host, "2030-03-09T08:00", "2030-03-09T09:00"), headers=h
    ).json()
    r = client.patch(f"/api/meetings/{m['id']}", json={"version": 1, "title": "Giao ban tháng"}, headers=h)
    assert r.status_code == 200 and r.json()["title"] == "Giao ban tháng" and r.json()["version"] == 2
    r = client.patch(f"/api/meetings/{m['id']}", json={"version": 1, "title": "Lost update"}, headers=h)
    assert r.status_code == 409 and "changed by someone else" in r.json()["detail"]
    assert client.get(f"/api/meetings/{m['id']}", headers=h).json()["title"] == "Giao ban tháng"
    r = client.patch(
        f"/api/meetings/{m['id']}",
        json={"version": 2, "start": "2030-03-09T07:00", "end": "2030-03-09T10:00"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["start"] == "2030-03-09T07:00:00+07:00"
    assert client.patch("/api/meetings/99999", json={"version": 1}, headers=h).status_code == 404
    assert (
        client.patch(
            f"/api/meetings/{m['id']}", json={"version": 3, "title": "x"}, headers=login(client, "delegate01")
        ).status_code
        == 403
    )


def test_lifecycle_rejects_illegal_moves(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    m = client.post(
        "/api/meetings", json=_meeting(host, "2030-03-10T08:00", "2030-03-10T09:00"), headers=h
    ).json()
    url = f"/api/meetings/{m['id']}/transitions"
    r = client.post(url, json={"to": "live"}, headers=h)
    assert r.status_code == 409
    assert (
        r.json()["detail"]
        == "cannot move a meeting from 'draft' to 'live'; allowed from 'draft': cancelled, scheduled"
    )
    for step in ("scheduled", "live", "ended", "archived"):
        assert client.post(url, json={"to": step}, headers=h).json()["status"] == step
    r = client.patch(f"/api/meetings/{m['id']}", json={"version": 5, "title": "x"}, headers=h)
    assert r.status_code == 409 and "can no longer be edited" in r.json()["detail"]
    assert client.post(url, json={"to": "flying"}, headers=h).status_code == 422


def test_list_by_time_window_and_visibility(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    for day in ("11", "12", "13"):
        assert (
            client.post(
                "/api/meetings",
                json=_meeting(host, f"2030-03-{day}T08:00", f"2030-03-{day}T09:00"),
                headers=h,
            ).status_code
            == 201
        )
    listed = client.get("/api/meetings?from=2030-03-12T00:00&to=2030-03-13T00:00", headers=h).json()
    assert [m["start"][:10] for m in listed] == ["2030-03-12"]
    # delegate01 is a participant of the demo conference only.
    mine = client.get("/api/meetings", headers=login(client, "delegate01")).json()
    assert [m["id"] for m in mine] == [1]


def test_suggest_next_free_slots(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    # Monday 2030-03-18 08:00-12:00 takes bridge point 5.
    client.post(
        "/api/meetings",
        json=_meeting(host, "2030-03-18T08:00", "2030-03-18T12:00", scope={"bridge_point_ids": [5]}),
        headers=h,
    )
    r = client.get(
        "/api/meetings/suggest?bridge_point_ids=5,6&duration_minutes=120&after=2030-03-18T07:00&count=3",
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["slots"] == [
        "2030-03-18T12:30:00+07:00",
        "2030-03-18T13:00:00+07:00",
        "2030-03-18T13:30:00+07:00",
    ]
    r = client.get("/api/meetings/suggest?bridge_point_ids=5", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "duration_minutes"]
    r = client.get("/api/meetings/suggest?bridge_point_ids=a,b&duration_minutes=60", headers=h)
    assert r.status_code == 422


def test_event_log_sequence_and_tamper_evidence(client: TestClient, engine: Engine) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]
    m = client.post(
        "/api/meetings", json=_meeting(host, "2030-03-19T08:00", "2030-03-19T09:00"), headers=h
    ).json()
    client.patch(f"/api/meetings/{m['id']}", json={"version": 1, "title": "Giao ban quý"}, headers=h)
    client.post(f"/api/meetings/{m['id']}/transitions", json={"to": "scheduled"}, headers=h)
    events = client.get(f"/api/meetings/{m['id']}/events", headers=h).json()
    assert [(e["seq"], e["kind"]) for e in events] == [
        (1, "meeting.created"),
        (2, "meeting.updated"),
        (3, "meeting.status_changed"),
    ]
    assert client.get(f"/api/meetings/{m['id']}/events?since=2", headers=h).json()[0]["seq"] == 3
    assert client.get(f"/api/meetings/{m['id']}/verify", headers=h).json() == {
        "ok": True,
        "events": 3,
        "first_broken_seq": None,
        "reason": None,
    }
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE meeting_event SET payload = :p WHERE meeting_id = :m AND seq = 2"),
            {"p": '{"changes": {"title": "forged"}}', "m": m["id"]},
        )
    report = client.get(f"/api/meetings/{m['id']}/verify", headers=h).json()
    assert report["ok"] is False and report["first_broken_seq"] == 2
    assert report["reason"] == "its content does not match its hash"


def test_concurrent_bookings_of_one_room_let_exactly_one_through(client: TestClient) -> None:
    h = login(client, "secretary")
    host = _unit(client, h, "UBND tỉnh Hà Giang")["id"]

    def book(i: int) -> int:
        body = _meeting(host, "2030-03-20T08:00", "2030-03-20T09:00", scope={"bridge_point_ids": [9]})
        body["title"] = f"Race {i}"
        return client.post("/api/meetings", json=body, headers=h).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(book, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409]
