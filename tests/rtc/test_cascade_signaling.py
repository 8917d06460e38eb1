"""The cascade at the signaling: which relay a bridge point is sent to, relays authenticating each other,
heartbeats that lapse, and precise errors for bad relay settings. The app runs in process (TestClient); the
other relay is heard as its heartbeat on the bus, exactly as a remote process's arrives."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from meetings.bus import LocalBus
from meetings.config import Settings
from meetings.db import make_engine
from meetings.models import BridgePoint, Unit
from rtc.config import RtcSettings
from rtc.registry import RelayInfo, RelayRegistry
from rtc.signal_client import relay_credential, ws_url
from server import create_app
from tests.conftest import login
from tests.rtc.test_agent_reconnect import free_port
from tests.rtc.test_signaling import MEETING, LiveServer, offer_sdp, point

DISTRICT_RELAY = "http://127.0.0.2:8001"


def a_commune(settings: Settings) -> tuple[int, int]:
    """(a commune's bridge point in the conference, its district unit)."""
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        bp, district = s.exec(
            select(BridgePoint.id, Unit.parent_id)
            .join(Unit, col(Unit.id) == BridgePoint.unit_id)
            .where(Unit.level == "commune")
            .order_by(col(BridgePoint.id))
        ).first() or (None, None)
    engine.dispose()
    assert bp is not None and district is not None
    return bp, district


@pytest.fixture
def root(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, RtcSettings(host_addresses=("127.0.0.1",), relay_lapse=60))
    with TestClient(app) as c:
        yield c


def hear(client: TestClient, message: dict[str, Any]) -> None:
    registry: RelayRegistry = client.app.state.rtc.registry  # type: ignore[attr-defined]
    registry.receive(message, registry.clock())


def offer(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    with client.websocket_connect(f"/ws/rtc/{MEETING}", headers=headers) as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json(body)
        return dict(ws.receive_json())


def test_a_commune_is_sent_to_its_district_relay_and_the_chair_stays(
    root: TestClient, settings: Settings
) -> None:
    commune, district = a_commune(settings)
    chair = login(root, "chair")
    sdp = offer_sdp()
    ubnd = point(settings, "BP-HG-UBND")
    # alone, the process is the root relay and serves everyone, as before the cascade
    assert offer(root, chair, {"type": "offer", "sdp": sdp, "bridge_point_id": ubnd})["type"] == "answer"

    hear(root, {"type": "relay", "id": DISTRICT_RELAY, "unit_id": district, "capacity": 64})
    sent = offer(root, chair, {"type": "offer", "sdp": sdp, "bridge_point_id": commune})
    assert sent == {"type": "redirect", "server": DISTRICT_RELAY, "relay": DISTRICT_RELAY}
    assert offer(root, chair, {"type": "offer", "sdp": sdp, "bridge_point_id": ubnd})["type"] == "answer"
    assert offer(root, chair, {"type": "offer", "sdp": sdp, "console": True})["type"] == "answer"
    # sent here by another relay: joined here whatever this relay's own plan says (no ping-pong)
    back = offer(root, chair, {"type": "offer", "sdp": sdp, "bridge_point_id": commune, "redirected": True})
    assert back["type"] == "answer"
    # an admission error comes before any redirect
    delegate = login(root, "delegate05")
    assert (
        offer(root, delegate, {"type": "offer", "sdp": sdp, "bridge_point_id": commune})["code"]
        == "forbidden"
    )

    hear(root, {"type": "relay_gone", "id": DISTRICT_RELAY})  # stopped: its communes are served here again
    assert offer(root, chair, {"type": "offer", "sdp": sdp, "bridge_point_id": commune})["type"] == "answer"
    media = root.get(f"/api/meetings/{MEETING}/media", headers=login(root, "secretary")).json()
    assert media["relays"] == [root.app.state.rtc.registry.me.id]  # type: ignore[attr-defined]


def test_relays_authenticate_each_other_with_the_shared_secret(root: TestClient, settings: Settings) -> None:
    sdp = offer_sdp()
    good = {"Authorization": relay_credential(settings.secret_key, DISTRICT_RELAY)}
    reply = offer(root, good, {"type": "offer", "sdp": sdp, "link": True})
    assert reply["type"] == "answer"

    wrong = {"Authorization": relay_credential("another deployment's secret", DISTRICT_RELAY)}
    with root.websocket_connect(f"/ws/rtc/{MEETING}", headers=wrong) as ws:
        refused = ws.receive_json()
    assert refused["code"] == "unauthenticated" and "same SECRET_KEY" in refused["detail"]

    link = offer(root, login(root, "chair"), {"type": "offer", "sdp": sdp, "link": True})
    assert link["code"] == "forbidden" and "another relay" in link["detail"]


def test_a_relay_not_heard_from_within_the_lapse_has_failed() -> None:
    now = [100.0]
    me = RelayInfo("http://127.0.0.1:8000", None, 64)
    registry = RelayRegistry(LocalBus(), me, lapse=3.0, clock=lambda: now[0])
    registry.receive({"type": "relay", "id": DISTRICT_RELAY, "unit_id": 5, "capacity": 20}, now[0])
    registry.receive(
        {"type": "rtc_stats", "relay": DISTRICT_RELAY, "meeting_id": 1, "peers": {"bp:9": {}}}, now[0]
    )
    assert [r.id for r in registry.live()] == [me.id, DISTRICT_RELAY]
    assert set(registry.room_stats(1)) == {DISTRICT_RELAY}
    now[0] += 2.9
    assert DISTRICT_RELAY in {r.id for r in registry.live()}
    now[0] += 0.2
    assert [r.id for r in registry.live()] == [me.id]
    assert registry.room_stats(1) == {}  # the figures of a failed relay are not shown


def test_bad_relay_settings_get_precise_errors(settings: Settings) -> None:
    with pytest.raises(ValueError, match="CAUHOP_RELAY_UNIT_ID must be a whole number, not 'ten'"):
        RtcSettings.from_env({"CAUHOP_RELAY_UNIT_ID": "ten"})
    with pytest.raises(ValueError, match="CAUHOP_RELAY_LAPSE must be positive"):
        RtcSettings.from_env({"CAUHOP_RELAY_LAPSE": "0"})
    parsed = RtcSettings.from_env(
        {"CAUHOP_RELAY_UNIT_ID": "12", "CAUHOP_PUBLIC_URL": "http://10.0.0.7:8000/"}
    )
    assert (parsed.relay_unit_id, parsed.public_url) == (12, "http://10.0.0.7:8000")

    app = create_app(settings, RtcSettings(host_addresses=("127.0.0.1",), relay_unit_id=987654))
    started = time.monotonic()
    with pytest.raises(ValueError, match="CAUHOP_RELAY_UNIT_ID=987654: there is no unit 987654"):
        with TestClient(app):
            pass
    assert time.monotonic() - started < 30


def test_the_command_line_asks_the_next_server_when_the_first_cannot_be_reached(settings: Settings) -> None:
    server = LiveServer(settings)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    ubnd = point(settings, "BP-HG-UBND")
    args = ["-m", "rtc.agent", "--server", dead, "--server", server.base, "--meeting", str(MEETING)]
    args += ["--bridge-point", str(ubnd), "--username", "operator", "--password", "demo"]
    args += ["--host-address", "127.0.0.1", "--every", "0.5", "--duration", "30"]

    async def scenario() -> dict[str, Any]:
        agent = await asyncio.create_subprocess_exec(sys.executable, *args, stdout=asyncio.subprocess.PIPE)
        assert agent.stdout is not None
        try:
            while True:
                line = json.loads(await agent.stdout.readline())
                if line["state"] == "connected":
                    return dict(line)
        finally:
            agent.kill()
            await agent.wait()

    try:
        stats = asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        server.stop()
    assert stats["relay"] == ws_url(server.base, MEETING) and stats["joins"] == 1
