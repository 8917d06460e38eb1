"""Several real server processes on one database and Redis; a server killed with SIGKILL mid-poll; who is
online across processes started at different times, and after one is killed."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.servers import Server, redis_url


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def two_servers(env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    env = {**env, "REDIS_URL": redis_url()}
    a = Server(env)
    try:
        b = Server(env)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def test_a_page_turn_on_one_process_reaches_tablets_on_the_other(two_servers: tuple[Server, Server]) -> None:
    a, b = two_servers
    chair = a.login("chair")
    delegate = b.login("delegate04")
    url = f"ws://127.0.0.1:{b.port}/ws/meetings/1"
    with connect(url, additional_headers={"Authorization": f"Bearer {delegate}"}, open_timeout=20) as ws:
        assert json.loads(ws.recv(timeout=20))["type"] == "hello"
        assert json.loads(ws.recv(timeout=20))["type"] == "snapshot"
        assert a.request("POST", "/api/meetings/1/commands", {"type": "start", "id": "go"}, chair)[0] == 200
        status, ack = a.request(
            "POST",
            "/api/meetings/1/commands",
            {"type": "present", "id": "turn", "document_id": 1, "page": 12},
            chair,
        )
        assert status == 200
        while True:
            msg = json.loads(ws.recv(timeout=20))
            if msg["type"] == "event" and msg["kind"] == "live.presenter":
                break
        assert msg["seq"] == ack["seq"] and msg["payload"]["page"] == 12


@contextlib.contextmanager
def tablet(server: Server, token: str) -> Iterator[ClientConnection]:
    with connect(
        f"ws://127.0.0.1:{server.port}/ws/meetings/1",
        additional_headers={"Authorization": f"Bearer {token}"},
        open_timeout=20,
    ) as ws:
        assert json.loads(ws.recv(timeout=20))["type"] == "hello"
        yield ws


def online_until(ws: ClientConnection, check: Callable[[set[int]], bool], what: str) -> None:
    """Read the socket's presence lists until one passes ``check``."""
    deadline = time.monotonic() + 15
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"not within 15 s: {what}"
        msg = json.loads(ws.recv(timeout=left))
        if msg["type"] == "presence" and check(set(msg["online"])):
            return


def test_presence_reaches_a_process_started_later_and_forgets_one_killed(env: dict[str, str]) -> None:
    """A delegate's tablet is connected at process A before process B starts: the chair's screen at B lists
    the delegate online (B heard A's heartbeat). A is killed: the delegate drops out of B's list by itself,
    and the chair, connected at B, stays."""
    env = {**env, "REDIS_URL": redis_url(), "CAUHOP_PRESENCE_HEARTBEAT_SECONDS": "0.3"}
    a = Server(env)
    try:
        token = a.login("delegate04")
        delegate = a.request("GET", "/api/auth/me", token=token)[1]["person_id"]
        with tablet(a, token) as at_a:
            online_until(at_a, lambda online: delegate in online, "the delegate online at A")
            b = Server(env)
            try:
                token = b.login("chair")
                chair = b.request("GET", "/api/auth/me", token=token)[1]["person_id"]
                with tablet(b, token) as at_b:
                    online_until(at_b, lambda online: online == {delegate, chair}, "B lists A's delegate")
                    a.kill()
                    online_until(at_b, lambda online: online == {chair}, "B forgets the delegate at A")
            finally:
                b.stop()
    finally:
        a.stop()


def test_sigkill_during_a_poll_loses_no_acknowledged_ballot_or_checkin(env: dict[str, str]) -> None:
    server = Server(env)
    try:
        chair = server.login("chair")
        server.request("POST", "/api/meetings/1/commands", {"type": "start", "id": "go"}, chair)
        poll = server.request(
            "POST",
            "/api/meetings/1/commands",
            {"type": "poll_open", "id": "p", "question": "Thông qua?"},
            chair,
        )[1]["seq"]
        tokens = {i: server.login(f"delegate{i:02d}") for i in range(1, 41)}

        def act(i: int) -> list[tuple[str, int]]:
            acked = []
            for kind, body in (
                ("checkin", {"type": "checkin", "id": f"c{i}"}),
                ("ballot", {"type": "vote", "id": f"v{i}", "poll_id": poll, "choice": "for"}),
            ):
                try:
                    status, reply = server.request("POST", "/api/meetings/1/commands", body, tokens[i])
                except OSError:
                    return acked  # the server died under us: unacknowledged, the client would resend
                if status == 200:
                    acked.append((kind, reply["seq"]))
            return acked

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(act, i) for i in range(1, 41)]
            futures[15].result()  # some acknowledged writes are in…
            server.kill()  # …and the server is killed in the middle of the others
            acked = [a for f in futures for a in f.result()]
    finally:
        server.stop()
    assert len(acked) >= 2
    server = Server(env)
    try:
        status, events = server.request(
            "GET", "/api/meetings/1/events?limit=1000", token=server.login("chair")
        )
        assert status == 200
        logged = {e["seq"]: e["kind"] for e in events}
        for kind, seq in acked:
            assert logged.get(seq) == {"checkin": "live.checkin", "ballot": "poll.ballot"}[kind]
        assert server.request("GET", "/api/meetings/1/verify", token=server.login("chair"))[1]["ok"] is True
    finally:
        server.stop()
