"""Journey: the secretary shares a note on a page; a delegate's tablet shows it live. The secretary taps it,
deletes it with the Delete key (gone on both tablets), and Ctrl+Z brings it back (on both again); a pen
stroke is tapped, deleted with the button and restored with "Undo", and "Undo" once more takes back the
stroke just drawn. Each step is checked through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from docs_store.demo_pdfs import DemoDoc, write_demo_agenda
from tests.browser.helpers import Api, Contexts, shot
from tests.browser.tablet_reader import MEETING, open_document, page_image_loaded, publish
from tests.servers import Server


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoDoc]]:
    yield write_demo_agenda(tmp_path_factory.mktemp("papers"))


def reader_on(contexts: Contexts, username: str, title: str, doc: int, n: int) -> Page:
    page = contexts(username).new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    open_document(page, title)
    page.locator(f'.thumb[data-page="{n}"]').click()
    page_image_loaded(page, doc, n)
    return page


def kinds(page: Page, api: Api, doc: int) -> list[tuple[str, str]]:
    """The annotations ``api``'s user sees, once ``page`` has nothing left to send."""
    expect(page.locator(".reader-outbox")).to_be_hidden()
    marks: list[dict[str, Any]] = api.get(f"/api/documents/{doc}/annotations")
    return sorted((a["kind"], a["data"].get("text", "")) for a in marks)


def test_an_annotation_is_deleted_and_undone_on_the_tablet_and_live_on_the_others(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server, papers: list[DemoDoc]
) -> None:
    paper = papers[2]
    doc = publish(server, paper)["id"]
    secretary, delegate = as_user("secretary"), as_user("delegate05")
    mine = reader_on(contexts, "secretary", paper.title, doc, 2)
    theirs = reader_on(contexts, "delegate05", paper.title, doc, 2)

    mine.get_by_role("button", name="Chia sẻ cho mọi người").click()
    mine.get_by_role("button", name="Ghi chú", exact=True).click()
    mine.locator(".page-overlay").click(position={"x": 200, "y": 150})
    mine.get_by_label("Nội dung ghi chú").fill("Điều 3 sửa lại")
    mine.get_by_role("button", name="Lưu ghi chú").click()
    expect(theirs.locator(".pin.shared")).to_have_count(1)  # live
    assert kinds(mine, delegate, doc) == [("note", "Điều 3 sửa lại")]

    mine.get_by_role("button", name="Đọc", exact=True).click()
    mine.get_by_role("button", name="Ghi chú chia sẻ: Điều 3 sửa lại").click()
    expect(mine.get_by_test_id("annot-selected")).to_have_text("Đã chọn: ghi chú")
    mine.keyboard.press("Delete")
    expect(mine.locator(".pin")).to_have_count(0)
    expect(theirs.locator(".pin")).to_have_count(0)  # the deletion is live too
    assert kinds(mine, secretary, doc) == [] and kinds(mine, delegate, doc) == []

    mine.get_by_test_id("reader-stage").focus()
    mine.keyboard.press("Control+z")
    expect(mine.locator(".pin.shared")).to_have_count(1)
    expect(theirs.get_by_role("button", name="Ghi chú chia sẻ: Điều 3 sửa lại")).to_be_visible()
    assert kinds(mine, delegate, doc) == [("note", "Điều 3 sửa lại")]

    mine.get_by_role("button", name="Chia sẻ cho mọi người").click()  # back to private
    mine.get_by_role("button", name="Bút vẽ", exact=True).click()
    overlay = mine.locator(".page-overlay")
    mine.get_by_test_id("reader-stage").scroll_into_view_if_needed()  # the whole stroke on screen
    box = overlay.bounding_box()
    assert box is not None
    mine.mouse.move(box["x"] + 100, box["y"] + 400)
    mine.mouse.down()
    for step in range(1, 11):
        mine.mouse.move(box["x"] + 100 + step * 30, box["y"] + 400)
    mine.mouse.up()
    expect(overlay).to_have_attribute("data-marks", "2")
    expect(overlay).to_have_attribute("data-unsent", "0")
    assert kinds(mine, secretary, doc) == [("ink", ""), ("note", "Điều 3 sửa lại")]

    mine.get_by_role("button", name="Đọc", exact=True).click()
    overlay.click(position={"x": 250, "y": 402})  # on the stroke, a finger's width off
    expect(mine.get_by_test_id("annot-selected")).to_have_text("Đã chọn: nét vẽ")
    expect(mine.locator(".marks .ink.selected")).to_have_count(1)
    shot(mine, "tablet-reader-annotation-selected")
    mine.get_by_role("button", name="Xoá", exact=True).click()
    expect(mine.locator(".marks .ink")).to_have_count(0)
    expect(overlay).to_have_attribute("data-marks", "1")
    assert kinds(mine, secretary, doc) == [("note", "Điều 3 sửa lại")]

    mine.get_by_role("button", name="Hoàn tác").click()
    expect(mine.locator(".marks .ink")).to_have_count(1)
    expect(overlay).to_have_attribute("data-marks", "2")
    assert kinds(mine, secretary, doc) == [("ink", ""), ("note", "Điều 3 sửa lại")]
    expect(theirs.locator(".marks .ink")).to_have_count(0)  # private: never on the delegate's tablet

    mine.get_by_role("button", name="Hoàn tác").click()  # the stroke was drawn last: it goes
    expect(mine.locator(".marks .ink")).to_have_count(0)
    expect(overlay).to_have_attribute("data-marks", "1")
    assert kinds(mine, secretary, doc) == [("note", "Điều 3 sửa lại")]
    shot(mine, "tablet-reader-annotation-undone")
