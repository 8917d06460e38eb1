"""Send pacing: the rule (``rtc.pacing.Pacer``, properties) and its wiring into a real aiortc sender
(``aiortc_hook.pace``): a large frame leaves spread at the rate, audio keeps flowing meanwhile."""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any

import av
import pytest
from aiortc import AudioStreamTrack, MediaStreamTrack, RTCPeerConnection
from hypothesis import given
from hypothesis import strategies as st

from rtc import aiortc_hook as hook
from rtc.pacing import DEFAULT_BURST, DEFAULT_RATE, Pacer
from rtc.rtp import RtpPacket

sizes = st.lists(st.integers(12, 1400), min_size=1, max_size=200)
gaps = st.lists(st.floats(0, 0.05, allow_nan=False), min_size=200, max_size=200)
rates = st.floats(64_000, 20_000_000)
bursts = st.floats(0, 0.05)


def releases(pacer: Pacer, packets: list[int], gaps: list[float]) -> list[tuple[float, float, int]]:
    """(handed over, released, size) of each packet, handed over ``gaps`` apart."""
    now, out = 100.0, []
    for size, gap in zip(packets, gaps, strict=False):
        now += gap
        out.append((now, pacer.release(size, now), size))
    return out


@given(sizes, gaps, rates, bursts)
def test_packets_leave_in_order_never_before_they_are_handed_over(
    packets: list[int], gaps: list[float], rate: float, burst: float
) -> None:
    out = releases(Pacer(rate, burst), packets, gaps)
    assert all(at >= handed for handed, at, _ in out)
    assert [at for _, at, _ in out] == sorted(at for _, at, _ in out)


@given(sizes, gaps, rates, bursts)
def test_no_window_carries_more_than_the_rate_and_the_burst(
    packets: list[int], gaps: list[float], rate: float, burst: float
) -> None:
    out = releases(Pacer(rate, burst), packets, gaps)
    per_second = rate / 8
    for i, (_, start, _) in enumerate(out):
        sent = 0
        for _, at, size in out[i:]:
            sent += size
            # from the i-th release to this one: at most the rate over the span, the burst, and one packet
            assert sent <= per_second * (at - start + burst) + size + 1e-6


@given(sizes, rates, bursts)
def test_what_fits_the_burst_leaves_at_once_after_a_quiet_spell(
    packets: list[int], rate: float, burst: float
) -> None:
    pacer = Pacer(rate, burst)
    pacer.release(1000, 0.0)
    quiet = 10.0  # long after the last packet
    allowance = rate / 8 * burst
    sent = 0
    for size in packets:
        at = pacer.release(size, quiet)
        if sent + size <= allowance:
            assert at == quiet
        sent += size


def test_a_keyframe_is_spread_over_its_size_at_the_rate() -> None:
    pacer = Pacer()  # 3.75 Mbps, 5 ms
    keyframe = [1200] * 62  # ~75 KB, a 640×360 VP8 keyframe
    out = [pacer.release(size, 0.0) for size in keyframe]
    spread = (sum(keyframe) - DEFAULT_RATE / 8 * DEFAULT_BURST - 1200) / (DEFAULT_RATE / 8)
    assert out[-1] == pytest.approx(spread, abs=1e-9)
    assert 0.14 < out[-1] < 0.16
    pframe = [1200] * 2  # a small frame after a pause: at once
    assert [pacer.release(size, 5.0) for size in pframe] == [5.0, 5.0]


def test_a_pacer_refuses_a_rate_or_burst_it_cannot_keep() -> None:
    for rate, burst in ((0, 0.005), (-1, 0.005), (1e6, -0.1)):
        with pytest.raises(ValueError, match="positive rate"):
            Pacer(rate, burst)


# ----------------------------------------------------------------------------- through aiortc


class Frames(MediaStreamTrack):
    """Pre-encoded "VP8" frames at 30 fps (aiortc packetizes them as they are): ``big`` bytes every 30th
    frame, 3,000 bytes otherwise."""

    kind = "video"

    def __init__(self, big: int) -> None:
        super().__init__()
        self.big, self.n = big, 0
        self.t0 = time.time()

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        due = self.t0 + self.n / 30
        await asyncio.sleep(max(0.0, due - time.time()))
        size = self.big if self.n % 30 == 15 else 3000
        packet = av.Packet(bytes([self.n % 251]) * size)
        packet.pts, packet.time_base = self.n, fractions.Fraction(1, 30)
        self.n += 1
        return packet


async def _send_big_frames(paced: bool) -> dict[str, Any]:
    """A sender (audio + video) to a tapped receiver on loopback; arrival times of the big frames' packets,
    and of the audio packets."""
    client = RTCPeerConnection(hook.configuration())
    client.addTransceiver(AudioStreamTrack(), direction="sendonly")
    client.addTransceiver(Frames(60_000), direction="sendonly")
    await client.setLocalDescription(await client.createOffer())
    relay = RTCPeerConnection(hook.configuration())
    await relay.setRemoteDescription(client.localDescription)
    hook.prepare_answer(relay)
    video: dict[int, list[float]] = {}  # RTP timestamp → arrival of each packet
    audio: list[float] = []
    done = asyncio.Event()

    async def on_rtp(data: bytes, now: float) -> None:
        packet = RtpPacket.parse(data)
        if packet.payload_type == 97:
            if packet.timestamp not in video:  # a new frame: the ones before it are complete
                if sum(len(t) > 20 for t in video.values()) >= 3:  # three big frames
                    done.set()
            video.setdefault(packet.timestamp, []).append(now)
        else:
            audio.append(now)

    async def on_rtcp(data: bytes) -> None:
        pass

    hook.PacketTap(hook.dtls_transport(relay), on_rtp, on_rtcp)
    await relay.setLocalDescription(await relay.createAnswer())
    await client.setRemoteDescription(relay.localDescription)
    if paced:
        hook.pace(client)
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await client.close()
        await relay.close()
    big = [sorted(t) for t in video.values() if len(t) > 20]
    return {"big": big, "audio": sorted(audio)}


def test_a_paced_sender_spreads_a_large_frame_and_keeps_audio_flowing() -> None:
    burst = asyncio.run(asyncio.wait_for(_send_big_frames(paced=False), 30))
    paced = asyncio.run(asyncio.wait_for(_send_big_frames(paced=True), 30))
    # 60 KB at 3.75 Mbps less the 5 ms burst: ~0.12 s; aiortc alone sends it all at once
    expected = (60_000 - DEFAULT_RATE / 8 * DEFAULT_BURST - 1300) / (DEFAULT_RATE / 8)
    for frame in paced["big"]:
        assert frame[-1] - frame[0] >= 0.9 * expected
    assert max(frame[-1] - frame[0] for frame in burst["big"]) < expected / 3
    # the audio is not queued behind the frame: its 20 ms packets keep arriving while the frame leaves
    frame = paced["big"][-1]
    during = [t for t in paced["audio"] if frame[0] <= t <= frame[-1]]
    assert len(during) >= 3
    gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
    assert max(gaps) < 0.06
