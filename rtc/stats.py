"""Media statistics per leg and per source: RTT, loss, jitter, bitrate (RFC 3550 §6.4 and appendix A).

Pure: counters are fed with packets and reports and the time they were seen, and asked for a snapshot.
``LegReport`` is what the operations board shows for one forwarded stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rtc.rtcp import ReportBlock
from rtc.rtp import NTP_EPOCH_OFFSET, ntp_from_seconds, ntp_middle, seq_diff


def ntp_now(unix_seconds: float) -> int:
    return ntp_from_seconds(unix_seconds + NTP_EPOCH_OFFSET)


class ReceiveStats:
    """What a receiver knows of one incoming stream and the report block it sends (RFC 3550 A.3, A.8)."""

    def __init__(self, ssrc: int, clock_rate: int) -> None:
        self.ssrc, self.clock_rate = ssrc, clock_rate
        self.base_seq: int | None = None
        self.max_seq = 0
        self.cycles = 0
        self.received = 0
        self.jitter = 0.0
        self._transit: float | None = None
        self._expected_prior = 0
        self._received_prior = 0
        self.last_sr: int = 0  # middle 32 bits of the last SR's NTP time
        self.last_sr_at: float | None = None

    def add(self, seq: int, timestamp: int, arrival: float) -> None:
        if self.base_seq is None:
            self.base_seq = self.max_seq = seq
        else:
            delta = seq_diff(seq, self.max_seq)
            if delta > 0:
                if seq < self.max_seq:
                    self.cycles += 1 << 16
                self.max_seq = seq
        self.received += 1
        transit = arrival * self.clock_rate - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < self.clock_rate * 10:  # a timestamp jump (a new segment) is not jitter
                self.jitter += (d - self.jitter) / 16
        self._transit = transit

    def sender_report(self, ntp: int, at: float) -> None:
        self.last_sr, self.last_sr_at = ntp_middle(ntp), at

    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        return 0 if self.base_seq is None else self.extended_max - self.base_seq + 1

    @property
    def lost(self) -> int:
        return self.expected - self.received

    def report(self, now: float) -> ReportBlock:
        """A report block; each call starts a new interval for ``fraction_lost``."""
        expected = self.expected
        interval_expected = expected - self._expected_prior
        interval_received = self.received - self._received_prior
        self._expected_prior, self._received_prior = expected, self.received
        lost_interval = interval_expected - interval_received
        fraction = (
            0 if interval_expected <= 0 or lost_interval <= 0 else (lost_interval << 8) // interval_expected
        )
        dlsr = 0
        if self.last_sr_at is not None:
            dlsr = max(0, min(int((now - self.last_sr_at) * 65536), 0xFFFFFFFF))
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=min(fraction, 255),
            packets_lost=self.lost,
            highest_sequence=self.extended_max & 0xFFFFFFFF,
            jitter=int(self.jitter),
            lsr=self.last_sr,
            dlsr=dlsr,
        )


def rtt_from_report(block: ReportBlock, now_ntp: int) -> float | None:
    """Round-trip time from a report block's LSR/DLSR (RFC 3550 §6.4.1), in seconds."""
    if not block.lsr:
        return None
    rtt = (ntp_middle(now_ntp) - block.lsr - block.dlsr) % (1 << 32)
    if rtt >= 1 << 31:  # the clock went backwards, or the report is not about our SR
        return None
    return rtt / 65536


class Rate:
    """Bits per second of a growing byte counter, from snapshots taken when asked (nothing per packet)."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self._mark: tuple[float, int] | None = None
        self._last = 0.0

    def bps(self, total: int, now: float) -> float:
        if self._mark is None:
            self._mark = (now, total)
            return 0.0
        t, then = self._mark
        if now - t >= self.window:
            self._last = (total - then) * 8 / (now - t)
            self._mark = (now, total)
        elif now > t and self._last == 0.0:
            return (total - then) * 8 / max(now - t, 1e-3)
        return self._last


class Delays:
    """A bounded sample of delays (seconds), for percentiles: the relay's own forwarding delay per hop."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._values: list[float] = []
        self._next = 0

    def add(self, value: float) -> None:
        if len(self._values) < self.size:
            self._values.append(value)
        else:
            self._values[self._next] = value
            self._next = (self._next + 1) % self.size

    def percentile(self, q: float) -> float | None:
        if not self._values:
            return None
        ordered = sorted(self._values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def clear(self) -> None:
        self._values, self._next = [], 0


@dataclass(frozen=True)
class LegReport:
    """One forwarded stream as its receiver reports it."""

    ssrc: int
    kind: str
    source: str | None
    packets_sent: int
    bytes_sent: int
    bitrate: float
    retransmitted: int
    nacks: int
    keyframe_requests: int
    rtt: float | None
    fraction_lost: float | None
    packets_lost: int | None
    jitter: float | None  # seconds

    def as_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class LegFeedback:
    """What a subscriber told us about one leg: its reports, NACKs and keyframe requests."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.rtt: float | None = None
        self.last_block: ReportBlock | None = None
        self.nacks = 0
        self.keyframe_requests = 0
        self.remb: int | None = None

    def report(self, block: ReportBlock, now_ntp: int) -> None:
        self.last_block = block
        rtt = rtt_from_report(block, now_ntp)
        if rtt is not None:
            self.rtt = rtt if self.rtt is None else 0.85 * self.rtt + 0.15 * rtt

    @property
    def fraction_lost(self) -> float | None:
        return None if self.last_block is None else self.last_block.fraction_lost / 256

    @property
    def jitter(self) -> float | None:
        return None if self.last_block is None else self.last_block.jitter / self.clock_rate


@dataclass(frozen=True)
class LinkVerdict:
    """Whether a bridge point's link looks too poor for video, and why: ``reason`` in words, ``cause`` and
    the figures for a screen to say it in its own language (``schema.SuggestLowBandwidth``)."""

    poor: bool
    reason: str
    cause: str = "ok"  # loss | round_trip (in the call) | test | unreachable (pre-meeting test) | recorded
    loss_pct: float | None = None
    rtt_ms: float | None = None

    def suggestion(self) -> dict[str, Any]:
        """The ``suggest_low_bandwidth`` message for a poor link."""
        return {
            "type": "suggest_low_bandwidth",
            "reason": self.reason,
            "cause": self.cause,
            "loss_pct": self.loss_pct,
            "rtt_ms": self.rtt_ms,
        }


def judge_link(
    loss: float | None, rtt: float | None, *, max_loss: float = 0.08, max_rtt: float = 0.6
) -> LinkVerdict:
    """A single judgement; ``PoorLinkDetector`` asks for it to hold a while before suggesting anything."""
    loss_pct = None if loss is None else round(loss * 100, 1)
    rtt_ms = None if rtt is None else round(rtt * 1000)
    if loss is not None and loss > max_loss:
        return LinkVerdict(True, f"loss {loss:.0%} over {max_loss:.0%}", "loss", loss_pct, rtt_ms)
    if rtt is not None and rtt > max_rtt:
        reason = f"round trip {rtt * 1000:.0f} ms over {max_rtt * 1000:.0f} ms"
        return LinkVerdict(True, reason, "round_trip", loss_pct, rtt_ms)
    return LinkVerdict(False, "ok", "ok", loss_pct, rtt_ms)


class PoorLinkDetector:
    """Suggests low-bandwidth mode when the link stays poor for ``hold`` seconds (once per episode)."""

    def __init__(self, hold: float = 10.0) -> None:
        self.hold = hold
        self._since: float | None = None
        self._suggested = False

    def update(self, verdict: LinkVerdict, now: float) -> LinkVerdict | None:
        if not verdict.poor:
            self._since, self._suggested = None, False
            return None
        if self._since is None:
            self._since = now
        if not self._suggested and now - self._since >= self.hold:
            self._suggested = True
            return verdict
        return None
