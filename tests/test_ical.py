"""The iCalendar feed: our RFC 5545 writer checked against the ``icalendar`` parser, and a user's feed over
HTTP following a reschedule and a cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from meetings.ical import CalendarEvent, escape_text, fold, render_calendar, utc_stamp
from tests.conftest import login
from tests.test_jobs import app_client

__all__ = ["app_client"]  # fixture used here

STAMP = datetime(2031, 1, 1, tzinfo=UTC)
VIETNAMESE = "Hội nghị trực tuyến 3 cấp; triển khai nhiệm vụ, năm 2027\\kế hoạch\nDòng hai"


def _event(**kw: Any) -> CalendarEvent:
    base: dict[str, Any] = {
        "uid": "meeting-7@cauhop",
        "sequence": 3,
        "start": datetime(2031, 1, 6, 1, 0, tzinfo=UTC),
        "end": datetime(2031, 1, 6, 4, 0, tzinfo=UTC),
        "summary": VIETNAMESE,
    }
    return CalendarEvent(**{**base, **kw})


def _parse(text: str) -> list[Any]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_an_event_parses_back_with_every_field() -> None:
    text = render_calendar(
        "Lịch họp – Nguyễn Thị Thu Hà", [_event(description="a,b;c", location="Hà Giang")], STAMP
    )
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["X-WR-CALNAME"]) == "Lịch họp – Nguyễn Thị Thu Hà" and str(cal["VERSION"]) == "2.0"
    [ev] = cal.walk("VEVENT")
    assert str(ev["UID"]) == "meeting-7@cauhop" and int(ev["SEQUENCE"]) == 3
    assert ev["DTSTART"].dt == datetime(2031, 1, 6, 1, 0, tzinfo=UTC)
    assert ev["DTEND"].dt == datetime(2031, 1, 6, 4, 0, tzinfo=UTC)
    assert ev["DTSTAMP"].dt == STAMP and str(ev["STATUS"]) == "CONFIRMED"
    assert str(ev["SUMMARY"]) == VIETNAMESE
    assert (str(ev["DESCRIPTION"]), str(ev["LOCATION"])) == ("a,b;c", "Hà Giang")


def test_lines_end_with_crlf_and_fold_at_75_octets_without_cutting_a_character() -> None:
    text = render_calendar("x", [_event(summary="Giao ban " + "điểm cầu xã Lũng Cú " * 12)], STAMP)
    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert max(len(line.encode()) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # it did fold
    assert "DTSTART:20310106T010000Z" in lines and "DTEND:20310106T040000Z" in lines


def test_a_cancellation_is_status_cancelled() -> None:
    [ev] = _parse(render_calendar("x", [_event(status="CANCELLED", sequence=5)], STAMP))
    assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) == 5


def test_text_escaping_by_the_rfc() -> None:
    assert escape_text("a\\b;c,d\r\ne\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"
    assert escape_text("chuông\x07 báo") == "chuông báo"  # control characters are not allowed in TEXT
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_stamp(datetime(2031, 1, 1))


texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\\;,:\n\tđĐươỹ"), max_size=300
)


@given(texts)
def test_any_text_round_trips_through_the_icalendar_parser(value: str) -> None:
    [ev] = _parse(render_calendar("x", [_event(summary=value or "x", description=value)], STAMP))
    if value:
        assert str(ev["SUMMARY"]) == value
        assert str(ev["DESCRIPTION"]) == value


@given(st.text(max_size=400))
def test_folding_keeps_every_octet_and_the_limit(value: str) -> None:
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold(line)
    assert folded.endswith("\r\n")
    parts = folded[:-2].split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line


# ---- the feed over HTTP ----


def _meeting(client: TestClient, h: dict[str, str]) -> dict[str, Any]:
    me = client.get("/api/auth/me", headers=h).json()
    units = client.get("/api/units", headers=h).json()
    host = next(u["id"] for u in units if u["code"] == "HG-UBND")
    body = {
        "title": "Kỳ họp thứ Mười hai, HĐND tỉnh; phiên chất vấn",
        "body": "HĐND tỉnh",
        "description": "Chất vấn, trả lời chất vấn\nvề đầu tư công",
        "host_unit_id": host,
        "start": "2031-07-08T08:00",
        "end": "2031-07-08T11:30",
        "participants": [{"person_id": me["person_id"], "role": "secretary"}],
    }
    r = client.post("/api/meetings", json=body, headers=h)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _feed(client: TestClient, url: str) -> dict[str, Any]:
    r = client.get(url.removeprefix(str(client.base_url)))
    assert r.status_code == 200 and r.headers["content-type"] == "text/calendar; charset=utf-8"
    return {str(ev["UID"]): ev for ev in _parse(r.text)}


def test_a_users_feed_follows_publication_reschedule_and_cancellation(app_client: TestClient) -> None:
    h = login(app_client, "secretary")
    r = app_client.post("/api/calendar/token", headers=h)
    assert r.status_code == 200
    url = r.json()["url"]
    assert url.endswith(f"/api/calendar/{r.json()['token']}.ics")
    m = _meeting(app_client, h)
    uid = f"meeting-{m['id']}@cauhop"
    assert uid not in _feed(app_client, url)  # a draft is not in anyone's calendar

    app_client.post(f"/api/meetings/{m['id']}/transitions", json={"to": "scheduled"}, headers=h)
    ev = _feed(app_client, url)[uid]
    assert ev["DTSTART"].dt == datetime(2031, 7, 8, 1, 0, tzinfo=UTC)
    assert (
        str(ev["SUMMARY"]) == m["title"]
        and str(ev["DESCRIPTION"]) == "HĐND tỉnh\nChất vấn, trả lời chất vấn\nvề đầu tư công"
    )
    assert str(ev["LOCATION"]) == "UBND tỉnh Hà Giang" and str(ev["STATUS"]) == "CONFIRMED"
    first_sequence = int(ev["SEQUENCE"])

    current = app_client.get(f"/api/meetings/{m['id']}", headers=h).json()
    patch = {"version": current["version"], "start": "2031-07-09T14:00", "end": "2031-07-09T17:00"}
    assert app_client.patch(f"/api/meetings/{m['id']}", json=patch, headers=h).status_code == 200
    ev = _feed(app_client, url)[uid]
    assert ev["DTSTART"].dt == datetime(2031, 7, 9, 7, 0, tzinfo=UTC)
    assert ev["DTEND"].dt - ev["DTSTART"].dt == timedelta(hours=3)
    assert int(ev["SEQUENCE"]) > first_sequence

    app_client.post(f"/api/meetings/{m['id']}/transitions", json={"to": "cancelled"}, headers=h)
    ev = _feed(app_client, url)[uid]
    assert str(ev["STATUS"]) == "CANCELLED" and int(ev["SEQUENCE"]) == m["version"] + 3

    chair_feed = app_client.post("/api/calendar/token", headers=login(app_client, "chair")).json()["url"]
    assert uid not in _feed(app_client, chair_feed)  # not the chair's meeting


def test_rotating_the_token_retires_the_old_address(app_client: TestClient) -> None:
    h = login(app_client, "delegate01")
    old = app_client.post("/api/calendar/token", headers=h).json()["token"]
    new = app_client.post("/api/calendar/token", headers=h).json()["token"]
    assert old != new
    app_client.cookies.clear()
    assert app_client.get(f"/api/calendar/{old}.ics").status_code == 404
    r = app_client.get(f"/api/calendar/{new}.ics")
    assert r.status_code == 200 and "BEGIN:VCALENDAR" in r.text
    demo = _parse(r.text)  # the demo conference, where every delegate takes part
    assert len(demo) == 1 and "Hội nghị trực tuyến 3 cấp" in str(demo[0]["SUMMARY"])
    assert app_client.post("/api/calendar/token").status_code == 401
