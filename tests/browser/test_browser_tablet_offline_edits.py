"""Journey: a delegate's tablet loses the network, deletes one of their notes, edits another, draws a stroke
and deletes it again (never sent: simply cancelled), and writes comments on two drafts ("not yet sent"). While
it is offline the secretary closes the comments on one draft. Back online, the note is deleted and the other
edited on the server, the comment on the open draft is stored exactly once although the reply to its first
sending is lost, and the late one shows the server's refusal, kept (even after a reload) until dismissed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from docs_store.demo_pdfs import DemoDoc, write_demo_agenda
from tests.browser.helpers import Api, Contexts, shot
from tests.browser.tablet_reader import MEETING, open_document, page_image_loaded, publish
from tests.servers import Server


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoDoc]]:
    yield write_demo_agenda(tmp_path_factory.mktemp("papers"))


def draft(server: Server, paper: DemoDoc, deadline: datetime) -> int:
    doc: int = publish(server, paper)["id"]
    secretary = server.login("secretary")
    body = {"comment_deadline": deadline.isoformat()}
    assert server.request("PATCH", f"/api/documents/{doc}", body, secretary)[0] == 200
    return doc


def note(page: Page, x: int, y: int, text: str) -> None:
    page.get_by_role("button", name="Ghi chú", exact=True).click()
    page.locator(".page-overlay").click(position={"x": x, "y": y})
    page.get_by_label("Nội dung ghi chú").fill(text)
    page.get_by_role("button", name="Lưu ghi chú").click()


def comment(page: Page, n: int, text: str) -> None:
    page.get_by_label("Ý kiến góp ý").fill(text)
    page.get_by_role("button", name=f"Gửi góp ý cho trang {n}").click()


def stored_list(page: Page, prefix: str) -> list[Any]:
    lists: list[list[Any]] = page.evaluate(
        "(prefix) => Object.keys(localStorage).filter(k => k.startsWith(prefix))"
        ".map(k => JSON.parse(localStorage.getItem(k)))",
        prefix,
    )
    assert len(lists) == 1
    return lists[0]


def test_deletes_edits_and_comments_made_offline_are_sent_once_on_reconnect(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server, papers: list[DemoDoc]
) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    budget, plan = papers[1], papers[2]
    open_one, closing = draft(server, budget, soon), draft(server, plan, soon)
    delegate, secretary = as_user("delegate07"), as_user("secretary")

    page = contexts("delegate07").new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    open_document(page, budget.title)
    page.locator('.thumb[data-page="3"]').click()
    page_image_loaded(page, open_one, 3)
    note(page, 200, 150, "Ghi chú sẽ xoá")
    note(page, 450, 150, "Ghi chú sẽ sửa")
    overlay = page.locator(".page-overlay")
    expect(overlay).to_have_attribute("data-marks", "2")
    expect(page.locator(".reader-outbox")).to_be_hidden()
    expect(page.locator(".offline-status")).to_have_text(re.compile(r"^Đã lưu \d+ trang"), timeout=60_000)

    page.context.set_offline(True)
    expect(page.locator(".conn")).to_have_text("Mất mạng")
    page.get_by_role("button", name="Đọc", exact=True).click()
    page.get_by_role("button", name="Ghi chú của bạn: Ghi chú sẽ xoá").click()
    page.get_by_role("button", name="Xoá", exact=True).click()
    page.get_by_role("button", name="Ghi chú của bạn: Ghi chú sẽ sửa").click()
    page.get_by_role("button", name="Sửa", exact=True).click()
    page.get_by_label("Nội dung ghi chú").fill("Ghi chú đã sửa khi mất mạng")
    page.get_by_role("button", name="Lưu ghi chú").click()
    expect(page.locator(".pin")).to_have_count(1)
    expect(page.locator(".pin.unsent")).to_have_accessible_name(
        "Ghi chú của bạn: Ghi chú đã sửa khi mất mạng"
    )
    expect(page.locator(".reader-outbox")).to_contain_text("2 thay đổi ghi chú đang chờ gửi")

    page.get_by_role("button", name="Bút vẽ", exact=True).click()
    page.get_by_test_id("reader-stage").scroll_into_view_if_needed()  # the whole stroke on screen
    box = overlay.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 100, box["y"] + 330)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + 100 + step * 30, box["y"] + 330)
    page.mouse.up()
    expect(page.locator(".reader-outbox")).to_contain_text("3 thay đổi ghi chú đang chờ gửi")
    page.get_by_role("button", name="Đọc", exact=True).click()
    overlay.click(position={"x": 260, "y": 331})
    expect(page.get_by_test_id("annot-selected")).to_have_text("Đã chọn: nét vẽ")
    page.keyboard.press("Delete")
    expect(page.locator(".marks .ink")).to_have_count(0)
    expect(page.locator(".reader-outbox")).to_contain_text("2 thay đổi ghi chú đang chờ gửi")
    assert [e["op"] for e in stored_list(page, "cauhop.annotations")] == [
        "delete",
        "edit",
    ]  # the stroke: gone

    comment(page, 3, "Đề nghị bổ sung nguồn thu từ đất.")
    expect(page.locator(".comment-message")).to_have_text(
        "Mất mạng: góp ý được giữ lại và sẽ tự gửi khi có mạng."
    )
    expect(page.locator(".comment.unsent")).to_contain_text("Đề nghị bổ sung nguồn thu từ đất.")
    expect(page.locator(".comment.unsent .pending")).to_have_text("Chưa gửi")
    open_document(page, plan.title)
    page.locator('.thumb[data-page="2"]').click()
    comment(page, 2, "Góp ý gửi muộn về danh mục dự án.")
    expect(page.locator(".comment.unsent")).to_have_count(1)
    shot(page, "tablet-reader-offline-comment-not-yet-sent")

    notes = sorted(a["data"]["text"] for a in delegate.get(f"/api/documents/{open_one}/annotations"))
    assert notes == ["Ghi chú sẽ sửa", "Ghi chú sẽ xoá"]  # nothing sent yet
    assert secretary.get(f"/api/documents/{open_one}/comments") == []
    past = {"comment_deadline": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}
    assert server.request("PATCH", f"/api/documents/{closing}", past, secretary.token)[0] == 200

    lost: list[int] = []

    def lose_the_first_reply(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # the server stores it; the tablet never hears back
            route.abort()
        else:
            route.continue_()

    page.route(f"**/api/documents/{open_one}/comments", lose_the_first_reply)
    page.context.set_offline(False)
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    expect(page.locator(".reader-outbox")).to_be_hidden()
    refused = page.locator(".comment.refused")
    expect(refused).to_contain_text("Góp ý gửi muộn về danh mục dự án.")
    expect(refused).to_contain_text("Không được nhận: đã hết hạn góp ý lúc")  # in the page's language
    expect(page.get_by_role("alert").filter(has_text="đã hết hạn góp ý lúc")).to_be_visible()
    shot(page, "tablet-reader-late-comment-refused")

    open_document(page, budget.title)
    page.locator('.thumb[data-page="3"]').click()
    sent = page.locator(".comment", has_text="Đề nghị bổ sung nguồn thu từ đất.")
    expect(sent).not_to_have_class(re.compile("unsent"), timeout=40_000)  # sent again after the lost reply
    expect(page.locator(".pin")).to_have_count(1)
    expect(page.locator(".pin")).to_have_accessible_name("Ghi chú của bạn: Ghi chú đã sửa khi mất mạng")

    assert lost == [201]
    comments = secretary.get(f"/api/documents/{open_one}/comments")
    assert [(c["text"], c["anchor"]["page"]) for c in comments] == [("Đề nghị bổ sung nguồn thu từ đất.", 3)]
    added = secretary.get(f"/api/meetings/{MEETING}/events?since=0&limit=1000")
    assert len([e for e in added if e["kind"] == "comment.added"]) == 1
    assert secretary.get(f"/api/documents/{closing}/comments") == []
    marks = delegate.get(f"/api/documents/{open_one}/annotations")
    assert [(a["kind"], a["data"]["text"]) for a in marks] == [("note", "Ghi chú đã sửa khi mất mạng")]
    assert stored_list(page, "cauhop.annotations") == []

    page.reload()  # the refused comment is kept until the delegate dismisses it
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    open_document(page, plan.title)
    expect(refused).to_contain_text("Góp ý gửi muộn về danh mục dự án.")
    refused.get_by_role("button", name="Bỏ khỏi danh sách").click()
    expect(refused).to_have_count(0)
    assert stored_list(page, "cauhop.comments") == []
