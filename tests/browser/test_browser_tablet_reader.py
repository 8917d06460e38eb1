"""Journeys in the tablet's packet reader: a delegate reads page 5 of a real document (page images from
the server), annotates it, loses the network, annotates again ("not yet sent"), comes back online, and
both annotations are stored once each; search jumps to a page, zoom takes a sharper image, and the packet's
pages fetched ahead stay readable offline, even after a reload; a presenter's shared note appears live; a
highlight keeps the words it covers; a comment on a draft is sent before its deadline and refused after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from docs_store.demo_pdfs import DemoDoc, write_demo_agenda
from tests.browser.helpers import Api, Contexts, shot
from tests.browser.tablet_reader import MEETING, open_document, page_image_loaded, publish
from tests.servers import Server


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoDoc]]:
    """The demo agenda's PDFs (Vietnamese text and tables), written once for the module."""
    yield write_demo_agenda(tmp_path_factory.mktemp("papers"))


def saved_for_offline(page: Page, pages: int) -> None:
    expect(page.locator(".offline-status")).to_have_text(
        f"Đã lưu {pages} trang để đọc khi mất mạng.", timeout=60_000
    )


def test_annotations_made_offline_are_sent_on_reconnect_and_stored_once(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server, papers: list[DemoDoc]
) -> None:
    report = papers[0]
    doc = publish(server, report)["id"]
    delegate = as_user("delegate03")

    ctx = contexts("delegate03")
    page = ctx.new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    open_document(page, report.title)
    page.locator('.thumb[data-page="5"]').click()
    expect(page.get_by_test_id("doc-where")).to_have_text(f"Tài liệu #{doc} · trang 5")
    page_image_loaded(page, doc, 5)

    page.get_by_role("button", name="Ghi chú", exact=True).click()
    page.get_by_test_id("reader-stage").locator(".page-overlay").click(position={"x": 300, "y": 200})
    page.get_by_label("Nội dung ghi chú").fill("Hỏi lại số liệu tăng trưởng")
    page.get_by_role("button", name="Lưu ghi chú").click()
    overlay = page.locator(".page-overlay")
    expect(overlay).to_have_attribute("data-marks", "1")
    expect(page.locator(".pin")).to_have_count(1)

    ctx.set_offline(True)
    expect(page.locator(".conn")).to_have_text("Mất mạng")
    page.get_by_role("button", name="Bút vẽ", exact=True).click()
    box = overlay.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 120, box["y"] + 320)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 120 + step * 25, box["y"] + 320 + (step % 3) * 8)
    page.mouse.up()
    expect(page.locator(".reader-outbox")).to_contain_text("Chưa gửi")
    expect(page.locator(".reader-outbox")).to_contain_text("1 thay đổi ghi chú đang chờ gửi")
    expect(overlay).to_have_attribute("data-unsent", "1")
    expect(page.locator(".marks .ink.unsent")).to_have_count(1)
    stored = delegate.get(f"/api/documents/{doc}/annotations")
    assert [a["kind"] for a in stored] == ["note"]
    shot(page, "tablet-reader-annotation-not-yet-sent")

    ctx.set_offline(False)
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    expect(page.locator(".reader-outbox")).to_be_hidden()
    expect(overlay).to_have_attribute("data-marks", "2")
    expect(overlay).to_have_attribute("data-unsent", "0")
    expect(page.locator(".marks .ink.unsent")).to_have_count(0)
    expect(page.locator(".marks .ink")).to_have_count(1)
    shot(page, "tablet-reader-annotations-sent")

    stored = delegate.get(f"/api/documents/{doc}/annotations")
    assert sorted((a["kind"], a["page"], a["visibility"]) for a in stored) == [
        ("ink", 5, "private"),
        ("note", 5, "private"),
    ]
    note = next(a for a in stored if a["kind"] == "note")
    assert note["data"]["text"] == "Hỏi lại số liệu tăng trưởng"
    assert page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('cauhop.annotations'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).length)"
    ) == [0]


def test_search_jumps_to_the_page_and_saved_pages_read_offline_even_after_a_reload(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server, papers: list[DemoDoc]
) -> None:
    budget, voters = papers[1], papers[4]  # the packet: 12 + 15 pages
    doc = publish(server, budget)["id"]
    other = publish(server, voters)["id"]
    delegate = as_user("delegate07")
    hits = delegate.get(f"/api/meetings/{MEETING}/search?q=ngan%20sach")
    hit = next(h for h in hits if h["document_id"] == doc and h["page"] > 1)

    page = contexts("delegate07").new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    page.get_by_role("button", name="Tìm trong tài liệu").click()
    page.get_by_label("Tìm trong tài liệu").fill("ngan sach")  # no accents: still found
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator(".hit").first).to_be_visible()
    expect(page.locator(".hit mark").first).to_contain_text("ngân sách", ignore_case=True)
    shot(page, "tablet-reader-search")
    page.locator(".hit", has_text=f"{budget.title} · trang {hit['page']}").first.click()
    expect(page.get_by_test_id("doc-where")).to_have_text(f"Tài liệu #{doc} · trang {hit['page']}")
    page_image_loaded(page, doc, hit["page"])
    saved_for_offline(page, 12 + 15)  # the whole packet, not only the open document

    shown_width = (
        "() => { const src = document.querySelector('.page-img').currentSrc; "
        "return src ? Number(new URL(src).searchParams.get('width')) : 0; }"
    )
    before = page.evaluate(shown_width)
    page.get_by_role("button", name="Phóng to").click()
    page.get_by_role("button", name="Phóng to").click()
    expect(page.locator(".zoom-level")).to_have_text("156%")
    page.wait_for_function(f"([n]) => ({shown_width})() > n", arg=[before])  # sharper: a wider image
    page_image_loaded(page, doc, hit["page"])
    page.get_by_role("button", name="Vừa khung").click()
    expect(page.locator(".zoom-level")).to_have_text("100%")

    page.context.set_offline(True)
    expect(page.locator(".conn")).to_have_text("Mất mạng")
    last = 12 if hit["page"] != 12 else 11  # a page never shown large before: from the saved copy
    page.locator(f'.thumb[data-page="{last}"]').click()
    page_image_loaded(page, doc, last)

    page.reload()  # the screen itself comes from the service worker's copy
    expect(page.locator(".conn")).to_have_text("Mất mạng")
    open_document(page, voters.title)  # never opened before: its pages were fetched ahead
    page.locator('.thumb[data-page="3"]').click()
    page_image_loaded(page, other, 3)
    shot(page, "tablet-reader-offline-after-reload")
    page.context.set_offline(False)
    expect(page.locator(".conn")).to_have_text("Đã kết nối")


def test_shared_annotations_appear_live_and_comments_close_at_the_deadline(
    contexts: Contexts, as_user: Callable[[str], Api], server: Server, papers: list[DemoDoc]
) -> None:
    draft = papers[1]
    doc = publish(server, draft)["id"]
    secretary = server.login("secretary")
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert server.request("PATCH", f"/api/documents/{doc}", {"comment_deadline": soon}, secretary)[0] == 200

    page = contexts("delegate09").new_page()
    page.goto(f"/app/tablet/{MEETING}")
    expect(page.locator(".conn")).to_have_text("Đã kết nối")
    open_document(page, draft.title)
    page.locator('.thumb[data-page="2"]').click()
    page_image_loaded(page, doc, 2)
    expect(page.get_by_role("button", name="Chia sẻ cho mọi người")).to_have_count(0)  # a delegate may not

    shared = {
        "kind": "note",
        "page": 2,
        "visibility": "shared",
        "data": {"at": [0.3, 0.4], "text": "Lưu ý điều 2"},
    }
    status, _ = server.request("POST", f"/api/documents/{doc}/annotations", shared, secretary)
    assert status == 201
    expect(page.locator(".pin.shared")).to_have_count(1)  # live: no reload
    expect(page.get_by_role("button", name="Ghi chú chia sẻ: Lưu ý điều 2")).to_be_visible()

    words = as_user("delegate09").get(f"/api/documents/{doc}/pages/2/text")["words"][:5]
    page.get_by_role("button", name="Tô sáng", exact=True).click()
    box = page.locator(".page-overlay").bounding_box()  # after the click: the screen may have scrolled
    assert box is not None

    def at(w: dict[str, float]) -> tuple[float, float]:
        assert box is not None
        x, y = (w["x0"] + w["x1"]) / 2, (w["y0"] + w["y1"]) / 2
        return box["x"] + box["width"] * x, box["y"] + box["height"] * y

    page.mouse.move(*at(words[0]))
    page.mouse.down()
    page.mouse.move(*at(words[2]))
    page.mouse.move(*at(words[-1]))
    page.mouse.up()
    expect(page.locator(".page-overlay")).to_have_attribute("data-marks", "2")  # the shared note + mine
    expect(page.locator(".marks .hl.mine")).not_to_have_count(0)
    (mark,) = [
        a for a in as_user("delegate09").get(f"/api/documents/{doc}/annotations") if a["kind"] == "highlight"
    ]
    assert mark["page"] == 2 and mark["anchor"]["quote"] == " ".join(w["text"] for w in words)

    expect(page.locator(".comment-deadline")).to_contain_text("Nhận góp ý đến")
    page.get_by_label("Ý kiến góp ý").fill("Đề nghị làm rõ cơ sở tính dự toán thu.")
    page.get_by_role("button", name="Gửi góp ý cho trang 2").click()
    expect(page.locator(".comment-message")).to_have_text("Đã gửi góp ý.")
    expect(page.locator(".comment")).to_contain_text("Đề nghị làm rõ cơ sở tính dự toán thu.")
    shot(page, "tablet-reader-shared-note-and-comment")

    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert server.request("PATCH", f"/api/documents/{doc}", {"comment_deadline": past}, secretary)[0] == 200
    expect(page.locator(".comment-deadline")).to_contain_text("Đã hết hạn góp ý")
    page.get_by_label("Ý kiến góp ý").fill("Góp ý muộn")
    page.get_by_role("button", name="Gửi góp ý cho trang 2").click()
    expect(page.get_by_role("alert").filter(has_text="đã hết hạn góp ý lúc")).to_be_visible()
    comments = server.request("GET", f"/api/documents/{doc}/comments", token=secretary)[1]
    assert [c["text"] for c in comments] == ["Đề nghị làm rõ cơ sở tính dự toán thu."]
