"""Per-page content hashes: unchanged pages keep their hash through edits, re-saves and moves."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path

import pymupdf
from pdf_factory import raw_pdf

from docs_store.fonts import font_file
from docs_store.pagehash import page_hashes

FONT = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def hashes(path: Path) -> list[str]:
    with pymupdf.open(path) as doc:
        return page_hashes(doc)


def picture() -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 30), False)
    pix.set_rect(pix.irect, (200, 30, 30))
    return bytes(pix.tobytes("png"))


def six_pages(path: Path) -> Path:
    """Six different pages sharing two fonts and one image, saved with the dead objects of a deleted page."""
    doc = pymupdf.open()
    image = picture()
    doc.new_page().insert_text((72, 72), "nháp, sẽ xoá", fontname="helv")
    for n in range(1, 7):
        page = doc.new_page()
        page.insert_font(fontname="dv", fontfile=str(font_file("DejaVuSans.ttf")))
        page.insert_text((72, 72), f"Trang số {n}: dự toán ngân sách", fontname="dv", fontsize=12)
        page.insert_text((72, 100), f"page {n}", fontname="helv", fontsize=10)
        if n in (2, 5):
            page.insert_image(pymupdf.Rect(72, 120, 152, 180), stream=image)
        page.draw_rect(pymupdf.Rect(60, 60 + n, 300, 200), color=(0, 0, 1))
    doc.delete_page(0)
    doc.save(path)
    doc.close()
    return path


def test_distinct_pages_hash_differently(tmp_path: Path) -> None:
    assert len(set(hashes(six_pages(tmp_path / "v1.pdf")))) == 6


def test_hashing_is_repeatable(tmp_path: Path) -> None:
    path = six_pages(tmp_path / "v1.pdf")
    assert hashes(path) == hashes(path)


def test_one_page_edited_and_another_moved_keeps_every_other_hash(tmp_path: Path) -> None:
    v1 = hashes(six_pages(tmp_path / "v1.pdf"))
    with pymupdf.open(tmp_path / "v1.pdf") as doc:
        page = doc[2]
        page.insert_text((72, 300), "Sửa đổi: bổ sung số liệu", fontname="helv", fontsize=11)
        doc.move_page(4, 0)  # page 5 becomes page 1
        doc.save(tmp_path / "v2.pdf", garbage=4, deflate=True, use_objstms=1)  # renumbers every object
    with pymupdf.open(tmp_path / "v1.pdf") as old, pymupdf.open(tmp_path / "v2.pdf") as new:
        assert old[1].get_contents() != new[2].get_contents()  # the same page, under other object numbers
    v2 = hashes(tmp_path / "v2.pdf")
    assert v2[0] == v1[4]
    assert v2[1:] == [v1[0], v1[1], v2[3], v1[3], v1[5]]
    assert v2[3] != v1[2] and v2[3] not in v1


def test_copying_pages_into_a_new_document_in_reverse_keeps_their_hashes(tmp_path: Path) -> None:
    v1 = hashes(six_pages(tmp_path / "v1.pdf"))
    with pymupdf.open(tmp_path / "v1.pdf") as src, pymupdf.open() as copy:
        copy.insert_pdf(src, from_page=5, to_page=0)  # reversed
        copy.save(tmp_path / "copy.pdf", garbage=3, deflate=True)
    assert hashes(tmp_path / "copy.pdf") == v1[::-1]


def shared_resources(extra_font: bool, page_two: str) -> bytes:
    """Three pages sharing one resource dictionary (object 6), as many producers write them."""
    fonts = "/F1 7 0 R /F2 8 0 R" if extra_font else "/F1 7 0 R"
    contents = [
        b"BT /F1 12 Tf 72 720 Td (one) Tj ET",
        page_two.encode(),
        b"BT /F1 12 Tf 72 720 Td (three) Tj ET",
    ]
    streams = [f"<< /Length {len(c)} >>\nstream\n{c.decode()}\nendstream" for c in contents]
    page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 6 0 R /Contents {} 0 R >>"
    return raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>",
            page.format(9),
            page.format(10),
            page.format(11),
            f"<< /Font << {fonts} >> >>",
            FONT,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
            *streams,
        ]
    )


def test_a_page_that_adds_to_a_shared_resource_dictionary_does_not_change_the_others(tmp_path: Path) -> None:
    v1, v2 = tmp_path / "v1.pdf", tmp_path / "v2.pdf"
    v1.write_bytes(shared_resources(False, "BT /F1 12 Tf 72 720 Td (two) Tj ET"))
    v2.write_bytes(shared_resources(True, "BT /F2 12 Tf 72 720 Td (two, now in Courier) Tj ET"))
    before, after = hashes(v1), hashes(v2)
    assert (after[0], after[2]) == (before[0], before[2])
    assert after[1] != before[1]


def test_inherited_resources_and_boxes_hash_like_the_pages_own(tmp_path: Path) -> None:
    content = b"BT /F1 12 Tf 72 720 Td (same) Tj ET"
    stream = f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream"
    own = raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
            "/Contents 4 0 R >>",
            stream,
            FONT,
        ]
    )
    inherited = raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
            stream,
            FONT,
        ]
    )
    (tmp_path / "own.pdf").write_bytes(own)
    (tmp_path / "inherited.pdf").write_bytes(inherited)
    assert hashes(tmp_path / "own.pdf") == hashes(tmp_path / "inherited.pdf")


def test_the_same_drawing_on_another_page_size_hashes_differently(tmp_path: Path) -> None:
    with pymupdf.open() as doc:
        for width in (595, 842):
            doc.new_page(width=width, height=595).insert_text((72, 72), "giống nhau", fontname="helv")
        assert len(set(page_hashes(doc))) == 2
