"""The front matter of a packet: a cover page and a table of contents, typeset in DejaVu Sans.

Built as a separate small document whose font is subset, so the packet carries only the glyphs used.
The contents lines remember where they were drawn so the packet can make them links.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf

from .fonts import load_pair
from .typeset import Flow, wrap

NUMBER_COLUMN = 36.0
LEVEL_INDENT = 18.0


@dataclass(frozen=True)
class TocEntry:
    """A line of the table of contents: level 1 for an agenda item, 2 for a document.

    ``page`` is the body page number printed in the contents (the page label), ``None`` for an item
    without documents; ``presenter`` is set for items.
    """

    level: int
    title: str
    page: int | None
    presenter: str = ""


@dataclass(frozen=True)
class CoverFacts:
    meeting_title: str
    body: str
    host: str
    start_local: str
    bridge_points: int
    items: int
    documents: int
    body_pages: int


@dataclass(frozen=True)
class TocLink:
    """A clickable area of the contents: on front page ``front_index`` (from 0), to body page ``page``."""

    front_index: int
    rect: pymupdf.Rect
    page: int


def build_front(cover: CoverFacts, entries: Sequence[TocEntry]) -> tuple[pymupdf.Document, list[TocLink]]:
    """A new document holding the cover and the contents pages, and the links to add once assembled."""
    doc = pymupdf.open()
    flow = Flow(doc, load_pair())
    _cover(flow, cover)
    links = _contents(flow, entries)
    flow.flush()
    doc.subset_fonts()
    return doc, links


def _cover(flow: Flow, cover: CoverFacts) -> None:
    flow.new_page()
    flow.line(cover.body.upper(), 13, bold=True, align="center")
    middle = (flow.left + flow.right) / 2
    flow.rule(middle - 60, flow.y + 2, middle + 60, flow.y + 2)
    flow.space(150)
    flow.line("BỘ TÀI LIỆU", 26, bold=True, align="center")
    flow.space(16)
    for text in wrap(cover.meeting_title, flow.measure(True), 18, flow.width):
        flow.line(text, 18, bold=True, align="center")
    flow.space(40)
    for label, value in (
        ("Thời gian", cover.start_local),
        ("Đơn vị chủ trì", cover.host),
        ("Số điểm cầu", str(cover.bridge_points)),
        ("Nội dung", f"{cover.items} nội dung, {cover.documents} tài liệu, {cover.body_pages} trang"),
    ):
        flow.paragraph(f"{label}: {value}", 13, align="center")
    flow.y = flow.bottom - 20
    flow.line("Tài liệu phục vụ cuộc họp – lưu hành nội bộ", 9, align="center")


def _contents(flow: Flow, entries: Sequence[TocEntry]) -> list[TocLink]:
    flow.new_page()
    flow.line("MỤC LỤC", 16, bold=True, align="center")
    flow.space(10)
    links = []
    for entry in entries:
        link = _entry(flow, entry)
        if link is not None:
            links.append(link)
    return links


def _entry(flow: Flow, entry: TocEntry) -> TocLink | None:
    size, bold = (12.0, True) if entry.level == 1 else (11.0, False)
    indent = LEVEL_INDENT * (entry.level - 1)
    measure = flow.measure(bold)
    lines = wrap(entry.title, measure, size, flow.width - indent - NUMBER_COLUMN)
    extra = [f"Trình bày: {entry.presenter}"] if entry.presenter else []
    height = (len(lines) + len(extra)) * size * 1.35 + 4
    flow.ensure(height)
    top, front_index = flow.y, flow.doc.page_count - 1
    for text in lines[:-1]:
        flow.line(text, size, bold, indent=indent)
    last = lines[-1]
    baseline = flow.y + size
    flow.text_at(flow.left + indent, baseline, last, size, bold)
    number = str(entry.page) if entry.page is not None else "–"
    flow.text_at(flow.right, baseline, number, size, bold, align="right")
    _leader(
        flow, flow.left + indent + measure(last, size), flow.right - measure(number, size), baseline, size
    )
    flow.y += size * 1.35
    for text in extra:
        flow.line(text, size - 2, indent=indent + 12)
    flow.space(4)
    if entry.page is None:
        return None
    return TocLink(front_index, pymupdf.Rect(flow.left, top, flow.right, flow.y), entry.page)


def _leader(flow: Flow, start: float, end: float, baseline: float, size: float) -> None:
    """Dots from the end of a title to its page number."""
    dot = flow.measure()(" .", size)
    count = int((end - start - 8) / dot)
    if count > 0:
        flow.text_at(end - 4, baseline, " ." * count, size, align="right")
