"""compile_packet: cover, contents whose page numbers are right, bookmarks, labels, links, Vietnamese text."""

# mypy: allow-untyped-calls
from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest
from pdf_factory import numbered_pdf

from docs_store.packet import PacketDoc, PacketItem, PacketResult, PacketSpec, compile_packet
from docs_store.pagehash import page_hashes

MEETING = "Kỳ họp thứ Mười hai, Hội đồng nhân dân tỉnh Hà Giang khóa XVIII"


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    report = numbered_pdf(tmp_path / "report.pdf", 5, prefix="BÁO CÁO trang")
    with pymupdf.open(report) as doc:  # the report has its own bookmarks
        doc.set_toc([[1, "Phần I. Kết quả", 1], [2, "1. Kinh tế", 2], [1, "Phần II. Nhiệm vụ", 4]])
        doc.saveIncr()
    return {
        "report": report,
        "budget": numbered_pdf(tmp_path / "budget.pdf", 3, prefix="NGÂN SÁCH trang"),
        "annex": numbered_pdf(tmp_path / "annex.pdf", 2, prefix="PHỤ LỤC trang"),
        "invest": numbered_pdf(tmp_path / "invest.pdf", 4, prefix="ĐẦU TƯ trang"),
    }


def spec(documents: dict[str, Path], extra_items: int = 0) -> PacketSpec:
    items = [
        PacketItem(
            "Báo cáo tình hình kinh tế - xã hội năm 2026",
            "Chủ tịch UBND tỉnh",
            [PacketDoc("Báo cáo", documents["report"])],
        ),
        PacketItem(
            "Dự thảo Nghị quyết về dự toán ngân sách nhà nước năm 2027",
            "Giám đốc Sở Tài chính",
            [
                PacketDoc("Dự thảo Nghị quyết", documents["budget"]),
                PacketDoc("Phụ lục số liệu", documents["annex"]),
            ],
        ),
        PacketItem("Chất vấn và trả lời chất vấn", "Chủ tọa kỳ họp"),  # no documents
        PacketItem(
            "Kế hoạch đầu tư công năm 2027",
            "Giám đốc Sở Tài chính",
            [PacketDoc("Dự thảo", documents["invest"])],
        ),
    ]
    items += [
        PacketItem(f"Nội dung bổ sung số {n} về công tác tổ chức kỳ họp", "Thư ký kỳ họp")
        for n in range(extra_items)
    ]
    return PacketSpec(
        MEETING,
        "Hội đồng nhân dân tỉnh Hà Giang",
        "Thường trực HĐND tỉnh",
        "08:00 ngày 09/12/2026",
        241,
        items,
    )


def printed_number(page: pymupdf.Page, title: str) -> int | None:
    """The page number printed on the contents line whose whole title is ``title`` (leader dots follow it)."""
    words = page.get_text("words")
    for hit in page.search_for(title):
        after = sorted((w for w in words if abs(w[3] - hit.y1) < 2 and w[0] > hit.x1 - 1), key=lambda w: w[0])
        if after and (after[0][4] == "." or after[0][4].isdigit() or after[0][4] == "–"):
            last = after[-1][4]
            return int(last) if last.isdigit() else None
    raise AssertionError(f"no contents line for {title!r}")


def test_the_contents_print_the_page_each_document_starts_on(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    assert isinstance(result, PacketResult)
    assert (result.front_pages, result.pages) == (2, 2 + 5 + 3 + 2 + 4)
    expected_start = {"Báo cáo": 1, "Dự thảo Nghị quyết": 6, "Phụ lục số liệu": 9, "Dự thảo": 11}
    first_text = {
        "Báo cáo": "BÁO CÁO trang 1",
        "Dự thảo Nghị quyết": "NGÂN SÁCH trang 1",
        "Phụ lục số liệu": "PHỤ LỤC trang 1",
        "Dự thảo": "ĐẦU TƯ trang 1",
    }
    with pymupdf.open(result.path) as packet:
        contents = packet[1]
        for entry in result.toc_entries:
            if entry.level == 2:
                assert entry.page == expected_start[entry.title]
                assert printed_number(contents, entry.title) == entry.page
                body_page = packet[result.front_pages + entry.page - 1]
                assert body_page.get_text().startswith(first_text[entry.title])
                assert body_page.get_label() == str(entry.page)


def test_items_start_at_their_first_document_and_an_item_without_documents_has_no_page(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    items = [(e.title, e.page, e.presenter) for e in result.toc_entries if e.level == 1]
    assert items == [
        ("1. Báo cáo tình hình kinh tế - xã hội năm 2026", 1, "Chủ tịch UBND tỉnh"),
        ("2. Dự thảo Nghị quyết về dự toán ngân sách nhà nước năm 2027", 6, "Giám đốc Sở Tài chính"),
        ("3. Chất vấn và trả lời chất vấn", None, "Chủ tọa kỳ họp"),
        ("4. Kế hoạch đầu tư công năm 2027", 11, "Giám đốc Sở Tài chính"),
    ]
    with pymupdf.open(result.path) as packet:
        contents = packet[1]
        assert printed_number(contents, "1. Báo cáo tình hình kinh tế - xã hội năm 2026") == 1
        assert printed_number(contents, "3. Chất vấn và trả lời chất vấn") is None
        assert "Trình bày: Giám đốc Sở Tài chính" in contents.get_text()


def test_bookmarks_nest_items_documents_and_the_documents_own(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    with pymupdf.open(result.path) as packet:
        toc = [entry[:3] for entry in packet.get_toc()]
    front = result.front_pages
    assert toc == [
        [1, "Mục lục", 2],
        [1, "1. Báo cáo tình hình kinh tế - xã hội năm 2026", front + 1],
        [2, "Báo cáo", front + 1],
        [3, "Phần I. Kết quả", front + 1],
        [4, "1. Kinh tế", front + 2],
        [3, "Phần II. Nhiệm vụ", front + 4],
        [1, "2. Dự thảo Nghị quyết về dự toán ngân sách nhà nước năm 2027", front + 6],
        [2, "Dự thảo Nghị quyết", front + 6],
        [2, "Phụ lục số liệu", front + 9],
        [1, "3. Chất vấn và trả lời chất vấn", -1],
        [1, "4. Kế hoạch đầu tư công năm 2027", front + 11],
        [2, "Dự thảo", front + 11],
    ]


def test_labels_roman_for_front_matter_then_from_one(tmp_path: Path, documents: dict[str, Path]) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    with pymupdf.open(result.path) as packet:
        labels = [packet[i].get_label() for i in range(packet.page_count)]
    assert labels == ["i", "ii", *[str(n) for n in range(1, 15)]]


def test_contents_lines_link_to_their_pages(tmp_path: Path, documents: dict[str, Path]) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    with pymupdf.open(result.path) as packet:
        contents = packet[1]
        targets = sorted({link["page"] for link in contents.get_links()})
    assert targets == [result.front_pages + n - 1 for n in (1, 6, 9, 11)]


def test_the_cover_is_vietnamese_text_that_can_be_extracted(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    with pymupdf.open(result.path) as packet:
        cover = " ".join(packet[0].get_text().split())
        assert packet.metadata is not None and packet.metadata["title"] == MEETING
    for expected in (
        "BỘ TÀI LIỆU",
        "Kỳ họp thứ Mười hai",
        "Hội đồng nhân dân tỉnh Hà Giang",
        "Thời gian: 08:00 ngày 09/12/2026",
        "Đơn vị chủ trì: Thường trực HĐND tỉnh",
        "Số điểm cầu: 241",
        "4 nội dung, 4 tài liệu, 14 trang",
    ):
        assert expected in cover


def test_document_pages_keep_their_content_hash_in_the_packet(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    result = compile_packet(spec(documents), tmp_path / "packet.pdf")
    with pymupdf.open(documents["budget"]) as doc:
        budget = page_hashes(doc)
    with pymupdf.open(result.path) as packet:
        packed = page_hashes(packet)
    assert packed[result.front_pages + 5 : result.front_pages + 8] == budget


def test_a_long_agenda_spreads_the_contents_over_several_pages_and_stays_right(
    tmp_path: Path, documents: dict[str, Path]
) -> None:
    result = compile_packet(spec(documents, extra_items=60), tmp_path / "packet.pdf")
    assert result.front_pages >= 4
    with pymupdf.open(result.path) as packet:
        assert packet[result.front_pages].get_label() == "1"
        last_contents_page = packet[result.front_pages - 1].get_text()
        assert "Nội dung bổ sung số 59" in last_contents_page
        body = packet[result.front_pages + 10]  # printed page 11, where the investment plan starts
        assert body.get_text().startswith("ĐẦU TƯ trang 1")
    assert re.search(r"Kế hoạch đầu tư công", " ".join(e.title for e in result.toc_entries))
