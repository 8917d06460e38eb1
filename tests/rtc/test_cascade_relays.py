"""Links from the plan: a district relay links up to the root relay when its first bridge point joins a
meeting, carries the chair's picture down, and closes the link when its room empties; when the relay above
goes away and comes back, the link is made again by itself and its communes never notice but a gap.

Two apps with media on loopback ports, each on its own event loop in a thread, on one database and one
SECRET_KEY; each hears the other's heartbeat as it would arrive from the bus (no Redis in this test: the
process test, ``test_cascade_processes.py``, runs over Redis). Real aiortc agents."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from meetings.config import Settings
from rtc.agent import Agent, AgentOptions
from rtc.config import RtcSettings
from rtc.registry import RelayRegistry
from rtc.service import RtcService
from rtc.signal_client import Signal, WebSocketSignal, ws_url
from server import create_app
from tests.rtc.test_agent_reconnect import free_port, sees
from tests.rtc.test_cascade_signaling import a_commune
from tests.rtc.test_signaling import MEETING, point

CHAIR_SLOT = 1


class RelayServer:
    """One relay: the app with media on a loopback port, its event loop in a thread."""

    def __init__(self, settings: Settings, unit_id: int | None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        rtc = RtcSettings(host_addresses=("127.0.0.1",), relay_unit_id=unit_id, relay_lapse=60)
        app = create_app(replace(settings, port=self.port), rtc)
        started = threading.Event()
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a: Starlette) -> AsyncIterator[None]:
            async with inner(a):
                self.loop = asyncio.get_running_loop()
                started.set()
                yield

        app.router.lifespan_context = lifespan
        self.app = app
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        assert started.wait(30), "the relay did not start"

    @property
    def rtc(self) -> RtcService:
        service: RtcService = self.app.state.rtc
        return service

    def hears(self, other: RelayServer) -> None:
        """The other relay's heartbeat arrives (on this relay's loop, as from the bus)."""
        registry: RelayRegistry = self.rtc.registry
        me = other.rtc.registry.me
        beat = {"type": "relay", "id": me.id, "unit_id": me.unit_id, "capacity": me.capacity}
        asyncio.run_coroutine_threadsafe(self._receive(registry, beat), self.loop).result(10)

    async def _receive(self, registry: RelayRegistry, message: dict[str, Any]) -> None:
        registry.receive(message, registry.clock())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        assert not self.thread.is_alive(), "the relay did not stop"


async def chair_token(relay: RelayServer) -> str:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{relay.base}/api/auth/login", json={"username": "chair", "password": "demo"})
        return str(r.json()["access_token"])


def agents(*bridge_points: int) -> tuple[Agent, ...]:
    return tuple(Agent(AgentOptions(bridge_point_id=bp)) for bp in bridge_points)


def test_a_district_relay_links_up_with_its_first_member_and_unlinks_when_its_room_empties(
    settings: Settings,
) -> None:
    commune_bp, district_unit = a_commune(settings)
    chair_bp = point(settings, "BP-HG-UBND")
    root = RelayServer(settings, None)
    district = RelayServer(settings, district_unit)
    root.hears(district)
    district.hears(root)

    def linked() -> bool:
        room = root.rtc.relay.rooms.get(MEETING)
        return room is not None and f"relay:{district.base}" in room.peers

    async def scenario() -> None:
        token = await chair_token(root)
        chair, commune = agents(chair_bp, commune_bp)
        try:
            await chair.start(await WebSocketSignal(ws_url(root.base, MEETING), token).open())
            assert not linked()
            await commune.start(await WebSocketSignal(ws_url(root.base, MEETING), token).open())
            assert getattr(commune.signal, "redirected_to", None) == district.base
            await commune.wait_until(sees(commune, CHAIR_SLOT, chair_bp % 256, after=0), 20)
            assert linked()  # the district's link is in the root's room, as a relay, not as a bridge point
            assert f"bp:{commune_bp}" not in root.rtc.relay.rooms[MEETING].peers  # not selected: not sent up

            await commune.close()  # the district's last member leaves: the link closes, the room with it
            for _ in range(100):  # the relays' own state, looked at every 0.1 s for 10 s
                if not linked() and MEETING not in district.rtc.relay.rooms:
                    break
                await asyncio.sleep(0.1)
            assert not linked() and MEETING not in district.rtc.relay.rooms
            assert not district.rtc.cascade.links
        finally:
            for agent in (chair, commune):
                await agent.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        district.stop()
        root.stop()


def test_a_district_relay_links_again_to_a_root_relay_that_restarts(settings: Settings) -> None:
    commune_bp, district_unit = a_commune(settings)
    chair_bp = point(settings, "BP-HG-UBND")
    roots = [RelayServer(settings, None)]
    district = RelayServer(settings, district_unit)
    roots[0].hears(district)
    district.hears(roots[0])  # the same address after the restart: the district keeps it as its upstream

    async def scenario() -> None:
        token = await chair_token(roots[0])

        async def to_root() -> Signal:
            return await WebSocketSignal(ws_url(roots[0].base, MEETING), token).open()

        stop = asyncio.Event()
        chair, commune = agents(chair_bp, commune_bp)
        runs = [asyncio.create_task(a.keep_joined(to_root, stop)) for a in (chair, commune)]
        try:
            await commune.wait_until(sees(commune, CHAIR_SLOT, chair_bp % 256, after=0), 20)
            link = district.rtc.cascade.links[MEETING]
            assert link.starts == 1

            await asyncio.to_thread(roots[0].stop)  # the root relay goes away: the link and the chair drop
            roots.append(await asyncio.to_thread(RelayServer, settings, None, roots[0].port))
            roots[-1].hears(district)
            back = time.time()
            await commune.wait_until(sees(commune, CHAIR_SLOT, chair_bp % 256, after=back), 30)
            assert (
                link.starts >= 2 and district.rtc.cascade.links[MEETING] is link
            )  # the same link, made again
            assert commune.joins == 1  # the commune stayed at its district relay throughout
        finally:
            stop.set()
            await asyncio.gather(*runs, return_exceptions=True)
            for agent in (chair, commune):
                await agent.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 120))
    finally:
        district.stop()
        roots[-1].stop()


def test_a_district_relay_links_up_once_it_hears_the_root_after_its_commune_joined(
    settings: Settings,
) -> None:
    """The district relay had not heard the root yet (it had just started) when the root sent it a commune:
    with no relay above in its plan it served the commune alone. Once the root's heartbeat arrives it links
    up by itself and the commune gets the chair's picture, nobody acting."""
    commune_bp, district_unit = a_commune(settings)
    chair_bp = point(settings, "BP-HG-UBND")
    root = RelayServer(settings, None)
    district = RelayServer(settings, district_unit)
    root.hears(district)  # the root knows the district; the district does not know the root yet

    async def scenario() -> None:
        token = await chair_token(root)
        chair, commune = agents(chair_bp, commune_bp)
        try:
            await chair.start(await WebSocketSignal(ws_url(root.base, MEETING), token).open())
            await commune.start(await WebSocketSignal(ws_url(root.base, MEETING), token).open())
            assert getattr(commune.signal, "redirected_to", None) == district.base
            await commune.wait_until(
                lambda: commune.pc is not None and commune.pc.connectionState == "connected", 20
            )
            assert MEETING not in district.rtc.cascade.links  # nobody above to link to
            heard = time.time()
            district.hears(root)
            await commune.wait_until(sees(commune, CHAIR_SLOT, chair_bp % 256, after=heard), 20)
            assert MEETING in district.rtc.cascade.links
        finally:
            for agent in (chair, commune):
                await agent.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        district.stop()
        root.stop()
