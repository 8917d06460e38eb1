"""A cascade of two real relays on loopback: province → (link) → district → commune.

The chair and the speakers publish only to the province relay; the commune is connected only to the district
relay. The district relay's link joins the province room as an ordinary peer over aiortc WebRTC, and what it
receives is forwarded (never decoded) to the commune, whose decoded pictures say who sent them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from rtc.agent import Agent, AgentOptions
from rtc.cascade_link import CascadeLink
from rtc.relay import Relay
from rtc.signaling import DirectSignal

MEETING = 1
SPEAKER, CHAIR = 0, 1
LINK = "district"


def shows(agent: Agent, slot: int, ident: int, frames: int = 1, after: float = 0.0) -> Callable[[], bool]:
    def check() -> bool:
        seen = [i for t, i, _ in agent.slots[slot].decoded if t >= after]
        return seen[-frames:] == [ident] * frames

    return check


def run(scenario: Callable[[], Awaitable[None]], within: float = 60) -> None:
    asyncio.run(asyncio.wait_for(scenario(), within))


class Cascade:
    """A province relay, a district relay and the district's link up, with the agents that joined them."""

    def __init__(self, upward: bool) -> None:
        self.province, self.district = Relay(), Relay()
        self.agents: list[Agent] = []
        self.link = CascadeLink(self.district, MEETING, LINK, upward=self.to_province if upward else None)

    async def to_province(self) -> DirectSignal:
        return DirectSignal(self.province, MEETING)

    async def join(self, relay: Relay, bp: int | None, **options: Any) -> Agent:
        agent = Agent(AgentOptions(bridge_point_id=bp, **options))
        self.agents.append(agent)
        await agent.start(DirectSignal(relay, MEETING))
        return agent

    async def close(self) -> None:
        await self.link.close()
        for agent in self.agents:
            await agent.close()
        await self.district.close()
        await self.province.close()


@asynccontextmanager
async def cascade(upward: bool = False) -> AsyncIterator[Cascade]:
    c = Cascade(upward)
    try:
        yield c
    finally:
        await c.close()


def test_a_cascade_of_two_relays_carries_chair_and_speaker_to_a_commune() -> None:
    async def scenario() -> None:
        async with cascade() as c:
            province, district, link, join = c.province, c.district, c.link, c.join
            for bp in (1, 2, 3):  # the chair and two speakers, at the province only
                await join(province, bp)
            await province.rooms[MEETING].set_chair(1)
            await province.rooms[MEETING].grant(2)
            await link.start(DirectSignal(province, MEETING))
            commune = await join(district, 21)

            await commune.wait_until(shows(commune, SPEAKER, 2, frames=10), 15)
            await commune.wait_until(shows(commune, CHAIR, 1, frames=10), 15)
            assert (commune.slots[SPEAKER].shows, commune.slots[CHAIR].shows) == (2, 1)
            await commune.wait_until(
                lambda: all(commune.slots[s].audio_frames > 10 for s in (SPEAKER, CHAIR)), 5
            )
            # no connection from the chair or the speakers reaches the district relay: the commune only
            assert {p.member.key for p in district.open} == {"bp:21"}
            at_province = {p.member.key for p in province.open}
            assert {k for k in at_province if k.startswith("bp:")} == {"bp:1", "bp:2", "bp:3"}
            assert len(at_province) == 4  # and the link, as a relay
            assert link.packets > 0

            switched = time.time()  # the province gives the floor to 3: the commune follows
            await province.rooms[MEETING].grant(3)
            await commune.wait_until(shows(commune, SPEAKER, 3, frames=5, after=switched), 5)
            assert commune.slots[SPEAKER].shows == 3
            assert commune.slots[CHAIR].last_id() == 1

    run(scenario)


def test_a_commune_goes_up_to_the_province_only_while_it_holds_the_floor() -> None:
    async def scenario() -> None:
        async with cascade(upward=True) as c:
            province, district, link, join, agents = c.province, c.district, c.link, c.join, c.agents

            async def grant(bp: int) -> None:  # as the meeting's floor reaches every room of the meeting
                for relay in (province, district):
                    await relay.rooms[MEETING].grant(bp)

            for bp in (1, 2, 3):
                await join(province, bp)
            await province.rooms[MEETING].set_chair(1)
            await province.rooms[MEETING].grant(2)
            await link.start(DirectSignal(province, MEETING))
            await join(district, 21)
            neighbour = await join(district, 22)
            await neighbour.wait_until(shows(neighbour, SPEAKER, 2, frames=5), 15)
            assert not {"bp:21", "bp:22"} & set(province.rooms[MEETING].peers)  # nothing unselected goes up

            granted = time.time()
            await grant(21)
            at_province = agents[2]  # bridge point 3
            await at_province.wait_until(shows(at_province, SPEAKER, 21, frames=10, after=granted), 10)
            await neighbour.wait_until(shows(neighbour, SPEAKER, 21, frames=5, after=granted), 5)
            assert at_province.slots[SPEAKER].shows == 21
            heard = at_province.slots[SPEAKER].audio_frames
            await at_province.wait_until(lambda: at_province.slots[SPEAKER].audio_frames > heard + 10, 5)
            assert "bp:22" not in province.rooms[MEETING].peers
            assert "bp:21" in district.rooms[MEETING].peers  # the commune itself, not its echo from above

            back = time.time()
            await grant(2)
            await neighbour.wait_until(shows(neighbour, SPEAKER, 2, frames=5, after=back), 10)
            await at_province.wait_until(lambda: "bp:21" not in province.rooms[MEETING].peers, 10)

    run(scenario)


def test_a_link_that_drops_is_re_established_and_the_commune_sees_the_chair_again() -> None:
    async def scenario() -> None:
        async with cascade() as c:
            province, district, link = c.province, c.district, c.link
            for bp in (1, 2):
                await c.join(province, bp)
            await province.rooms[MEETING].set_chair(1)
            await province.rooms[MEETING].grant(2)
            link.keep(c.to_province, retry=0.2)
            commune = await c.join(district, 21)
            await commune.wait_until(shows(commune, CHAIR, 1, frames=10), 15)

            room = province.rooms[MEETING]
            linked = [p for k, p in room.peers.items() if k.startswith("relay:")]
            await province.leave(linked[0])  # the province drops the link
            await commune.wait_until(
                lambda: link.starts == 2 and any(k.startswith("relay:") for k in room.peers), 10
            )
            again = time.time()
            await commune.wait_until(shows(commune, CHAIR, 1, frames=10, after=again), 10)
            await commune.wait_until(shows(commune, SPEAKER, 2, frames=10, after=again), 10)

    run(scenario)


def test_a_district_hosted_meeting_shows_its_chair_and_its_communes_at_the_province() -> None:
    """The chair sits at the district (the host unit's room), the chair's console at the province: the link
    tells the province its roster, so the chair is sent up for the province's rooms and the console's last-N
    rotates through the communes, each sent up before its turn comes; what the province stops showing stops
    going up."""

    async def scenario() -> None:
        async with cascade(upward=True) as c:
            province, district, link, join = c.province, c.district, c.link, c.join
            above = province.room(MEETING)
            above.floor.rotate_every, above.floor.warm_ahead = 4.0, 2.5
            for room in (above, district.room(MEETING)):  # as each relay's floor feed sets it
                room.floor.chair = 20
            observer = await join(province, 1)
            await link.start(DirectSignal(province, MEETING))
            for bp in (20, 21, 22, 23):
                await join(district, bp)
            await observer.wait_until(shows(observer, CHAIR, 20, frames=10), 15)
            assert link.roster == {20, 21, 22, 23}

            console = await join(province, None, console=True, slots=3, publish=False)
            seen: set[int] = set()
            began = time.time()
            tiles: dict[int, int | None] = {1: None, 2: None}
            warm: list[tuple[int, bool]] = []  # a commune's turn: was it at the province when its tile came?

            def tiles_rotate_through_the_communes() -> bool:
                for i in (1, 2):
                    ident = console.slots[i].shows
                    if ident != tiles[i] and tiles[i] is not None and ident in (21, 22, 23):
                        warm.append((ident, f"bp:{ident}" in above.peers))
                    tiles[i] = ident
                    if ident is not None and shows(console, i, ident, frames=3, after=began)():
                        seen.add(ident)
                return {21, 22, 23} <= seen and len(warm) >= 3  # and the province's own room 1

            await console.wait_until(tiles_rotate_through_the_communes, 40)
            assert all(ready for _, ready in warm), warm  # not the first turn: the console had just come
            assert set(link.ups) <= {20, 21, 22, 23}

            await console.close()
            c.agents.remove(console)

            def only_the_chair_goes_up() -> bool:  # the observer still needs the chair
                return set(link.ups) == {20} and {k for k in above.peers if k.startswith("bp:")} == {
                    "bp:1",
                    "bp:20",
                }

            await observer.wait_until(only_the_chair_goes_up, 10)

    run(scenario)


def test_auto_at_the_province_hears_the_communes_below_a_district() -> None:
    """The chair chose "auto": the district relay lets every commune's audio in and tells the province how
    loud each is, so a loud commune becomes the speaker everywhere and goes up; "auto" off, it stops."""

    async def scenario() -> None:
        async with cascade(upward=True) as c:
            province, district, link, join = c.province, c.district, c.link, c.join
            above = province.room(MEETING)
            await above.set_chair(1)
            await join(province, 1, loudness=0.02)
            observer = await join(province, 2, loudness=0.02)
            await link.start(DirectSignal(province, MEETING))
            neighbour = await join(district, 21, loudness=0.02)
            loud = await join(district, 22, loudness=0.9)
            await observer.wait_until(lambda: link.roster == {21, 22} and loud.paused == (True, True), 15)

            chosen = time.time()
            await above.set_auto(True)
            await observer.wait_until(shows(observer, SPEAKER, 22, frames=10, after=chosen), 15)
            await neighbour.wait_until(shows(neighbour, SPEAKER, 22, frames=5, after=chosen), 5)
            assert above.plan is not None and above.plan.speaker == 22
            assert set(link.ups) == {22}

            await above.set_auto(False)
            await observer.wait_until(lambda: not link.ups and "bp:22" not in above.peers, 10)
            await loud.wait_until(lambda: loud.paused == (True, True), 5)  # nobody hears it any more

    run(scenario)
