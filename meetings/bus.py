"""The event bus: carries published messages to every subscriber of a channel, in this process
(``LocalBus``) or across server processes (``RedisBus``, Redis pub/sub). Channels are names such as
``meeting:42`` or ``user:7``. The database log stays the source of truth: a subscriber that misses a
message (a slow consumer, a Redis hiccup) catches up from the log by sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Subscription:
    """Messages of one channel for one consumer, in a bounded queue; ``overflowed`` when it fell behind.

    ``direct``, when set, is offered each message first, synchronously, during the publisher's delivery
    pass; it returns True when it handled the message (a socket in step writes it out at once), and
    False to have it queued as usual."""

    def __init__(self, bus: LocalBus, channel: str, maxsize: int) -> None:
        self.bus, self.channel = bus, channel
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.direct: Callable[[dict[str, Any]], bool] | None = None

    def offer(self, message: dict[str, Any]) -> None:
        if self.direct is not None and self.direct(message):
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self.bus._remove(self)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()


class EventBus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...
    def subscribe(self, channel: str, maxsize: int = 256) -> Subscription: ...
    def publish_threadsafe(self, channel: str, message: dict[str, Any]) -> None: ...


class LocalBus:
    """In-process fan-out (one server process)."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self._subs.clear()

    def subscribe(self, channel: str, maxsize: int = 256) -> Subscription:
        sub = Subscription(self, channel, maxsize)
        self._subs.setdefault(channel, set()).add(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.channel)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.channel]

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        subs = list(self._subs.get(channel, ()))
        # One pass may write to thousands of sockets (see Subscription.direct), allocating as it goes: the
        # cyclic garbage collector runs after the pass, not in its middle (refcounting still frees at once).
        collecting = len(subs) > 1 and gc.isenabled()
        if collecting:
            gc.disable()
        try:
            for sub in subs:
                sub.offer(message)
        finally:
            if collecting:
                gc.enable()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self.deliver(channel, message)

    def publish_threadsafe(self, channel: str, message: dict[str, Any]) -> None:
        """Publish from a worker thread (a synchronous handler that just committed)."""
        if self.loop is None:
            raise RuntimeError("the bus is not started")
        asyncio.run_coroutine_threadsafe(self.publish(channel, message), self.loop)


class RedisBus(LocalBus):
    """Fan-out across processes: publish to Redis; one listener per process delivers locally."""

    PREFIX = "cauhop:"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._redis: Any = None
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import redis.asyncio as aioredis

        await super().start()
        self._redis = aioredis.from_url(self.url)
        await self._redis.ping()  # fail loudly at start-up when Redis is not there
        self._pubsub = self._redis.pubsub()
        await self._pubsub.psubscribe(self.PREFIX + "*")
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        async for item in self._pubsub.listen():
            if item.get("type") != "pmessage":
                continue
            channel = item["channel"].decode()[len(self.PREFIX) :]
            try:
                self.deliver(channel, json.loads(item["data"]))
            except ValueError:
                log.warning("dropped a malformed bus message on %s", channel)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(self.PREFIX + channel, json.dumps(message, default=str))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._redis is not None:
            await self._redis.aclose()
        await super().stop()


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
