"""The relay keeps the garbage collector's full passes short while media flows (``rtc/collector.py``): once
connections are up, a full collection no longer walks their state, and what closed connections leave is
reclaimed when the relay has no room left."""

from __future__ import annotations

import asyncio
import gc
import weakref

from rtc.agent import Agent, AgentOptions
from rtc.collector import QuietCollector, collector
from rtc.relay import Relay
from rtc.signaling import DirectSignal
from tests.polling import until

MEETING = 11


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_a_settled_cycle_is_skipped_by_full_passes_until_idle() -> None:
    quiet = QuietCollector()
    node = Node()
    alive = weakref.ref(node)
    quiet.settle()
    del node
    gc.collect()
    assert alive() is not None  # frozen: a full pass did not walk it
    quiet.idle()
    assert alive() is None  # reclaimed when nothing is in a call


def test_more_calls_ended_than_are_up_force_one_full_pass() -> None:
    quiet = QuietCollector(least=3)
    for _ in range(5):
        quiet.settle()
    node = Node()
    alive = weakref.ref(node)
    quiet.settle()  # six calls up; the node is frozen with them
    del node
    for _ in range(3):  # three ended, three still up: not yet
        quiet.end(settled=True)
    assert quiet.passes == 0 and alive() is not None
    quiet.end(settled=True)  # four ended, two up
    assert quiet.passes == 1 and alive() is None
    quiet.end(settled=False)  # a call that never came up counts as ended, not as one fewer up
    assert (quiet.up, quiet.ended) == (2, 1)


def test_a_busy_room_is_not_walked_by_a_full_pass_and_leaves_nothing_behind() -> None:
    async def scenario() -> None:
        relay = Relay()
        agents = [Agent(AgentOptions(bridge_point_id=bp)) for bp in (1, 2, 3)]
        for agent in agents:
            await agent.start(DirectSignal(relay, MEETING))
        room = relay.rooms[MEETING]
        await room.set_chair(1)
        await agents[1].wait_until(lambda: bool(agents[1].slots[1].decoded), 20)  # the chair's picture
        peers = [weakref.ref(p.pc) for p in room.peers.values()]
        walked = len(gc.get_objects())  # what a full pass walks now: the tracked objects not frozen
        frozen = gc.get_freeze_count()
        assert walked < frozen / 2, (walked, frozen)
        assert all(ref() is not None for ref in peers)
        passes = collector.passes
        for agent in agents:
            await agent.close()  # the relay sees each call end and leaves it; the room empties
        agents.clear()  # an agent keeps its signaling, which keeps the relay's side of the call
        del agent
        await until(
            lambda: MEETING not in relay.rooms and collector.passes > passes,
            20,
            "the room is gone and a full pass reclaimed it",
            every=0.02,
        )
        assert [ref() for ref in peers] == [None, None, None]  # the closed calls' state was reclaimed
        await relay.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))
