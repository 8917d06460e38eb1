"""watermark_copy: a visible, upright watermark on every page, whatever its geometry, and a traceable mark."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from pdf_factory import VIETNAMESE, numbered_pdf, text_pdf

from docs_store.watermark import read_mark, watermark_copy

TEXT = "Bản của đại biểu Nguyễn Văn A – 23/11/2026"


def mixed_pages(path: Path) -> Path:
    """Portrait, landscape by rotation, upside down, and a page whose visible area is offset (crop box)."""
    doc = pymupdf.open()
    for rotation in (0, 90, 180):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 72), f"{VIETNAMESE} ({rotation})", fontname="helv", fontsize=9)
        page.set_rotation(rotation)
    page = doc.new_page(width=600, height=800)
    page.insert_text((150, 150), "cắt lề", fontname="helv")
    page.set_cropbox(pymupdf.Rect(100, 100, 500, 700))
    doc.save(path)
    doc.close()
    return path


def display_lines(page: pymupdf.Page) -> list[tuple[str, pymupdf.Rect, tuple[float, float]]]:
    """Each text line with its box and direction in the page as displayed."""
    rotate = page.rotation_matrix
    turn = pymupdf.Matrix(rotate.a, rotate.b, rotate.c, rotate.d, 0, 0)
    lines = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            text = "".join(span["text"] for span in line["spans"])
            direction = pymupdf.Point(line["dir"]) * turn
            lines.append(
                (text, pymupdf.Rect(line["bbox"]) * rotate, (round(direction.x, 2), round(direction.y, 2)))
            )
    return lines


def test_every_page_carries_an_upright_watermark_and_footer(tmp_path: Path) -> None:
    mark = watermark_copy(mixed_pages(tmp_path / "in.pdf"), tmp_path / "out.pdf", TEXT, mark="dbieu-042")
    assert mark == "dbieu-042"
    with pymupdf.open(tmp_path / "out.pdf") as doc:
        assert doc.page_count == 4
        for page in doc:
            lines = display_lines(page)
            footer = [box for text, box, _ in lines if text == f"{TEXT} · mã bản dbieu-042"]
            diagonal = [d for text, _, d in lines if text == TEXT]
            assert footer and footer[0].y1 > page.rect.height * 0.95, (
                "the footer sits at the bottom, as displayed"
            )
            assert diagonal and diagonal[0][0] > 0.3 and diagonal[0][1] < -0.3, (
                "the diagonal rises left to right"
            )


def test_the_original_content_stays(tmp_path: Path) -> None:
    source = numbered_pdf(tmp_path / "in.pdf", 3)
    watermark_copy(source, tmp_path / "out.pdf", TEXT)
    with pymupdf.open(tmp_path / "out.pdf") as doc:
        assert [p.get_text().startswith(f"Trang {n}") for n, p in enumerate(doc, start=1)] == [True] * 3


def test_the_mark_can_be_read_back_from_the_document_or_from_one_extracted_page(tmp_path: Path) -> None:
    mark = watermark_copy(numbered_pdf(tmp_path / "in.pdf", 3), tmp_path / "out.pdf", TEXT)
    assert len(mark) == 16 and read_mark(tmp_path / "out.pdf") == mark
    with pymupdf.open(tmp_path / "out.pdf") as doc, pymupdf.open() as leak:
        leak.insert_pdf(doc, from_page=2, to_page=2)  # one page, without the document information
        leak.save(tmp_path / "leak.pdf")
    assert read_mark(tmp_path / "leak.pdf") == mark


def test_an_unmarked_document_has_no_mark(tmp_path: Path) -> None:
    assert read_mark(text_pdf(tmp_path / "in.pdf", ["không có dấu"])) is None


def test_a_mark_is_a_plain_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        watermark_copy(text_pdf(tmp_path / "in.pdf", ["x"]), tmp_path / "out.pdf", TEXT, mark="a b/c")
