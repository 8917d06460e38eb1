"""Journey: the operations board lists every bridge point of the province, by district, with a filter;
the English switch translates the screen in place."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import Contexts, open_page, shot


def test_the_operations_board_lists_the_241_bridge_points_of_the_province(contexts: Contexts) -> None:
    page = open_page(contexts, "operator", "/app/ops")
    expect(page.get_by_test_id("bp-count")).to_have_text("241")
    expect(page.locator("tr.bp-row")).to_have_count(241)
    expect(page.locator("details.ops-group")).to_have_count(12)  # the province's own rooms + 11 districts
    shot(page, "ops-board")

    page.get_by_label("Tìm điểm cầu").fill("meo vac")  # without accents: Mèo Vạc
    expect(page.get_by_test_id("bp-count")).to_have_text("20")  # 2 district rooms + 18 communes
    expect(page.locator("details.ops-group")).to_have_count(1)
    page.get_by_label("Đường truyền").select_option("good")
    expect(page.get_by_test_id("bp-count")).to_have_text("2")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations board")
    expect(page.get_by_label("Find a bridge point")).to_have_value("meo vac")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "ops-board-filtered-english")
