"""A sliding-window limiter for failed logins (time is passed in, so it tests without a clock)."""

from __future__ import annotations

from collections import deque
from threading import Lock


class FailureLimiter:
    def __init__(self, max_failures: int = 10, window_seconds: float = 300.0) -> None:
        self.max_failures, self.window = max_failures, window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = Lock()

    def blocked(self, key: str, now: float) -> bool:
        with self._lock:
            times = self._failures.get(key)
            if not times:
                return False
            while times and times[0] <= now - self.window:
                times.popleft()
            return len(times) >= self.max_failures

    def fail(self, key: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
