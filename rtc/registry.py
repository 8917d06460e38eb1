"""Which relay processes are alive, and what their rooms show (the edge of the cascade).

Every ``cauhop serve`` process is a relay and announces itself every ``lapse / 3`` seconds on the bus
channel ``rtc:relays:{deployment}`` (Redis when ``REDIS_URL`` is set, so every process hears every other;
``deployment`` is derived from the SECRET_KEY the relays share, so two deployments on one Redis never plan
with each other's relays): its id (its public URL), the unit it serves (None: the root) and its capacity. A
relay not heard from for ``lapse`` seconds has failed; one that stops cleanly says so at once. The same
channel carries each relay's room figures (``rtc_stats``, every 2 s per open room), so any process can show
the whole meeting on the operations board. Times are this process's own monotonic clock at reception: no
clocks need to agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meetings.bus import LocalBus

log = logging.getLogger(__name__)
STATS_EVERY = 2.0  # seconds between a room's published figures


@dataclass(frozen=True)
class RelayInfo:
    id: str  # the relay's public base URL, e.g. http://10.0.0.7:8000
    unit_id: int | None  # the unit whose bridge points it serves; None: the root relay
    capacity: int


class RelayRegistry:
    def __init__(
        self,
        bus: LocalBus,
        me: RelayInfo,
        lapse: float,
        secret: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus, self.me, self.lapse, self.clock = bus, me, lapse, clock
        self.channel = "rtc:relays:" + hashlib.sha256(f"cauhop-relays:{secret}".encode()).hexdigest()[:16]
        self.seen: dict[str, tuple[RelayInfo, float]] = {}  # other relays, when last heard
        self.rooms: dict[tuple[int, str], tuple[dict[str, Any], float]] = {}  # (meeting, relay) → stats
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        sub = self.bus.subscribe(self.channel, 1024)
        self._tasks = [asyncio.create_task(self._beat()), asyncio.create_task(self._listen(sub))]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):  # the bus may already be gone
            await self.bus.publish(self.channel, {"type": "relay_gone", "id": self.me.id})

    async def _beat(self) -> None:
        me = self.me
        while True:
            try:
                await self.bus.publish(
                    self.channel,
                    {"type": "relay", "id": me.id, "unit_id": me.unit_id, "capacity": me.capacity},
                )
            except Exception:
                log.exception("relay %s: the heartbeat could not be published", me.id)
            await asyncio.sleep(self.lapse / 3)

    async def _listen(self, sub: Any) -> None:
        try:
            while True:
                self.receive(await sub.get(), self.clock())
        finally:
            sub.close()

    def receive(self, message: dict[str, Any], now: float) -> None:
        kind, relay = message.get("type"), str(message.get("id") or message.get("relay") or "")
        if not relay or relay == self.me.id:
            return
        if kind == "relay":
            unit = message.get("unit_id")
            info = RelayInfo(relay, int(unit) if unit is not None else None, int(message.get("capacity", 64)))
            self.seen[relay] = (info, now)
        elif kind == "relay_gone":
            self.seen.pop(relay, None)
            for key in [k for k in self.rooms if k[1] == relay]:
                del self.rooms[key]
        elif kind == "rtc_stats":
            self.rooms[(int(message["meeting_id"]), relay)] = (message, now)

    def live(self) -> list[RelayInfo]:
        """This relay and every other heard from within ``lapse`` seconds."""
        now = self.clock()
        for relay in [r for r, (_, at) in self.seen.items() if now - at > self.lapse]:
            log.warning("relay %s: no heartbeat for %.1f s, taken as failed", relay, self.lapse)
            del self.seen[relay]
        return [self.me, *(info for info, _ in self.seen.values())]

    def room_stats(self, meeting_id: int) -> dict[str, dict[str, Any]]:
        """The latest figures of the meeting's rooms on the other live relays, by relay id."""
        alive = {r.id for r in self.live()}
        now = self.clock()
        return {
            relay: stats
            for (m, relay), (stats, at) in self.rooms.items()
            if m == meeting_id
            and relay in alive
            and stats.get("peers")
            and now - at <= max(self.lapse, 3 * STATS_EVERY)
        }
