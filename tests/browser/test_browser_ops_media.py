"""Journey: the secretary watches meeting 1 on the operations board. A district's room joins the call with the
command-line agent (aiortc, a synthetic camera) and its row shows it in the call with the relay's round trip;
a room that failed the pre-meeting connectivity test shows as failed and is listed among the alerts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.helpers import Api, Contexts, open_page, shot
from tests.servers import Server

MEETING = 1


def start_agent(server: Server, bridge_point_id: int) -> subprocess.Popen[bytes]:
    """``cauhop-agent`` as the secretary (a runner may join as any of the meeting's rooms), for a minute."""
    command = [sys.executable, "-m", "rtc.agent", "--server", server.base, "--meeting", str(MEETING)]
    command += ["--bridge-point", str(bridge_point_id), "--username", "secretary", "--password", "demo"]
    command += ["--host-address", "127.0.0.1", "--duration", "60"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def test_the_board_shows_who_is_in_the_call_with_its_round_trip_and_the_failed_tests(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server
) -> None:
    secretary = as_user("secretary")
    ids = {bp["code"]: bp["id"] for bp in secretary.get("/api/bridge-points")}
    chair_room, district, failing = ids["BP-HG-UBND"], ids["BP-D01-UBND"], ids["BP-D01-HU"]
    # the district's party hall answers its connectivity test: unreachable (the operator's console reports it)
    status, body = server.request(
        "POST",
        f"/api/bridge-points/{failing}/connectivity",
        {"meeting_id": MEETING, "reachable": False},
        secretary.token,
    )
    assert status == 200 and body["status"] == "failed", body

    page = open_page(contexts, "secretary", f"/app/ops?meeting={MEETING}")
    expect(page.locator("#ops-meeting")).to_have_value(str(MEETING))
    page.get_by_label("Tìm điểm cầu").fill("BP-D01")
    hall = page.locator(f'tr.bp-row[data-bp="{failing}"]')
    expect(hall.locator('[data-conn="failed"]')).to_have_text("Không đạt")
    alerts = page.get_by_test_id("ops-alerts")
    expect(alerts.locator(f'li[data-bp="{failing}"]')).to_contain_text("không đạt thử kết nối")
    row = page.locator(f'tr.bp-row[data-bp="{district}"]')
    expect(row.locator('[data-slot="media-state"]')).to_have_text("Chưa vào")

    # the chair's room (whose picture every room receives) and the district's room join the call
    agents = [start_agent(server, bp) for bp in (chair_room, district)]
    try:
        expect(row.locator('[data-slot="media-state"]')).to_have_text("Trong cuộc gọi", timeout=20_000)
        expect(row.locator('[data-slot="media-stats"]')).to_have_text(
            re.compile(r"RTT \d+ ms · mất [\d,.]+%"), timeout=20_000
        )
        expect(page.get_by_test_id("in-call-count")).to_have_text("2")
        shot(page, "ops-board-live")

        page.get_by_role("button", name="English").click()
        expect(row.locator('[data-slot="media-state"]')).to_have_text("In call")
        expect(alerts.locator(f'li[data-bp="{failing}"]')).to_contain_text(
            "failed the pre-meeting connectivity"
        )
    finally:
        for agent in agents:
            agent.terminate()
            agent.wait(10)
    expect(row.locator('[data-slot="media-state"]')).to_have_text("Not in call", timeout=20_000)
