"""What the relay reads inside RTP payloads, without decoding: VP8's payload descriptor (RFC 7741) for frame
starts, keyframes and picture ids; H.264's NAL unit types (RFC 6184) for keyframes; the audio level header
extension (RFC 6464). Opus needs nothing: every Opus packet decodes on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtc.rtp import ParseError


@dataclass(frozen=True, slots=True)
class Vp8Info:
    """The fields of one VP8 payload descriptor that the relay uses, and where they sit."""

    frame_start: bool  # S=1 and partition 0: the first packet of a frame
    keyframe: bool  # a frame start whose VP8 payload header says "key frame"
    picture_id: int | None
    picture_id_bits: int  # 0 (absent), 7 or 15
    picture_id_at: int
    tl0picidx: int | None
    tl0picidx_at: int
    header_size: int


def parse_vp8(payload: bytes) -> Vp8Info:
    if not payload:
        raise ParseError("empty VP8 payload")
    b0 = payload[0]
    pos = 1
    picture_id: int | None = None
    bits = 0
    pid_at = tl0_at = 0
    tl0: int | None = None
    if b0 & 0x80:  # X: extension byte follows
        if len(payload) < 2:
            raise ParseError("VP8 descriptor truncated after X")
        x = payload[1]
        pos = 2
        if x & 0x80:  # I: picture id
            if len(payload) <= pos:
                raise ParseError("VP8 descriptor truncated in PictureID")
            pid_at = pos
            if payload[pos] & 0x80:
                if len(payload) <= pos + 1:
                    raise ParseError("VP8 descriptor truncated in long PictureID")
                picture_id, bits = ((payload[pos] & 0x7F) << 8) | payload[pos + 1], 15
                pos += 2
            else:
                picture_id, bits = payload[pos], 7
                pos += 1
        if x & 0x40:  # L: TL0PICIDX
            if len(payload) <= pos:
                raise ParseError("VP8 descriptor truncated in TL0PICIDX")
            tl0, tl0_at = payload[pos], pos
            pos += 1
        if x & 0x30:  # T or K: TID/Y/KEYIDX
            pos += 1
    if len(payload) < pos:
        raise ParseError("VP8 descriptor truncated")
    start = bool(b0 & 0x10) and (b0 & 0x07) == 0
    keyframe = start and len(payload) > pos and not payload[pos] & 0x01
    return Vp8Info(start, keyframe, picture_id, bits, pid_at, tl0, tl0_at, pos)


def rewrite_vp8_descriptor(payload: bytes, info: Vp8Info, picture_id: int, tl0picidx: int) -> bytes:
    """The payload descriptor (``payload[:info.header_size]``) with its picture id and TL0PICIDX replaced.

    The widths stay, so the descriptor keeps its length and the rest of the payload follows it unchanged:
    a leg sends this and ``payload[info.header_size:]`` without copying the payload itself.
    """
    out = bytearray(payload[: info.header_size])
    if info.picture_id_bits == 15:
        out[info.picture_id_at] = 0x80 | (picture_id >> 8) & 0x7F
        out[info.picture_id_at + 1] = picture_id & 0xFF
    elif info.picture_id_bits == 7:
        out[info.picture_id_at] = picture_id & 0x7F
    if info.tl0picidx is not None:
        out[info.tl0picidx_at] = tl0picidx & 0xFF
    return bytes(out)


H264_IDR, H264_SPS, H264_STAP_A, H264_FU_A = 5, 7, 24, 28


def h264_keyframe(payload: bytes) -> bool:
    """Whether the packet carries (the start of) an IDR picture or a sequence parameter set."""
    if not payload:
        return False
    nal = payload[0] & 0x1F
    if nal in (H264_IDR, H264_SPS):
        return True
    if nal == H264_FU_A:
        return len(payload) > 1 and bool(payload[1] & 0x80) and payload[1] & 0x1F == H264_IDR
    if nal == H264_STAP_A:
        pos = 1
        while pos + 2 < len(payload):
            size = int.from_bytes(payload[pos : pos + 2], "big")
            if size == 0 or pos + 2 + size > len(payload):
                return False
            if payload[pos + 2] & 0x1F in (H264_IDR, H264_SPS):
                return True
            pos += 2 + size
    return False


def audio_level(value: bytes) -> tuple[bool, int] | None:
    """The ssrc-audio-level extension: (voice activity, level in -dBov 0..127, 127 being silence)."""
    if not value:
        return None
    return bool(value[0] & 0x80), value[0] & 0x7F
