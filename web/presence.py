"""Who is connected to each meeting now (presence: ephemeral, never logged).

Every socket announces its person's join and leave on the bus channel ``presence``; each server process
folds those announcements (its own and, through Redis, the others') into counts per meeting and tells its
own sockets of that meeting the new list, only when it changed (a person's second tablet changes nothing, so
1,000 tablets of 50 people joining send 50 lists, not 1,000). A process started after others only knows the
joins it has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

from meetings.bus import LocalBus, Subscription


class PresenceTracker:
    def __init__(self, bus: LocalBus) -> None:
        self.bus = bus
        self.counts: dict[int, Counter[int]] = {}
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sub = self.bus.subscribe("presence", 65_536)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sub is not None:
            self._sub.close()

    def online(self, meeting_id: int) -> list[int]:
        return sorted(p for p, n in self.counts.get(meeting_id, Counter()).items() if n > 0)

    async def announce(self, meeting_id: int, person_id: int | None, online: bool) -> None:
        if person_id is not None:
            await self.bus.publish(
                "presence", {"meeting_id": meeting_id, "person_id": person_id, "online": online}
            )

    async def _run(self) -> None:
        assert self._sub is not None
        async for message in self._sub:
            self._fold(message)

    def _fold(self, message: dict[str, Any]) -> None:
        meeting_id, person_id = message["meeting_id"], message["person_id"]
        counts = self.counts.setdefault(meeting_id, Counter())
        was_online = counts[person_id] > 0
        counts[person_id] += 1 if message["online"] else -1
        if counts[person_id] <= 0:
            del counts[person_id]
        if (counts[person_id] > 0) != was_online:  # a second tablet of the same person changes nothing
            self.bus.deliver(f"meeting:{meeting_id}", {"type": "presence", "online": self.online(meeting_id)})
