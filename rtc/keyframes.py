"""Keyframe requests carried upstream (pure): many viewers asking at once become one PLI per publisher.

A request opens a *pending* keyframe for its source. The first request sends a PLI at once; more requests
while it is pending are merged into it; if no keyframe comes within ``retry`` seconds the PLI is sent again.
Between two PLIs to one source there are always at least ``min_interval`` seconds, so a receiver looping on
PLI (or a thousand of them) cannot make a publisher send nothing but keyframes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Pending:
    since: float
    asked: int


class KeyframeRequests:
    def __init__(self, min_interval: float = 0.3, retry: float = 0.6, give_up: float = 5.0) -> None:
        self.min_interval, self.retry, self.give_up = min_interval, retry, give_up
        self._pending: dict[str, _Pending] = {}
        self._last_sent: dict[str, float] = {}
        self.sent = 0
        self.merged = 0

    def request(self, source: str, now: float) -> bool:
        """A viewer needs a keyframe of ``source``; True when a PLI should go upstream now."""
        if source in self._pending:
            self.merged += 1
            return False
        self._pending[source] = _Pending(now, 0)
        return self._try(source, now)

    def _try(self, source: str, now: float) -> bool:
        last = self._last_sent.get(source)
        if last is not None and now - last < self.min_interval:
            return False
        self._last_sent[source] = now
        self._pending[source].asked += 1
        self.sent += 1
        return True

    def keyframe(self, source: str) -> None:
        """A keyframe of ``source`` arrived: nothing is pending for it any more."""
        self._pending.pop(source, None)

    def due(self, now: float) -> list[str]:
        """Sources whose request is still open and may be (re)sent now."""
        out: list[str] = []
        for source, p in list(self._pending.items()):
            if now - p.since > self.give_up:
                del self._pending[source]
                continue
            last = self._last_sent.get(source)
            wait = self.retry if p.asked else self.min_interval
            if (last is None or now - last >= wait) and self._try(source, now):
                out.append(source)
        return out

    def forget(self, source: str) -> None:
        self._pending.pop(source, None)
        self._last_sent.pop(source, None)

    def pending(self, source: str) -> bool:
        return source in self._pending
