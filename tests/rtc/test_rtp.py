"""RTP and RTCP values: every parse serialises back to the same bytes, and what we build parses back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtc.rtcp import (
    FirEntry,
    ReportBlock,
    RtcpBye,
    RtcpFir,
    RtcpNack,
    RtcpOther,
    RtcpPli,
    RtcpRemb,
    RtcpRr,
    RtcpSr,
    is_rtcp,
    parse_rtcp,
    serialize_rtcp,
)
from rtc.rtp import (
    ParseError,
    RtpPacket,
    SeqUnwrapper,
    abs_send_time,
    pack_extensions,
    parse_extensions,
    seq_diff,
    ts_diff,
    unwrap_rtx,
)

u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


@st.composite
def rtp_packets(draw: st.DrawFn) -> RtpPacket:
    profile = draw(st.none() | st.sampled_from([0xBEDE, 0x1000, 0x1003, 0x1234]))
    words = draw(st.integers(0, 4)) if profile is not None else 0
    padding = b""
    if draw(st.booleans()):
        n = draw(st.integers(1, 8))
        padding = draw(st.binary(min_size=n - 1, max_size=n - 1)) + bytes([n])
    return RtpPacket(
        payload_type=draw(st.integers(0, 127)),
        sequence_number=draw(u16),
        timestamp=draw(u32),
        ssrc=draw(u32),
        marker=draw(st.booleans()),
        csrc=tuple(draw(st.lists(u32, max_size=15))),
        extension_profile=profile,
        extension=draw(st.binary(min_size=4 * words, max_size=4 * words)),
        payload=draw(st.binary(max_size=200)),
        padding=padding,
    )


@given(rtp_packets())
def test_rtp_round_trip(packet: RtpPacket) -> None:
    data = bytes(packet)
    assert RtpPacket.parse(data) == packet
    assert bytes(RtpPacket.parse(data)) == data
    if is_rtcp(data):  # RFC 5761: why WebRTC never uses payload types 64-95
        assert packet.marker and 64 <= packet.payload_type <= 95


@given(st.binary(max_size=120))
def test_rtp_parse_of_any_bytes_round_trips_or_refuses(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except ParseError:
        return
    assert bytes(packet) == data


def test_rtp_refuses_truncated_and_foreign_packets() -> None:
    good = bytes(RtpPacket(96, 1, 2, 3, payload=b"x"))
    with pytest.raises(ParseError, match="shorter"):
        RtpPacket.parse(good[:11])
    with pytest.raises(ParseError, match="version"):
        RtpPacket.parse(bytes([0x40]) + good[1:])
    with pytest.raises(ParseError, match="padding"):
        RtpPacket.parse(bytes([good[0] | 0x20]) + good[1:-1] + b"\x09")


@given(st.lists(st.tuples(st.integers(1, 14), st.binary(min_size=1, max_size=16)), unique_by=lambda e: e[0]))
def test_one_byte_extensions_round_trip(elements: list[tuple[int, bytes]]) -> None:
    profile, body = pack_extensions(elements)
    if not elements:
        assert profile is None
        return
    assert profile == 0xBEDE and len(body) % 4 == 0
    assert parse_extensions(profile, body) == dict(elements)


@given(st.lists(st.tuples(st.integers(1, 255), st.binary(max_size=40)), unique_by=lambda e: e[0], min_size=1))
def test_two_byte_extensions_round_trip(elements: list[tuple[int, bytes]]) -> None:
    profile, body = pack_extensions(elements)
    assert profile is not None
    assert parse_extensions(profile, body) == dict(elements)


report_blocks = st.builds(
    ReportBlock,
    ssrc=u32,
    fraction_lost=u8,
    packets_lost=st.integers(-(1 << 23), (1 << 23) - 1),
    highest_sequence=u32,
    jitter=u32,
    lsr=u32,
    dlsr=u32,
)
words = st.integers(0, 3).map(lambda n: n * 4).flatmap(lambda n: st.binary(min_size=n, max_size=n))
rtcp_packets = st.one_of(
    st.builds(
        RtcpSr, u32, st.integers(0, 2**64 - 1), u32, u32, u32, st.lists(report_blocks, max_size=3), words
    ),
    st.builds(RtcpRr, u32, st.lists(report_blocks, max_size=3), words),
    st.builds(RtcpNack, u32, u32, st.lists(st.tuples(u16, u16), max_size=5)),
    st.builds(RtcpPli, u32, u32),
    st.builds(
        RtcpFir, u32, u32, st.lists(st.builds(FirEntry, u32, u8, st.integers(0, 2**24 - 1)), max_size=3)
    ),
    st.builds(RtcpRemb, u32, st.integers(0, 63), st.integers(0, 2**18 - 1), st.lists(u32, max_size=4), u32),
    st.builds(RtcpBye, st.lists(u32, max_size=3), words),
    st.builds(RtcpOther, st.sampled_from([202, 204, 207]), st.integers(0, 31), words),
)


@given(st.lists(rtcp_packets, min_size=1, max_size=5))
def test_rtcp_compound_round_trip(packets: list[object]) -> None:
    data = serialize_rtcp(packets)  # type: ignore[arg-type]
    assert is_rtcp(data)
    parsed = parse_rtcp(data)
    assert parsed == packets
    assert serialize_rtcp(parsed) == data


@given(st.binary(min_size=1, max_size=160))
def test_rtcp_parse_of_any_bytes_round_trips_or_refuses(data: bytes) -> None:
    try:
        packets = parse_rtcp(data)
    except ParseError:
        return
    assert serialize_rtcp(packets) == data


@given(st.integers(0, 0xFFFF), st.sets(st.integers(0, 200), max_size=40))
def test_nack_names_exactly_the_lost_packets(base: int, offsets: set[int]) -> None:
    lost = {(base + o) % 65536 for o in offsets}
    nack = RtcpNack.for_lost(1, 2, lost)
    assert set(nack.lost) == lost
    assert len(nack.lost) == len(lost)
    assert parse_rtcp(bytes(nack)) == [nack]


@given(st.integers(0, 10**10))
def test_remb_keeps_18_significant_bits(bitrate: int) -> None:
    remb = RtcpRemb.for_bitrate(1, bitrate, [5, 6])
    assert remb.bitrate <= bitrate
    assert bitrate - remb.bitrate < max(1, bitrate >> 17)
    assert parse_rtcp(bytes(remb)) == [remb]


def test_known_packets_from_the_wire() -> None:
    pli = bytes.fromhex("81ce00020000000100000002")
    assert parse_rtcp(pli) == [RtcpPli(1, 2)]
    remb = bytes.fromhex("8fce0005000000010000000052454d420107a1200000000a")
    (parsed,) = parse_rtcp(remb)
    assert isinstance(parsed, RtcpRemb) and parsed.bitrate == 0x3A120 << 1 and parsed.ssrcs == [10]


@given(u16, st.integers(-30000, 30000))
def test_sequence_and_timestamp_arithmetic_wraps(a: int, d: int) -> None:
    assert seq_diff((a + d) % 65536, a) == d
    assert ts_diff((a * 65536 + d) % 2**32, a * 65536) == d


@given(u16, st.lists(st.integers(-50, 200), max_size=300))
def test_unwrapper_follows_the_stream_across_wrap(start: int, steps: list[int]) -> None:
    unwrap = SeqUnwrapper()
    true = start
    assert unwrap.unwrap(start) == start
    highest = start
    for step in steps:
        true = max(true + step, highest - 1000)
        highest = max(highest, true)
        assert unwrap.unwrap(true % 65536) == true


def test_rtx_unwraps_to_the_original_packet() -> None:
    original = RtpPacket(97, 1234, 99, 7, marker=True, payload=b"\x10media")
    rtx = RtpPacket(98, 1, 99, 8, marker=True, payload=(1234).to_bytes(2, "big") + original.payload)
    assert unwrap_rtx(rtx, 97, 7) == original
    with pytest.raises(ParseError):
        unwrap_rtx(RtpPacket(98, 1, 99, 8, payload=b"\x01"), 97, 7)


def test_abs_send_time_is_six_dot_eighteen_seconds() -> None:
    a, b = abs_send_time(1000.0), abs_send_time(1000.5)
    assert (int.from_bytes(b, "big") - int.from_bytes(a, "big")) % (1 << 24) == 1 << 17
