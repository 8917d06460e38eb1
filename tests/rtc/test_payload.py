"""VP8 payload descriptors, H.264 keyframes and audio levels, read without decoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtc.payload import Vp8Info, audio_level, h264_keyframe, parse_vp8, rewrite_vp8_descriptor
from rtc.rtp import ParseError
from tests.rtc.media import vp8_payload


@given(
    st.booleans(),
    st.booleans(),
    st.none() | st.integers(0, 32767),
    st.none() | st.integers(0, 255),
    st.binary(max_size=20),
)
def test_vp8_descriptor_fields(start: bool, key: bool, pid: int | None, tl0: int | None, body: bytes) -> None:
    payload = vp8_payload(start, key, pid, body, tl0)
    info = parse_vp8(payload)
    assert info.frame_start is start
    assert info.keyframe is (start and key)
    assert info.picture_id == pid and info.tl0picidx == tl0
    assert payload[info.header_size + (1 if start else 0) :] == body


def rewrite_vp8(payload: bytes, info: Vp8Info, pid: int, tl0: int) -> bytes:
    return rewrite_vp8_descriptor(payload, info, pid, tl0) + payload[info.header_size :]


@given(st.integers(0, 32767), st.integers(0, 32767), st.integers(0, 255), st.integers(0, 255))
def test_vp8_rewrite_keeps_length_and_everything_else(pid: int, new_pid: int, tl0: int, new_tl0: int) -> None:
    payload = vp8_payload(True, True, pid, b"frame", tl0)
    out = rewrite_vp8(payload, parse_vp8(payload), new_pid, new_tl0)
    assert len(out) == len(payload)
    again = parse_vp8(out)
    assert (again.picture_id, again.tl0picidx, again.keyframe) == (new_pid, new_tl0, True)
    assert out[again.header_size :] == payload[again.header_size :]


def test_vp8_short_picture_id_and_plain_descriptor() -> None:
    seven_bit = bytes([0x90, 0x80, 0x05, 0x00]) + b"k"
    info = parse_vp8(seven_bit)
    assert (info.picture_id, info.picture_id_bits, info.keyframe) == (5, 7, True)
    assert parse_vp8(rewrite_vp8(seven_bit, info, 300, 0)).picture_id == 300 % 128
    plain = bytes([0x10, 0x01]) + b"delta"
    assert rewrite_vp8(plain, parse_vp8(plain), 9, 9) == plain
    assert not parse_vp8(plain).keyframe
    assert not parse_vp8(bytes([0x11, 0x00])).frame_start  # partition 1 is not a frame start


@pytest.mark.parametrize("bad", [b"", b"\x80", b"\x80\x80", b"\x80\x80\x80", b"\x80\x40"])
def test_vp8_truncated_descriptors_are_refused(bad: bytes) -> None:
    with pytest.raises(ParseError):
        parse_vp8(bad)


def test_h264_keyframes() -> None:
    assert h264_keyframe(bytes([0x65, 0x88]))  # IDR slice
    assert h264_keyframe(bytes([0x67, 0x42]))  # SPS
    assert not h264_keyframe(bytes([0x41, 0x9A]))  # non-IDR slice
    assert h264_keyframe(bytes([0x7C, 0x85]))  # FU-A start of an IDR
    assert not h264_keyframe(bytes([0x7C, 0x05]))  # FU-A continuation
    stap = bytes([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE])
    assert h264_keyframe(stap)
    assert not h264_keyframe(bytes([0x78, 0x00, 0x09, 0x41]))  # truncated STAP-A
    assert not h264_keyframe(b"")


def test_audio_level_extension() -> None:
    assert audio_level(bytes([0x80 | 30])) == (True, 30)
    assert audio_level(bytes([127])) == (False, 127)
    assert audio_level(b"") is None
