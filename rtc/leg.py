"""One subscriber leg (pure): the stream one receiver gets in one slot, whichever publisher fills it.

The receiver sees a single continuous RTP stream — its own SSRC, sequence numbers without gaps, timestamps
that move with the wall clock, VP8 picture ids that count on — while the forwarded source changes. Each run
of packets from one source is a *segment*: on entering it the leg picks offsets so the first packet follows
the last one sent; inside it the offsets stay fixed, so late and retransmitted packets land in place.

Video starts only at a keyframe: ``start`` takes the source's cached keyframe (and the frames after it when
the cache holds them all); otherwise the leg waits for the next keyframe and drops what comes before.
Every packet sent is kept in a retransmission cache that answers the receiver's NACKs.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from rtc.payload import rewrite_vp8_descriptor
from rtc.rtcp import RtcpSr
from rtc.rtp import ONE_BYTE_PROFILE, abs_send_time
from rtc.source import MediaPacket
from rtc.stats import LegFeedback, Rate, ntp_now

_FIRST_WORDS = struct.Struct("!BBHI")  # V|P|X|CC, M|PT, sequence number, timestamp: then the SSRC
_SSRC_AND_EXTENSION = struct.Struct("!IHH")


@dataclass(frozen=True)
class LegFormat:
    """What this leg's receiver negotiated for its slot."""

    kind: str
    ssrc: int
    payload_type: int
    clock_rate: int
    mid: str | None = None
    mid_ext: int | None = None
    abs_send_time_ext: int | None = None
    audio_level_ext: int | None = None


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """The constant parts of every RTP header a leg sends, packed once; per packet only the second word
    (marker, sequence number), the timestamp and the values of abs-send-time and audio level change.

    A header is ``_FIRST_WORDS(first_byte, M|PT, seq, ts) + after_timestamp + [abs-send-time value]
    + [audio level element] + padding``.
    """

    first_byte: int
    after_timestamp: bytes  # SSRC, the extension block's header, the MID element, the abs-send-time id
    padding: bytes  # zeros to the block's last 32-bit word


def header_layout(fmt: LegFormat, with_level: bool) -> HeaderLayout:
    """The layout of this leg's headers, for packets with or without an audio level element."""
    mid = fmt.mid.encode() if fmt.mid else b""
    fixed = bytes([(fmt.mid_ext << 4) | (len(mid) - 1)]) + mid if fmt.mid_ext and mid else b""
    length = len(fixed)
    if fmt.abs_send_time_ext:
        fixed += bytes([(fmt.abs_send_time_ext << 4) | 2])
        length += 4
    if with_level:
        length += 2
    if not length:
        return HeaderLayout(0x80, fmt.ssrc.to_bytes(4, "big"), b"")
    words = -(-length // 4)
    return HeaderLayout(
        0x90, _SSRC_AND_EXTENSION.pack(fmt.ssrc, ONE_BYTE_PROFILE, words) + fixed, bytes(4 * words - length)
    )


class LegState(Enum):
    IDLE = "idle"  # no source
    WAITING = "waiting"  # a source, but video waits for its next keyframe
    FORWARDING = "forwarding"


@dataclass(slots=True)
class _Segment:
    source: str
    start: int  # extended sequence number of the first packet of the source forwarded in it
    seq_offset: int
    ts_offset: int
    pid_offset: int
    tl0_offset: int


class Leg:
    def __init__(
        self, fmt: LegFormat, *, seq0: int = 0, ts0: int = 0, pid0: int = 0, cache_size: int = 512
    ) -> None:
        self.format = fmt
        self.source: str | None = None
        self.state = LegState.IDLE
        self._segment: _Segment | None = None
        self._after = -1  # in WAITING: ignore packets up to this extended sequence number
        self._next_seq, self._last_ts, self._next_pid, self._next_tl0 = seq0, ts0, pid0, 0
        self._last_sent_at: float | None = None
        self._highest_in_segment = -1
        # the retransmission cache, by sequence number modulo its size: what was sent, and when it was resent
        self._cached_seq = [-1] * cache_size
        self._cached_data = [b""] * cache_size
        self._resent_at = [-1.0] * cache_size
        self._layout = header_layout(fmt, False)
        self._level_layout = header_layout(fmt, True) if fmt.audio_level_ext else None
        self._level_id = fmt.audio_level_ext << 4 if fmt.audio_level_ext else 0
        self._stamps = bool(fmt.abs_send_time_ext)
        self._second_byte = (fmt.payload_type, 0x80 | fmt.payload_type)  # by marker bit
        self.packets_sent = self.bytes_sent = self.payload_bytes = 0
        self.retransmitted = 0
        self.keyframes_started = 0
        self.rate = Rate()
        self.feedback = LegFeedback(fmt.clock_rate)

    # ------------------------------------------------------------------ choosing what to forward
    def select(self, source: str | None) -> None:
        """Forward ``source`` from now on (None: nothing). The caller then calls ``start``."""
        if source == self.source:
            return
        self.source = source
        self._segment = None
        self._after = -1
        self.state = LegState.IDLE if source is None else LegState.WAITING

    def start(self, cached: Sequence[MediaPacket], complete: bool, now: float) -> list[bytes]:
        """Begin the selected source with its cached start (keyframe first); returns the packets to send.

        ``complete``: the cache runs up to the live edge, so forwarding goes on from it; otherwise the leg
        shows the cached keyframe and then waits for the next one.
        """
        if self.source is None or self.state is not LegState.WAITING:
            return []
        if self.format.kind == "audio":
            return []
        if not cached:
            return []
        self._open(cached[0], now)
        out = [b for p in cached if (b := self._emit(p, now)) is not None]
        self.keyframes_started += 1
        if not complete:
            self._after = cached[-1].ext_seq
            self._segment = None
            self.state = LegState.WAITING
        return out

    @property
    def waiting_for_keyframe(self) -> bool:
        return self.state is LegState.WAITING and self.format.kind == "video"

    # ------------------------------------------------------------------ the hot path
    def forward(self, packet: MediaPacket, now: float, stamp: bytes | None = None) -> bytes | None:
        """The rewritten packet to send for a live packet of the selected source, or None to drop it.

        ``stamp``: the abs-send-time value for ``now`` when the caller computed it once for every leg.
        """
        if self.state is LegState.FORWARDING:
            return self._emit(packet, now, stamp)
        if self.state is LegState.IDLE or packet.ext_seq <= self._after:
            return None
        if self.format.kind == "video" and not packet.keyframe:
            return None
        self._open(packet, now)
        if self.format.kind == "video":
            self.keyframes_started += 1
        return self._emit(packet, now)

    def _open(self, first: MediaPacket, now: float) -> None:
        """A new segment whose first packet follows the last one sent, in sequence, time and picture id."""
        assert self.source is not None
        ts = self._last_ts
        pid = first.vp8.picture_id if first.vp8 and first.vp8.picture_id is not None else 0
        tl0 = first.vp8.tl0picidx if first.vp8 and first.vp8.tl0picidx is not None else 0
        if self._last_sent_at is not None:
            ts += max(1, round((now - self._last_sent_at) * self.format.clock_rate))
        else:  # the first segment keeps the source's picture ids: no payload rewriting until a switch
            self._next_pid, self._next_tl0 = pid, tl0
        self._segment = _Segment(
            source=self.source,
            start=first.ext_seq,
            seq_offset=(self._next_seq - first.seq) % 65536,
            ts_offset=(ts - first.timestamp) % (1 << 32),
            pid_offset=(self._next_pid - pid) % 32768,
            tl0_offset=(self._next_tl0 - tl0) % 256,
        )
        self._highest_in_segment = first.ext_seq - 1
        self.state = LegState.FORWARDING

    def _emit(self, p: MediaPacket, now: float, stamp: bytes | None = None) -> bytes | None:
        seg = self._segment
        if seg is None or p.ext_seq < seg.start:
            return None
        seq = (p.seq + seg.seq_offset) & 0xFFFF
        ts = (p.timestamp + seg.ts_offset) & 0xFFFFFFFF
        newest = p.ext_seq > self._highest_in_segment
        payload = p.payload
        descriptor = b""
        body: bytes | memoryview = payload
        vp8 = p.vp8
        if vp8 is not None and (vp8.picture_id is not None or vp8.tl0picidx is not None):
            pid = ((vp8.picture_id or 0) + seg.pid_offset) & 0x7FFF
            tl0 = ((vp8.tl0picidx or 0) + seg.tl0_offset) & 0xFF
            if seg.pid_offset or seg.tl0_offset:
                shared = p.descriptors
                if shared is None:
                    shared = p.descriptors = {}
                rewritten = shared.get((pid, tl0))
                if rewritten is None:
                    rewritten = shared[pid, tl0] = (
                        rewrite_vp8_descriptor(payload, vp8, pid, tl0),
                        memoryview(payload)[vp8.header_size :],
                    )
                descriptor, body = rewritten
            if newest:
                self._next_pid, self._next_tl0 = (pid + 1) & 0x7FFF, (tl0 + 1) & 0xFF
        layout = self._layout
        level = b""
        if p.level is not None and self._level_layout is not None:
            layout = self._level_layout
            level = bytes((self._level_id, (0x80 if p.level[0] else 0) | p.level[1]))
        if not self._stamps:
            stamp = b""
        elif stamp is None:
            stamp = abs_send_time(now)
        data = b"".join(
            (
                _FIRST_WORDS.pack(layout.first_byte, self._second_byte[p.marker], seq, ts),
                layout.after_timestamp,
                stamp,
                level,
                layout.padding,
                descriptor,
                body,
            )
        )
        if newest:
            self._highest_in_segment = p.ext_seq
            self._next_seq = (seq + 1) & 0xFFFF
            if 0 < (ts - self._last_ts) & 0xFFFFFFFF < 0x80000000 or self._last_sent_at is None:
                self._last_ts = ts
            self._last_sent_at = now
        i = seq % len(self._cached_seq)
        self._cached_seq[i], self._cached_data[i], self._resent_at[i] = seq, data, -1.0
        self.packets_sent += 1
        self.bytes_sent += len(data)
        self.payload_bytes += len(payload)
        return data

    # ------------------------------------------------------------------ feedback from the receiver
    def retransmit(self, lost: Iterable[int], now: float, min_interval: float = 0.01) -> list[bytes]:
        """Cached packets for a NACK (each at most once per ``min_interval``)."""
        self.feedback.nacks += 1
        out: list[bytes] = []
        size = len(self._cached_seq)
        for seq in lost:
            i = seq % size
            if self._cached_seq[i] == seq and now - self._resent_at[i] >= min_interval:
                out.append(self._cached_data[i])
                self._resent_at[i] = now
        self.retransmitted += len(out)
        return out

    def sender_report(self, now: float, source_clock: tuple[float, int] | None) -> RtcpSr | None:
        """An SR mapping this leg's timestamps to the wall clock, or None before anything was sent.

        With the source's own SR clock, audio and video legs of one publisher stay in sync for the receiver.
        """
        if self._last_sent_at is None:
            return None
        rate = self.format.clock_rate
        seg = self._segment
        if source_clock is not None and seg is not None:
            sender_time, sender_ts = source_clock
            rtp_ts = (sender_ts + round((now - sender_time) * rate) + seg.ts_offset) % (1 << 32)
        else:
            rtp_ts = (self._last_ts + round((now - self._last_sent_at) * rate)) % (1 << 32)
        return RtcpSr(
            ssrc=self.format.ssrc,
            ntp_timestamp=ntp_now(now),
            rtp_timestamp=rtp_ts,
            packet_count=self.packets_sent & 0xFFFFFFFF,
            octet_count=self.payload_bytes & 0xFFFFFFFF,
        )
