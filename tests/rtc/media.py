"""Synthetic VP8/Opus packet streams for the pure-core tests (no codec, just well-formed payloads)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtc.rtp import RtpPacket


def vp8_payload(
    start: bool, keyframe: bool, picture_id: int | None, body: bytes, tl0: int | None = None
) -> bytes:
    """A VP8 payload descriptor (RFC 7741), then the VP8 payload header's first byte on a frame start."""
    b0 = 0x10 if start else 0
    ext = 0
    fields = b""
    if picture_id is not None:
        ext |= 0x80
        fields += bytes([0x80 | (picture_id >> 8) & 0x7F, picture_id & 0xFF])
    if tl0 is not None:
        ext |= 0x40
        fields += bytes([tl0])
    head = bytes([b0 | 0x80, ext]) + fields if ext else bytes([b0])
    if start:
        head += bytes([0x00 if keyframe else 0x01])
    return head + body


@dataclass
class VideoSender:
    """A publisher's VP8 stream: frames of ``packets`` packets, a keyframe every ``gop`` frames."""

    ssrc: int
    seq: int
    ts: int
    picture_id: int
    ident: int
    gop: int = 30
    packets: int = 3
    frame: int = 0
    sent: list[RtpPacket] = field(default_factory=list)

    def next_frame(self, keyframe: bool = False) -> list[RtpPacket]:
        key = keyframe or self.frame % self.gop == 0
        out = []
        for i in range(self.packets):
            body = bytes([self.ident]) + self.frame.to_bytes(4, "big") + bytes([i])
            out.append(
                RtpPacket(
                    payload_type=96,
                    sequence_number=self.seq,
                    timestamp=self.ts,
                    ssrc=self.ssrc,
                    marker=i == self.packets - 1,
                    payload=vp8_payload(i == 0, key, self.picture_id, body),
                )
            )
            self.seq = (self.seq + 1) % 65536
        self.ts = (self.ts + 3000) % (1 << 32)
        self.picture_id = (self.picture_id + 1) % 32768
        self.frame += 1
        self.sent += out
        return out


def body_of(payload: bytes) -> tuple[int, int, int]:
    """(ident, frame, packet index) from the end of a ``VideoSender`` payload."""
    tail = payload[-6:]
    return tail[0], int.from_bytes(tail[1:5], "big"), tail[5]
