"""Media signaling over ``/ws/rtc/{meeting_id}``: authentication, admission, clear errors, and the whole path
— a real server, aiortc agents over the WebSocket, and the floor granted by the chair's live command."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from aiortc import RTCPeerConnection
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from meetings.clock import utcnow
from meetings.config import Settings
from meetings.db import make_engine
from meetings.models import BridgePoint
from meetings.models_jobs import ConnectivityResult
from rtc import aiortc_hook as hook
from rtc import schema
from rtc.agent import Agent, AgentOptions, WebSocketSignal, ws_url
from rtc.config import RtcSettings
from server import create_app
from tests.conftest import login

MEETING = 1  # the demo conference: every bridge point of the province; "chair" chairs it from BP-HG-UBND


def with_media(settings: Settings, started: threading.Event | None = None) -> Starlette:
    """The app as ``server.py`` assembles it, gathering ICE candidates on loopback only."""
    app = create_app(settings, RtcSettings(host_addresses=("127.0.0.1",)))
    if started is None:
        return app
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Starlette) -> AsyncIterator[None]:
        async with inner(a):
            started.set()
            yield

    app.router.lifespan_context = lifespan
    return app


def point(settings: Settings, code: str) -> int:
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        found = s.exec(select(BridgePoint.id).where(BridgePoint.code == code)).one()
    engine.dispose()
    assert found is not None
    return found


def offer_sdp() -> str:
    async def make() -> str:
        pc = RTCPeerConnection(hook.configuration())
        pc.addTransceiver("audio", direction="sendrecv")
        pc.addTransceiver("video", direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        assert pc.localDescription is not None
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


@pytest.fixture
def media_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(with_media(settings)) as c:
        yield c


@contextmanager
def signaling(client: TestClient, user: str) -> Iterator[Any]:
    with client.websocket_connect(f"/ws/rtc/{MEETING}", headers=login(client, user)) as ws:
        assert ws.receive_json() == {"type": "hello", "ice_servers": []}  # none configured: no STUN either
        yield ws


def errors(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    ws.send_json(message)
    reply = ws.receive_json()
    assert reply["type"] == "error", reply
    return dict(reply)


def test_unauthenticated_and_foreign_sockets_are_refused(media_client: TestClient) -> None:
    with media_client.websocket_connect(f"/ws/rtc/{MEETING}") as ws:
        assert ws.receive_json()["code"] == "unauthenticated"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
    headers = {**login(media_client, "chair"), "origin": "https://evil.example"}
    with media_client.websocket_connect(f"/ws/rtc/{MEETING}", headers=headers) as ws:
        assert ws.receive_json()["code"] == "forbidden"


def test_who_may_join_as_what(media_client: TestClient, settings: Settings) -> None:
    ubnd, hdnd = point(settings, "BP-HG-UBND"), point(settings, "BP-HG-HDND")
    sdp = offer_sdp()
    with signaling(media_client, "delegate05") as ws:
        e = errors(ws, {"type": "offer", "sdp": sdp, "bridge_point_id": ubnd})
        assert e["code"] == "forbidden" and f"operator of bridge point {ubnd}" in e["detail"]
        assert errors(ws, {"type": "offer", "sdp": sdp, "console": True})["code"] == "forbidden"
        assert errors(ws, {"type": "offer", "sdp": sdp, "bridge_point_id": 999999})["code"] == "not_found"
    with signaling(media_client, "operator") as ws:
        assert errors(ws, {"type": "offer", "sdp": sdp, "bridge_point_id": hdnd})["code"] == "forbidden"
        ws.send_json({"type": "offer", "sdp": sdp, "bridge_point_id": ubnd})
        answer = ws.receive_json()
        assert answer["type"] == "answer" and "a=ssrc:" in answer["sdp"] and "a=setup:active" in answer["sdp"]
        assert errors(ws, {"type": "auto", "on": True})["code"] == "forbidden"  # an operator is not a runner
        roster = errors(ws, {"type": "roster", "bridge_points": [ubnd]})  # only a relay's link has one
        assert roster["code"] == "forbidden" and "cascade link" in roster["detail"]
        assert errors(ws, {"type": "loudness", "levels": {str(ubnd): 90.0}})["code"] == "forbidden"
        ws.send_json({"type": "candidate", "candidate": "", "sdpMid": "0"})  # end of candidates: accepted
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_bridge_point_whose_pre_meeting_test_lost_packets_is_offered_audio_only(
    media_client: TestClient, settings: Settings
) -> None:
    ubnd = point(settings, "BP-HG-UBND")
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        s.add(
            ConnectivityResult(
                meeting_id=MEETING,
                bridge_point_id=ubnd,
                status="ok",
                answered_at=utcnow(),
                reachable=True,
                rtt_ms=45.0,
                loss_pct=12.0,
            )
        )
        s.commit()
    engine.dispose()
    with signaling(media_client, "operator") as ws:
        ws.send_json({"type": "offer", "sdp": offer_sdp(), "bridge_point_id": ubnd})
        assert ws.receive_json()["type"] == "answer"
        assert ws.receive_json() == {  # at once, before its connection is even up
            "type": "suggest_low_bandwidth",
            "reason": "the pre-meeting connectivity test measured 12% loss, 45 ms round trip",
            "cause": "test",
            "loss_pct": 12.0,
            "rtt_ms": 45.0,
        }


def test_bad_messages_get_precise_errors(media_client: TestClient) -> None:
    with signaling(media_client, "chair") as ws:
        early = errors(ws, {"type": "candidate", "candidate": "x"})
        assert early["detail"] == "send the offer before any candidate"
        bad = errors(ws, {"type": "offer", "sdp": "v=0\r\nnothing here", "bridge_point_id": 1})
        assert bad["code"] == "invalid" and "no audio or video line" in bad["detail"]
        assert errors(ws, {"type": "dance"})["code"] == "invalid"
        assert errors(ws, {"type": "roster", "bridge_points": [1]})["detail"] == "join (send an offer) first"
        assert errors(ws, {"type": "roster", "bridge_points": [0]})["code"] == "invalid"
        assert errors(ws, {"type": "loudness", "levels": {"7": 300}})["code"] == "invalid"
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "malformed"


def test_the_schema_is_published_both_ways() -> None:
    doc = schema.json_schema()
    assert "offer" in str(doc["client_to_server"]) and "slots" in str(doc["server_to_client"])


class LiveServer:
    """The app with media on a real loopback port, in a thread with its own event loop."""

    def __init__(self, settings: Settings) -> None:
        started = threading.Event()
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            with_media(settings, started),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        assert started.wait(30), "the server did not start"
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def test_agents_over_the_websocket_follow_the_floor_the_chair_grants(settings: Settings) -> None:
    server = LiveServer(settings)
    ubnd, hdnd, tu = (point(settings, c) for c in ("BP-HG-UBND", "BP-HG-HDND", "BP-HG-TU"))

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=server.base) as http:
            r = await http.post("/api/auth/login", json={"username": "chair", "password": "demo"})
            token = r.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}

            async def command(body: dict[str, Any]) -> dict[str, Any]:
                r = await http.post(f"/api/meetings/{MEETING}/commands", json=body, headers=auth)
                assert r.status_code == 200, r.text
                return dict(r.json())

            agents = {}
            for bp in (ubnd, hdnd, tu):  # the chair (a runner) may bring any room of the meeting online
                agents[bp] = Agent(AgentOptions(bridge_point_id=bp))
                await agents[bp].start(await WebSocketSignal(ws_url(server.base, MEETING), token).open())
            try:
                tu_agent = agents[tu]
                # slot 1 shows the chair's room
                await tu_agent.wait_until(lambda: tu_agent.slots[1].last_id() == ubnd % 256, 10)
                await command({"type": "start", "id": "go"})
                asked = await command({"type": "speak_request", "id": "ask", "bridge_point_id": hdnd})
                granted = time.time()
                await command({"type": "floor_grant", "id": "grant", "request_id": asked["seq"]})
                for bp in (ubnd, tu):
                    agent = agents[bp]
                    await agent.wait_until(lambda a=agent: a.slots[0].last_id() == hdnd % 256, 2)
                    seen = agent.slots[0].first_seen(hdnd % 256, granted)
                    assert seen is not None and seen - granted < 1.0
                assert agents[tu].slots[0].shows == hdnd
                await command({"type": "floor_end", "id": "end"})
                await tu_agent.wait_until(lambda: tu_agent.slots[0].shows is None, 2)
            finally:
                for agent in agents.values():
                    await agent.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        server.stop()


def test_ice_servers_come_from_configuration() -> None:
    env = {
        "CAUHOP_ICE_SERVERS": '[{"urls": "turn:turn.example.vn:3478?transport=udp", "username": "u", '
        '"credential": "p"}, {"urls": ["stun:turn.example.vn:3478"]}]',
        "CAUHOP_RTC_HOST_ADDRESSES": "10.0.0.5, 127.0.0.1",
    }
    settings = RtcSettings.from_env(env)
    assert [s.as_json() for s in settings.ice_servers] == [
        {"urls": ["turn:turn.example.vn:3478?transport=udp"], "username": "u", "credential": "p"},
        {"urls": ["stun:turn.example.vn:3478"]},
    ]
    assert settings.host_addresses == ("10.0.0.5", "127.0.0.1")
    assert RtcSettings.from_env({"HOST": "0.0.0.0"}) == RtcSettings()
    # a service on loopback (the demo) gathers candidates there, so a browser on the machine connects
    assert RtcSettings.from_env({}).host_addresses == ("127.0.0.1",)
    assert RtcSettings.from_env({"HOST": "localhost"}).host_addresses == ("127.0.0.1",)
    assert RtcSettings.from_env({"HOST": "10.1.2.3"}).host_addresses is None
    for bad in ("{", '{"urls": "x"}', '[{"username": "u"}]'):
        with pytest.raises(ValueError, match="CAUHOP_ICE_SERVERS|urls"):
            RtcSettings.from_env({"CAUHOP_ICE_SERVERS": bad})


def test_the_agent_command_line_joins_and_prints_stats(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from rtc.agent import main

    server = LiveServer(settings)
    try:
        ubnd = point(settings, "BP-HG-UBND")
        args = ["--server", server.base, "--meeting", str(MEETING), "--bridge-point", str(ubnd)]
        args += ["--username", "operator", "--password", "demo", "--host-address", "127.0.0.1"]
        assert main([*args, "--duration", "3", "--every", "1"]) == 0
    finally:
        server.stop()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) >= 2 and all(len(line["slots"]) == 2 for line in lines)
    # the relay's receiver reports reached the agent's senders: round trip and loss per published stream
    reported = {s["kind"] for s in lines[-1]["streams"] if s["type"] == "remote-inbound-rtp"}
    assert reported == {"audio", "video"}
