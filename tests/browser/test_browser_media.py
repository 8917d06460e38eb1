"""Journeys through the media relay in a real browser: Chromium's fake camera and microphone, plain WebRTC to
the server's relay (rtc/), checked through RTCPeerConnection.getStats() in the page and the <video> tiles.

The operator runs the host unit's room (BP-HG-UBND): it is the chair's bridge point, whose picture every
other room receives. The secretary, a runner of the meeting, joins a district's room (BP-D01-UBND) from a
second browser; the chair gives that room the floor, so it becomes the speaker everyone sees."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.helpers import Api, Contexts, shot
from tests.servers import Server

MEETING = 1

# Test instrumentation only: remember every RTCPeerConnection and media-signaling WebSocket the page makes,
# and keep the figures of the connected peer connection from its getStats() in window.__video (every 200 ms).
TRACK_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  const peers = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); peers.push(this); }
  };
  const NativeSocket = window.WebSocket;
  window.__rtcSockets = [];
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      if (String(args[0]).includes('/ws/rtc/')) window.__rtcSockets.push(this);
    }
  };
  window.__video = null;
  setInterval(async () => {
    const pc = peers.filter((p) => p.connectionState === 'connected').pop();
    if (!pc) return;
    const out = { peer: peers.indexOf(pc), bytesSent: 0, framesDecoded: 0, videoPackets: 0, audioPackets: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') out.bytesSent += s.bytesSent || 0;
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.framesDecoded += s.framesDecoded || 0;
        out.videoPackets += s.packetsReceived || 0;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPackets += s.packetsReceived || 0;
    });
    window.__video = out;
  }, 200);
})();
"""


def media_context(contexts: Contexts, username: str) -> BrowserContext:
    ctx = contexts(username)
    ctx.add_init_script(TRACK_PEERS)
    return ctx


def wait_for_video(page: Page, **more_than: int) -> dict[str, int]:
    """Wait until the page's connected peer connection has figures above these (e.g. ``bytesSent=0``)."""
    page.wait_for_function(
        """(more) => {
            const v = window.__video;
            return !!v && Object.entries(more).every(([k, n]) => v[k] > n);
        }""",
        arg=more_than,
        polling=250,
        timeout=20_000,
    )
    stats: dict[str, int] = page.evaluate("window.__video")
    return stats


def tile_playing(page: Page, tile: str | Locator) -> None:
    """The tile's <video> plays decoded pictures: it is not paused, has a size, and has shown frames."""
    found = page.locator(f'[data-tile="{tile}"]') if isinstance(tile, str) else tile
    video = found.locator("video")
    expect(video).to_be_visible()
    page.wait_for_function(
        """(v) => !v.paused && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 5""",
        arg=video.element_handle(),
        polling=250,
        timeout=20_000,
    )


def start_agent(server: Server, bridge_point_id: int) -> subprocess.Popen[bytes]:
    """``cauhop-agent`` as the secretary (a runner may join as any of the meeting's rooms), for a minute."""
    command = [sys.executable, "-m", "rtc.agent", "--server", server.base, "--meeting", str(MEETING)]
    command += ["--bridge-point", str(bridge_point_id), "--username", "secretary", "--password", "demo"]
    command += ["--host-address", "127.0.0.1", "--duration", "60"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def join(page: Page) -> None:
    page.get_by_role("button", name="Tham gia cuộc gọi (camera, micro)").click()
    expect(page.locator(".call-state")).to_have_text("Đã vào cuộc gọi", timeout=20_000)


def test_bridge_point_console_sends_and_receives_video_and_the_chair_console_sees_the_speaker(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server
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
    assert wait_for_video(room, framesDecoded=0)["framesDecoded"] > 0
    expect(operator.locator('[data-tile="chair"] .tile-empty')).to_contain_text("Đây là điểm cầu chủ trì")

    # The chair gives the district the floor: the operator's room now sees and hears it as the speaker.
    chair.command(MEETING, type="speak_request", bridge_point_id=district["id"])
    request = chair.get(f"/api/meetings/{MEETING}/live")["state"]["speakers"][-1]
    chair.command(MEETING, type="floor_grant", request_id=request["id"])
    expect(operator.locator('[data-tile="speaker"] .tile-name')).to_have_text(district["name"])
    tile_playing(operator, "speaker")
    before = wait_for_video(operator, bytesSent=0)
    after = wait_for_video(operator, bytesSent=before["bytesSent"] + 20_000, framesDecoded=0)
    assert after["bytesSent"] > before["bytesSent"] and after["framesDecoded"] > 0

    # Connection quality, measured in the page from getStats().
    quality = operator.get_by_test_id("call-quality")
    expect(quality.locator('[data-figure="rtt"]')).to_have_text(re.compile(r"^\d+ ms$"))
    expect(quality.locator('[data-figure="up"]')).to_have_text(re.compile(r"(kbps|Mbps)$"))
    shot(operator, "bridge-point-call")

    # A third room joins with the command-line agent (aiortc, a synthetic camera); the chair's console
    # receives the speaker's video and, in its last-N tiles, the other rooms: that one.
    commune = points["BP-D01-X01"]
    agent = start_agent(server, commune["id"])
    try:
        console = media_context(contexts, "chair").new_page()
        console.goto(f"/app/chair/{MEETING}")
        expect(console.locator('[data-tile="speaker"] .tile-name')).to_have_text(district["name"])
        tile_playing(console, "speaker")
        assert wait_for_video(console, framesDecoded=0)["bytesSent"] == 0  # receive only
        tile = console.locator('[data-tile="room"]', has_text=commune["name"])
        expect(tile).to_have_count(1, timeout=20_000)
        tile_playing(console, tile)
        shot(console, "chair-console-call")
    finally:
        agent.terminate()
        agent.wait(10)


def test_a_bridge_point_comes_back_by_itself_after_its_link_drops_and_low_bandwidth_keeps_only_sound(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    as_user("chair").command(MEETING, type="start")
    district = next(bp for bp in as_user("chair").get("/api/bridge-points") if bp["code"] == "BP-D01-UBND")
    operator = media_context(contexts, "operator").new_page()
    operator.goto(f"/app/bridge/{MEETING}")
    join(operator)
    room = media_context(contexts, "secretary").new_page()
    room.goto(f"/app/bridge/{MEETING}?bp={district['id']}")
    join(room)
    first = wait_for_video(room, framesDecoded=0)

    # The signaling link drops: the console says so, joins again on a fresh connection (new ICE
    # credentials), and the chair's picture comes back without anyone acting.
    room.evaluate("window.__rtcSockets.at(-1).close()")
    expect(room.locator(".call-state")).to_have_text("Đã vào cuộc gọi", timeout=20_000)
    again = wait_for_video(room, peer=first["peer"], framesDecoded=0)
    assert again["peer"] > first["peer"]
    tile_playing(room, "chair")
    assert room.evaluate("window.__rtcSockets.length") == 2

    # Low bandwidth: the pictures stop coming, the sound goes on.
    room.get_by_text("Chế độ băng thông thấp", exact=True).click()
    expect(room.locator(".video-area")).to_contain_text("Chỉ nhận âm thanh và trang tài liệu")
    expect(room.locator(".tiles")).to_be_hidden()
    settled = wait_for_video(room, audioPackets=again["audioPackets"])
    later = wait_for_video(room, audioPackets=settled["audioPackets"] + 100)  # two seconds of sound
    assert later["videoPackets"] - settled["videoPackets"] < 5
    shot(room, "bridge-point-low-bandwidth")

    # Leaving and joining again; the call's words follow the language switch.
    room.get_by_role("button", name="Rời cuộc gọi").click()
    expect(room.locator(".call-state")).to_have_count(0)
    join(room)
    room.get_by_role("button", name="English").click()
    expect(room.locator(".call-state")).to_have_text("In the call")
    expect(room.get_by_role("button", name="Leave the call")).to_be_visible()
    assert room.evaluate("window.__rtcSockets.length") == 3


def test_a_room_on_a_poor_link_is_offered_audio_only_as_it_joins(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    """A commune whose link is recorded as poor (no pre-meeting test answered): the console offers low
    bandwidth as soon as the call starts, and accepting it keeps only the sound."""
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    commune = next(bp for bp in chair.get("/api/bridge-points") if bp["link_quality"] == "poor")
    room = media_context(contexts, "secretary").new_page()
    room.goto(f"/app/bridge/{MEETING}?bp={commune['id']}")
    join(room)
    offer = room.locator(".call-suggestion").get_by_role("alert")
    expect(offer).to_contain_text("Đường truyền yếu: đường truyền của điểm cầu này được ghi nhận là yếu.")
    shot(room, "bridge-point-poor-link-offer")
    room.get_by_role("button", name="English").click()  # the offer is said again in the other language
    expect(offer).to_contain_text("The link is weak: this bridge point's link is recorded as poor.")
    offer.get_by_role("button", name="Switch to low bandwidth").click()
    expect(room.locator(".video-area")).to_contain_text("Audio and document pages only")
    expect(room.locator(".tiles")).to_be_hidden()


def test_a_console_whose_session_has_ended_is_refused_the_call_in_the_pages_language(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    """The operator's session ends while the console is open (its cookie is gone): joining the call is
    refused, and the console says why in Vietnamese (then English), keeps the server's own words at hand for
    support, turns the camera off and offers to join again; it does not retry by itself."""
    as_user("chair").command(MEETING, type="start")
    page = media_context(contexts, "operator").new_page()
    page.goto(f"/app/bridge/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    page.context.clear_cookies()
    page.get_by_role("button", name="Tham gia cuộc gọi (camera, micro)").click()
    state = page.locator(".call-state")
    expect(state).to_have_text(
        "Không vào được cuộc gọi: phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.", timeout=20_000
    )
    expect(state).to_have_attribute("title", re.compile(r"^log in first"))
    expect(page.locator('[data-tile="self"]')).to_have_count(0)  # the camera is off again
    expect(page.get_by_role("button", name="Tham gia cuộc gọi (camera, micro)")).to_be_enabled()
    page.get_by_role("button", name="English").click()
    expect(state).to_have_text("Could not join the call: your session has expired. Please log in again.")
    expect(state).to_have_attribute("data-state", "refused")
    shot(page, "bridge-point-refused")


def test_a_room_one_does_not_run_is_named_and_nothing_is_offered_to_do_for_it(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    """A link to another room's console (?bp=): the operator is told the room is not theirs and gets their own
    room's console; a delegate who runs no room gets no headcount, floor or call to try."""
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    rooms = {bp["code"]: bp for bp in chair.get("/api/bridge-points")}
    district = rooms["BP-D01-UBND"]
    named = f"{district['name']} ({district['code']})"

    operator = contexts("operator").new_page()
    operator.goto(f"/app/bridge/{MEETING}?bp={district['id']}")
    notice = operator.get_by_test_id("not-your-room")
    expect(notice).to_contain_text(f"Bạn không phụ trách điểm cầu {named}")
    own = rooms["BP-HG-UBND"]["name"]
    expect(operator.get_by_test_id("room-name")).to_contain_text(own)  # the console is for their own room
    expect(operator.get_by_role("button", name="Gửi số người")).to_be_visible()

    delegate = contexts("delegate05").new_page()
    delegate.goto(f"/app/bridge/{MEETING}?bp={district['id']}")
    expect(delegate.get_by_test_id("not-your-room")).to_contain_text(f"Bạn không phụ trách điểm cầu {named}")
    expect(delegate.get_by_role("alert").filter(has_text="Bạn không phụ trách điểm cầu nào")).to_be_visible()
    for offered in ("Gửi số người", "Xin phát biểu cho điểm cầu", "Tham gia cuộc gọi (camera, micro)"):
        expect(delegate.get_by_role("button", name=offered)).to_have_count(0)
    delegate.get_by_role("button", name="English").click()
    expect(delegate.get_by_test_id("not-your-room")).to_contain_text(f"You do not run bridge point {named}")
