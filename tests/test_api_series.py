"""Recurring meetings: a weekly giao ban, editing one occurrence, and "this and the following"."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import login


def _series(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Giao ban tuần UBND tỉnh",
        "body": "UBND tỉnh",
        "host_unit_id": 4,
        "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
        "start": "2031-01-06T08:00",
        "duration_minutes": 90,
        "scope": {"bridge_point_ids": [3]},
        **extra,
    }


def test_weekly_giao_ban_creates_scheduled_occurrences(client: TestClient) -> None:
    h = login(client, "secretary")
    r = client.post("/api/series", json=_series(), headers=h)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["summary"] == "Hằng tuần vào Thứ Hai, 6 lần"
    assert [o["start"] for o in s["occurrences"]] == [
        f"2031-{d}T08:00:00+07:00" for d in ("01-06", "01-13", "01-20", "01-27", "02-03", "02-10")
    ]
    assert {o["status"] for o in s["occurrences"]} == {"scheduled"}
    assert client.get(f"/api/series/{s['id']}", headers=h).json() == s


def test_series_clash_rejects_the_whole_series_naming_each_date(client: TestClient) -> None:
    h = login(client, "secretary")
    busy = {
        "title": "Họp đột xuất",
        "host_unit_id": 4,
        "start": "2031-01-20T08:30",
        "end": "2031-01-20T09:00",
        "scope": {"bridge_point_ids": [3]},
    }
    other = client.post("/api/meetings", json=busy, headers=h).json()
    r = client.post("/api/series", json=_series(), headers=h)
    assert r.status_code == 409
    assert r.json()["detail"] == "1 occurrence(s) would double-book: 2031-01-20"
    assert r.json()["conflicts"][0]["meeting_id"] == other["id"]
    assert r.json()["conflicts"][0]["occurrence"] == "2031-01-20T08:00:00+07:00"
    listed = client.get("/api/meetings?from=2031-01-01T00:00&to=2031-03-01T00:00", headers=h).json()
    assert [m["id"] for m in listed] == [other["id"]]  # nothing of the series was stored


def test_bad_rule_is_422_on_the_rrule_field(client: TestClient) -> None:
    h = login(client, "secretary")
    r = client.post("/api/series", json=_series(rrule="FREQ=WEEKLY;BYSETPOS=1"), headers=h)
    assert r.status_code == 422
    assert r.json()["detail"] == "unsupported RRULE part 'BYSETPOS'"
    assert r.json()["errors"][0]["loc"] == ["rrule"]


def test_edit_one_occurrence_then_the_rest_of_the_series(client: TestClient) -> None:
    h = login(client, "secretary")
    s = client.post("/api/series", json=_series(), headers=h).json()
    occ = s["occurrences"]
    # One occurrence moves to Tuesday: it is detached, the others stay.
    r = client.patch(
        f"/api/meetings/{occ[3]['meeting_id']}",
        headers=h,
        json={"version": 2, "start": "2031-01-28T14:00", "end": "2031-01-28T15:30"},
    )
    assert r.status_code == 200 and r.json()["detached"] is True
    # From the third occurrence on, the giao ban moves to Wednesday afternoons.
    r = client.post(
        f"/api/series/{s['id']}/split",
        headers=h,
        json={
            "from_meeting_id": occ[2]["meeting_id"],
            "rrule": "FREQ=WEEKLY;BYDAY=WE;COUNT=3",
            "start": "2031-01-22T14:00",
        },
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert [o["start"] for o in new["occurrences"]] == [
        "2031-01-22T14:00:00+07:00",
        "2031-01-29T14:00:00+07:00",
        "2031-02-05T14:00:00+07:00",
    ]
    old = client.get(f"/api/series/{s['id']}", headers=h).json()
    assert old["rrule"] == "FREQ=WEEKLY;UNTIL=20310120T005959Z;BYDAY=MO"
    statuses = [(o["start"][:10], o["status"], o["detached"]) for o in old["occurrences"]]
    assert statuses == [
        ("2031-01-06", "scheduled", False),
        ("2031-01-13", "scheduled", False),
        ("2031-01-20", "cancelled", False),
        ("2031-01-28", "scheduled", True),
        ("2031-02-03", "cancelled", False),
        ("2031-02-10", "cancelled", False),
    ]
