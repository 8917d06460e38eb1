"""Journeys on the chair console: a poll voted on two tablets, and a page turn followed by a tablet."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.helpers import Api, Contexts, open_page, shot

MEETING = 1  # the demo 3-level conference: the chair, the secretary and 50 delegates; scheduled


def test_chair_opens_a_poll_two_delegates_vote_and_the_result_shows(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    chair = open_page(contexts, "chair", f"/app/chair/{MEETING}")
    chair.get_by_role("button", name="Bắt đầu họp").click()
    expect(chair.locator(".head-status [data-status]")).to_have_text("Đang họp")
    tablets = [open_page(contexts, user, f"/app/tablet/{MEETING}") for user in ("delegate01", "delegate02")]
    for tablet in tablets:
        expect(tablet.locator(".conn")).to_have_text("Đã kết nối")
        tablet.get_by_role("button", name="Điểm danh", exact=True).click()
        expect(tablet.get_by_test_id("checked-in")).to_contain_text("Đã điểm danh lúc")
    expect(chair.get_by_test_id("quorum")).to_have_text("Có mặt 2/51 · cần 26")

    chair.get_by_label("Nội dung biểu quyết").fill("Thông qua kế hoạch phát triển kinh tế - xã hội năm 2027")
    chair.get_by_role("button", name="Mở biểu quyết").click()
    expect(chair.get_by_test_id("turnout")).to_have_text("0/51 đã biểu quyết")

    first, second = tablets
    first.get_by_role("button", name="Tán thành", exact=True).click()
    second.get_by_role("button", name="Không tán thành", exact=True).click()
    expect(first.get_by_test_id("vote-stored")).to_have_text("✓Đã ghi nhận: Tán thành")
    expect(second.get_by_test_id("vote-stored")).to_have_text("✓Đã ghi nhận: Không tán thành")
    expect(chair.get_by_test_id("turnout")).to_have_text("2/51 đã biểu quyết")
    first.get_by_role("button", name="Không biểu quyết", exact=True).click()  # changed while allowed
    expect(first.get_by_test_id("vote-stored")).to_have_text("✓Đã ghi nhận: Không biểu quyết")
    expect(chair.get_by_test_id("turnout")).to_have_text("2/51 đã biểu quyết")

    chair.get_by_role("button", name="Kết thúc biểu quyết").click()
    result = chair.locator(".poll-result")
    expect(result.locator('tr[data-option="for"] .num')).to_have_text("0")
    expect(result.locator('tr[data-option="against"] .num')).to_have_text("1")
    expect(result.locator('tr[data-option="abstain"] .num')).to_have_text("1")
    expect(result.get_by_test_id("verdict")).to_have_text("Không thông qua")
    expect(first.get_by_test_id("verdict")).to_have_text("Không thông qua")
    shot(chair, "chair-poll-result")
    shot(first, "tablet-poll-result")

    live = as_user("chair").get(f"/api/meetings/{MEETING}/live")["state"]
    (poll,) = live["polls"].values()
    assert poll["status"] == "closed"
    assert poll["result"]["counts"] == {"for": 0, "against": 1, "abstain": 1}
    assert poll["result"]["passed"] is False


def test_a_delegate_follows_the_presenters_page_turn(
    contexts: Contexts, as_user: Callable[[str], Api]
) -> None:
    as_user("chair").command(MEETING, type="start")
    chair = open_page(contexts, "chair", f"/app/chair/{MEETING}")
    tablet = open_page(contexts, "delegate05", f"/app/tablet/{MEETING}")
    expect(tablet.get_by_test_id("doc-where")).to_have_text("Chưa trình chiếu tài liệu nào.")

    chair.get_by_label("Nội dung tiếp theo").fill("Báo cáo tình hình kinh tế - xã hội 6 tháng")
    chair.get_by_role("button", name="Chuyển sang nội dung này").click()
    chair.get_by_label("Mã tài liệu").fill("12")
    chair.get_by_label("Trang", exact=True).fill("3")
    chair.get_by_role("button", name="Trình chiếu", exact=True).click()
    expect(tablet.get_by_test_id("doc-where")).to_have_text("Tài liệu #12 · trang 3")
    expect(tablet.get_by_test_id("item-title")).to_have_text("Báo cáo tình hình kinh tế - xã hội 6 tháng")
    chair.get_by_role("button", name="Trang sau ▶").click()
    expect(tablet.get_by_test_id("doc-where")).to_have_text("Tài liệu #12 · trang 4")
    expect(tablet.locator(".page-sheet")).to_have_attribute("data-page", "4")

    tablet.get_by_role("button", name="Xem tự do").click()
    tablet.get_by_role("button", name="Trang sau ▶").click()
    tablet.get_by_role("button", name="Trang sau ▶").click()
    expect(tablet.get_by_test_id("doc-where")).to_have_text("Tài liệu #12 · trang 6")
    chair.get_by_role("button", name="Trang sau ▶").click()
    expect(tablet.locator(".doc-presenter")).to_have_text("người trình bày: Tài liệu #12 · trang 5")
    expect(tablet.get_by_test_id("doc-where")).to_have_text("Tài liệu #12 · trang 6")
    shot(tablet, "tablet-browsing-freely")
    tablet.get_by_role("button", name="Về trang trình bày").click()
    expect(tablet.get_by_test_id("doc-where")).to_have_text("Tài liệu #12 · trang 5")
    shot(tablet, "tablet-follows-presenter")

    presenter = as_user("delegate05").get(f"/api/meetings/{MEETING}/live")["state"]["presenter"]
    assert (presenter["document_id"], presenter["page"]) == (12, 5)
