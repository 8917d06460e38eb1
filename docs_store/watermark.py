"""A delegate's personal copy: a visible watermark on every page and a traceable mark.

The visible part is a light diagonal line of text across the page and a small footer; the traceable
part is a mark id stored in the document information (``/CauhopMark``) and as invisible text on every
page, so even a single extracted page can be traced (:func:`read_mark`).

Fast by construction: the watermark is drawn once per page geometry as a form XObject (its font subset
to the glyphs used) and every page gets the same two tiny shared content streams that place it — no
per-page text layout, no per-page font.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import math
import re
import secrets
from collections import defaultdict
from pathlib import Path

import pymupdf

from .fonts import load_pair
from .pagetree import visible_box
from .pdfobj import Ref, parse

MARK_KEY = "CauhopMark"
_HIDDEN = re.compile(r"cauhop-mark:([0-9A-Za-z_-]+)")
Geometry = tuple[tuple[float, float, float, float], int]


def watermark_copy(src: Path, dst: Path, text: str, mark: str | None = None) -> str:
    """Write ``src`` to ``dst`` with ``text`` watermarked on every page; return the mark id used."""
    mark = mark or secrets.token_hex(8)
    if not _HIDDEN.fullmatch(f"cauhop-mark:{mark}"):
        raise ValueError("a mark is letters, digits, '-' and '_' only")
    with pymupdf.open(src, filetype="pdf") as doc:
        groups: dict[Geometry, list[int]] = defaultdict(list)
        for number in range(doc.page_count):
            page = doc.load_page(number)
            groups[(visible_box(doc, page.xref), page.rotation % 360)].append(number)
        sizes = [_display_size(box, rotation) for box, rotation in groups]
        with _overlays(sizes, text, mark) as overlay:
            opening = _stream(doc, b"q\n")
            for index, ((box, rotation), pages) in enumerate(groups.items()):
                form = _form(doc, overlay, index, sizes[index], _placement(box, rotation))
                closing = _stream(doc, f"\nQ q /CauhopWM{index} Do Q\n".encode())
                for number in pages:
                    _attach(doc, number, f"CauhopWM{index}", form, opening, closing)
        _store_mark(doc, mark)
        doc.save(dst, garbage=1, deflate=True)
    return mark


def read_mark(path: Path) -> str | None:
    """The mark id of a watermarked copy (from its information, else from a page's hidden text)."""
    with pymupdf.open(path, filetype="pdf") as doc:
        kind, info = doc.xref_get_key(-1, "Info")
        if kind == "xref":
            kind, value = doc.xref_get_key(int(info.split()[0]), MARK_KEY)
            if kind == "string":
                return str(value)
        for number in range(min(doc.page_count, 3)):
            found = _HIDDEN.search(doc.load_page(number).get_text("text"))
            if found:
                return found.group(1)
    return None


def _display_size(box: tuple[float, float, float, float], rotation: int) -> tuple[float, float]:
    width, height = box[2] - box[0], box[3] - box[1]
    return (height, width) if rotation in (90, 270) else (width, height)


def _placement(box: tuple[float, float, float, float], rotation: int) -> tuple[float, ...]:
    """The form matrix that lays a display-oriented overlay over the visible area of a rotated page."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x0 + w, y0),
        180: (-1, 0, 0, -1, x0 + w, y0 + h),
        270: (0, -1, 1, 0, x0, y0 + h),
    }.get(rotation, (1, 0, 0, 1, x0, y0))


def _overlays(sizes: list[tuple[float, float]], text: str, mark: str) -> pymupdf.Document:
    """One overlay page per page size, with the diagonal text, the footer and the hidden mark."""
    fonts = load_pair()
    overlay = pymupdf.open()
    for width, height in sizes:
        page = overlay.new_page(width=width, height=height)
        page.insert_font(fontname="wm", fontfile=str(fonts.regular_path))
        diagonal = math.hypot(width, height)
        size = max(10.0, min(60.0, 0.7 * diagonal / max(fonts.regular.text_length(text, 1), 1)))
        centre = pymupdf.Point(width / 2, height / 2)
        start = centre + (-fonts.regular.text_length(text, size) / 2, size / 3)
        angle = math.degrees(math.atan2(height, width))
        page.insert_text(
            start, text, fontname="wm", fontsize=size, color=(0.45, 0.45, 0.45), fill_opacity=0.2,
            morph=(centre, pymupdf.Matrix(angle)),
        )  # fmt: skip
        footer = f"{text} · mã bản {mark}"
        foot_size = 7.0
        foot_x = (width - fonts.regular.text_length(footer, foot_size)) / 2
        page.insert_text(
            (foot_x, height - 10), footer, fontname="wm", fontsize=foot_size, color=(0.35, 0.35, 0.35)
        )
        page.insert_text((2, 3), f"cauhop-mark:{mark}", fontname="wm", fontsize=1, render_mode=3)
    overlay.subset_fonts()
    return overlay


def _form(
    doc: pymupdf.Document,
    overlay: pymupdf.Document,
    index: int,
    size: tuple[float, float],
    matrix: tuple[float, ...],
) -> int:
    """Copy overlay page ``index`` into ``doc`` as a form XObject (via a scratch page), placed by ``matrix``.

    (``show_pdf_page`` grafts the overlay with its font; the scratch page is deleted again.)
    """
    scratch = doc.new_page(width=size[0], height=size[1])
    form = int(scratch.show_pdf_page(scratch.rect, overlay, index))
    doc.delete_page(doc.page_count - 1)
    doc.xref_set_key(form, "Matrix", "[" + " ".join(f"{v:g}" for v in matrix) + "]")
    return form


def _stream(doc: pymupdf.Document, data: bytes) -> int:
    xref = _stream_less_object(doc)
    doc.update_stream(xref, data)
    return xref


def _attach(doc: pymupdf.Document, number: int, name: str, form: int, opening: int, closing: int) -> None:
    """Register the form under ``name`` in the page's resources and wrap its content with the two streams."""
    page = doc.load_page(number)
    holder, prefix = _own_resources(doc, page.xref)
    kind, value = doc.xref_get_key(holder, f"{prefix}XObject")
    if kind == "xref":
        doc.xref_set_key(int(value.split()[0]), name, f"{form} 0 R")
    else:
        doc.xref_set_key(holder, f"{prefix}XObject/{name}", f"{form} 0 R")
    contents = [opening, *page.get_contents(), closing]
    doc.xref_set_key(page.xref, "Contents", "[" + " ".join(f"{x} 0 R" for x in contents) + "]")


def _own_resources(doc: pymupdf.Document, page_xref: int) -> tuple[int, str]:
    """The object holding the page's resource dictionary and the key path to it there.

    Inherited resources are first copied onto the page, so adding an entry never touches the parent.
    """
    kind, value = doc.xref_get_key(page_xref, "Resources")
    if kind == "xref":
        return int(value.split()[0]), ""
    if kind != "dict":
        inherited = _inherited_resources(doc, page_xref)
        doc.xref_set_key(page_xref, "Resources", inherited or "<<>>")
        return _own_resources(doc, page_xref)
    return page_xref, "Resources/"


def _inherited_resources(doc: pymupdf.Document, page_xref: int) -> str | None:
    node = parse(doc.xref_object(page_xref, compressed=True))
    while isinstance(node, dict) and isinstance(parent := node.get("Parent"), Ref):
        kind, value = doc.xref_get_key(parent.num, "Resources")
        if kind in ("xref", "dict"):
            return str(value)
        node = parse(doc.xref_object(parent.num, compressed=True))
    return None


def _store_mark(doc: pymupdf.Document, mark: str) -> None:
    kind, info = doc.xref_get_key(-1, "Info")
    if kind == "xref":
        holder = int(info.split()[0])
    else:
        holder = _stream_less_object(doc)
        doc.xref_set_key(-1, "Info", f"{holder} 0 R")
    doc.xref_set_key(holder, MARK_KEY, pymupdf.get_pdf_str(mark))


def _stream_less_object(doc: pymupdf.Document) -> int:
    xref = int(doc.get_new_xref())
    doc.update_object(xref, "<<>>")
    return xref
