"""The agent stays joined by itself: a relay that restarts, or that closes the agent's connection, is rejoined
with a fresh peer connection and a new offer, and the room forwards its frames again.

Real parts only: the server with media on a loopback port (restarted on the same port and database), or an
in-process ``Relay``; real aiortc agents. Waits are on the agents' frames and joins, with deadlines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import uvicorn

from meetings.config import Settings
from rtc.agent import Agent, AgentOptions, Signal, WebSocketSignal, ws_url
from rtc.relay import Relay
from rtc.signaling import DirectSignal
from tests.rtc.test_signaling import MEETING, point, with_media

CHAIR_SLOT = 1


class Server:
    """The app with media on a given loopback port, in a thread with its own event loop."""

    def __init__(self, settings: Settings, port: int) -> None:
        started = threading.Event()
        config = uvicorn.Config(
            with_media(settings, started),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        assert started.wait(30), "the server did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        assert not self.thread.is_alive(), "the server did not stop"


def free_port() -> int:
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sees(agent: Agent, slot: int, ident: int, after: float, frames: int = 3) -> Callable[[], bool]:
    def check() -> bool:
        seen = [i for t, i, _ in agent.slots[slot].decoded if t >= after]
        return seen[-frames:] == [ident] * frames

    return check


def test_agents_rejoin_a_restarted_server_and_frames_flow_again(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cauhop.agent")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    servers = [Server(settings, port)]
    ubnd, tu = point(settings, "BP-HG-UBND"), point(settings, "BP-HG-TU")

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=base) as http:
            r = await http.post("/api/auth/login", json={"username": "chair", "password": "demo"})
            token = r.json()["access_token"]

        async def connect() -> Signal:
            return await WebSocketSignal(ws_url(base, MEETING), token).open()

        stop = asyncio.Event()
        chair, viewer = Agent(AgentOptions(bridge_point_id=ubnd)), Agent(AgentOptions(bridge_point_id=tu))
        runs = [asyncio.create_task(a.keep_joined(connect, stop)) for a in (chair, viewer)]
        try:
            await viewer.wait_until(sees(viewer, CHAIR_SLOT, ubnd % 256, after=0), 15)
            assert (chair.joins, viewer.joins) == (1, 1)

            await asyncio.to_thread(servers[0].stop)  # the relay goes away: sockets and connections drop
            await viewer.wait_until(lambda: viewer.pc is None or viewer.pc.connectionState == "closed", 10)
            servers.append(
                await asyncio.to_thread(Server, settings, port)
            )  # and comes back, same port and DB
            restarted = time.time()

            await chair.wait_until(lambda: chair.joins == 2, 20)
            await viewer.wait_until(lambda: viewer.joins == 2, 20)
            await viewer.wait_until(sees(viewer, CHAIR_SLOT, ubnd % 256, after=restarted), 15)
            counters = [
                c for t, i, c in viewer.slots[CHAIR_SLOT].decoded if t >= restarted and i == ubnd % 256
            ]
            assert len(set(counters)) >= 3  # a moving picture, not one frozen frame
            stats = await viewer.stats()
            assert stats["joins"] == 2 and stats["state"] == "connected"
        finally:
            stop.set()
            await asyncio.gather(*runs)
            for agent in (chair, viewer):
                await agent.close()
        assert all(not r.exception() for r in runs)

    try:
        asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        servers[-1].stop()
    rejoins = [r.getMessage() for r in caplog.records if "joining again" in r.getMessage()]
    assert rejoins, "each rejoin is logged with its reason"


class Stalled:
    """A relay that hangs: it accepts TCP connections on the port and never says a word."""

    def __init__(self) -> None:
        self.accepted = 0
        self.twice = asyncio.Event()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self, port: int) -> None:
        async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            self.writers.append(writer)
            if self.accepted >= 2:
                self.twice.set()

        self.server = await asyncio.start_server(hang, "127.0.0.1", port, reuse_address=True)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


def test_a_relay_that_never_answers_is_tried_again_until_one_does(settings: Settings) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ubnd = point(settings, "BP-HG-UBND")
    servers = [Server(settings, port)]
    with httpx.Client(base_url=base) as http:
        token = http.post("/api/auth/login", json={"username": "chair", "password": "demo"}).json()[
            "access_token"
        ]
    servers[0].stop()

    async def scenario() -> None:
        stalled = Stalled()
        await stalled.start(port)

        async def connect() -> Signal:
            return await WebSocketSignal(ws_url(base, MEETING), token).open()

        stop = asyncio.Event()
        agent = Agent(AgentOptions(bridge_point_id=ubnd, answer_within=1.0))
        run = asyncio.create_task(agent.keep_joined(connect, stop))
        try:
            await asyncio.wait_for(stalled.twice.wait(), 10)  # no answer in time: it gave up and came back
            assert agent.joins == 0
            await stalled.stop()
            servers.append(await asyncio.to_thread(Server, settings, port))
            await agent.wait_until(lambda: agent.joins == 1, 20)
            await agent.wait_until(
                lambda: agent.pc is not None and agent.pc.connectionState == "connected", 10
            )
        finally:
            stop.set()
            await run
            await agent.close()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        servers[-1].stop()


def test_a_connection_the_relay_closes_is_rebuilt() -> None:
    async def scenario() -> None:
        relay = Relay()
        stop = asyncio.Event()
        publisher, viewer = Agent(AgentOptions(bridge_point_id=1)), Agent(AgentOptions(bridge_point_id=2))

        async def connect() -> Signal:
            return DirectSignal(relay, MEETING)

        runs = [asyncio.create_task(a.keep_joined(connect, stop)) for a in (publisher, viewer)]
        try:
            await publisher.wait_until(lambda: publisher.joins == 1, 10)
            await viewer.wait_until(lambda: viewer.joins == 1, 10)
            await relay.rooms[MEETING].set_chair(1)
            await viewer.wait_until(sees(viewer, CHAIR_SLOT, 1, after=0), 10)

            first = relay.rooms[MEETING].peers["bp:1"]
            await relay.leave(first)  # the relay drops the publisher's connection
            left = time.time()
            await publisher.wait_until(lambda: publisher.joins == 2, 15)
            again = relay.rooms[MEETING].peers["bp:1"]
            assert again is not first and first.closed
            await viewer.wait_until(sees(viewer, CHAIR_SLOT, 1, after=left), 15)
            assert viewer.joins == 1  # the viewer's own connection was never touched
        finally:
            stop.set()
            await asyncio.gather(*runs)
            for agent in (publisher, viewer):
                await agent.close()
            await relay.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_the_command_line_keeps_printing_stats_across_a_restart_and_stops_on_ctrl_c(
    settings: Settings,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    servers = [Server(settings, port)]
    ubnd = point(settings, "BP-HG-UBND")
    args = ["-m", "rtc.agent", "--server", base, "--meeting", str(MEETING), "--bridge-point", str(ubnd)]
    args += ["--username", "operator", "--password", "demo", "--host-address", "127.0.0.1", "--every", "0.5"]

    async def scenario() -> tuple[int, bytes]:
        agent = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = agent.stdout, agent.stderr
        assert out is not None and err is not None

        async def line_where(check: Callable[[dict[str, Any]], bool]) -> None:
            while not check(json.loads(await out.readline())):
                pass

        try:
            await asyncio.wait_for(line_where(lambda s: s["joins"] == 1 and s["state"] == "connected"), 20)
            await asyncio.to_thread(servers[0].stop)
            await asyncio.wait_for(line_where(lambda s: s["state"] != "connected"), 10)  # still printing
            servers.append(await asyncio.to_thread(Server, settings, port))
            await asyncio.wait_for(line_where(lambda s: s["joins"] == 2 and s["state"] == "connected"), 20)
            agent.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(agent.wait(), 10)
            return code, await err.read()
        finally:
            if agent.returncode is None:
                agent.kill()
                await agent.wait()

    try:
        code, log = asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        servers[-1].stop()
    assert code == 130
    assert b"joining again" in log and b"join 2" in log
