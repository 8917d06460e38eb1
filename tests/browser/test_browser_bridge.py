"""Journey: a bridge-point operator reports the room's headcount and asks to speak for the room; the chair
gives the room the floor."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.helpers import Api, Contexts, open_page, shot

MEETING = 1


def test_bridge_point_console_sends_a_headcount_and_asks_to_speak(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    room = next(bp for bp in chair.get("/api/bridge-points") if bp["code"] == "BP-HG-UBND")
    console = open_page(contexts, "operator", f"/app/bridge/{MEETING}?bp={room['id']}")
    expect(console.get_by_test_id("room-name")).to_contain_text(room["name"])
    expect(console.locator(".conn")).to_have_text("Đã kết nối")

    console.get_by_label("Số người có mặt tại điểm cầu").fill("35")
    console.get_by_role("button", name="Gửi số người").click()
    expect(console.get_by_test_id("headcount")).to_contain_text("Đã báo 35 người có mặt")
    console.get_by_role("button", name="Xin phát biểu cho điểm cầu").click()
    expect(console.get_by_test_id("queue-place")).to_have_text("Bạn đã đăng ký, thứ tự 1/1.")

    chair_console = open_page(contexts, "chair", f"/app/chair/{MEETING}")
    chair_console.get_by_role("button", name=f"Mời {room['name']} phát biểu").click()
    expect(chair_console.locator(".floor-name")).to_have_text(room["name"])
    expect(console.locator(".speaking")).to_contain_text("Điểm cầu đang được mời phát biểu")
    expect(console.locator(".speaking .countdown")).to_have_text(re.compile(r"^0[45]:\d\d$"))

    console.get_by_text("Chế độ băng thông thấp", exact=True).click()
    expect(console.locator(".video-area")).to_contain_text("Chỉ nhận âm thanh và trang tài liệu")
    shot(console, "bridge-point-console")

    state = chair.get(f"/api/meetings/{MEETING}/live")["state"]
    assert state["headcounts"] == {str(room["id"]): 35}
    assert [(s["bridge_point_id"], s["status"]) for s in state["speakers"]] == [(room["id"], "speaking")]
