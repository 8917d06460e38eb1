"""Waiting for something another process or task makes true: poll a check until it gives something true,
or fail saying what did not happen. For states seen only from outside (an HTTP route, a file, a counter);
where an event can be awaited, await it instead."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], within: float, what: str, every: float = 0.2) -> T:
    """``check()``'s first true answer, looked at every ``every`` s for ``within`` s."""
    deadline = time.monotonic() + within
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        time.sleep(every)
    return found


async def until(check: Callable[[], T | Awaitable[T]], within: float, what: str, every: float = 0.2) -> T:
    """The same inside an event loop; ``check`` may be a coroutine function (e.g. an HTTP look)."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found  # type: ignore[return-value]
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(every)
