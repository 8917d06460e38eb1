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
