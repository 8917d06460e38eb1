"""Zoom in the tablet's packet reader, on a touch screen of 1280×800: two fingers spread on the page make it
larger (centred between the fingers, the left edge still reachable, a sharper image asked for) and pinched
together make it smaller again, within the reader's 50–400 %; one finger still scrolls the page; ctrl + wheel,
the + / − keys and the zoom buttons zoom too. The touches are real ones, sent through Chromium's input
pipeline (CDP Input.dispatchTouchEvent), not events made up in the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, CDPSession, Page, expect

from docs_store.demo_pdfs import DemoDoc, write_demo_agenda
from tests.browser.helpers import TABLET, shot
from tests.browser.tablet_reader import page_image_loaded, read_published
from tests.servers import Server

SHOWN_WIDTH = (
    "() => { const src = document.querySelector('.page-img').currentSrc; "
    "return src ? Number(new URL(src).searchParams.get('width')) : 0; }"
)


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[DemoDoc]]:
    yield write_demo_agenda(tmp_path_factory.mktemp("papers"))


@pytest.fixture
def tablet(browser: Browser, server: Server) -> Iterator[Page]:
    """A delegate's touch tablet (1280×800, touch events on), logged in; script errors fail the test."""
    ctx = browser.new_context(
        base_url=server.base,
        viewport=TABLET,
        has_touch=True,
        device_scale_factor=1,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    ctx.set_default_timeout(15_000)
    errors: list[str] = []
    reply = ctx.request.post("/api/auth/login", data={"username": "delegate05", "password": "demo"})
    assert reply.ok, reply.text()
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ctx.close()
    assert not errors, "script errors in the page:\n" + "\n".join(errors)


class Fingers:
    """Touches on the screen through Chromium's input pipeline, as a touch screen sends them."""

    def __init__(self, page: Page) -> None:
        self.cdp: CDPSession = page.context.new_cdp_session(page)

    def send(self, kind: str, points: list[tuple[float, float]]) -> None:
        touches = [
            {"x": x, "y": y, "id": i, "radiusX": 4, "radiusY": 4, "force": 1}
            for i, (x, y) in enumerate(points)
        ]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touches})

    def pinch(self, centre: tuple[float, float], start: float, end: float, steps: int = 10) -> None:
        """Two fingers, side by side around ``centre``, from ``start`` to ``end`` pixels apart."""
        cx, cy = centre

        def at(gap: float) -> list[tuple[float, float]]:
            return [(cx - gap / 2, cy), (cx + gap / 2, cy)]

        self.send("touchStart", at(start))
        for step in range(1, steps + 1):
            self.send("touchMove", at(start + (end - start) * step / steps))
        self.send("touchEnd", [])

    def drag(self, start: tuple[float, float], dx: float, dy: float, steps: int = 10) -> None:
        """One finger, pressed at ``start`` and moved by (dx, dy)."""
        x, y = start
        self.send("touchStart", [(x, y)])
        for step in range(1, steps + 1):
            self.send("touchMove", [(x + dx * step / steps, y + dy * step / steps)])
        self.send("touchEnd", [])


def sheet_width(page: Page) -> float:
    box = page.locator(".page-sheet").bounding_box()
    assert box is not None
    return box["width"]


def page_point(page: Page, x: float, y: float) -> list[float]:
    """Where on the page (fractions of its width and height) the screen point (x, y) falls."""
    spot: list[float] = page.locator(".page-sheet").evaluate(
        "(el, [x, y]) => { const b = el.getBoundingClientRect(); "
        "return [(x - b.left) / b.width, (y - b.top) / b.height]; }",
        [x, y],
    )
    return spot


def zoomed(page: Page, label: str, width: float) -> None:
    """The zoom indicator shows ``label`` and the page is shown ``width`` pixels wide (±2)."""
    expect(page.locator(".zoom-level")).to_have_text(label)
    page.wait_for_function(
        "([w]) => Math.abs(document.querySelector('.page-sheet').getBoundingClientRect().width - w) <= 2",
        arg=[width],
    )


def test_two_fingers_zoom_the_page_in_and_out_and_one_finger_still_scrolls(
    tablet: Page, server: Server, papers: list[DemoDoc]
) -> None:
    report = papers[0]
    page = tablet
    doc = read_published(page, server, report)
    expect(page.locator(".zoom-level")).to_have_text("100%")

    stage = page.get_by_test_id("reader-stage")
    stage.scroll_into_view_if_needed()
    box = stage.bounding_box()
    assert box is not None and 0 <= box["y"] < TABLET["height"] * 0.5  # the fingers land on the page
    centre = (box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
    base = sheet_width(page)
    sharp = page.evaluate(SHOWN_WIDTH)
    under = page_point(page, *centre)
    fingers = Fingers(page)

    fingers.pinch(centre, start=120, end=360)  # three times as far apart: three times as large
    zoomed(page, "300%", base * 3)
    page.wait_for_function(f"([n]) => ({SHOWN_WIDTH})() > n", arg=[sharp])  # a sharper image
    page_image_loaded(page, doc, 1)
    after = page_point(page, *centre)  # the spot between the fingers stayed between them
    assert abs(after[0] - under[0]) < 0.02 and abs(after[1] - under[1]) < 0.02, (under, after)
    shot(page, "tablet-reader-pinch-zoom-300")

    # The page's left edge can be scrolled to (not cut off by centring a page wider than the screen).
    stage.evaluate("el => { el.scrollLeft = 0; }")
    left = page.locator(".page-sheet").bounding_box()
    assert left is not None and left["x"] >= box["x"] - 1, (left, box)

    # One finger scrolls the enlarged page; it does not zoom.
    top = stage.evaluate("el => el.scrollTop")
    fingers.drag((centre[0], box["y"] + box["height"] * 0.7), 0, -250)
    page.wait_for_function("([t]) => document.querySelector('.reader-stage').scrollTop > t + 100", arg=[top])
    expect(page.locator(".zoom-level")).to_have_text("300%")
    expect(page.locator(".page-sheet")).to_have_attribute("data-page", "1")

    fingers.pinch(centre, start=360, end=120)  # back together: back to the page's width
    zoomed(page, "100%", base)

    fingers.pinch(centre, start=60, end=520)  # no larger than 400 % (the fingers stay on the stage)
    zoomed(page, "400%", base * 4)
    fingers.pinch(centre, start=520, end=40)  # and no smaller than 50 %
    zoomed(page, "50%", base / 2)
    shot(page, "tablet-reader-pinch-zoom-50")
    expect(page.get_by_test_id("doc-where")).to_have_text(f"Tài liệu #{doc} · trang 1")


def test_ctrl_wheel_keys_and_buttons_zoom_the_page(
    tablet: Page, server: Server, papers: list[DemoDoc]
) -> None:
    budget = papers[1]
    page = tablet
    read_published(page, server, budget)
    stage = page.get_by_test_id("reader-stage")
    stage.scroll_into_view_if_needed()
    box = stage.bounding_box()
    assert box is not None
    base = sheet_width(page)

    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 200)  # without ctrl the wheel scrolls the page
    page.wait_for_function("() => document.querySelector('.reader-stage').scrollTop > 0")
    expect(page.locator(".zoom-level")).to_have_text("100%")
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    zoomed(page, "149%", base * 1.4918)
    page.mouse.wheel(0, 200)
    page.keyboard.up("Control")
    zoomed(page, "100%", base)

    stage.focus()
    page.keyboard.press("+")
    zoomed(page, "125%", base * 1.25)
    page.keyboard.press("+")
    zoomed(page, "156%", base * 1.5625)
    page.keyboard.press("-")
    zoomed(page, "125%", base * 1.25)
    page.keyboard.press("0")
    zoomed(page, "100%", base)

    # Writing a note on the page: its keys are the note's, not the reader's.
    page.get_by_role("button", name="Ghi chú", exact=True).click()
    stage.locator(".page-overlay").click(position={"x": 200, "y": 150})
    note = page.get_by_label("Nội dung ghi chú")
    note.press_sequentially("Mục 2-3: +10")
    note.press("ArrowLeft")
    note.press("ArrowRight")
    note.press_sequentially("%")
    expect(note).to_have_value("Mục 2-3: +10%")
    expect(page.locator(".zoom-level")).to_have_text("100%")
    expect(page.locator(".page-sheet")).to_have_attribute("data-page", "1")
    note.press("Escape")
    expect(note).to_have_count(0)
    page.get_by_role("button", name="Đọc", exact=True).click()

    page.get_by_role("button", name="Thu nhỏ").click()
    zoomed(page, "80%", base * 0.8)
    page.get_by_role("button", name="Phóng to").click()
    page.get_by_role("button", name="Phóng to").click()
    zoomed(page, "125%", base * 1.25)
    shot(page, "tablet-reader-zoom-keys")
    page.get_by_role("button", name="Vừa khung").click()
    zoomed(page, "100%", base)


def test_in_pen_mode_one_finger_draws_and_two_fingers_zoom_without_drawing(
    tablet: Page, server: Server, papers: list[DemoDoc]
) -> None:
    report = papers[0]
    page = tablet
    doc = read_published(page, server, report)
    page.get_by_role("button", name="Bút vẽ", exact=True).click()
    stage = page.get_by_test_id("reader-stage")
    stage.scroll_into_view_if_needed()
    box = stage.bounding_box()
    assert box is not None
    overlay = stage.locator(".page-overlay")
    cx, cy = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45
    fingers = Fingers(page)

    fingers.drag((cx - 100, cy - 80), 160, 30)  # one finger: a stroke
    expect(overlay).to_have_attribute("data-marks", "1")

    # A pinch as hands make one: a finger lands and moves a little, then the second lands and they spread.
    fingers.send("touchStart", [(cx - 60, cy)])
    fingers.send("touchMove", [(cx - 70, cy + 5)])
    fingers.send("touchStart", [(cx - 70, cy + 5), (cx + 60, cy)])
    for step in range(1, 11):
        fingers.send("touchMove", [(cx - 70 - 12 * step, cy + 5), (cx + 60 + 12 * step, cy)])
    fingers.send("touchEnd", [])
    expect(page.locator(".zoom-level")).not_to_have_text("100%")

    fingers.drag((cx - 100, cy + 60), 160, -20)  # and one finger draws again: the pinch drew nothing
    expect(page.locator(".reader-outbox")).to_be_hidden()  # every stroke drawn has reached the server
    expect(overlay).to_have_attribute("data-marks", "2")
    stored = page.context.request.get(f"/api/documents/{doc}/annotations").json()
    assert [a["kind"] for a in stored] == ["ink", "ink"]
    shot(page, "tablet-reader-pen-pinch")
