"""Who is connected to each meeting now (presence: ephemeral, never logged).

Each server process counts its own sockets per meeting and person (``Roll``). When the set of people it
has online for a meeting changes (a person's second tablet changes nothing), it publishes that set on the bus
channel ``presence``; every ``heartbeat`` seconds it publishes all of its sets again. Every process keeps
the last sets heard from each process (``Presence``) and tells its own sockets of a meeting the union,
only when it changed. So:

- a process started after others knows their people within one heartbeat;
- a process that dies without saying so (SIGKILL, a lost machine) drops out after three heartbeats
  unheard; one that stops cleanly says so, and drops out at once;
- with one process (no Redis), its own sets are all there is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from meetings.bus import LocalBus, Subscription

log = logging.getLogger(__name__)

HEARTBEAT = 5.0  # seconds between two announcements of all of a process's sets
MISSED = 3  # heartbeats unheard before a process's people count as gone


@dataclass
class Roll:
    """This process's sockets: how many each person has open per meeting."""

    counts: dict[int, Counter[int]] = field(default_factory=dict)

    def change(self, meeting_id: int, person_id: int, online: bool) -> bool:
        """Count a socket opened or closed; True when the meeting's set of people changed."""
        counts = self.counts.setdefault(meeting_id, Counter())
        before = counts[person_id] > 0
        counts[person_id] += 1 if online else -1
        if counts[person_id] <= 0:
            del counts[person_id]
        if not counts:
            del self.counts[meeting_id]
        return (person_id in counts) != before

    def people(self, meeting_id: int) -> frozenset[int]:
        return frozenset(self.counts.get(meeting_id, ()))

    def sets(self) -> dict[int, frozenset[int]]:
        return {m: frozenset(c) for m, c in self.counts.items()}


@dataclass
class Presence:
    """The sets heard from every process, each with when it was last heard from (pure: time is passed in)."""

    ttl: float
    heard: dict[str, tuple[float, dict[int, frozenset[int]]]] = field(default_factory=dict)

    def fold(self, origin: str, sets: dict[int, frozenset[int]], whole: bool, now: float) -> set[int]:
        """A process's sets (all of them when ``whole``, else only those named); returns the meetings whose
        set from it changed."""
        _, before = self.heard.get(origin, (now, {}))
        after = dict(sets) if whole else {**before, **sets}
        after = {m: people for m, people in after.items() if people}
        self.heard[origin] = (now, after)
        return {m for m in set(before) | set(after) if before.get(m) != after.get(m)}

    def forget(self, origin: str) -> set[int]:
        _, sets = self.heard.pop(origin, (0.0, {}))
        return set(sets)

    def expire(self, now: float) -> set[int]:
        """Drop the processes unheard for longer than ``ttl``; returns their meetings."""
        gone = [o for o, (at, _) in self.heard.items() if now - at > self.ttl]
        return {m for o in gone for m in self.forget(o)}

    def online(self, meeting_id: int, also: Iterable[int] = ()) -> list[int]:
        people = set(also)
        for _, sets in self.heard.values():
            people |= sets.get(meeting_id, frozenset())
        return sorted(people)


def _wire(sets: dict[int, frozenset[int]]) -> list[list[Any]]:
    return [[m, sorted(people)] for m, people in sorted(sets.items())]


class PresenceTracker:
    def __init__(
        self, bus: LocalBus, heartbeat: float = HEARTBEAT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not heartbeat > 0:
            raise ValueError(f"the presence heartbeat must be a positive number of seconds, not {heartbeat}")
        self.bus = bus
        self.heartbeat = heartbeat
        self.clock = clock
        self.origin = uuid.uuid4().hex
        self.roll = Roll()
        self.others = Presence(ttl=heartbeat * MISSED)
        self._told: dict[int, list[int]] = {}
        self._sub: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._sub = self.bus.subscribe("presence", 65_536)
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._beat())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._sub is not None:
            self._sub.close()
        with contextlib.suppress(Exception):  # a bus already gone: the others expire us instead
            await self.bus.publish("presence", {"origin": self.origin, "gone": True})

    def online(self, meeting_id: int) -> list[int]:
        return self.others.online(meeting_id, self.roll.people(meeting_id))

    async def announce(self, meeting_id: int, person_id: int | None, online: bool) -> None:
        if person_id is None or not self.roll.change(meeting_id, person_id, online):
            return
        self._tell(meeting_id)
        sets = {meeting_id: self.roll.people(meeting_id)}
        try:
            await self.bus.publish("presence", {"origin": self.origin, "sets": _wire(sets), "whole": False})
        except Exception:  # Redis away for a moment: counted here all the same, and the next beat says it
            log.warning("presence change not published", exc_info=True)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            message = {"origin": self.origin, "sets": _wire(self.roll.sets()), "whole": True}
            try:
                await self.bus.publish("presence", message)
            except Exception:  # Redis away for a moment: the next beat says it all again
                log.warning("presence heartbeat not published", exc_info=True)
            for meeting_id in self.others.expire(self.clock()):
                self._tell(meeting_id)

    async def _listen(self) -> None:
        assert self._sub is not None
        async for message in self._sub:
            try:
                origin = message.get("origin")
                if origin == self.origin:
                    continue  # our own sockets are counted in the roll
                if message.get("gone"):
                    touched = self.others.forget(str(origin))
                else:
                    sets = {int(m): frozenset(map(int, people)) for m, people in message["sets"]}
                    touched = self.others.fold(str(origin), sets, bool(message["whole"]), self.clock())
            except (AttributeError, KeyError, TypeError, ValueError):  # e.g. a process of an older version
                log.warning("presence message not understood: %.200r", message)
                continue
            for meeting_id in touched:
                self._tell(meeting_id)

    def _tell(self, meeting_id: int) -> None:
        """Tell this process's sockets of the meeting who is online, when that changed since last told."""
        now = self.online(meeting_id)
        if self._told.get(meeting_id, []) != now:
            if now:
                self._told[meeting_id] = now
            else:
                self._told.pop(meeting_id, None)
            self.bus.deliver(f"meeting:{meeting_id}", {"type": "presence", "online": now})
