"""Send pacing (pure): a publisher spreads a large frame over time instead of sending it in one burst.

aiortc hands every packet of an encoded frame to the socket at once. A VP8 keyframe of a 640×360 room
camera is ~60 packets (~75 KB); sent in one burst it fills a poor commune link's queue (loss), and at the
relay every packet of every other stream waits behind the keyframe's fan-out to all legs (at 75 connections
and ~20 µs a packet out, ~90 ms). Browsers pace what they send (libwebrtc's pacer, 2.5× the target bitrate);
``Pacer`` does the same for ``cauhop-agent``: a frame that fits the burst allowance leaves at once, a larger
one leaves at ``rate``.

The rule is the generic cell rate algorithm: a packet may leave at ``max(now, tat - burst)``, where ``tat``
(the theoretical arrival time) is when the packets sent so far would have finished at exactly ``rate``; so
over any window of ``w`` seconds at most ``rate × (w + burst)`` bits leave, plus one packet, and a sender that
has been quiet for ``burst`` seconds sends its next ``rate × burst`` bits without waiting.
"""

from __future__ import annotations

DEFAULT_RATE = 3_750_000  # bits/s: 2.5× aiortc's highest VP8 target (1.5 Mbps), libwebrtc's pacing factor
DEFAULT_BURST = 0.005  # seconds at ``rate`` that may leave back to back (libwebrtc paces in 5 ms steps)


class Pacer:
    """When each packet of one sender may leave (FIFO): ``release(size, now)`` → the send time."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: float = DEFAULT_BURST) -> None:
        if rate <= 0 or burst < 0:
            raise ValueError(f"a pacer needs a positive rate and a burst ≥ 0, not {rate} and {burst}")
        self.bytes_per_second = rate / 8
        self.burst = burst
        self.tat = float("-inf")

    def release(self, size: int, now: float) -> float:
        """The time at which a packet of ``size`` bytes, handed over at ``now``, leaves (≥ ``now``)."""
        at = max(now, self.tat - self.burst)
        self.tat = max(self.tat, at) + size / self.bytes_per_second
        return at
