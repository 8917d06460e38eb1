"""The ``slots`` message tells each participant who the speaker and the chair are, even when its own slots
do not change: the chair's own room shows nothing of itself, yet its console must learn it is the chair."""

from __future__ import annotations

import asyncio

from rtc.agent import Agent, AgentOptions
from rtc.relay import Relay
from rtc.signaling import DirectSignal

MEETING = 9


def test_the_chairs_room_is_told_it_is_the_chair_and_who_speaks() -> None:
    async def scenario() -> None:
        relay = Relay()
        agents = [Agent(AgentOptions(bridge_point_id=bp)) for bp in (1, 2)]
        try:
            for agent in agents:
                await agent.start(DirectSignal(relay, MEETING))
            chair_room = agents[0]
            await relay.rooms[MEETING].set_chair(1)

            def told(speaker: int | None) -> bool:
                last = [m for m in chair_room.messages if m["type"] == "slots"][-1:]
                return bool(last) and (last[0]["chair"], last[0]["speaker"]) == (1, speaker)

            await chair_room.wait_until(lambda: told(None), 10)
            assert [s.shows for s in chair_room.slots] == [None, None]  # it never receives itself
            await relay.rooms[MEETING].grant(2)
            await chair_room.wait_until(lambda: told(2), 10)
            assert chair_room.slots[0].shows == 2
        finally:
            for agent in agents:
                await agent.close()
            await relay.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))
