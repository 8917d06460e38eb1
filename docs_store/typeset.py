"""A small top-to-bottom typesetter over PyMuPDF: lines, wrapped paragraphs and ruled tables on A4.

Used for the generated pages (packet cover and contents, demo documents). Text is left-aligned (or
centred/right-aligned per line); one ``TextWriter`` and one raw stream of rules per page keep it fast.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf

from .fonts import FontPair

A4 = pymupdf.paper_rect("a4")
MM = 72 / 25.4


@dataclass(frozen=True)
class Margins:
    """Page margins in points (defaults follow Vietnamese administrative documents: 20/20/30/15 mm)."""

    top: float = 20 * MM
    bottom: float = 20 * MM
    left: float = 30 * MM
    right: float = 15 * MM


@dataclass(frozen=True)
class Column:
    """A table column: heading, share of the table width, alignment (``left``, ``right``, ``center``)."""

    title: str
    share: float
    align: str = "left"


class Measure:
    """Text widths for one font, from a per-character cache (PyMuPDF measures one string at a time, slowly).

    Like ``TextWriter``, it ignores kerning, so measured and drawn widths agree.
    """

    def __init__(self, font: pymupdf.Font) -> None:
        self.font = font
        self._advance: dict[str, float] = {}

    def __call__(self, text: str, size: float) -> float:
        advance = self._advance
        total = 0.0
        for ch in text:
            width = advance.get(ch)
            if width is None:
                width = advance[ch] = self.font.text_length(ch, 1)
            total += width
        return total * size


def wrap(text: str, measure: Measure, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (words longer than a line are cut)."""
    lines: list[str] = []
    current: list[str] = []
    used, space = 0.0, measure(" ", size)
    for word in text.split():
        length = measure(word, size)
        if current and used + space + length <= width:
            current.append(word)
            used += space + length
            continue
        if current:
            lines.append(" ".join(current))
        while length > width and len(word) > 1:
            cut = next((i for i in range(len(word) - 1, 0, -1) if measure(word[:i], size) <= width), 1)
            lines.append(word[:cut])
            word = word[cut:]
            length = measure(word, size)
        current, used = [word], length
    lines.append(" ".join(current))
    return lines


class Flow:
    """Writes downwards from the top margin, starting new pages as needed."""

    def __init__(self, doc: pymupdf.Document, fonts: FontPair, margins: Margins | None = None) -> None:
        self.doc = doc
        self.fonts = fonts
        self._measures = (Measure(fonts.regular), Measure(fonts.bold))
        self.margins = margins or Margins()
        self.left: float = self.margins.left
        self.right: float = A4.width - self.margins.right
        self.bottom: float = A4.height - self.margins.bottom
        self.y = self.bottom
        self._page: pymupdf.Page | None = None
        self._writer: pymupdf.TextWriter | None = None
        self._lines: list[str] | None = None

    @property
    def width(self) -> float:
        return self.right - self.left

    def font(self, bold: bool = False) -> pymupdf.Font:
        return self.fonts.bold if bold else self.fonts.regular

    def measure(self, bold: bool = False) -> Measure:
        return self._measures[bold]

    def new_page(self) -> None:
        self.flush()
        self._page = self.doc.new_page(width=A4.width, height=A4.height)
        self._writer = pymupdf.TextWriter(self._page.rect)
        self._lines = []
        self.y = self.margins.top

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit above the bottom margin."""
        if self._page is None or self.y + height > self.bottom:
            self.new_page()

    def space(self, height: float) -> None:
        self.y += height

    def text_at(
        self, x: float, baseline: float, text: str, size: float, bold: bool = False, align: str = "left"
    ) -> None:
        """Put one line of text with its baseline at ``baseline``; ``x`` is its left, right or centre."""
        writer, _ = self._current()
        if align != "left":
            length = self.measure(bold)(text, size)
            x -= length if align == "right" else length / 2
        writer.append((x, baseline), text, font=self.font(bold), fontsize=size)

    def _current(self) -> tuple[pymupdf.TextWriter, list[str]]:
        if self._writer is None or self._lines is None:
            self.new_page()
        if self._writer is None or self._lines is None:
            raise RuntimeError("no page to write on")
        return self._writer, self._lines

    def line(
        self, text: str, size: float, bold: bool = False, align: str = "left", indent: float = 0.0
    ) -> None:
        """One line of text across the text column, then move down."""
        height = size * 1.35
        self.ensure(height)
        x = {"left": self.left + indent, "center": (self.left + self.right) / 2, "right": self.right}[align]
        self.text_at(x, self.y + size, text, size, bold, align)
        self.y += height

    def paragraph(
        self, text: str, size: float = 12, bold: bool = False, align: str = "left", indent: float = 0.0
    ) -> None:
        """A wrapped paragraph; ``indent`` shifts its first line (Vietnamese documents indent 1 cm)."""
        lines = wrap(text, self.measure(bold), size, self.width - indent)
        first, rest = lines[0], " ".join(lines[1:])
        self.line(first, size, bold, align, indent if align == "left" else 0.0)
        for line in wrap(rest, self.measure(bold), size, self.width) if rest else []:
            self.line(line, size, bold, align)
        self.y += size * 0.4

    def rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """A thin black line (drawn when the page is flushed)."""
        _, lines = self._current()
        lines.append(f"{x0:.2f} {A4.height - y0:.2f} m {x1:.2f} {A4.height - y1:.2f} l")

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], size: float = 9.5) -> None:
        """A ruled table; long cells wrap, the heading row repeats on every page the table spans."""
        total = sum(c.share for c in columns)
        widths = [self.width * c.share / total for c in columns]
        heading = _Row([c.title for c in columns], self, widths, size, bold=True)
        first = _Row(rows[0], self, widths, size, bold=False) if rows else None
        self.ensure(heading.height + (first.height if first else 0))
        heading.draw(self, columns)
        for cells in rows:
            row = _Row(cells, self, widths, size, bold=False)
            if self.y + row.height > self.bottom:
                self.new_page()
                heading.draw(self, columns)
            row.draw(self, columns)
        self.y += size

    def flush(self) -> None:
        """Write the current page's text and lines into it."""
        if self._page is None or self._writer is None or self._lines is None:
            return
        if self._lines:
            strokes = "q 0.6 w 0 G\n" + "\n".join(self._lines) + " S\nQ\n"
            append_content(self.doc, self._page, strokes.encode())
        self._writer.write_text(self._page)
        self._page, self._writer, self._lines = None, None, None


class _Row:
    """One table row, wrapped to its column widths."""

    PAD = 3.0

    def __init__(
        self, cells: Sequence[str], flow: Flow, widths: list[float], size: float, bold: bool
    ) -> None:
        self.size, self.bold, self.widths = size, bold, widths
        self.leading = size * 1.3
        measure = flow.measure(bold)
        self.lines = [
            wrap(cell, measure, size, w - 2 * self.PAD) for cell, w in zip(cells, widths, strict=True)
        ]
        self.height = max(len(lines) for lines in self.lines) * self.leading + 2 * self.PAD

    def draw(self, flow: Flow, columns: Sequence[Column]) -> None:
        top, x = flow.y, flow.left
        for lines, width, column in zip(self.lines, self.widths, columns, strict=True):
            align = "center" if self.bold else column.align
            anchor = {"left": x + self.PAD, "right": x + width - self.PAD, "center": x + width / 2}[align]
            for n, text in enumerate(lines):
                flow.text_at(
                    anchor, top + self.PAD + self.size + n * self.leading, text, self.size, self.bold, align
                )
            flow.rule(x, top, x, top + self.height)
            x += width
        flow.rule(x, top, x, top + self.height)
        flow.rule(flow.left, top, x, top)
        flow.rule(flow.left, top + self.height, x, top + self.height)
        flow.y += self.height


def append_content(doc: pymupdf.Document, page: pymupdf.Page, data: bytes) -> None:
    """Add a content stream (raw PDF operators, needing no resources) after the page's own."""
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, data)
    contents = [*page.get_contents(), xref]
    doc.xref_set_key(page.xref, "Contents", "[" + " ".join(f"{x} 0 R" for x in contents) + "]")


def stamp_lines(
    page: pymupdf.Page,
    items: Sequence[tuple[pymupdf.Point, str]],
    font: pymupdf.Font,
    size: float,
    color: Sequence[float] = (0.3, 0.3, 0.3),
) -> None:
    """Write a few lines of text at given baselines onto an existing page (footers, page numbers)."""
    writer = pymupdf.TextWriter(page.rect)
    for point, text in items:
        writer.append(point, text, font=font, fontsize=size)
    writer.write_text(page, color=color)
