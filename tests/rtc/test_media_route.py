"""``GET /api/meetings/{id}/media``: real aiortc agents join the relay as bridge points; the meeting's runners
see them in the call with the relay's round-trip and loss figures, a delegate is refused. With a district
relay in the cascade, each room names the relay that serves it: the district's unit, or none (the root)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from sqlmodel import Session
from starlette.testclient import TestClient

from meetings.config import Settings
from meetings.db import make_engine
from meetings.models import Unit
from rtc.agent import Agent, AgentOptions, WebSocketSignal, ws_url
from server import create_app
from tests.conftest import login
from tests.rtc.test_cascade_processes import commune_of_a_district
from tests.rtc.test_signaling import MEETING, LiveServer, point


def test_runners_see_the_bridge_points_in_the_call_with_their_figures(settings: Settings) -> None:
    server = LiveServer(settings)
    ubnd, hdnd = point(settings, "BP-HG-UBND"), point(settings, "BP-HG-HDND")

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=server.base) as http:

            async def token(user: str) -> str:
                r = await http.post("/api/auth/login", json={"username": user, "password": "demo"})
                return str(r.json()["access_token"])

            secretary = {"Authorization": f"Bearer {await token('secretary')}"}

            async def media() -> dict[str, Any]:
                r = await http.get(f"/api/meetings/{MEETING}/media", headers=secretary)
                assert r.status_code == 200, r.text
                return dict(r.json())

            before = await media()
            assert before["live"] is False and before["in_call"] == 0
            assert len(before["points"]) == 241 and not any(p["in_call"] for p in before["points"])

            chair = await token("chair")
            # the chair's room (whose picture every other room receives) and a second room of the host unit
            agents = [Agent(AgentOptions(bridge_point_id=bp)) for bp in (ubnd, hdnd)]
            for agent in agents:
                await agent.start(await WebSocketSignal(ws_url(server.base, MEETING), chair).open())
            try:
                for _ in range(200):  # the receiver reports (RTT, loss) arrive within a few seconds
                    report = await media()
                    rows = {p["bridge_point_id"]: p for p in report["points"]}
                    if rows[hdnd]["rtt_ms"] is not None:
                        break
                    await asyncio.sleep(0.1)  # polling the route, as the board does
                assert report["live"] is True and report["in_call"] == 2
                for bp in (ubnd, hdnd):  # both publish their camera to the relay
                    assert rows[bp]["in_call"] is True and rows[bp]["bitrate_in"] > 0, rows[bp]
                    # the one relay, this server: the root, no district's unit
                    assert rows[bp]["relay"] == report["relays"][0], (rows[bp], report["relays"])
                    assert rows[bp]["relay_unit_id"] is None and rows[bp]["relay_unit_name"] is None
                # the second room receives the chair's room: its receiver reports give round trip and loss
                hd = rows[hdnd]
                assert 0 <= hd["rtt_ms"] < 1000 and hd["loss_pct"] is not None and hd["bitrate_out"] > 0, hd
                assert not any(p["in_call"] for b, p in rows.items() if b not in (ubnd, hdnd))

                admin = {"Authorization": f"Bearer {await token('admin')}"}
                r = await http.get(f"/api/meetings/{MEETING}/media", headers=admin)
                assert r.status_code == 200 and r.json()["in_call"] == 2, r.text
                delegate = {"Authorization": f"Bearer {await token('delegate01')}"}
                r = await http.get(f"/api/meetings/{MEETING}/media", headers=delegate)
                assert r.status_code == 403 and "chair or secretaries" in r.json()["detail"], r.text
                r = await http.get("/api/meetings/999999/media", headers=secretary)
                assert r.status_code == 404, r.text
            finally:
                for agent in agents:
                    await agent.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        server.stop()


def test_a_room_served_by_a_district_relay_names_that_district(settings: Settings) -> None:
    """The district relay's heartbeat and its room's figures, as they come on the relays' channel."""
    _, district, commune = commune_of_a_district(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        unit = s.get(Unit, district)
    engine.dispose()
    assert unit is not None
    relay = "http://127.0.0.2:8001"
    peer = {"bridge_point_id": commune, "low_bandwidth": False, "sources": {}, "legs": []}
    with TestClient(create_app(settings)) as c:
        secretary = login(c, "secretary")
        registry = c.app.state.rtc.registry  # type: ignore[attr-defined]
        heartbeat = {"type": "relay", "id": relay, "unit_id": district, "capacity": 64}
        stats = {"type": "rtc_stats", "relay": relay, "meeting_id": MEETING, "peers": {"p1": peer}}
        for message in (heartbeat, stats):
            assert c.portal is not None
            c.portal.call(registry.receive, message, time.monotonic())
        r = c.get(f"/api/meetings/{MEETING}/media", headers=secretary)
    assert r.status_code == 200, r.text
    report = r.json()
    assert relay in report["relays"] and report["in_call"] == 1, report
    row = next(p for p in report["points"] if p["bridge_point_id"] == commune)
    assert row["in_call"] and row["relay"] == relay, row
    assert row["relay_unit_id"] == district and row["relay_unit_name"] == unit.name, row
    others = [p for p in report["points"] if p["bridge_point_id"] != commune]
    assert not any(p["relay_unit_id"] or p["relay_unit_name"] for p in others)


def test_the_media_report_is_in_the_openapi_spec(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:
        spec = c.get("/openapi.json").json()
    assert "/api/meetings/{meeting_id}/media" in spec["paths"]
    assert "MediaReport" in str(spec)
    point = spec["components"]["schemas"]["MediaPoint"]["properties"]
    assert "root relay" in point["relay_unit_id"]["description"], point
    assert "name" in point["relay_unit_name"]["description"], point
