"""A publisher's track at the relay: duplicates, the keyframe cache, upstream NACKs, reports, loudness."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rtc.rtcp import RtcpSr
from rtc.rtp import RtpPacket
from rtc.source import GopCache, NackTracker, Source, SourceFormat
from rtc.stats import ntp_now
from tests.rtc.media import VideoSender, body_of

VP8 = SourceFormat("video", "VP8", 90000)


def test_a_retransmitted_duplicate_is_dropped_and_a_late_packet_is_kept() -> None:
    sender = VideoSender(ssrc=1, seq=65534, ts=0, picture_id=0, ident=1)
    source = Source("1:video", 1, VP8)
    a, b, c = sender.next_frame()
    assert source.receive(a, 0.0) is not None
    assert source.receive(c, 0.0) is not None  # b is missing: the tracker notes it
    assert list(source.nacks.missing) == [65535]
    late = source.receive(b, 0.01)
    assert late is not None and late.ext_seq == 65535 and not source.nacks.missing
    assert source.receive(b, 0.02) is None  # the retransmission of something we have
    assert source.stats.lost == 0 and source.stats.received == 3


@given(st.lists(st.booleans(), min_size=1, max_size=60), st.integers(3, 40))
def test_the_cache_holds_the_last_keyframe_and_what_follows(keys: list[bool], limit: int) -> None:
    sender = VideoSender(ssrc=1, seq=100, ts=0, picture_id=0, ident=1, gop=10**6)
    cache = GopCache(limit)
    source = Source("1:video", 1, VP8)
    last_key: int | None = None
    since: list[RtpPacket] = []
    for i, key in enumerate(keys):
        frame = sender.next_frame(keyframe=key or i == 0)
        if key or i == 0:
            last_key, since = i, []
        since += frame
        for p in frame:
            media = source.receive(p, 0.0)
            assert media is not None
            cache.add(media)
    assert cache.ready and last_key is not None
    frames = [body_of(p.payload)[1] for p in cache.packets]
    assert frames[0] == last_key and cache.packets[0].keyframe
    if len(since) <= limit:
        assert cache.complete and [m.seq for m in cache.packets] == [p.sequence_number for p in since]
    else:
        assert not cache.complete and set(frames) == {last_key}


def test_nack_tracker_asks_again_then_gives_up() -> None:
    nacks = NackTracker(tries=3, max_age=1.0)
    nacks.received(10, 0.0)
    assert not nacks.received(14, 0.0)
    assert nacks.due(0.0, None) == [11, 12, 13]
    assert nacks.due(0.01, None) == []  # not before the retry interval
    nacks.received(12, 0.02)
    assert nacks.due(0.1, None) == [11, 13]
    assert nacks.due(0.2, 0.01) == [11, 13]
    assert nacks.due(0.3, None) == []  # asked three times: given up
    assert not nacks.missing
    assert nacks.received(1000, 0.4)  # a gap too wide to repair: ask for a keyframe instead


def test_a_gap_too_wide_marks_the_source_broken_until_the_next_keyframe() -> None:
    sender = VideoSender(ssrc=1, seq=0, ts=0, picture_id=0, ident=1, gop=10**6)
    source = Source("1:video", 1, VP8)
    for p in sender.next_frame():
        source.receive(p, 0.0)
    assert source.start_packets()[1]
    for _ in range(200):
        sender.next_frame()  # lost on the way
    for p in sender.next_frame():
        source.receive(p, 1.0)
    assert source.broken and source.start_packets() == ([], False)
    for p in sender.next_frame(keyframe=True):
        source.receive(p, 1.1)
    assert not source.broken and source.start_packets()[0][0].keyframe


def test_sender_report_gives_the_clock_and_loudness_is_averaged() -> None:
    opus = Source("1:audio", 5, SourceFormat("audio", "opus", 48000, audio_level_ext=1))
    opus.sender_report(RtcpSr(5, ntp_now(1234.5), 777, 1, 1), 1234.6)
    assert opus.clock is not None and abs(opus.clock[0] - 1234.5) < 1e-6 and opus.clock[1] == 777
    assert opus.stats.last_sr_at == 1234.6
    assert opus.take_loudness() is None
    for i, level in enumerate((20, 40)):
        ext = bytes([0x10, level, 0, 0])
        opus.receive(
            RtpPacket(111, i, i * 960, 5, extension_profile=0xBEDE, extension=ext, payload=b"o"), 0.0
        )
    assert opus.take_loudness() == 127 - 30
    assert opus.take_loudness() is None
    assert opus.start_packets() == ([], True)  # audio starts anywhere
