"""A tablet too slow for its bounded queue is told to resync and caught up from the log — in order, once each,
without holding up the bus for anyone else."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from meetings import live_schema
from meetings.auth import actor_of
from meetings.bus import LocalBus
from meetings.clock import utcnow
from meetings.db import reading
from meetings.live_service import LiveService, event_message
from meetings.models import User
from web.ws import Connection


class RecordingSocket:
    """Stands in for the network side of one tablet: records what the server sends it."""

    def __init__(self, until_seq: int) -> None:
        self.sent: list[dict[str, Any]] = []
        self.until_seq = until_seq
        self.done = asyncio.Event()

    async def send_text(self, text: str) -> None:
        msg = json.loads(text)
        self.sent.append(msg)
        if msg.get("seq") == self.until_seq and msg["type"] == "event":
            self.done.set()


def test_overflowing_tablet_gets_resync_then_every_event_once(engine: Engine) -> None:
    service = LiveService(engine)
    with reading(engine) as s:
        chair = actor_of(s.exec(select(User).where(User.username == "chair")).one())
        delegates = [
            u.person_id for u in s.exec(select(User).where(User.username.startswith("delegate"))).all()
        ]  # type: ignore[attr-defined]
    outcomes = [
        service.execute(chair, 1, live_schema.CheckIn(type="checkin", id=f"c{p}", person_id=p), utcnow())
        for p in delegates[:12]
    ]
    last = outcomes[-1].seq

    async def scenario() -> list[dict[str, Any]]:
        bus = LocalBus()
        await bus.start()
        slow = bus.subscribe("meeting:1", maxsize=3)
        fast = bus.subscribe("meeting:1", maxsize=100)
        for outcome in outcomes:  # published while the slow tablet reads nothing
            assert outcome.event is not None
            await bus.publish("meeting:1", event_message(outcome.event))
        assert slow.overflowed and fast.queue.qsize() == 12  # the others got everything at once
        sock = RecordingSocket(last)
        conn = Connection(sock, service, chair, 1)  # type: ignore[arg-type]
        pump = asyncio.create_task(conn.pump(slow))
        await asyncio.wait_for(sock.done.wait(), 30)
        pump.cancel()
        return sock.sent

    sent = asyncio.run(scenario())
    assert sent[0]["type"] == "resync"
    seqs = [m["seq"] for m in sent if m["type"] == "event"]
    assert seqs == list(range(1, last + 1))


class StalledSocket(RecordingSocket):
    """A tablet whose socket buffer is full: every send waits until the network drains (``drained``)."""

    def __init__(self, until_seq: int) -> None:
        super().__init__(until_seq)
        self.drained = asyncio.Event()

    async def send_text(self, text: str) -> None:
        await self.drained.wait()
        await super().send_text(text)


def test_a_stalled_socket_never_holds_up_the_others_and_gets_everything_in_order(engine: Engine) -> None:
    service = LiveService(engine)
    with reading(engine) as s:
        chair = actor_of(s.exec(select(User).where(User.username == "chair")).one())
    start = service.execute(chair, 1, live_schema.Start(type="start", id="go"), utcnow()).seq
    turns = [
        service.execute(chair, 1, live_schema.Present(type="present", id=f"p{n}", page=n), utcnow())
        for n in range(1, 13)
    ]
    last = turns[-1].seq

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        bus = LocalBus()
        await bus.start()
        fast_sock, stalled_sock = RecordingSocket(last), StalledSocket(last)
        subs = [bus.subscribe("meeting:1", 100), bus.subscribe("meeting:1", 3)]
        pumps = []
        for sock, sub in zip((fast_sock, stalled_sock), subs, strict=True):
            conn = Connection(sock, service, chair, 1)  # type: ignore[arg-type]
            conn.last = start  # both tablets are in step, waiting for the first page turn
            conn.follow(sub)
            pumps.append(asyncio.create_task(conn.pump(sub)))
        for outcome in turns:
            assert outcome.event is not None
            await bus.publish("meeting:1", event_message(outcome.event))
        # Every turn reached the tablet in step during the publish itself, while the other one is stuck.
        assert fast_sock.done.is_set() and not stalled_sock.sent
        stalled_sock.drained.set()
        await asyncio.wait_for(stalled_sock.done.wait(), 30)
        for pump in pumps:
            pump.cancel()
        return fast_sock.sent, stalled_sock.sent

    fast, stalled = asyncio.run(scenario())
    assert [m["seq"] for m in fast] == list(range(start + 1, last + 1))
    assert any(m["type"] == "resync" for m in stalled)  # it overflowed its bounded queue
    assert [m["seq"] for m in stalled if m["type"] == "event"] == list(range(start + 1, last + 1))
