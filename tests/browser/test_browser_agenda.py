"""Journeys: the secretary builds a meeting's agenda (reordered from the keyboard and by dragging), uploads a
real PDF watching the progress bar, meets a clear error for a file that only pretends to be a PDF, and
publishes the packet; then handles a delegate's comment on a draft in the summary table (bảng tổng hợp tiếp
thu, giải trình) and downloads it as CSV."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
from playwright.sync_api import Page, expect

from tests.browser.helpers import Contexts, open_page, shot
from tests.docs_store.pdf_factory import docx_bytes, text_pdf
from tests.servers import Server

ITEMS = [
    ("Báo cáo tình hình kinh tế - xã hội", "Giám đốc Sở Kế hoạch và Đầu tư", "30"),
    ("Dự thảo Nghị quyết về đầu tư công", "Giám đốc Sở Tài chính", "20"),
    ("Kết luận của Chủ tịch", "Chủ tịch UBND tỉnh", "10"),
]
# the server checks each PDF in a worker process and compiles the packet: allow for a busy machine
WORK_MS = 60_000
DRAFT = "Dự thảo Nghị quyết về dự toán ngân sách nhà nước năm 2027"


DROP_FILE = """([name, b64]) => {
    const data = new DataTransfer();
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    data.items.add(new File([bytes], name, { type: 'application/pdf' }));
    return data;
}"""


def add_item(page: Page, title: str, presenter: str, minutes: str) -> None:
    adder = page.locator(".agenda-add")
    adder.get_by_label("Nội dung").fill(title)
    adder.get_by_label("Người trình bày").fill(presenter)
    adder.get_by_label("Thời lượng (phút)").fill(minutes)
    adder.get_by_role("button", name="Thêm vào chương trình").click()
    expect(page.locator(".agenda-item-title").last).to_have_text(title)


def test_secretary_builds_the_agenda_uploads_and_publishes_the_packet(
    server: Server, contexts: Contexts, tmp_path: Path
) -> None:
    token = server.login("secretary")
    me = server.request("GET", "/api/auth/me", token=token)[1]
    status, meeting = server.request(
        "POST",
        "/api/meetings",
        {"title": "Phiên họp thường kỳ tháng 12", "host_unit_id": me["unit_id"],
         "start": "2026-12-10T08:00:00", "end": "2026-12-10T11:00:00"},
        token,
    )  # fmt: skip
    assert status == 201, meeting
    mid = meeting["id"]

    page = open_page(contexts, "secretary", "/app/secretary")
    draft = page.locator(f".draft-list li[data-meeting-id='{mid}']")
    draft.get_by_role("link", name="Chương trình, tài liệu").click()
    expect(page).to_have_url(re.compile(rf"/app/secretary\?meeting={mid}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(meeting["title"])
    expect(page.get_by_test_id("agenda")).to_contain_text("Chưa có mục nào")

    for title, presenter, minutes in ITEMS:
        add_item(page, title, presenter, minutes)
    add_item(page, "Mục thêm nhầm", "", "")
    page.get_by_role("button", name="Xóa «Mục thêm nhầm»").click()
    page.get_by_role("button", name="Xác nhận xóa «Mục thêm nhầm»").click()  # two steps: no slip deletes
    expect(page.locator(".agenda-item-title")).to_have_text([t for t, _, _ in ITEMS])
    first = page.locator(".agenda-item").first
    expect(first).to_contain_text("Trình bày: Giám đốc Sở Kế hoạch và Đầu tư · 30 phút")

    # edit: the conclusion gets a longer time box
    page.get_by_role("button", name=f"Sửa «{ITEMS[2][0]}»").click()
    editing = page.locator(".agenda-item").nth(2).locator(".agenda-form")
    editing.get_by_label("Thời lượng (phút)").fill("15")
    editing.get_by_role("button", name="Lưu").click()
    expect(page.locator(".agenda-item").nth(2)).to_contain_text("15 phút")
    expect(page.get_by_role("button", name=f"Sửa «{ITEMS[2][0]}»")).to_be_focused()  # back where it was

    # keyboard: the conclusion moves up twice in quick succession, the focus staying with it
    page.get_by_role("button", name=f"Chuyển «{ITEMS[2][0]}» lên").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator(".agenda-item-title").first).to_have_text(ITEMS[2][0])
    expect(page.get_by_role("button", name=f"Chuyển «{ITEMS[2][0]}» xuống")).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="tới vị trí 1/3")).to_be_attached()
    stored = server.request("GET", f"/api/meetings/{mid}/agenda", token=token)[1]
    assert [i["title"] for i in stored] == [ITEMS[2][0], ITEMS[0][0], ITEMS[1][0]]
    # drag and drop: the report goes below the draft resolution
    rows = page.locator(".agenda-item")
    below = rows.nth(2).bounding_box()
    assert below is not None
    bottom = {"x": 40, "y": below["height"] - 8}
    rows.nth(1).locator(".agenda-row").drag_to(rows.nth(2), target_position=bottom)
    expected = [ITEMS[2][0], ITEMS[1][0], ITEMS[0][0]]
    expect(page.locator(".agenda-item-title")).to_have_text(expected)

    # a real PDF, uploaded to the draft resolution (now second), watching the progress bar
    pages = [f"Điều {n}. Nội dung dự thảo nghị quyết về đầu tư công, trang {n}." for n in range(1, 7)]
    pdf = text_pdf(tmp_path / "du-thao-nghi-quyet.pdf", pages, title="Dự thảo Nghị quyết về đầu tư công")
    target = page.locator(".agenda-item").nth(1)
    target.get_by_label(f"Tải tài liệu PDF lên mục «{ITEMS[1][0]}»").set_input_files(str(pdf))
    box = target.locator(".agenda-upload .upload-status")
    expect(box.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
    expect(box.locator(".upload-pct")).to_have_text("100%")
    done = "Đã tải lên «Dự thảo Nghị quyết về đầu tư công»: 6 trang."
    expect(box.get_by_role("status")).to_have_text(done, timeout=WORK_MS)
    document = target.locator(".doc-row")
    expect(document).to_have_count(1)
    expect(document).to_contain_text("Phiên bản 1 · 6 trang")

    # a Word file renamed .pdf: the server's reason in the page's language, and the document already there
    # untouched
    fake = tmp_path / "bao-cao-tham-tra.pdf"
    fake.write_bytes(docx_bytes())
    target.get_by_label(f"Tải tài liệu PDF lên mục «{ITEMS[1][0]}»").set_input_files(str(fake))
    expect(box.get_by_role("alert")).to_contain_text(
        "Không tải lên được «bao-cao-tham-tra.pdf»: "
        "tệp không phải là PDF; hãy lưu hoặc xuất thành PDF rồi tải lên",
        timeout=WORK_MS,
    )
    expect(box.get_by_test_id("upload-progress")).to_have_count(0)
    expect(document).to_have_count(1)
    expect(document).to_contain_text("Dự thảo Nghị quyết về đầu tư công")
    # a password-protected PDF: refused, with what to do instead
    locked = {"encryption": pymupdf.mupdf.PDF_ENCRYPT_AES_256, "user_pw": "u", "owner_pw": "o"}
    secret = text_pdf(tmp_path / "bao-mat.pdf", ["Tài liệu có mật khẩu."], save=locked)
    target.get_by_label(f"Tải tài liệu PDF lên mục «{ITEMS[1][0]}»").set_input_files(str(secret))
    expect(box.get_by_role("alert")).to_contain_text(
        "«bao-mat.pdf»: tệp PDF có mật khẩu; hãy tải lên bản không đặt mật khẩu", timeout=WORK_MS
    )
    expect(document).to_have_count(1)

    # a new version: page 3 rewritten
    pages[2] = "Điều 3. Nội dung đã sửa theo ý kiến thẩm tra."
    text_pdf(pdf, pages, title="Dự thảo Nghị quyết về đầu tư công")
    new_version = document.get_by_label("Tải phiên bản mới của «Dự thảo Nghị quyết về đầu tư công»")
    new_version.set_input_files(str(pdf))
    expect(document.get_by_role("status")).to_contain_text("Đã tải lên phiên bản 2", timeout=WORK_MS)
    expect(document.get_by_role("status")).to_contain_text("trang thay đổi: 3.")
    expect(document).to_contain_text("Phiên bản 2 · 6 trang")

    page.get_by_role("button", name="Phát hành bộ tài liệu").click()
    published = page.get_by_role("status").filter(has_text="Đã phát hành bộ tài liệu")
    expect(published).to_be_visible(timeout=WORK_MS)
    shown_pages = int(page.get_by_test_id("packet-pages").inner_text())
    link = page.get_by_role("link", name="Mở bộ tài liệu (PDF)")
    expect(link).to_have_attribute("href", f"/api/meetings/{mid}/packet")
    expect(page.get_by_role("link", name="Biên bản cuộc họp (PDF)")).to_have_attribute(
        "href", f"/api/meetings/{mid}/minutes.pdf"
    )
    shot(page, "secretary-agenda-packet")

    # stored: the agenda in its new order, the document, the packet with the pages shown
    status, agenda = server.request("GET", f"/api/meetings/{mid}/agenda", token=token)
    assert status == 200
    assert [i["title"] for i in agenda] == expected
    assert [i["position"] for i in agenda] == [1, 2, 3]
    assert agenda[2]["time_box_minutes"] == 30 and agenda[0]["time_box_minutes"] == 15
    assert [len(i["documents"]) for i in agenda] == [0, 1, 0] and agenda[1]["documents"][0]["pages"] == 6
    reply = page.context.request.get(f"/api/meetings/{mid}/packet")
    assert reply.ok and reply.headers["content-type"] == "application/pdf"
    packet = pymupdf.open(stream=reply.body(), filetype="pdf")
    assert packet.page_count == shown_pages >= 6
    items = [title for level, title, *_ in packet.get_toc() if level == 1 and title != "Mục lục"]
    assert items == [f"{n}. {title}" for n, title in enumerate(expected, 1)]  # bookmarks in the new order


def test_secretary_handles_a_comment_in_the_summary_table(
    server: Server, contexts: Contexts, tmp_path: Path
) -> None:
    secretary = server.login("secretary")
    page = open_page(contexts, "secretary", "/app/secretary?meeting=1")
    add_item(page, DRAFT, "Giám đốc Sở Tài chính", "20")
    item = page.locator(".agenda-item").filter(has_text=DRAFT)
    pages = [f"Trang {n}: dự toán ngân sách nhà nước năm 2027." for n in (1, 2, 3)]
    pdf = text_pdf(tmp_path / "du-thao.pdf", pages)
    dropped = page.evaluate_handle(DROP_FILE, ["du-thao.pdf", base64.b64encode(pdf.read_bytes()).decode()])
    item.dispatch_event("drop", {"dataTransfer": dropped})  # the PDF dropped on the item
    expect(item.locator(".agenda-upload").get_by_role("status")).to_contain_text("3 trang", timeout=WORK_MS)
    [draft] = server.request("GET", "/api/meetings/1/documents", token=secretary)[1]
    delegate = server.login("delegate01")
    reader = server.request("GET", "/api/auth/me", token=delegate)[1]

    # the secretary names its one reader, and opens comments until a deadline in Vietnam's time
    row = page.locator(f".doc-row[data-document-id='{draft['id']}']")
    row.get_by_role("button", name="Thiết lập").click()
    row.get_by_label("Người được chỉ định").check()
    row.locator(f".readers input[value='{reader['person_id']}']").check()
    deadline = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    vietnam = deadline + timedelta(hours=7)
    row.get_by_label("Hạn góp ý").fill(vietnam.strftime("%Y-%m-%dT%H:%M"))
    row.get_by_role("button", name="Lưu").click()
    expect(row.locator(".doc-deadline")).to_contain_text("Nhận góp ý đến")
    expect(row.locator(".badge")).to_have_text("Người được chỉ định")
    stored = server.request("GET", f"/api/documents/{draft['id']}", token=secretary)[1]
    assert datetime.fromisoformat(stored["comment_deadline"]) == deadline
    assert stored["confidentiality"] == "named" and stored["readers"] == [reader["person_id"]]

    status, comment = server.request(
        "POST",
        f"/api/documents/{draft['id']}/comments",
        {"text": "Đề nghị bổ sung nguồn vốn cho các xã vùng cao.", "page": 2, "quote": "dự toán ngân sách"},
        delegate,
    )
    assert status == 201, comment

    row.get_by_role("button", name="Góp ý").click()
    table = page.locator(f".comments-table[data-document-id='{draft['id']}']")
    line = table.locator(f"tr[data-comment-id='{comment['id']}']")
    expect(line).to_contain_text(comment["author_name"])
    expect(line).to_contain_text("Trang 2")
    expect(line.locator("mark")).to_have_text("dự toán ngân sách")
    expect(line).to_contain_text("Đề nghị bổ sung nguồn vốn cho các xã vùng cao.")
    answer = "Ngân sách tỉnh đã bố trí vốn cho các xã vùng cao tại Phụ lục II."
    decision = line.get_by_label(f"Xử lý góp ý số 1 của {comment['author_name']}")
    decision.select_option(label="Giải trình")
    line.get_by_role("button", name="Lưu").click()
    expect(line.get_by_role("alert")).to_have_text("Nhập nội dung giải trình.")  # explained needs an answer
    line.get_by_label(f"Trả lời góp ý số 1 của {comment['author_name']}").fill(answer)
    line.get_by_role("button", name="Lưu").click()
    expect(line.locator(".saved")).to_contain_text("Đã lưu. Giải trình")
    shot(page, "secretary-comments-table")

    handled = server.request("GET", f"/api/documents/{draft['id']}/comments", token=secretary)[1]
    assert [(c["id"], c["handling"], c["answer"]) for c in handled] == [(comment["id"], "explained", answer)]
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bảng (CSV)").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Đề nghị bổ sung nguồn vốn cho các xã vùng cao." in csv_text
    assert f"Giải trình. {answer}" in csv_text
    table_pdf = page.get_by_role("link", name="Tải bảng (PDF)").get_attribute("href")
    reply = page.context.request.get(table_pdf or "")
    assert reply.ok and reply.headers["content-type"] == "application/pdf"
    with pymupdf.open(stream=reply.body(), filetype="pdf") as printed:
        text = " ".join(" ".join(p.get_text().split()) for p in printed)
    assert "Giải trình" in text and "Phụ lục II" in text
