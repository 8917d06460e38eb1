"""One publisher track as the relay receives it (pure): packets in, ``MediaPacket`` values out.

A ``Source`` drops duplicates (a packet and its retransmission), keeps what a new viewer needs to start at
once — the last keyframe and the frames after it (``GopCache``) — asks upstream for what was lost
(``NackTracker``), counts reception for its receiver reports, and remembers the sender's clock (SR) and
the speaker's audio level.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from rtc.payload import Vp8Info, audio_level, h264_keyframe, parse_vp8
from rtc.rtcp import RtcpSr
from rtc.rtp import ParseError, RtpPacket, SeqUnwrapper, parse_extensions
from rtc.stats import Rate, ReceiveStats

NTP_UNIX_OFFSET = 2208988800


@dataclass(slots=True)
class MediaPacket:
    """A received packet, with what the legs need already read from it."""

    seq: int
    ext_seq: int
    timestamp: int
    marker: bool
    payload: bytes
    frame_start: bool
    keyframe: bool
    vp8: Vp8Info | None
    level: tuple[bool, int] | None
    arrival: float
    # VP8 descriptors rewritten for the legs, by (picture id, TL0PICIDX): legs that entered this source at
    # the same keyframe share one, built by the first of them
    descriptors: dict[tuple[int, int], tuple[bytes, memoryview]] | None = None


@dataclass(frozen=True)
class SourceFormat:
    kind: str  # "audio" | "video"
    codec: str  # "VP8", "H264", "opus", ...
    clock_rate: int
    audio_level_ext: int | None = None


class GopCache:
    """The last keyframe and the packets after it, in sequence order.

    When that would be more than ``limit`` packets, only the keyframe itself is kept (``complete`` is then
    false: a new viewer gets that picture at once, then waits for the next keyframe).
    """

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self.packets: list[MediaPacket] = []
        self._keys: list[int] = []
        self.keyframe_ts: int | None = None
        self.complete = False

    def add(self, packet: MediaPacket) -> None:
        if packet.keyframe and (not self._keys or packet.ext_seq > self._keys[0]):
            self.packets, self._keys = [packet], [packet.ext_seq]
            self.keyframe_ts, self.complete = packet.timestamp, True
            return
        if not self._keys or packet.ext_seq <= self._keys[0]:
            return
        in_keyframe = packet.timestamp == self.keyframe_ts
        if not self.complete and not in_keyframe:
            return
        at = bisect.bisect_left(self._keys, packet.ext_seq)
        if at < len(self._keys) and self._keys[at] == packet.ext_seq:
            return
        self._keys.insert(at, packet.ext_seq)
        self.packets.insert(at, packet)
        if self.complete and len(self.packets) > self.limit:
            self.complete = False
            keep = [p for p in self.packets if p.timestamp == self.keyframe_ts]
            self.packets, self._keys = keep, [p.ext_seq for p in keep]

    @property
    def ready(self) -> bool:
        return bool(self.packets)


class NackTracker:
    """Sequence numbers missing upstream, and when to ask for each again (at most ``tries`` times)."""

    def __init__(self, tries: int = 4, max_gap: int = 256, max_age: float = 1.0) -> None:
        self.tries, self.max_gap, self.max_age = tries, max_gap, max_age
        self.highest: int | None = None
        self.missing: dict[int, tuple[float, float, int]] = {}  # ext seq → (first seen, next ask, asked)

    def received(self, ext_seq: int, now: float) -> bool:
        """Record a packet; True when the gap is too large to repair (ask for a keyframe instead)."""
        self.missing.pop(ext_seq, None)
        if self.highest is None or ext_seq <= self.highest:
            self.highest = ext_seq if self.highest is None else self.highest
            return False
        gap = ext_seq - self.highest - 1
        self.highest = ext_seq
        if gap > self.max_gap:
            self.missing.clear()
            return True
        for seq in range(ext_seq - gap, ext_seq):
            self.missing[seq] = (now, now, 0)
        return False

    def due(self, now: float, rtt: float | None) -> list[int]:
        """The extended sequence numbers to NACK now."""
        again = max(0.02, 1.5 * rtt) if rtt else 0.05
        out: list[int] = []
        for seq, (first, ask_at, asked) in list(self.missing.items()):
            if asked >= self.tries or now - first > self.max_age:
                del self.missing[seq]
            elif ask_at <= now:
                out.append(seq)
                self.missing[seq] = (first, now + again, asked + 1)
        return out


class Source:
    """One publisher's audio or video track at the relay."""

    def __init__(self, key: str, ssrc: int, fmt: SourceFormat, *, gop_limit: int = 64) -> None:
        self.key, self.ssrc, self.format = key, ssrc, fmt
        self.unwrapper = SeqUnwrapper()
        self.stats = ReceiveStats(ssrc, fmt.clock_rate)
        self.nacks = NackTracker()
        self.gop = GopCache(gop_limit)
        self.rate = Rate()
        self.bytes_received = 0
        self.clock: tuple[float, int] | None = None  # (sender's unix time, RTP timestamp) from its last SR
        self.remb: int | None = None
        self.broken = False  # a gap too large to repair: the next viewer needs a fresh keyframe
        self._recent: dict[int, int] = {}
        self._loudness = 0.0
        self._loud_samples = 0

    @property
    def video(self) -> bool:
        return self.format.kind == "video"

    def receive(self, packet: RtpPacket, now: float) -> MediaPacket | None:
        """The packet as legs forward it, or None for a duplicate or an unreadable payload."""
        ext = self.unwrapper.unwrap(packet.sequence_number)
        slot = ext % 2048
        if self._recent.get(slot) == ext:
            return None
        self._recent[slot] = ext
        self.stats.add(packet.sequence_number, packet.timestamp, now)
        self.bytes_received += len(packet.payload) + 12
        if self.nacks.received(ext, now) and self.video:
            self.broken = True
        media = self._read(packet, ext, now)
        if media is not None and self.video:
            if media.keyframe:
                self.broken = False
            self.gop.add(media)
        return media

    def _read(self, packet: RtpPacket, ext: int, now: float) -> MediaPacket | None:
        start = key = False
        vp8: Vp8Info | None = None
        level: tuple[bool, int] | None = None
        codec = self.format.codec
        try:
            if codec == "VP8" and packet.payload:
                vp8 = parse_vp8(packet.payload)
                start, key = vp8.frame_start, vp8.keyframe
            elif codec == "H264":
                key = h264_keyframe(packet.payload)
                start = key
            else:
                start = True
            if self.format.audio_level_ext is not None and packet.extension_profile is not None:
                value = parse_extensions(packet.extension_profile, packet.extension).get(
                    self.format.audio_level_ext
                )
                level = audio_level(value) if value else None
        except ParseError:
            return None
        if level is not None:
            self._loudness += 127 - level[1]
            self._loud_samples += 1
        return MediaPacket(
            seq=packet.sequence_number,
            ext_seq=ext,
            timestamp=packet.timestamp,
            marker=packet.marker,
            payload=packet.payload,
            frame_start=start,
            keyframe=key,
            vp8=vp8,
            level=level,
            arrival=now,
        )

    def sender_report(self, sr: RtcpSr, now: float) -> None:
        self.stats.sender_report(sr.ntp_timestamp, now)
        self.clock = (sr.ntp_timestamp / (1 << 32) - NTP_UNIX_OFFSET, sr.rtp_timestamp)

    def take_loudness(self) -> float | None:
        """Mean loudness (127 minus -dBov: higher is louder) since the last call, or None when unknown."""
        if not self._loud_samples:
            return None
        mean = self._loudness / self._loud_samples
        self._loudness, self._loud_samples = 0.0, 0
        return mean

    def start_packets(self) -> tuple[list[MediaPacket], bool]:
        """What a leg starting on this source sends first, and whether it may go on from there."""
        if not self.video:
            return [], True
        if self.broken or not self.gop.ready:
            return [], False
        return list(self.gop.packets), self.gop.complete
