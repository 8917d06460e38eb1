"""Per-leg and per-source statistics: loss, jitter, RTT, bitrate, and when a link is too poor for video."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rtc.rtcp import ReportBlock
from rtc.rtp import ntp_middle
from rtc.stats import (
    Delays,
    LegFeedback,
    PoorLinkDetector,
    Rate,
    ReceiveStats,
    judge_link,
    ntp_now,
    rtt_from_report,
)


@given(st.integers(0, 65535), st.sets(st.integers(1, 499), max_size=100))
def test_receive_stats_count_what_was_lost_across_wrap(start: int, lost: set[int]) -> None:
    stats = ReceiveStats(1, 90000)
    for i in range(500):
        if i not in lost:
            stats.add((start + i) % 65536, i * 3000, i / 30)
    block = stats.report(17.0)
    last = max(i for i in range(500) if i not in lost)
    assert stats.expected == last + 1  # a receiver cannot know of losses after the last packet it got
    assert block.packets_lost == stats.lost == len([i for i in lost if i < last])
    assert block.fraction_lost == (stats.lost << 8) // stats.expected
    assert stats.jitter < 1  # perfectly paced
    assert stats.report(18.0).fraction_lost == 0  # a new interval


def test_jitter_follows_arrival_variation() -> None:
    stats = ReceiveStats(1, 90000)
    for i in range(200):
        stats.add(i, i * 3000, i / 30 + (0.01 if i % 2 else 0.0))
    assert 700 < stats.jitter < 1000  # ~10 ms of alternating delay, in 90 kHz units


def test_round_trip_from_lsr_and_dlsr() -> None:
    sent = ntp_now(1000.0)
    block = ReportBlock(ssrc=1, lsr=ntp_middle(sent), dlsr=int(0.05 * 65536))
    rtt = rtt_from_report(block, ntp_now(1000.08))
    assert rtt is not None and abs(rtt - 0.03) < 0.001
    assert rtt_from_report(ReportBlock(ssrc=1), ntp_now(5.0)) is None
    assert rtt_from_report(block, ntp_now(999.0)) is None  # the report cannot be about the future
    feedback = LegFeedback(90000)
    feedback.report(
        ReportBlock(1, fraction_lost=64, jitter=900, lsr=block.lsr, dlsr=block.dlsr), ntp_now(1000.08)
    )
    assert feedback.fraction_lost == 0.25 and feedback.jitter == 0.01 and feedback.rtt == rtt


def test_bitrate_from_a_byte_counter() -> None:
    rate = Rate(window=1.0)
    assert rate.bps(0, 0.0) == 0.0
    assert rate.bps(62_500, 0.5) == 1_000_000  # a first estimate before the window is full
    assert rate.bps(125_000, 1.0) == 1_000_000
    assert rate.bps(130_000, 1.5) == 1_000_000  # kept until the next window closes
    assert rate.bps(125_000 + 250_000, 2.0) == 2_000_000
    assert rate.bps(375_000, 3.0) == 0.0  # nothing sent: zero


def test_a_poor_link_is_suggested_once_after_it_lasts() -> None:
    detector = PoorLinkDetector(hold=10.0)
    poor = judge_link(0.2, 0.05)
    assert poor.poor and "loss 20%" in poor.reason
    assert judge_link(0.0, 0.9).reason.startswith("round trip 900 ms")
    assert detector.update(poor, 0.0) is None
    assert detector.update(poor, 9.0) is None
    assert detector.update(poor, 10.0) == poor
    assert detector.update(poor, 20.0) is None  # once per episode
    assert detector.update(judge_link(0.0, 0.05), 21.0) is None
    assert detector.update(poor, 22.0) is None
    assert detector.update(poor, 32.0) == poor
    assert poor.suggestion() == {
        "type": "suggest_low_bandwidth",
        "reason": "loss 20% over 8%",
        "cause": "loss",
        "loss_pct": 20.0,
        "rtt_ms": 50,
    }


def test_delay_percentiles_keep_the_latest_samples() -> None:
    delays = Delays(size=100)
    assert delays.percentile(0.5) is None
    for i in range(250):
        delays.add(i / 1000)
    assert delays.percentile(0.0) == 0.15 and delays.percentile(0.99) == 0.249
    delays.clear()
    assert delays.percentile(0.5) is None
