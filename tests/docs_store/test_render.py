"""render: page images in the allowed widths, and words normalised to the page as displayed."""

# mypy: allow-untyped-calls
from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from pdf_factory import VIETNAMESE, text_pdf

from docs_store.render import ALLOWED_WIDTHS, MAX_PIXELS, page_count, page_text, page_words, render_page
from docs_store.words import union
from meetings.errors import Invalid, NotFound


def image_size(data: bytes) -> tuple[int, int]:
    pix = pymupdf.Pixmap(data)
    return pix.width, pix.height


def test_png_and_jpeg_at_the_asked_width(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", [VIETNAMESE])
    png = render_page(path, 1, 320)
    jpeg = render_page(path, 1, 640, fmt="jpeg")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and jpeg.startswith(b"\xff\xd8\xff")
    width, height = image_size(png)
    assert abs(width - 320) <= 1 and abs(height - round(320 * 842 / 595)) <= 1
    assert abs(image_size(jpeg)[0] - 640) <= 1


def test_a_width_outside_the_set_is_refused(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["x"])
    with pytest.raises(Invalid) as caught:
        render_page(path, 1, 1000)
    assert caught.value.detail == "width must be one of 160, 320, 640, 960, 1280, 1600, 2048"
    assert 1000 not in ALLOWED_WIDTHS


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as caught:
        render_page(text_pdf(tmp_path / "a.pdf", ["x"]), 1, 320, fmt="webp")
    assert caught.value.detail == "format must be one of png, jpeg"


@pytest.mark.parametrize("page_no", [0, 3])
def test_a_page_that_does_not_exist(tmp_path: Path, page_no: int) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["một", "hai"])
    with pytest.raises(NotFound) as caught:
        page_words(path, page_no)
    assert caught.value.detail == f"page {page_no} does not exist; the document has 2 pages"


def test_a_very_tall_page_is_drawn_within_the_pixel_budget(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["dài"], size=(200, 14000))
    width, height = image_size(render_page(path, 1, 2048))
    assert width * height <= MAX_PIXELS * 1.01 and width < 2048


def test_text_and_words(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "a.pdf", [VIETNAMESE, "Trang hai"])
    assert page_count(path) == 2
    assert VIETNAMESE in page_text(path, 1).replace("\n", " ")
    words = page_words(path, 1)
    assert [w.text for w in words[:3]] == ["Kỳ", "họp", "thứ"]
    first = words[0]
    assert first.x0 == pytest.approx(50 / 595, abs=0.005) and first.y0 == pytest.approx(50 / 842, abs=0.01)
    assert all(0 <= w.x0 < w.x1 <= 1 and 0 <= w.y0 < w.y1 <= 1 for w in words)


def dark_fraction(png: bytes, box: tuple[float, float, float, float]) -> float:
    """Share of dark pixels inside a normalised box of the image."""
    pix = pymupdf.Pixmap(png)
    x0, y0, x1, y1 = (
        int(box[0] * pix.width),
        int(box[1] * pix.height),
        int(box[2] * pix.width),
        int(box[3] * pix.height),
    )
    pixels = [pix.pixel(x, y)[0] for y in range(y0, max(y1, y0 + 1)) for x in range(x0, max(x1, x0 + 1))]
    return sum(p < 128 for p in pixels) / len(pixels)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_word_boxes_sit_on_the_rendered_ink_whatever_the_rotation(tmp_path: Path, rotation: int) -> None:
    path = text_pdf(tmp_path / "a.pdf", ["ĐIỀU MỘT"], size=(400, 600), rotation=rotation)
    png = render_page(path, 1, 640)
    words = page_words(path, 1)
    for word in words:
        assert dark_fraction(png, word.rect) > 0.05
    x0, y0, x1, y1 = union(w.rect for w in words)
    assert x1 - x0 < 0.5 and y1 - y0 < 0.5
    far_x = (0.55, 0.95) if (x0 + x1) / 2 < 0.5 else (0.05, 0.45)
    far_y = (0.55, 0.95) if (y0 + y1) / 2 < 0.5 else (0.05, 0.45)
    assert dark_fraction(png, (far_x[0], far_y[0], far_x[1], far_y[1])) == 0  # the opposite corner is blank
