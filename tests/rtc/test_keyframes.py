"""Keyframe requests upstream: merged while pending, never more often than the minimum interval."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rtc.keyframes import KeyframeRequests


def test_many_viewers_make_one_pli_and_retries_wait() -> None:
    k = KeyframeRequests(min_interval=0.3, retry=0.6, give_up=5.0)
    assert k.request("a", 0.0)
    assert not any(k.request("a", 0.001 * i) for i in range(1, 100))
    assert k.merged == 99 and k.sent == 1
    assert k.due(0.5) == []  # retry after 0.6 s
    assert k.due(0.61) == ["a"]
    k.keyframe("a")
    assert not k.pending("a") and k.due(5.0) == []


def test_a_new_request_soon_after_a_keyframe_is_deferred_not_lost() -> None:
    k = KeyframeRequests(min_interval=0.3)
    assert k.request("a", 0.0)
    k.keyframe("a")
    assert not k.request("a", 0.1)  # too soon after the last PLI
    assert k.due(0.2) == []
    assert k.due(0.31) == ["a"]


def test_requests_are_given_up_and_sources_forgotten() -> None:
    k = KeyframeRequests(min_interval=0.3, retry=0.6, give_up=1.0)
    k.request("a", 0.0)
    assert k.due(1.5) == [] and not k.pending("a")
    k.forget("a")
    assert k.request("a", 1.6)


@given(st.lists(st.tuples(st.floats(0, 0.2), st.sampled_from("abc"), st.booleans()), max_size=200))
def test_plis_per_source_are_spaced(events: list[tuple[float, str, bool]]) -> None:
    k = KeyframeRequests(min_interval=0.3, retry=0.6)
    now = 0.0
    sent: dict[str, list[float]] = {}
    for dt, source, is_keyframe in events:
        now += dt
        if is_keyframe:
            k.keyframe(source)
        elif k.request(source, now):
            sent.setdefault(source, []).append(now)
        for s in k.due(now):
            sent.setdefault(s, []).append(now)
    for times in sent.values():
        assert all(b - a >= 0.3 - 1e-9 for a, b in zip(times, times[1:], strict=False))
