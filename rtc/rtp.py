"""RTP (RFC 3550, RFC 8285 header extensions, RFC 4588 retransmission), as plain values.

No I/O and no aiortc: ``parse`` turns bytes into a value and ``bytes(value)`` gives the same bytes back
(``bytes(RtpPacket.parse(x)) == x``), so the relay can rewrite a header and keep everything else untouched.
Sequence numbers and timestamps are unsigned 16 and 32 bit counters; the helpers at the end compare them
across wrap-around. Codec payload formats (VP8, Opus) live in ``rtc/payload.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

RTP_VERSION = 2
ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE = 0x1000  # the low 4 bits ("appbits") may be anything


_HEADER = struct.Struct("!BBHII")


class ParseError(ValueError):
    """Bytes that are not a well-formed RTP or RTCP packet (the relay drops them)."""


# ---------------------------------------------------------------------------------------------- RTP


@dataclass(slots=True)
class RtpPacket:
    """One RTP packet. ``extension`` is the raw extension block body (see ``parse_extensions``)."""

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension_profile: int | None = None
    extension: bytes = b""
    payload: bytes = b""
    padding: bytes = b""  # the padding bytes, the last one holding their count

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < 12:
            raise ParseError(f"RTP packet of {len(data)} bytes is shorter than its header")
        b0, b1, seq, ts, ssrc = _HEADER.unpack_from(data)
        if b0 >> 6 != RTP_VERSION:
            raise ParseError(f"RTP version {b0 >> 6}, expected 2")
        pos = 12
        cc = b0 & 0x0F
        if len(data) < pos + 4 * cc:
            raise ParseError("RTP packet truncated in its CSRC list")
        csrc = struct.unpack_from(f"!{cc}I", data, pos) if cc else ()
        pos += 4 * cc
        profile: int | None = None
        extension = b""
        if b0 & 0x10:
            if len(data) < pos + 4:
                raise ParseError("RTP packet truncated in its extension header")
            profile, words = struct.unpack_from("!HH", data, pos)
            pos += 4
            if len(data) < pos + 4 * words:
                raise ParseError("RTP packet truncated in its extension")
            extension = bytes(data[pos : pos + 4 * words])
            pos += 4 * words
        end = len(data)
        padding = b""
        if b0 & 0x20:
            count = data[-1]
            if count == 0 or end - pos < count:
                raise ParseError(f"RTP padding of {count} bytes does not fit the packet")
            padding = bytes(data[end - count :])
            end -= count
        return cls(
            payload_type=b1 & 0x7F,
            sequence_number=seq,
            timestamp=ts,
            ssrc=ssrc,
            marker=bool(b1 & 0x80),
            csrc=tuple(csrc),
            extension_profile=profile,
            extension=extension,
            payload=bytes(data[pos:end]),
            padding=padding,
        )

    def header(self) -> bytes:
        """Everything before the payload."""
        if len(self.csrc) > 15:
            raise ValueError("an RTP packet carries at most 15 CSRCs")
        if len(self.extension) % 4:
            raise ValueError("the RTP extension body must be a whole number of 32-bit words")
        b0 = (RTP_VERSION << 6) | (0x20 if self.padding else 0) | len(self.csrc)
        if self.extension_profile is not None:
            b0 |= 0x10
        b1 = (0x80 if self.marker else 0) | self.payload_type
        head = _HEADER.pack(b0, b1, self.sequence_number, self.timestamp, self.ssrc)
        if self.csrc:
            head += struct.pack(f"!{len(self.csrc)}I", *self.csrc)
        if self.extension_profile is not None:
            head += struct.pack("!HH", self.extension_profile, len(self.extension) // 4) + self.extension
        return head

    def __bytes__(self) -> bytes:
        return self.header() + self.payload + self.padding

    @property
    def padding_only(self) -> bool:
        return not self.payload


def parse_extensions(profile: int | None, body: bytes) -> dict[int, bytes]:
    """The header extension elements by id (RFC 8285): one-byte (0xBEDE) or two-byte (0x100X) form."""
    found: dict[int, bytes] = {}
    if profile == ONE_BYTE_PROFILE:
        pos = 0
        while pos < len(body):
            b = body[pos]
            if b == 0:  # padding
                pos += 1
                continue
            ident, length = b >> 4, (b & 0x0F) + 1
            if ident == 15:  # reserved: stop parsing
                break
            if pos + 1 + length > len(body):
                raise ParseError("RTP header extension element overruns its block")
            found[ident] = body[pos + 1 : pos + 1 + length]
            pos += 1 + length
    elif profile is not None and profile & 0xFFF0 == TWO_BYTE_PROFILE:
        pos = 0
        while pos < len(body):
            ident = body[pos]
            if ident == 0:
                pos += 1
                continue
            if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
                raise ParseError("RTP header extension element overruns its block")
            length = body[pos + 1]
            found[ident] = body[pos + 2 : pos + 2 + length]
            pos += 2 + length
    return found


def pack_extensions(elements: Iterable[tuple[int, bytes]]) -> tuple[int | None, bytes]:
    """A header extension block for the elements: one-byte form when every element allows it."""
    items = [(i, v) for i, v in elements]
    if not items:
        return None, b""
    if all(1 <= i <= 14 and 1 <= len(v) <= 16 for i, v in items):
        body = b"".join(bytes([(i << 4) | (len(v) - 1)]) + v for i, v in items)
        profile = ONE_BYTE_PROFILE
    else:
        if not all(1 <= i <= 255 and len(v) <= 255 for i, v in items):
            raise ValueError("header extension id or length out of range")
        body = b"".join(bytes([i, len(v)]) + v for i, v in items)
        profile = TWO_BYTE_PROFILE
    return profile, body + b"\x00" * (-len(body) % 4)


def unwrap_rtx(packet: RtpPacket, payload_type: int, ssrc: int) -> RtpPacket:
    """The original packet carried inside a retransmission (RFC 4588: OSN, then the payload)."""
    if len(packet.payload) < 2:
        raise ParseError("RTX packet without its original sequence number")
    (osn,) = struct.unpack_from("!H", packet.payload)
    return RtpPacket(
        payload_type=payload_type,
        sequence_number=osn,
        timestamp=packet.timestamp,
        ssrc=ssrc,
        marker=packet.marker,
        csrc=packet.csrc,
        extension_profile=packet.extension_profile,
        extension=packet.extension,
        payload=packet.payload[2:],
    )


# ------------------------------------------------------------------------------- counters and clocks


def seq_diff(a: int, b: int) -> int:
    """``a - b`` for 16-bit sequence numbers, in -32768..32767."""
    return (a - b + 32768) % 65536 - 32768


def ts_diff(a: int, b: int) -> int:
    """``a - b`` for 32-bit RTP timestamps, signed."""
    return (a - b + (1 << 31)) % (1 << 32) - (1 << 31)


class SeqUnwrapper:
    """Extends 16-bit sequence numbers to a growing integer, accepting reordering within half the space."""

    def __init__(self) -> None:
        self.highest: int | None = None

    def unwrap(self, seq: int) -> int:
        if self.highest is None:
            self.highest = seq
            return seq
        ext = self.highest + seq_diff(seq, self.highest % 65536)
        self.highest = max(self.highest, ext)
        return ext


def ntp_from_seconds(seconds: float) -> int:
    """A 64-bit NTP timestamp from seconds since 1900."""
    return int(seconds * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp: the LSR field of a report block."""
    return (ntp >> 16) & 0xFFFFFFFF


NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900 to 1970


def abs_send_time(unix_seconds: float) -> bytes:
    """The abs-send-time header extension value: 6.18 fixed point seconds, 24 bits."""
    value = int((unix_seconds + NTP_EPOCH_OFFSET) * (1 << 18)) & 0xFFFFFF
    return value.to_bytes(3, "big")
