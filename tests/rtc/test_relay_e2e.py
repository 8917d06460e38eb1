"""End to end on loopback: aiortc agents publish and receive through the forwarding relay.

Each agent's camera is ``PatternVideo``: bars spelling its bridge point id and a frame counter, so a receiver
decodes who it sees and whether a frame went missing. Waits are on the agents' frame events, with deadlines.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from rtc.agent import Agent, AgentOptions, SlotView
from rtc.errors import BadOffer
from rtc.relay import Member, Peer, Relay, Room
from rtc.rtcp import is_rtcp
from rtc.rtp import RtpPacket
from rtc.signaling import DirectSignal

MEETING = 7
SPEAKER, CHAIR = 0, 1


class Call:
    """A relay and its agents, all in this event loop."""

    def __init__(self) -> None:
        self.relay = Relay()
        self.agents: dict[int | str, Agent] = {}

    @property
    def room(self) -> Room:
        return self.relay.rooms[MEETING]

    def peer(self, key: str) -> Peer:
        return self.room.peers[key]

    async def join(self, bp: int | None, **options: Any) -> Agent:
        agent = Agent(AgentOptions(bridge_point_id=bp, **options))
        await agent.start(DirectSignal(self.relay, MEETING))
        self.agents[bp if bp is not None else "console"] = agent
        return agent

    async def close(self) -> None:
        for agent in self.agents.values():
            await agent.close()
        await self.relay.close()


@asynccontextmanager
async def call() -> AsyncIterator[Call]:
    c = Call()
    try:
        yield c
    finally:
        await c.close()


def run(scenario: Callable[[], Awaitable[None]], within: float = 60) -> None:
    asyncio.run(asyncio.wait_for(scenario(), within))


def shows(agent: Agent, slot: int, ident: int, frames: int = 1, after: float = 0.0) -> Callable[[], bool]:
    def check() -> bool:
        seen = [i for t, i, _ in agent.slots[slot].decoded if t >= after]
        return seen[-frames:] == [ident] * frames

    return check


def gaps(view: SlotView, ident: int) -> int:
    """Frames missing in what a slot decoded of ``ident`` (by the 6-bit frame counter)."""
    counters = [c for _, i, c in view.decoded if i == ident and c is not None]
    return sum((b - a) % 64 - 1 for a, b in zip(counters, counters[1:], strict=False))


def test_every_bridge_point_decodes_the_chair_and_the_speaker() -> None:
    async def scenario() -> None:
        async with call() as c:
            for bp in (1, 2, 3, 4):
                await c.join(bp)
            await c.room.set_chair(1)
            await c.room.grant(2)
            for bp in (1, 3, 4):
                await c.agents[bp].wait_until(shows(c.agents[bp], SPEAKER, 2, frames=10), 10)
            for bp in (2, 3, 4):
                await c.agents[bp].wait_until(shows(c.agents[bp], CHAIR, 1, frames=10), 10)
            assert c.agents[1].slots[CHAIR].frames == 0  # the chair does not receive itself
            assert c.agents[2].slots[SPEAKER].frames == 0
            for bp in (3, 4):
                view = c.agents[bp].slots
                assert (view[SPEAKER].shows, view[CHAIR].shows) == (2, 1)
                assert view[SPEAKER].audio_frames > 0 and view[CHAIR].audio_frames > 0
            assert [c.agents[bp].paused for bp in (1, 2, 3, 4)] == [(False, False)] * 2 + [(True, True)] * 2
            assert c.room.keyframes.sent <= 3  # one PLI per publisher at most, whoever joined when

    run(scenario)


def test_a_speaker_switch_shows_the_new_speaker_within_a_second() -> None:
    async def scenario() -> None:
        async with call() as c:
            for bp in (1, 2, 3, 4):
                await c.join(bp)
            await c.room.set_chair(1)
            await c.room.grant(2)
            await c.agents[4].wait_until(shows(c.agents[4], SPEAKER, 2, frames=5), 10)
            await asyncio.sleep(1.5)  # let speaker 3's picture age: its cached keyframe is now stale
            for speaker in (3, 2, 3):
                switched = time.time()
                await c.room.grant(speaker)
                watchers = [bp for bp in (1, 2, 3, 4) if bp != speaker]
                for bp in watchers:
                    agent = c.agents[bp]
                    await agent.wait_until(shows(agent, SPEAKER, speaker, after=switched), 1.0)
                latest = max(
                    c.agents[bp].slots[SPEAKER].first_seen(speaker, switched) or 0 for bp in watchers
                )
                assert latest - switched < 1.0

    run(scenario)


def test_a_late_subscriber_gets_a_keyframe_within_a_second() -> None:
    async def scenario() -> None:
        async with call() as c:
            await c.join(1)
            await c.join(2)
            await c.room.set_chair(1)
            await c.agents[2].wait_until(shows(c.agents[2], CHAIR, 1, frames=30), 10)  # ~2 s: a long GOP
            joined = time.time()
            late = await c.join(3)
            await late.wait_until(shows(late, CHAIR, 1), 1.0)
            leg = c.peer("bp:3").slots[CHAIR].video
            assert leg is not None and leg.keyframes_started >= 1
            first = late.slots[CHAIR].first_frame_at
            assert first is not None and first - joined < 1.0
            await late.wait_until(shows(late, CHAIR, 1, frames=15), 5)
            # live after the cached keyframe: one jump (to the live edge), then frame after frame
            assert gaps(late.slots[CHAIR], 1) <= 1

    run(scenario)


def test_a_viewer_still_waiting_asks_again_after_its_keyframe_requests_were_lost() -> None:
    """PLIs lost on the way (a cascade link not yet up) are given up after a while, but never while a viewer
    still waits for its picture: once the way is open again, the picture comes without anyone acting."""

    async def scenario() -> None:
        async with call() as c:
            await c.join(1, fps=30)
            await c.join(2)
            await c.room.set_chair(1)
            watcher = c.agents[2]
            video = c.peer("bp:1").by_kind["video"]
            await watcher.wait_until(
                lambda: video.gop.ready and not video.gop.complete, 20
            )  # the cache holds one picture only
            c.room.keyframes.give_up = 0.5
            publisher = c.peer("bp:1").tap
            assert publisher is not None
            publisher.loss_out = is_rtcp  # every request to the publisher is lost
            late = await c.join(3)
            leg = c.peer("bp:3").slots[CHAIR].video
            assert leg is not None
            await watcher.wait_until(lambda: leg.keyframes_started == 1, 5)  # connected: the cached picture
            assert leg.source == "1:video" and leg.waiting_for_keyframe  # ... then it waits for the next one
            asked = c.room.keyframes.sent
            await watcher.wait_until(lambda: c.room.keyframes.sent >= asked + 3, 5)  # asked, lost, asked...
            publisher.loss_out = None
            reopened = time.time()
            await late.wait_until(shows(late, CHAIR, 1, frames=15, after=reopened), 3)

    run(scenario)


def drop_every(n: int, ssrc: Callable[[], int | None], dropped: set[int]) -> Callable[[bytes], bool]:
    """Drop every n-th packet of one SSRC, first transmissions only (a retransmission gets through)."""

    def drop(data: bytes) -> bool:
        if is_rtcp(data):
            return False
        p = RtpPacket.parse(data)
        if p.ssrc != ssrc() or p.sequence_number % n or p.sequence_number in dropped:
            return False
        dropped.add(p.sequence_number)
        return True

    return drop


def test_packets_lost_on_the_way_to_a_viewer_are_repaired_by_nack() -> None:
    async def scenario() -> None:
        async with call() as c:
            await c.join(1, fps=30)
            viewer = await c.join(2)
            await c.room.set_chair(1)
            await viewer.wait_until(shows(viewer, CHAIR, 1, frames=3), 10)
            leg = c.peer("bp:2").slots[CHAIR].video
            tap = c.peer("bp:2").tap
            assert leg is not None and tap is not None
            dropped: set[int] = set()
            tap.loss_out = drop_every(4, lambda: leg.format.ssrc, dropped)
            start = viewer.slots[CHAIR].frames
            await viewer.wait_until(lambda: viewer.slots[CHAIR].frames >= start + 60, 10)
            tap.loss_out = None
            assert len(dropped) >= 10
            assert leg.retransmitted >= len(dropped) - 2  # the last ones may still be in flight
            assert gaps(viewer.slots[CHAIR], 1) == 0  # not one frame lost
            assert leg.feedback.keyframe_requests == 0  # repaired without asking for a keyframe

    run(scenario)


def test_packets_lost_on_the_way_from_a_publisher_are_repaired_by_nack_upstream() -> None:
    async def scenario() -> None:
        async with call() as c:
            await c.join(1, fps=30)
            viewer = await c.join(2)
            await c.room.set_chair(1)
            await viewer.wait_until(shows(viewer, CHAIR, 1, frames=3), 10)
            publisher = c.peer("bp:1")
            source = publisher.by_kind["video"]
            assert publisher.tap is not None
            dropped: set[int] = set()
            publisher.tap.loss_in = drop_every(4, lambda: source.ssrc, dropped)
            start = viewer.slots[CHAIR].frames
            await viewer.wait_until(lambda: viewer.slots[CHAIR].frames >= start + 60, 10)
            publisher.tap.loss_in = None
            assert len(dropped) >= 10
            assert gaps(viewer.slots[CHAIR], 1) == 0
            assert source.stats.received >= source.stats.expected - 3  # retransmissions filled the holes

    run(scenario)


def test_low_bandwidth_rooms_get_audio_and_unwatched_publishers_pause() -> None:
    async def scenario() -> None:
        async with call() as c:
            await c.join(1)
            await c.join(2)
            quiet = await c.join(3)
            thin = await c.join(4, low_bandwidth=True)
            await c.room.set_chair(1)
            await c.room.grant(2)
            await quiet.wait_until(lambda: quiet.paused == (True, True), 5)
            from_quiet = c.peer("bp:3").by_kind["video"].stats
            received = from_quiet.received
            await c.agents[2].wait_until(shows(c.agents[2], CHAIR, 1, frames=10), 10)
            await thin.wait_until(lambda: thin.slots[SPEAKER].audio_frames > 20, 5)
            assert thin.slots[SPEAKER].frames == 0 and thin.slots[CHAIR].frames == 0
            assert from_quiet.received - received <= 3  # 3 really stopped sending (a frame in flight at most)
            granted = time.time()
            await c.room.grant(3)
            await quiet.wait_until(lambda: quiet.paused == (False, False), 5)
            await c.agents[2].wait_until(shows(c.agents[2], SPEAKER, 3, after=granted), 1.5)

    run(scenario)


def test_the_console_sees_the_speaker_and_a_rotating_last_n() -> None:
    async def scenario() -> None:
        async with call() as c:
            for bp in (1, 2, 3, 4, 5):
                await c.join(bp)
            await c.room.set_chair(1)
            await c.room.grant(2)
            console = await c.join(None, console=True, slots=3, publish=False)
            await console.wait_until(shows(console, 0, 2, frames=5), 10)
            tiles = {console.slots[i].shows for i in (1, 2)}
            assert tiles <= {3, 4, 5} and len(tiles) == 2
            for i in (1, 2):
                ident = console.slots[i].shows
                assert ident is not None
                await console.wait_until(shows(console, i, ident, frames=3), 10)
            assert all(v.audio_frames == 0 for v in console.slots)

    run(scenario)


def test_a_bad_offer_is_refused_and_a_reconnect_replaces_the_old_connection() -> None:
    async def scenario() -> None:
        async with call() as c:
            with pytest.raises(BadOffer, match="no audio or video"):
                await c.relay.join(MEETING, Member("bp:9", 9), "v=0\r\n")
            await c.join(1)
            viewer = await c.join(2)
            await c.room.set_chair(1)
            await viewer.wait_until(shows(viewer, CHAIR, 1, frames=3), 10)
            first = c.peer("bp:2")
            again = await c.join(2)  # the same bridge point, a new connection
            assert c.peer("bp:2") is not first and first.closed
            await again.wait_until(shows(again, CHAIR, 1, frames=3), 5)
            await viewer.close()

    run(scenario)


def test_auto_shows_the_loudest_room_when_nobody_holds_the_floor() -> None:
    async def scenario() -> None:
        async with call() as c:
            await c.join(1, loudness=0.02)
            await c.join(2, loudness=0.02)
            await c.join(3, loudness=0.9)
            viewer = await c.join(4, loudness=0.02)
            await c.room.set_chair(1)
            loud = c.peer("bp:3").by_kind["audio"]

            def unheard() -> bool:  # the loud room, received by nobody, is paused and its audio has stopped
                return c.agents[3].paused == (True, True) and loud.take_loudness() is None

            await viewer.wait_until(unheard, 10)
            await c.room.set_auto(
                True
            )  # ... until "auto": the relay must hear every room to find the loudest
            # five encoding peers in one process: generous on a loaded 2-core machine (no latency target here)
            await viewer.wait_until(shows(viewer, SPEAKER, 3, frames=3), 30)
            assert c.room.floor.speaker == 3
            await c.room.grant(2)  # a granted floor wins over "auto"
            await viewer.wait_until(shows(viewer, SPEAKER, 2, frames=3), 15)

    run(scenario)
