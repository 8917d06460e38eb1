"""The live meeting over the WebSocket, as tablets and the chair use it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import login

MEETING = 1  # the demo 3-level conference: chair, secretary and 50 delegates; scheduled


@contextmanager
def tablet(client: TestClient, user: str, since: int | None = None) -> Iterator[Any]:
    headers = login(client, user)
    url = f"/ws/meetings/{MEETING}" + (f"?since={since}" if since is not None else "")
    with client.websocket_connect(url, headers=headers) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["meeting_id"] == MEETING
        try:
            yield ws
        finally:
            READ_PAST.pop(id(ws), None)


# Events a socket received while `command` waited for its ack: an event may come before or after the ack
# of the command that caused it (a socket in step gets the event during the publish, before the ack).
READ_PAST: dict[int, list[dict[str, Any]]] = {}


def next_message(ws: Any) -> dict[str, Any]:
    pending = READ_PAST.get(id(ws))
    return pending.pop(0) if pending else dict(ws.receive_json())


def until(ws: Any, kind: str) -> dict[str, Any]:
    """Read messages until the event of ``kind`` (events only; checks that seqs never go back)."""
    last = 0
    while True:
        msg = next_message(ws)
        if msg["type"] == "event":
            assert msg["seq"] > last
            last = msg["seq"]
            if msg["kind"] == kind:
                return msg


def reply(ws: Any) -> dict[str, Any]:
    """The next direct answer (skipping the event stream and presence updates)."""
    while True:
        msg = ws.receive_json()
        if msg["type"] not in {"event", "presence"}:
            return dict(msg)


def command(ws: Any, cmd: dict[str, Any]) -> dict[str, Any]:
    """Send a command and return its ack or error (skipping events that arrive in between)."""
    ws.send_json(cmd)
    while True:
        msg = ws.receive_json()
        if msg["type"] in {"ack", "error"} and msg.get("id") == cmd.get("id"):
            return dict(msg)
        if msg["type"] == "event":
            READ_PAST.setdefault(id(ws), []).append(msg)


def test_unauthenticated_socket_is_told_and_closed(client: TestClient) -> None:
    with client.websocket_connect(f"/ws/meetings/{MEETING}") as ws:
        msg = ws.receive_json()
        assert msg["type"] == "error" and msg["code"] == "unauthenticated"
        assert msg["reason"] == "login_first"  # the tablet's words for it
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401


def test_foreign_origin_is_refused(client: TestClient) -> None:
    headers = {**login(client, "chair"), "origin": "https://evil.example"}
    with client.websocket_connect(f"/ws/meetings/{MEETING}", headers=headers) as ws:
        msg = ws.receive_json()
        assert msg["code"] == "forbidden" and "origin https://evil.example" in msg["detail"]


def test_first_connect_gets_a_snapshot_then_follows_the_presenter(client: TestClient) -> None:
    with tablet(client, "chair") as chair, tablet(client, "delegate07") as delegate:
        snapshot = delegate.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["state"]["status"] == "scheduled"
        chair.receive_json()
        assert command(chair, {"type": "start", "id": "s1"})["type"] == "ack"
        assert (
            command(chair, {"type": "present", "id": "p1", "document_id": 3, "page": 5, "zoom": 1.5})["type"]
            == "ack"
        )
        turn = until(delegate, "live.presenter")
        assert turn["payload"] == {"document_id": 3, "page": 5, "zoom": 1.5, "x": None, "y": None}
        # A delegate may not turn the presenter's page.
        err = command(delegate, {"type": "present", "id": "p2", "page": 9})
        assert err["type"] == "error" and err["code"] == "forbidden"
        assert (err["reason"], err["figures"]) == ("runners_only", {})  # the tablet's words for it


def test_malformed_messages_get_precise_errors_and_the_socket_stays_up(client: TestClient) -> None:
    with tablet(client, "delegate03") as ws:
        ws.receive_json()  # snapshot
        ws.send_text("{not json")
        msg = reply(ws)
        assert msg["type"] == "error" and msg["code"] == "malformed" and msg["detail"].startswith("not JSON")
        ws.send_json({"type": "teleport", "id": "x1"})
        msg = reply(ws)
        assert msg["code"] == "invalid" and msg["id"] == "x1" and "teleport" in msg["detail"]
        ws.send_json({"type": "vote", "id": "x2", "poll_id": "many"})
        msg = reply(ws)
        assert msg["code"] == "invalid" and {tuple(e["loc"]) for e in msg["errors"]} == {
            ("vote", "poll_id"),
            ("vote", "choice"),
        }
        ws.send_bytes(b"\x00\x01")
        assert reply(ws)["code"] == "malformed"
        ws.send_json({"type": "ping"})
        assert reply(ws)["type"] == "pong"


def test_reconnect_mid_poll_sees_every_event_once_and_a_resent_ballot_counts_once(client: TestClient) -> None:
    with tablet(client, "chair") as chair:
        chair.receive_json()
        command(chair, {"type": "start", "id": "start"})
        opened = command(chair, {"type": "poll_open", "id": "poll1", "question": "Thông qua Nghị quyết?"})
        poll_id = opened["seq"]
        with tablet(client, "delegate01") as d1:
            seen = d1.receive_json()["seq"]  # snapshot
            ack = command(d1, {"type": "vote", "id": "ballot-1", "poll_id": poll_id, "choice": "for"})
            assert ack["type"] == "ack" and ack["duplicate"] is False
            seen = until(d1, "poll.ballot")["seq"]
        # Offline: others vote and check in.
        with tablet(client, "delegate02") as d2:
            d2.receive_json()
            command(d2, {"type": "vote", "id": "b2", "poll_id": poll_id, "choice": "against"})
            command(d2, {"type": "checkin", "id": "c2"})
        with tablet(client, "delegate01", since=seen) as d1:
            replay = [m for m in (d1.receive_json() for _ in range(3)) if m["type"] == "event"]
            assert [(m["seq"], m["kind"]) for m in replay] == [
                (seen + 1, "poll.ballot"),
                (seen + 2, "live.checkin"),
            ]
            resent = command(d1, {"type": "vote", "id": "ballot-1", "poll_id": poll_id, "choice": "for"})
            assert resent == {"type": "ack", "seq": ack["seq"], "id": "ballot-1", "duplicate": True}
        closed = command(chair, {"type": "poll_close", "id": "close1", "poll_id": poll_id})
        assert closed["type"] == "ack"
        result = until(chair, "poll.closed")["payload"]["result"]
        assert result["counts"] == {"for": 1, "against": 1, "abstain": 0} and result["turnout"] == 2


def test_secret_ballot_records_that_a_delegate_voted_never_what(client: TestClient) -> None:
    h = login(client, "chair")
    run = lambda body: client.post(f"/api/meetings/{MEETING}/commands", json=body, headers=h)  # noqa: E731
    assert run({"type": "start", "id": "go"}).status_code == 200
    poll_id = run(
        {
            "type": "poll_open",
            "id": "sp",
            "question": "Bầu Chủ tịch",
            "secret": True,
            "options": ["Nguyễn A", "Trần B"],
        }
    ).json()["seq"]
    for i, choice in enumerate(["Trần B", "Trần B", "Nguyễn A"], start=1):
        r = client.post(
            f"/api/meetings/{MEETING}/commands",
            headers=login(client, f"delegate{i:02d}"),
            json={"type": "vote", "id": f"v{i}", "poll_id": poll_id, "choice": choice},
        )
        assert r.status_code == 200, r.text
    again = client.post(
        f"/api/meetings/{MEETING}/commands",
        headers=login(client, "delegate01"),
        json={"type": "vote", "id": "v9", "poll_id": poll_id, "choice": "Nguyễn A"},
    )
    assert again.status_code == 409 and "cannot be changed" in again.json()["detail"]
    run({"type": "poll_close", "id": "spc", "poll_id": poll_id})
    events = client.get(f"/api/meetings/{MEETING}/events", headers=h).json()
    ballots = [e for e in events if e["kind"] == "poll.ballot"]
    assert len(ballots) == 3 and all(e["payload"]["choice"] is None for e in ballots)
    assert "Trần B" not in json.dumps(ballots)
    closed = next(e for e in events if e["kind"] == "poll.closed")
    assert closed["payload"]["result"]["counts"] == {"Nguyễn A": 1, "Trần B": 2}


def test_quorum_speakers_and_conclusions(client: TestClient) -> None:
    h = login(client, "chair")

    def run(user_headers: dict[str, str], body: dict[str, Any]) -> Any:
        return client.post(f"/api/meetings/{MEETING}/commands", json=body, headers=user_headers)

    run(h, {"type": "start", "id": "go"})
    for i in range(1, 27):
        assert run(login(client, f"delegate{i:02d}"), {"type": "checkin", "id": f"c{i}"}).status_code == 200
    state = client.get(f"/api/meetings/{MEETING}/live", headers=h).json()["state"]
    assert state["quorum"] == {"members": 51, "present": 26, "needed": 26, "reached": True}
    d5 = login(client, "delegate05")
    req = run(d5, {"type": "speak_request", "id": "r1", "topic": "Ngân sách xã"}).json()["seq"]
    assert run(d5, {"type": "speak_request", "id": "r2"}).status_code == 409  # already queued
    assert run(d5, {"type": "floor_grant", "id": "g0", "request_id": req}).status_code == 403
    assert (
        run(h, {"type": "floor_grant", "id": "g1", "request_id": req, "limit_seconds": 180}).status_code
        == 200
    )
    run(h, {"type": "conclude", "id": "k1", "text": "Giao Sở Tài chính rà soát."})
    state = client.get(f"/api/meetings/{MEETING}/live", headers=h).json()["state"]
    assert state["floor"]["request_id"] == req and state["floor"]["limit_seconds"] == 180
    assert state["conclusions"][0]["text"] == "Giao Sở Tài chính rà soát."


def test_http_lifecycle_changes_reach_open_sockets(client: TestClient) -> None:
    h = login(client, "secretary")
    with tablet(client, "delegate11") as ws:
        ws.receive_json()  # snapshot
        r = client.post(f"/api/meetings/{MEETING}/transitions", json={"to": "live"}, headers=h)
        assert r.status_code == 200
        event = until(ws, "meeting.status_changed")
        assert event["payload"]["to"] == "live" and event["seq"] == r.json()["last_seq"]


def test_minutes_pdf_from_the_log(client: TestClient) -> None:
    import pymupdf

    h = login(client, "chair")

    def run(headers: dict[str, str], body: dict[str, Any]) -> Any:
        r = client.post(f"/api/meetings/{MEETING}/commands", json=body, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    run(h, {"type": "start", "id": "go"})
    run(h, {"type": "set_item", "id": "i1", "item_id": 1, "title": "Báo cáo tình hình kinh tế - xã hội"})
    d = {i: login(client, f"delegate{i:02d}") for i in (1, 2, 3)}
    for i, headers in d.items():
        run(headers, {"type": "checkin", "id": f"c{i}"})
    req = run(d[2], {"type": "speak_request", "id": "r", "topic": "Giao thông nông thôn"})["seq"]
    run(h, {"type": "floor_grant", "id": "g", "request_id": req})
    run(h, {"type": "floor_end", "id": "e"})
    poll = run(h, {"type": "poll_open", "id": "p", "question": "Thông qua báo cáo?", "rule": "of_present"})[
        "seq"
    ]
    for i, headers in d.items():
        run(
            headers, {"type": "vote", "id": f"v{i}", "poll_id": poll, "choice": "for" if i < 3 else "against"}
        )
    run(h, {"type": "poll_close", "id": "pc", "poll_id": poll})
    run(h, {"type": "conclude", "id": "k", "text": "Thống nhất thông qua báo cáo."})
    run(h, {"type": "end", "id": "end"})
    r = client.get(f"/api/meetings/{MEETING}/minutes.pdf", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(page.get_text() for page in pymupdf.open(stream=r.content, filetype="pdf"))
    for expected in (
        "BIÊN BẢN",
        "Báo cáo tình hình kinh tế - xã hội",
        "Giao thông nông thôn",
        "Thông qua báo cáo?",
        "Tán thành: 2",
        "THÔNG QUA",
        "Thống nhất thông qua báo cáo.",
        "Có mặt 3/51",
    ):
        assert expected in text, expected


def test_presence_shows_who_is_connected(client: TestClient) -> None:
    def person(user: str) -> int:
        return int(client.get("/api/auth/me", headers=login(client, user)).json()["person_id"])

    def next_presence(ws: Any) -> list[int]:
        while True:
            msg = ws.receive_json()
            if msg["type"] == "presence":
                return list(msg["online"])

    a, b = person("delegate21"), person("delegate22")
    with tablet(client, "delegate21") as ws_a:
        assert ws_a.receive_json()["type"] == "snapshot"
        while a not in next_presence(ws_a):  # the first list is sent before its own join is announced
            pass
        with tablet(client, "delegate22"):
            while b not in next_presence(ws_a):
                pass
        while b in next_presence(ws_a):
            pass
