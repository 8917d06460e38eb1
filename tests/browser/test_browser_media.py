"""Journeys through the media relay in a real browser: Chromium's fake camera and microphone, plain WebRTC to
the server's relay (rtc/), checked through RTCPeerConnection.getStats() in the page and the <video> tiles.

The operator runs the host unit's room (BP-HG-UBND): it is the chair's bridge point, whose picture every
other room receives. The secretary, a runner of the meeting, joins a district's room (BP-D01-UBND) from a
second browser; the chair gives that room the floor, so it becomes the speaker everyone sees."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import Api, Contexts, shot

MEETING = 1

# Test instrumentation only: remember every RTCPeerConnection the page makes, and keep the video figures of
# the connected one from its getStats() in window.__video (refreshed every 200 ms).
TRACK_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  const peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); peers.push(this); }
  };
  window.__video = null;
  setInterval(async () => {
    const pc = peers.filter((p) => p.connectionState === 'connected').pop();
    if (!pc) return;
    const out = { bytesSent: 0, framesDecoded: 0, framesSent: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.bytesSent += s.bytesSent || 0;
        out.framesSent += s.framesSent || 0;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.framesDecoded += s.framesDecoded || 0;
    });
    window.__video = out;
  }, 200);
})();
"""


def media_context(contexts: Contexts, username: str) -> BrowserContext:
    ctx = contexts(username)
    ctx.add_init_script(TRACK_PEERS)
    return ctx


def wait_for_video(page: Page, *, sent_more_than: int = -1, decoded_more_than: int = -1) -> dict[str, int]:
    """Wait until the page's connection has sent more video bytes / decoded more frames than given."""
    page.wait_for_function(
        """([sent, decoded]) => {
            const v = window.__video;
            return !!v && v.bytesSent > sent && v.framesDecoded > decoded;
        }""",
        arg=[sent_more_than, decoded_more_than],
        polling=250,
        timeout=20_000,
    )
    stats: dict[str, int] = page.evaluate("window.__video")
    return stats


def tile_playing(page: Page, tile: str) -> None:
    """The tile's <video> plays decoded pictures: it is not paused, has a size, and has shown frames."""
    video = page.locator(f'[data-tile="{tile}"] video')
    expect(video).to_be_visible()
    page.wait_for_function(
        """(v) => !v.paused && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5""",
        arg=video.element_handle(),
        polling=250,
        timeout=20_000,
    )


def join(page: Page) -> None:
    page.get_by_role("button", name="Tham gia cuộc gọi (camera, micro)").click()
    expect(page.locator(".call-state")).to_have_text("Đã vào cuộc gọi", timeout=20_000)


def test_bridge_point_console_sends_and_receives_video_and_the_chair_console_sees_the_speaker(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    points = {bp["code"]: bp for bp in chair.get("/api/bridge-points")}
    host, district = points["BP-HG-UBND"], points["BP-D01-UBND"]

    room = media_context(contexts, "secretary").new_page()
    room.goto(f"/app/bridge/{MEETING}?bp={district['id']}")
    expect(room.get_by_test_id("room-name")).to_contain_text(district["name"])
    join(room)
    operator = media_context(contexts, "operator").new_page()
    operator.goto(f"/app/bridge/{MEETING}")
    expect(operator.get_by_test_id("room-name")).to_contain_text(host["name"])
    join(operator)

    # The district receives the chair's room (the operator's camera) as soon as both are in the call.
    expect(room.locator('[data-tile="chair"] .tile-name')).to_have_text(host["name"])
    tile_playing(room, "chair")
    assert wait_for_video(room, decoded_more_than=0)["framesDecoded"] > 0
    expect(operator.locator('[data-tile="chair"] .tile-empty')).to_contain_text("Đây là điểm cầu chủ trì")

    # The chair gives the district the floor: the operator's room now sees and hears it as the speaker.
    chair.command(MEETING, type="speak_request", bridge_point_id=district["id"])
    request = chair.get(f"/api/meetings/{MEETING}/live")["state"]["speakers"][-1]
    chair.command(MEETING, type="floor_grant", request_id=request["id"])
    expect(operator.locator('[data-tile="speaker"] .tile-name')).to_have_text(district["name"])
    tile_playing(operator, "speaker")
    before = wait_for_video(operator)
    after = wait_for_video(operator, sent_more_than=before["bytesSent"] + 20_000, decoded_more_than=0)
    assert after["bytesSent"] > before["bytesSent"] and after["framesDecoded"] > 0

    # Connection quality, measured in the page from getStats().
    quality = operator.get_by_test_id("call-quality")
    expect(quality.locator('[data-figure="rtt"]')).to_have_text(re.compile(r"^\d+ ms$"))
    expect(quality.locator('[data-figure="up"]')).to_have_text(re.compile(r"(kbps|Mbps)$"))
    shot(operator, "bridge-point-call")

    # The chair's console receives the speaker's video (and the rooms, in the last-N tiles).
    console = media_context(contexts, "chair").new_page()
    console.goto(f"/app/chair/{MEETING}")
    expect(console.locator('[data-tile="speaker"] .tile-name')).to_have_text(district["name"])
    tile_playing(console, "speaker")
    assert wait_for_video(console, decoded_more_than=0)["bytesSent"] == 0  # receive only
    shot(console, "chair-console-call")
