"""One subscriber leg: a continuous stream for its receiver, whatever the relay switches underneath."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from rtc.leg import Leg, LegFormat, LegState
from rtc.payload import parse_vp8
from rtc.rtp import RtpPacket, abs_send_time, parse_extensions, seq_diff, ts_diff
from rtc.source import MediaPacket, Source, SourceFormat
from tests.rtc.media import VideoSender, body_of

VP8 = SourceFormat("video", "VP8", 90000)
FMT = LegFormat(
    "video", ssrc=0xABCD, payload_type=100, clock_rate=90000, mid="3", mid_ext=1, abs_send_time_ext=3
)


@dataclass
class Step:
    switch_to: int | None  # a source index to switch to before this frame, or None
    keyframe_from: int | None  # a source that sends a keyframe this frame (answering a PLI)


steps = st.lists(
    st.builds(Step, st.none() | st.integers(0, 2), st.none() | st.integers(0, 2)), min_size=1, max_size=80
)


def run(
    script: list[Step], gop: int, gop_limit: int, seeds: tuple[int, int, int]
) -> tuple[Leg, list[RtpPacket], list[int]]:
    senders = [
        VideoSender(
            ssrc=100 + i,
            seq=(seeds[i] * 7919) % 65536,
            ts=seeds[i] * 104729,
            picture_id=seeds[i] % 32768,
            ident=i,
            gop=gop,
        )
        for i in range(3)
    ]
    sources = [Source(f"{i}:video", 100 + i, VP8, gop_limit=gop_limit) for i in range(3)]
    leg = Leg(FMT, seq0=65530, ts0=2**32 - 5000, pid0=32760)
    out: list[bytes] = []
    switches: list[int] = []  # index in ``out`` where each switch began
    now = 1000.0
    for step in script:
        now += 1 / 30
        if step.switch_to is not None and f"{step.switch_to}:video" != leg.source:
            leg.select(f"{step.switch_to}:video")
            switches.append(len(out))
            cached, complete = sources[step.switch_to].start_packets()
            out += leg.start(cached, complete, now)
        for i, sender in enumerate(senders):
            for packet in sender.next_frame(keyframe=step.keyframe_from == i):
                media = sources[i].receive(packet, now)
                assert media is not None
                if leg.source == f"{i}:video":
                    data = leg.forward(media, now)
                    if data is not None:
                        out.append(data)
    return leg, [RtpPacket.parse(d) for d in out], switches


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(2, 40), st.integers(4, 64), st.tuples(*[st.integers(0, 10**6)] * 3))
def test_the_receiver_sees_one_continuous_decodable_stream(
    script: list[Step], gop: int, limit: int, seeds: tuple[int, int, int]
) -> None:
    leg, packets, switches = run(script, gop, limit, seeds)
    for prev, cur in zip(packets, packets[1:], strict=False):
        assert seq_diff(cur.sequence_number, prev.sequence_number) == 1  # no gap, no repeat
        assert ts_diff(cur.timestamp, prev.timestamp) >= 0  # time never goes back
    assert all(p.ssrc == FMT.ssrc and p.payload_type == FMT.payload_type for p in packets)
    assert all(parse_extensions(p.extension_profile, p.extension)[1] == b"3" for p in packets)
    # Decodable: every run of one source starts at a keyframe and then goes frame by frame.
    last: tuple[int, int] | None = None  # (source, frame) of the previous frame start
    pid: int | None = None
    for p in packets:
        info = parse_vp8(p.payload)
        ident, frame, _ = body_of(p.payload)
        if not info.frame_start:
            assert last is not None and (ident, frame) == last
            continue
        if info.keyframe:
            assert last is None or last[0] != ident or frame > last[1]
        else:
            assert last == (ident, frame - 1), "a delta frame must follow its reference"
        if pid is not None:
            assert info.picture_id == (pid + 1) % 32768  # picture ids count on across switches
        pid, last = info.picture_id, (ident, frame)
    for at in switches:
        if at < len(packets):
            assert parse_vp8(packets[at].payload).keyframe


@given(st.integers(1, 30))
def test_a_new_viewer_starts_at_the_cached_keyframe_then_goes_live(frames_since_key: int) -> None:
    sender = VideoSender(ssrc=1, seq=65500, ts=0, picture_id=5, ident=1, gop=1000)
    source = Source("1:video", 1, VP8, gop_limit=64)
    now = 0.0
    for _ in range(frames_since_key + 1):
        now += 0.033
        for p in sender.next_frame():
            source.receive(p, now)
    cached, complete = source.start_packets()
    assert complete is (3 * (frames_since_key + 1) <= 64)
    leg = Leg(FMT)
    leg.select("1:video")
    sent = leg.start(cached, complete, now)
    first = RtpPacket.parse(sent[0])
    assert parse_vp8(first.payload).keyframe and body_of(first.payload)[1] == 0
    live = sender.next_frame()
    forwarded = [leg.forward(m, now) for p in live if (m := source.receive(p, now)) is not None]
    if complete:  # the whole GOP was replayed: the live frame follows at once
        assert len(sent) == 3 * (frames_since_key + 1)
        assert all(f is not None for f in forwarded)
    else:  # only the keyframe was shown: wait for the next keyframe
        assert len(sent) == 3
        assert forwarded == [None] * 3 and leg.state is LegState.WAITING
        key = [source.receive(p, now) for p in sender.next_frame(keyframe=True)]
        out = [leg.forward(m, now) for m in key if m is not None]
        assert all(d is not None for d in out)
        first_live, last_cached = RtpPacket.parse(out[0] or b""), RtpPacket.parse(sent[-1])
        assert seq_diff(first_live.sequence_number, last_cached.sequence_number) == 1


@given(st.sets(st.integers(0, 99), max_size=40))
def test_nack_is_answered_from_the_cache_with_the_same_bytes(lost: set[int]) -> None:
    sender = VideoSender(ssrc=1, seq=40000, ts=0, picture_id=1, ident=1, gop=1000)
    source = Source("1:video", 1, VP8)
    leg = Leg(FMT, seq0=100)
    leg.select("1:video")
    sent = []
    for _ in range(34):
        sent += [
            d for p in sender.next_frame() if (m := source.receive(p, 1.0)) and (d := leg.forward(m, 1.0))
        ]
    assert len(sent) == 102
    by_seq = {RtpPacket.parse(d).sequence_number: d for d in sent}
    asked = sorted((100 + i) % 65536 for i in lost)
    again = leg.retransmit(asked, 2.0)
    assert again == [by_seq[s] for s in asked]
    assert leg.retransmit(asked, 2.001) == []  # not twice within min_interval
    assert leg.retransmit([99, 5000], 3.0) == []  # never sent
    assert leg.retransmitted == len(asked)


def test_audio_switches_at_once_and_stays_continuous() -> None:
    opus = SourceFormat("audio", "opus", 48000, audio_level_ext=2)
    a, b = Source("1:audio", 1, opus), Source("2:audio", 2, opus)
    leg = Leg(LegFormat("audio", ssrc=9, payload_type=111, clock_rate=48000, audio_level_ext=1))
    out = []
    level = bytes([0x22, 0x80 | 40, 0, 0])  # one-byte extension id 2 = voice, -40 dBov
    for i in range(10):
        src, key = (a, "1:audio") if i < 5 else (b, "2:audio")
        if leg.source != key:
            leg.select(key)
            assert leg.start(*src.start_packets(), i * 0.02) == []
        packet = RtpPacket(
            111,
            (src.ssrc * 1000 + i) % 65536,
            i * 96000,
            src.ssrc,
            extension_profile=0xBEDE,
            extension=level,
            payload=b"opus",
        )
        media = src.receive(packet, i * 0.02)
        assert media is not None and media.level == (True, 40)
        out.append(RtpPacket.parse(leg.forward(media, i * 0.02) or b""))
    steps = [seq_diff(y.sequence_number, x.sequence_number) for x, y in zip(out, out[1:], strict=False)]
    assert steps == [1] * 9
    assert parse_extensions(out[0].extension_profile, out[0].extension)[1] == bytes([0x80 | 40])
    jump = ts_diff(out[5].timestamp, out[4].timestamp)
    assert 0 < jump <= 48000 * 0.02 + 1  # the new talker continues where the wall clock is


def test_sender_report_maps_the_leg_clock_to_the_wall_clock() -> None:
    leg = Leg(FMT, ts0=1000)
    assert leg.sender_report(5.0, None) is None
    sender = VideoSender(ssrc=1, seq=1, ts=500, picture_id=1, ident=1)
    source = Source("1:video", 1, VP8)
    leg.select("1:video")
    for p in sender.next_frame():
        leg.forward(source.receive(p, 10.0), 10.0)  # type: ignore[arg-type]
    sr = leg.sender_report(11.0, None)
    assert sr is not None and sr.packet_count == 3 and sr.rtp_timestamp == 1000 + 90000
    synced = leg.sender_report(11.0, (10.5, 500))  # the publisher said: RTP 500 was at 10.5 s
    assert synced is not None and synced.rtp_timestamp == 1000 + 45000


formats = st.builds(
    LegFormat,
    kind=st.sampled_from(["audio", "video"]),
    ssrc=st.integers(0, 2**32 - 1),
    payload_type=st.integers(96, 127),
    clock_rate=st.just(90000),
    mid=st.none() | st.text("0123456789abcdef", min_size=1, max_size=16),
    mid_ext=st.none() | st.integers(1, 4),
    abs_send_time_ext=st.none() | st.integers(5, 9),
    audio_level_ext=st.none() | st.integers(10, 14),
)


@given(
    formats,
    st.integers(0, 65535),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.none() | st.tuples(st.booleans(), st.integers(0, 127)),
    st.binary(min_size=1, max_size=40),
    st.floats(0, 2e9),
)
def test_each_header_carries_the_leg_s_fields_and_negotiated_extensions(
    fmt: LegFormat,
    seq: int,
    ts: int,
    marker: bool,
    level: tuple[bool, int] | None,
    body: bytes,
    now: float,
) -> None:
    """The header a leg packs from its precomputed layout reads back as what its receiver negotiated."""
    leg = Leg(fmt, seq0=seq, ts0=ts)
    leg.select("1:any")
    media = MediaPacket(7, 7, 1234, marker, body, True, True, None, level, now)
    data = leg.forward(media, now)
    assert data is not None
    packet = RtpPacket.parse(data)
    assert (packet.ssrc, packet.payload_type, packet.marker) == (fmt.ssrc, fmt.payload_type, marker)
    assert (packet.sequence_number, packet.timestamp, packet.payload) == (seq, ts, body)
    expected = {}
    if fmt.mid_ext and fmt.mid:
        expected[fmt.mid_ext] = fmt.mid.encode()
    if fmt.abs_send_time_ext:
        expected[fmt.abs_send_time_ext] = abs_send_time(now)
    if fmt.audio_level_ext and level is not None:
        expected[fmt.audio_level_ext] = bytes([(0x80 if level[0] else 0) | level[1]])
    assert parse_extensions(packet.extension_profile, packet.extension) == expected
    assert (packet.extension_profile is None) is (not expected)
    assert leg.retransmit([seq], now + 1) == [data]


def test_legs_that_switched_at_different_times_each_keep_their_own_picture_ids() -> None:
    """Legs share the rewritten VP8 descriptor of a packet only when they rewrite it alike."""
    first = VideoSender(ssrc=1, seq=10, ts=0, picture_id=1000, ident=1, gop=1)
    second = VideoSender(ssrc=2, seq=500, ts=0, picture_id=20000, ident=2, gop=1)
    sources = {"1:video": Source("1:video", 1, VP8), "2:video": Source("2:video", 2, VP8)}
    plans: dict[str, list[str | None]] = {  # frame by frame; "b" pauses three frames before the second
        "a": [*["1:video"] * 3, *["2:video"] * 9],
        "b": [*["1:video"] * 3, *[None] * 3, *["2:video"] * 6],
    }
    legs = {name: Leg(FMT) for name in plans}
    out: dict[str, list[bytes]] = {name: [] for name in plans}
    for frame in range(12):
        for name, leg in legs.items():
            leg.select(plans[name][frame])
        for key, sender in (("1:video", first), ("2:video", second)):
            for packet in sender.next_frame():
                media = sources[key].receive(packet, frame / 30)
                assert media is not None
                for name, leg in legs.items():
                    if leg.source == key and (data := leg.forward(media, frame / 30)) is not None:
                        out[name].append(data)
    for packets in out.values():
        pids = [parse_vp8(RtpPacket.parse(p).payload).picture_id for p in packets]
        assert pids[::3] == [(1000 + i) % 32768 for i in range(len(packets) // 3)]
    assert len(out["a"]) == 36 and len(out["b"]) == 27
