"""The RTCP the relay speaks (RFC 3550, 4585, 5104, REMB draft), as plain values.

Reports (SR, RR), feedback (generic NACK, PLI, FIR, REMB) and BYE are parsed into fields; anything else
(SDES, APP, XR, padded packets) is carried through unchanged as ``RtcpOther``.
``serialize_rtcp(parse_rtcp(x)) == x``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from rtc.rtp import RTP_VERSION, ParseError

RTCP_SR, RTCP_RR, RTCP_SDES, RTCP_BYE, RTCP_APP, RTCP_RTPFB, RTCP_PSFB = 200, 201, 202, 203, 204, 205, 206
FMT_NACK = 1  # RTPFB: generic NACK
FMT_PLI, FMT_FIR, FMT_AFB = 1, 4, 15  # PSFB: picture loss, full intra request, application (REMB)
REMB_ID = b"REMB"

_RTCP_HEADER = struct.Struct("!BBH")
_REPORT = struct.Struct("!IB3sIIII")


@dataclass(slots=True)
class ReportBlock:
    """Reception report (RFC 3550 §6.4.1). ``packets_lost`` is the signed 24-bit cumulative count."""

    ssrc: int
    fraction_lost: int = 0
    packets_lost: int = 0
    highest_sequence: int = 0
    jitter: int = 0
    lsr: int = 0
    dlsr: int = 0

    SIZE: ClassVar[int] = 24

    @classmethod
    def parse(cls, data: bytes, pos: int) -> ReportBlock:
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _REPORT.unpack_from(data, pos)
        return cls(ssrc, fraction, int.from_bytes(lost, "big", signed=True), highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        lost = max(-(1 << 23), min(self.packets_lost, (1 << 23) - 1)).to_bytes(3, "big", signed=True)
        return _REPORT.pack(
            self.ssrc, self.fraction_lost, lost, self.highest_sequence, self.jitter, self.lsr, self.dlsr
        )


def _rtcp_header(packet_type: int, count: int, body: bytes) -> bytes:
    if len(body) % 4:
        raise ValueError("an RTCP body must be a whole number of 32-bit words")
    return _RTCP_HEADER.pack(0x80 | count, packet_type, len(body) // 4) + body


@dataclass(slots=True)
class RtcpSr:
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: list[ReportBlock] = field(default_factory=list)
    extension: bytes = b""  # profile-specific extension, kept as is

    def __bytes__(self) -> bytes:
        body = struct.pack(
            "!IQIII", self.ssrc, self.ntp_timestamp, self.rtp_timestamp, self.packet_count, self.octet_count
        )
        body += b"".join(bytes(r) for r in self.reports) + self.extension
        return _rtcp_header(RTCP_SR, len(self.reports), body)


@dataclass(slots=True)
class RtcpRr:
    ssrc: int
    reports: list[ReportBlock] = field(default_factory=list)
    extension: bytes = b""

    def __bytes__(self) -> bytes:
        body = struct.pack("!I", self.ssrc) + b"".join(bytes(r) for r in self.reports) + self.extension
        return _rtcp_header(RTCP_RR, len(self.reports), body)


@dataclass(slots=True)
class RtcpNack:
    """Generic NACK: each (pid, blp) pair names packet ``pid`` and the 16 after it that ``blp`` flags."""

    sender_ssrc: int
    media_ssrc: int
    pairs: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def for_lost(cls, sender_ssrc: int, media_ssrc: int, lost: Iterable[int]) -> RtcpNack:
        pairs: list[tuple[int, int]] = []
        for seq in sorted(set(lost)):
            if pairs and 0 < (seq - pairs[-1][0]) % 65536 <= 16:
                pid, blp = pairs[-1]
                pairs[-1] = (pid, blp | 1 << ((seq - pid) % 65536 - 1))
            else:
                pairs.append((seq, 0))
        return cls(sender_ssrc, media_ssrc, pairs)

    @property
    def lost(self) -> list[int]:
        out: list[int] = []
        for pid, blp in self.pairs:
            out.append(pid)
            out.extend((pid + 1 + bit) % 65536 for bit in range(16) if blp >> bit & 1)
        return out

    def __bytes__(self) -> bytes:
        body = struct.pack("!II", self.sender_ssrc, self.media_ssrc)
        body += b"".join(struct.pack("!HH", pid, blp) for pid, blp in self.pairs)
        return _rtcp_header(RTCP_RTPFB, FMT_NACK, body)


@dataclass(slots=True)
class RtcpPli:
    sender_ssrc: int
    media_ssrc: int

    def __bytes__(self) -> bytes:
        return _rtcp_header(RTCP_PSFB, FMT_PLI, struct.pack("!II", self.sender_ssrc, self.media_ssrc))


@dataclass(slots=True)
class FirEntry:
    ssrc: int
    sequence: int
    reserved: int = 0  # 24 bits that must be zero; kept so a parsed packet serialises unchanged


@dataclass(slots=True)
class RtcpFir:
    sender_ssrc: int
    media_ssrc: int = 0
    entries: list[FirEntry] = field(default_factory=list)

    def __bytes__(self) -> bytes:
        body = struct.pack("!II", self.sender_ssrc, self.media_ssrc)
        body += b"".join(
            struct.pack("!IB", e.ssrc, e.sequence) + e.reserved.to_bytes(3, "big") for e in self.entries
        )
        return _rtcp_header(RTCP_PSFB, FMT_FIR, body)


@dataclass(slots=True)
class RtcpRemb:
    """Receiver estimated maximum bitrate: ``mantissa * 2**exponent`` bits per second for ``ssrcs``."""

    sender_ssrc: int
    exponent: int
    mantissa: int
    ssrcs: list[int] = field(default_factory=list)
    media_ssrc: int = 0

    @classmethod
    def for_bitrate(cls, sender_ssrc: int, bitrate: int, ssrcs: list[int]) -> RtcpRemb:
        exponent, mantissa = 0, max(0, int(bitrate))
        while mantissa >= 1 << 18:
            mantissa >>= 1
            exponent += 1
        return cls(sender_ssrc, min(exponent, 63), mantissa, list(ssrcs))

    @property
    def bitrate(self) -> int:
        return self.mantissa << self.exponent

    def __bytes__(self) -> bytes:
        if len(self.ssrcs) > 255:
            raise ValueError("a REMB names at most 255 SSRCs")
        body = struct.pack("!II", self.sender_ssrc, self.media_ssrc) + REMB_ID
        b1 = (self.exponent << 2) | self.mantissa >> 16
        body += struct.pack("!BBH", len(self.ssrcs), b1, self.mantissa & 0xFFFF)
        body += b"".join(struct.pack("!I", s) for s in self.ssrcs)
        return _rtcp_header(RTCP_PSFB, FMT_AFB, body)


@dataclass(slots=True)
class RtcpBye:
    sources: list[int] = field(default_factory=list)
    reason: bytes = b""  # the length-prefixed reason and its padding, kept as is

    def __bytes__(self) -> bytes:
        body = b"".join(struct.pack("!I", s) for s in self.sources) + self.reason
        return _rtcp_header(RTCP_BYE, len(self.sources), body)


@dataclass(slots=True)
class RtcpOther:
    """Any other RTCP packet (SDES, APP, XR, padded ones, other feedback), carried through unchanged."""

    packet_type: int
    count: int
    body: bytes
    padded: bool = False

    def __bytes__(self) -> bytes:
        b0 = 0x80 | (0x20 if self.padded else 0) | self.count
        return _RTCP_HEADER.pack(b0, self.packet_type, len(self.body) // 4) + self.body


RtcpPacket = RtcpSr | RtcpRr | RtcpNack | RtcpPli | RtcpFir | RtcpRemb | RtcpBye | RtcpOther


def _parse_one(packet_type: int, count: int, body: bytes, padded: bool) -> RtcpPacket:
    other = RtcpOther(packet_type, count, body, padded)
    if padded:
        return other
    if packet_type in (RTCP_SR, RTCP_RR):
        fixed = 24 if packet_type == RTCP_SR else 4
        if len(body) < fixed + count * ReportBlock.SIZE:
            raise ParseError("RTCP report truncated")
        reports = [ReportBlock.parse(body, fixed + i * ReportBlock.SIZE) for i in range(count)]
        extension = body[fixed + count * ReportBlock.SIZE :]
        if packet_type == RTCP_SR:
            ssrc, ntp, rtp_ts, packets, octets = struct.unpack_from("!IQIII", body)
            return RtcpSr(ssrc, ntp, rtp_ts, packets, octets, reports, extension)
        return RtcpRr(struct.unpack_from("!I", body)[0], reports, extension)
    if packet_type == RTCP_BYE:
        if len(body) < 4 * count:
            raise ParseError("RTCP BYE truncated")
        return RtcpBye(list(struct.unpack_from(f"!{count}I", body)), body[4 * count :])
    if packet_type in (RTCP_RTPFB, RTCP_PSFB) and len(body) >= 8:
        sender, media = struct.unpack_from("!II", body)
        fci = body[8:]
        if packet_type == RTCP_RTPFB and count == FMT_NACK:
            return RtcpNack(sender, media, [struct.unpack_from("!HH", fci, i) for i in range(0, len(fci), 4)])
        if packet_type == RTCP_PSFB and count == FMT_PLI and not fci:
            return RtcpPli(sender, media)
        if packet_type == RTCP_PSFB and count == FMT_FIR and len(fci) % 8 == 0:
            entries = [
                FirEntry(fci_ssrc, fci_seq, int.from_bytes(fci[i + 5 : i + 8], "big"))
                for i in range(0, len(fci), 8)
                for fci_ssrc, fci_seq in [struct.unpack_from("!IB", fci, i)]
            ]
            return RtcpFir(sender, media, entries)
        if packet_type == RTCP_PSFB and count == FMT_AFB and fci[:4] == REMB_ID and len(fci) >= 8:
            n, b1, low = struct.unpack_from("!BBH", fci, 4)
            if len(fci) == 8 + 4 * n:
                ssrcs = list(struct.unpack_from(f"!{n}I", fci, 8))
                return RtcpRemb(sender, b1 >> 2, (b1 & 0x03) << 16 | low, ssrcs, media)
    return other


def parse_rtcp(data: bytes) -> list[RtcpPacket]:
    """A compound RTCP packet, in order."""
    packets: list[RtcpPacket] = []
    pos = 0
    if not data:
        raise ParseError("empty RTCP packet")
    while pos < len(data):
        if len(data) - pos < 4:
            raise ParseError("RTCP packet truncated in its header")
        b0, packet_type, words = _RTCP_HEADER.unpack_from(data, pos)
        if b0 >> 6 != RTP_VERSION:
            raise ParseError(f"RTCP version {b0 >> 6}, expected 2")
        end = pos + 4 + 4 * words
        if end > len(data):
            raise ParseError("RTCP packet overruns the datagram")
        padded = bool(b0 & 0x20)
        if padded and (words == 0 or data[end - 1] == 0 or data[end - 1] > 4 * words):
            raise ParseError("RTCP padding does not fit the packet")
        packets.append(_parse_one(packet_type, b0 & 0x1F, bytes(data[pos + 4 : end]), padded))
        pos = end
    return packets


def serialize_rtcp(packets: Iterable[RtcpPacket]) -> bytes:
    return b"".join(bytes(p) for p in packets)


def is_rtcp(data: bytes) -> bool:
    """RTP and RTCP share a port (RFC 5761): RTCP packet types 192-223 sit where RTP has M + PT."""
    return len(data) >= 2 and 192 <= data[1] <= 223
