"""Journey: on the tablet's speaker card (shared with the bridge-point console) a delegate asks to speak with
a topic, sees the place in the queue, withdraws, asks again, and once the chair gives the floor sees the
countdown."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.helpers import Api, Contexts, open_page, shot

MEETING = 1


def test_a_delegate_asks_to_speak_withdraws_and_is_given_the_floor(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    chair = as_user("chair")
    chair.command(MEETING, type="start")
    person = as_user("delegate04").get("/api/auth/me")["person_id"]
    tablet = open_page(contexts, "delegate04", f"/app/tablet/{MEETING}")
    expect(tablet.locator(".conn")).to_have_text("Đã kết nối")

    tablet.get_by_label("Nội dung muốn phát biểu (không bắt buộc)").fill("Giao thông nông thôn")
    tablet.get_by_role("button", name="Đăng ký phát biểu").click()
    expect(tablet.get_by_test_id("queue-place")).to_have_text("Bạn đã đăng ký, thứ tự 1/1.")
    (waiting,) = chair.get(f"/api/meetings/{MEETING}/live")["state"]["speakers"]
    assert (waiting["person_id"], waiting["topic"], waiting["status"]) == (
        person,
        "Giao thông nông thôn",
        "waiting",
    )

    tablet.get_by_role("button", name="Rút đăng ký").click()
    expect(tablet.get_by_role("button", name="Đăng ký phát biểu")).to_be_enabled()
    assert chair.get(f"/api/meetings/{MEETING}/live")["state"]["speakers"][0]["status"] == "withdrawn"

    tablet.get_by_role("button", name="Đăng ký phát biểu").click()
    expect(tablet.get_by_test_id("queue-place")).to_have_text("Bạn đã đăng ký, thứ tự 1/1.")
    again = next(
        s for s in chair.get(f"/api/meetings/{MEETING}/live")["state"]["speakers"] if s["status"] == "waiting"
    )
    chair.command(MEETING, type="floor_grant", request_id=again["id"], limit_seconds=180)
    expect(tablet.locator(".speaking")).to_contain_text("Mời bạn phát biểu. Còn")
    expect(tablet.locator(".speaking .countdown")).to_have_text(re.compile(r"^0[23]:\d\d$"))
    shot(tablet, "tablet-speaking")
