"""The cascade across real processes: a root `cauhop serve` and a district relay `cauhop serve`
(CAUHOP_RELAY_UNIT_ID) on one database and Redis, on loopback ports.

A commune's agent asks the root; the root's plan sends it to its district relay (a `redirect`), which links
up to the root and forwards the chair's picture down. The operations board on the root shows the commune
in the call at the district relay. Then the district relay is killed with SIGKILL: the agent rejoins by
itself, the root (which no longer hears the district's heartbeat) serves it, and the chair's picture comes
again within a bounded time — nobody acting.

Two relay processes of one place (one per core) share its bridge points: one planned onto the second
process sees the chair at the first, and is heard there.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from meetings.db import make_engine
from meetings.models import BridgePoint, MeetingBridgePoint, Unit
from rtc.agent import Agent, AgentOptions
from rtc.signal_client import Signal, WebSocketSignal, ws_url
from tests.polling import until
from tests.servers import Server, redis_url

MEETING = 1  # the demo conference: every bridge point of the province, chaired from BP-HG-UBND
SPEAKER_SLOT, CHAIR_SLOT = 0, 1
REJOIN_WITHIN = 30.0  # seconds from the kill to the chair's picture at the commune again


def commune_of_a_district(db_url: str) -> tuple[int, int, int]:
    """(the chair's bridge point, a district unit, a bridge point of one of that district's communes)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            chair = s.exec(select(BridgePoint.id).where(BridgePoint.code == "BP-HG-UBND")).one()
            in_meeting = select(MeetingBridgePoint.bridge_point_id).where(
                MeetingBridgePoint.meeting_id == MEETING
            )
            rows = s.exec(
                select(BridgePoint.id, Unit.parent_id)
                .join(Unit, col(Unit.id) == BridgePoint.unit_id)
                .where(Unit.level == "commune", col(BridgePoint.id).in_(in_meeting))
                .order_by(col(BridgePoint.id))
            ).first()
    finally:
        engine.dispose()
    assert chair is not None and rows is not None, "the demo province has communes in the conference"
    commune_bp, district = rows
    assert commune_bp is not None and district is not None
    return chair, district, commune_bp


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": redis_url(),
        "SECRET_KEY": secrets.token_urlsafe(16),  # the same on every relay of this test
        "CAUHOP_RELAY_LAPSE": "2",
        "CAUHOP_RTC_HOST_ADDRESSES": "127.0.0.1",
    }


@pytest.fixture
def relays(env: dict[str, str], db_url: str) -> Iterator[tuple[Server, Server, tuple[int, int, int]]]:
    chair, district, commune = commune_of_a_district(db_url)
    root = Server(env)
    try:
        relay = Server({**env, "CAUHOP_RELAY_UNIT_ID": str(district)})
        try:
            for server in (root, relay):
                assert server.proc.poll() is None, "a relay did not start:\n" + "".join(server.lines)
            yield root, relay, (chair, district, commune)
        finally:
            relay.stop()
    finally:
        root.stop()


def sees(agent: Agent, slot: int, ident: int, after: float, frames: int = 5) -> Callable[[], bool]:
    def check() -> bool:
        seen = [i for t, i, _ in agent.slots[slot].decoded if t >= after]
        return seen[-frames:] == [ident] * frames

    return check


async def step(what: str, waiting: Any, agents: list[Agent], servers: list[Server]) -> None:
    """Await one step of the scenario; when it times out, say which, with what each agent and relay saw."""
    try:
        await waiting
    except TimeoutError:
        seen = [await agent.stats() for agent in agents]
        logs = "\n".join(f"--- {s.base}:\n" + "".join(s.lines[-80:]) for s in servers)
        raise AssertionError(f"timed out: {what}\nagents: {seen}\n{logs}") from None


def test_a_commune_is_served_by_its_district_relay_and_rejoins_the_root_when_it_dies(
    relays: tuple[Server, Server, tuple[int, int, int]],
) -> None:
    root, district, (chair_bp, _, commune_bp) = relays

    async def scenario() -> None:
        token = root.login("chair")
        headers = {"Authorization": f"Bearer {root.login('secretary')}"}
        async with httpx.AsyncClient(timeout=30) as http:

            async def media(server: Server) -> dict[str, Any]:
                r = await http.get(f"{server.base}/api/meetings/{MEETING}/media", headers=headers)
                assert r.status_code == 200, r.text
                return dict(r.json())

            async def row(server: Server, bp: int) -> dict[str, Any]:
                return next(p for p in (await media(server))["points"] if p["bridge_point_id"] == bp)

            async def root_knows_the_district() -> bool:
                return district.base in (await media(root))["relays"]

            await until(root_knows_the_district, 15, "the root hears the district relay's heartbeat")

            async def to_root() -> Signal:  # every agent only knows the root's address
                return await WebSocketSignal(ws_url(root.base, MEETING), token).open()

            stop = asyncio.Event()
            chair, commune = (
                Agent(AgentOptions(bridge_point_id=chair_bp, loudness=0.02)),
                Agent(AgentOptions(bridge_point_id=commune_bp, loudness=0.9)),
            )
            seen_by = ([chair, commune], [root, district])
            runs = [asyncio.create_task(a.keep_joined(to_root, stop)) for a in (chair, commune)]
            try:
                await step("the chair joins", chair.wait_until(lambda: chair.joins == 1, 20), *seen_by)
                assert getattr(chair.signal, "redirected_to", None) is None  # the province's own room
                await step("the commune joins", commune.wait_until(lambda: commune.joins == 1, 20), *seen_by)
                assert getattr(commune.signal, "redirected_to", None) == district.base
                await step(
                    "the commune sees the chair through the district",
                    commune.wait_until(sees(commune, CHAIR_SLOT, chair_bp % 256, after=0), 20),
                    *seen_by,
                )

                async def commune_in_call_at_the_district() -> dict[str, Any] | None:
                    found = await row(root, commune_bp)  # asked of the root: the figures come over the bus
                    return found if found["in_call"] and found["rtt_ms"] is not None else None

                seen = await until(commune_in_call_at_the_district, 20, "the board shows the commune in call")
                assert seen["relay"] == district.base and seen["loss_pct"] is not None, seen
                assert (await row(root, chair_bp))["relay"] == root.base

                chose = time.time()  # "auto": the district tells the root how loud its rooms are
                assert chair.signal is not None
                await chair.signal.send({"type": "auto", "on": True})
                await step(
                    "the chair sees the loud commune as the speaker, sent up by the district",
                    chair.wait_until(sees(chair, SPEAKER_SLOT, commune_bp % 256, after=chose), 20),
                    *seen_by,
                )
                await chair.signal.send({"type": "auto", "on": False})

                killed = time.time()
                await asyncio.to_thread(district.kill)
                await step(
                    "the commune rejoins",
                    commune.wait_until(lambda: commune.joins >= 2, REJOIN_WITHIN),
                    *seen_by,
                )
                assert getattr(commune.signal, "url", "").startswith(ws_url(root.base, MEETING))
                assert getattr(commune.signal, "redirected_to", None) is None
                await step(
                    "the commune sees the chair through the root",
                    commune.wait_until(
                        sees(commune, CHAIR_SLOT, chair_bp % 256, after=killed), REJOIN_WITHIN
                    ),
                    *seen_by,
                )
                took = time.time() - killed
                assert took < REJOIN_WITHIN

                async def commune_in_call_at_the_root() -> bool:
                    found = await row(root, commune_bp)
                    return bool(found["in_call"] and found["relay"] == root.base)

                await until(
                    commune_in_call_at_the_root, 10, "the board shows the commune in call at the root"
                )
                assert district.base not in (await media(root))["relays"]
                assert chair.joins == 1  # the chair's room never noticed
            finally:
                stop.set()
                await asyncio.gather(*runs, return_exceptions=True)
                for agent in (chair, commune):
                    await agent.close()
            assert all(not r.exception() for r in runs)

    asyncio.run(asyncio.wait_for(scenario(), 150))


def meeting_points(db_url: str) -> list[int]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            query = select(MeetingBridgePoint.bridge_point_id).where(MeetingBridgePoint.meeting_id == MEETING)
            return sorted(s.exec(query).all())
    finally:
        engine.dispose()


@pytest.fixture
def cores(env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    """Two relay processes for the same place (no unit: the province's root), as on a 2-core machine."""
    wide = {**env, "CAUHOP_RELAY_CAPACITY": "1000"}
    first = Server(wide)
    try:
        second = Server(wide)
        try:
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def test_two_relay_processes_of_one_place_share_its_bridge_points_and_link(
    cores: tuple[Server, Server], db_url: str
) -> None:
    """README "one relay process per core": the planner spreads the bridge points over both processes, and
    a bridge point at the second sees the chair at the first, and can be heard there ("auto")."""
    root, other = sorted(cores, key=lambda s: s.base)  # the planner's root: the lowest id of one place
    chair_bp = commune_of_a_district(db_url)[0]
    others = [bp for bp in meeting_points(db_url) if bp != chair_bp][:4]

    async def scenario() -> None:
        token = root.login("chair")
        headers = {"Authorization": f"Bearer {root.login('secretary')}"}
        async with httpx.AsyncClient(timeout=30) as http:

            async def root_knows_the_other() -> bool:
                r = await http.get(f"{root.base}/api/meetings/{MEETING}/media", headers=headers)
                return other.base in r.json()["relays"]

            await until(root_knows_the_other, 15, "the root hears the other process's heartbeat")

            async def to_root() -> Signal:
                return await WebSocketSignal(ws_url(root.base, MEETING), token).open()

            servers = list(cores)
            stops = [asyncio.Event()]
            chair = Agent(AgentOptions(bridge_point_id=chair_bp, loudness=0.02))
            agents, runs = [chair], [asyncio.create_task(chair.keep_joined(to_root, stops[0]))]
            try:
                await step("the chair joins", chair.wait_until(lambda: chair.joins == 1, 20), agents, servers)
                chair_at = getattr(chair.signal, "redirected_to", None) or root.base
                away: Agent | None = None
                for bp in others:  # the next bridge points, until one is planned onto the other process
                    agent = Agent(AgentOptions(bridge_point_id=bp, loudness=0.9))
                    agents.append(agent)
                    stops.append(asyncio.Event())
                    runs.append(asyncio.create_task(agent.keep_joined(to_root, stops[-1])))
                    joined = agent.wait_until(lambda: agents[-1].joins == 1, 20)
                    await step(f"{bp} joins", joined, agents, servers)
                    if (getattr(agent.signal, "redirected_to", None) or root.base) != chair_at:
                        away = agent
                        break
                    stops[-1].set()  # not heard beside the one at the other process
                    await runs[-1]
                    await agent.close()
                assert away is not None, "the planner put four bridge points in a row on the chair's process"
                away_bp = away.options.bridge_point_id
                assert away_bp is not None
                await step(
                    "the bridge point at the other process sees the chair",
                    away.wait_until(sees(away, CHAIR_SLOT, chair_bp % 256, after=0), 20),
                    agents,
                    servers,
                )
                chose = time.time()
                assert chair.signal is not None
                await chair.signal.send({"type": "auto", "on": True})
                await step(
                    "the chair sees the loud bridge point of the other process as the speaker",
                    chair.wait_until(sees(chair, SPEAKER_SLOT, away_bp % 256, after=chose), 20),
                    agents,
                    servers,
                )
            finally:
                for stop in stops:
                    stop.set()
                await asyncio.gather(*runs, return_exceptions=True)
                for agent in agents:
                    await agent.close()
            assert all(not r.exception() for r in runs)

    asyncio.run(asyncio.wait_for(scenario(), 150))
