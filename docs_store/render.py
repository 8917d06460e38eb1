"""Page images and page text for the tablets, from a stored (already inspected) PDF.

Images come in a fixed set of widths so that caches (ETag, immutable URLs keyed by page hash and width)
hit; PNG or JPEG (PyMuPDF 2.0 writes no WebP). Word boxes are normalised to 0..1 of the page as
displayed, so they overlay any rendered width. Pages are numbered from 1.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

from pathlib import Path

import pymupdf

from meetings.errors import Invalid, NotFound

from .words import Word, clamp

ALLOWED_WIDTHS = (160, 320, 640, 960, 1280, 1600, 2048)
FORMATS = ("png", "jpeg")
MAX_PIXELS = 2048 * 2048 * 2
"""A very tall page is drawn narrower than asked rather than as a 50-megapixel image."""


def render_page(pdf_path: Path, page_no: int, width: int, fmt: str = "png", jpeg_quality: int = 85) -> bytes:
    """The page drawn ``width`` pixels wide (±1 px), as PNG or JPEG bytes, on a white background."""
    if width not in ALLOWED_WIDTHS:
        raise Invalid(f"width must be one of {', '.join(map(str, ALLOWED_WIDTHS))}")
    if fmt not in FORMATS:
        raise Invalid(f"format must be one of {', '.join(FORMATS)}")
    with pymupdf.open(pdf_path, filetype="pdf") as doc:
        page = _page(doc, page_no)
        zoom = width / page.rect.width
        zoom = min(zoom, (MAX_PIXELS / (page.rect.width * page.rect.height)) ** 0.5)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        return bytes(pix.tobytes("jpeg" if fmt == "jpeg" else "png", jpg_quality=jpeg_quality))


def page_words(pdf_path: Path, page_no: int) -> list[Word]:
    """The page's words in content order, with boxes in page fractions (top-left origin, as displayed)."""
    with pymupdf.open(pdf_path, filetype="pdf") as doc:
        return words_on(_page(doc, page_no))


def words_on(page: pymupdf.Page) -> list[Word]:
    """:func:`page_words` of a page already open."""
    to_display = page.rotation_matrix
    width, height = page.rect.width, page.rect.height
    words = []
    for x0, y0, x1, y1, text, *_ in page.get_text("words"):
        box = pymupdf.Rect(x0, y0, x1, y1) * to_display
        words.append(
            Word(
                text,
                clamp(box.x0 / width),
                clamp(box.y0 / height),
                clamp(box.x1 / width),
                clamp(box.y1 / height),
            )
        )
    return words


def page_text(pdf_path: Path, page_no: int) -> str:
    """The page's plain text."""
    with pymupdf.open(pdf_path, filetype="pdf") as doc:
        return str(_page(doc, page_no).get_text("text"))


def page_count(pdf_path: Path) -> int:
    """Number of pages."""
    with pymupdf.open(pdf_path, filetype="pdf") as doc:
        return int(doc.page_count)


def _page(doc: pymupdf.Document, page_no: int) -> pymupdf.Page:
    if not 1 <= page_no <= doc.page_count:
        raise NotFound(f"page {page_no} does not exist; the document has {doc.page_count} pages")
    page: pymupdf.Page = doc.load_page(page_no - 1)
    return page
