"""Journey: a secretary logs in, builds a 3-level meeting with the scope picker, meets a double booking
(explained clash by clash), takes a suggested free slot, saves and publishes it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import Contexts, open_page, shot
from tests.servers import Server

TITLE = "Hội nghị trực tuyến 3 cấp sơ kết công tác 6 tháng đầu năm"


def test_secretary_creates_a_three_level_meeting_and_publishes_it(server: Server, contexts: Contexts) -> None:
    page = open_page(contexts, None, "/")
    expect(page).to_have_url(re.compile(r"/app/login$"))
    page.get_by_label("Tên đăng nhập").fill("secretary")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_have_text(  # the server's reason, in the page's language
        "Không đăng nhập được: sai tên đăng nhập hoặc mật khẩu"
    )
    page.get_by_label("Mật khẩu").fill("demo")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(r"/app/meetings$"))
    page.get_by_role("main").get_by_role("link", name="Tạo cuộc họp").click()
    expect(page).to_have_url(re.compile(r"/app/secretary$"))

    token = server.login("secretary")
    demo = server.request("GET", "/api/meetings/1", token=token)[1]
    page.get_by_label("Tên cuộc họp").fill(TITLE)
    page.get_by_label("Cơ quan triệu tập").fill("UBND tỉnh")
    page.get_by_label("Bắt đầu").fill(demo["start"][:16])  # the demo conference's hours: every room is taken
    page.get_by_label("Kết thúc").fill(demo["end"][:16])
    page.get_by_label("Cấp tỉnh").check()
    page.get_by_label("Tất cả cấp huyện").check()
    page.get_by_label("Tất cả cấp xã").check()
    expect(page.get_by_test_id("scope-count")).to_have_text("241")
    expect(page.locator("#resolved-count")).to_have_text("241")

    page.get_by_role("button", name="Lưu bản nháp").click()
    clash = page.get_by_role("alert").filter(has_text="Trùng lịch")
    expect(clash).to_contain_text(demo["title"])
    expect(clash.locator(".clash-list li")).to_have_count(241)
    expect(clash.locator(".clash-list li").first).to_contain_text(f"đã có lịch «{demo['title']}»")
    expect(clash.locator(".server-detail")).to_have_text(  # the server's reason, in the page's language
        re.compile(r"^cuộc họp sẽ trùng lịch 241 điểm cầu và \d+ người \(tính cả \d+ phút chuẩn bị\)$")
    )

    page.get_by_role("button", name="Gợi ý giờ trống").click()
    page.locator(".slot").first.click()
    page.get_by_role("button", name="Lưu bản nháp").click()
    created = page.locator(".created")
    expect(created).to_contain_text("241 điểm cầu")
    expect(created.locator("[data-status]")).to_have_text("Bản nháp")
    created.get_by_role("button", name="Công bố").click()
    expect(created.locator("[data-status]")).to_have_text("Đã lên lịch")
    shot(page, "secretary-three-level-meeting")

    meeting_id = int(created.get_attribute("data-meeting-id") or 0)
    status, stored = server.request("GET", f"/api/meetings/{meeting_id}", token=token)
    assert status == 200 and stored["title"] == TITLE and stored["status"] == "scheduled"
    assert len(stored["bridge_point_ids"]) == 241
    assert {r["level"] for r in stored["scope"]["rules"]} == {"province", "district", "commune"}
    assert stored["start"] >= demo["end"] or stored["end"] <= demo["start"]
