"""Short garbage-collector pauses while media flows through the relay.

A relay with 75 connections holds ~250,000 objects that CPython's cyclic collector tracks (aiortc's ICE, DTLS
and SRTP state, our sources and legs). A full collection walks all of them — 115–125 ms on these machines
(``bench/relay.py``, "longest GC pause, joins") — and CPython runs one whenever the long-lived objects have
grown by a quarter: in a busy room about every twentieth join stopped every stream for a tenth of a second.

``settle`` (a connection is up) moves every live object into the permanent generation (``gc.freeze``), so
later collections walk only what is newer. The cycles a frozen connection leaves when it closes wait there
until ``idle`` (the relay has no room left) or until more calls have ended since the last full pass than
are up now (at least ``least``); then one full pass runs (``gc.unfreeze``, ``gc.collect``) and what survives
is frozen again. ``Relay.leave`` drops a closed connection's packet caches at once, so what waits is small.
"""

from __future__ import annotations

import gc


class QuietCollector:
    def __init__(self, least: int = 20) -> None:
        self.least = least
        self.up = 0  # connections settled and not yet ended
        self.ended = 0  # connections ended since the last full pass
        self.passes = 0

    def settle(self) -> None:
        """A connection is up: freeze what is alive now."""
        self.up += 1
        gc.freeze()

    def end(self, settled: bool) -> None:
        """A connection ended (``settled``: it had been up); a full pass once many have."""
        self.up -= settled
        self.ended += 1
        if self.ended > max(self.up, self.least):
            self.collect()

    def idle(self) -> None:
        """Nothing is in a call: reclaim what the frozen connections left, then freeze what is still alive."""
        self.collect()

    def collect(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.ended = 0
        self.passes += 1


collector = QuietCollector()  # the collector is the process's: one for every relay in it
