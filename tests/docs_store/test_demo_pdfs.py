"""The demo agenda: realistic, over 100 pages, the same bytes every run, accepted by our own checks."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from docs_store.demo_pdfs import DemoDoc, write_demo_agenda
from docs_store.inspect import inspect_pdf
from docs_store.packet import PacketDoc, PacketItem, PacketSpec, compile_packet


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[DemoDoc]:
    return write_demo_agenda(tmp_path_factory.mktemp("demo"))


def test_five_documents_over_a_hundred_pages(demo: list[DemoDoc]) -> None:
    docs = demo
    assert [d.presenter for d in docs] == [
        "Chủ tịch UBND tỉnh",
        "Giám đốc Sở Tài chính",
        "Giám đốc Sở Tài chính",
        "Trưởng Ban Kinh tế - Ngân sách HĐND tỉnh",
        "Phó Chủ tịch UBND tỉnh",
    ]
    pages = 0
    for doc in docs:
        with pymupdf.open(doc.path) as pdf:
            pages += pdf.page_count
            assert pdf.metadata is not None and pdf.metadata["title"] == doc.title
    assert pages >= 100


def test_the_same_bytes_every_run(demo: list[DemoDoc], tmp_path: Path) -> None:
    again = write_demo_agenda(tmp_path)
    assert [d.path.read_bytes() for d in again] == [d.path.read_bytes() for d in demo]


def test_documents_read_like_council_papers(demo: list[DemoDoc]) -> None:
    report, budget, investment, _, petitions = demo
    with pymupdf.open(budget.path) as pdf:
        text = " ".join(" ".join(page.get_text().split()) for page in pdf)
        assert "QUYẾT NGHỊ:" in text and "Điều 1." in text and "Điều 6." in text
        assert "Biểu số 01: Dự toán thu ngân sách nhà nước trên địa bàn năm 2027" in text
        table_page = next(p for p in pdf if "Biểu số 02" in p.get_text())
        assert len(table_page.get_drawings()) > 0, "tables are ruled"
    with pymupdf.open(report.path) as pdf:
        first = pdf[0].get_text()
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first and "Độc lập - Tự do - Hạnh phúc" in first
        assert [entry[1] for entry in pdf.get_toc() if entry[0] == 1][0].startswith("I. KẾT QUẢ")
        assert "Tài liệu mẫu – số liệu giả định · Trang 1/" in first
    with pymupdf.open(investment.path) as pdf:
        assert "Danh mục dự án" in pdf[pdf.page_count - 1].get_text()
    with pymupdf.open(petitions.path) as pdf:
        assert "Cử tri" in pdf[0].get_text()


def test_every_demo_document_passes_inspection(demo: list[DemoDoc]) -> None:
    for doc in demo:
        info = inspect_pdf(doc.path)
        assert info.title == doc.title and not info.has_javascript and not info.warnings


def test_the_demo_agenda_compiles_into_a_packet(demo: list[DemoDoc], tmp_path: Path) -> None:
    items = [PacketItem(d.title, d.presenter, [PacketDoc(d.title, d.path)]) for d in demo]
    spec = PacketSpec(
        "Kỳ họp thứ Mười hai HĐND tỉnh Hà Giang",
        "Hội đồng nhân dân tỉnh Hà Giang",
        "Thường trực HĐND tỉnh",
        "08:00 ngày 09/12/2026",
        241,
        items,
    )
    result = compile_packet(spec, tmp_path / "packet.pdf")
    with pymupdf.open(result.path) as packet:
        body_pages = packet.page_count - result.front_pages
        assert body_pages >= 100
        assert packet[result.front_pages].get_text().startswith("ỦY BAN NHÂN DÂN")
