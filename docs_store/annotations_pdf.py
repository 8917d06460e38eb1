"""Annotations as real PDF annotations: export a delegate's marks into a copy, and read them back.

Positions are page fractions of the page as displayed (``docs_store.words``), the same space the
tablets draw in; they are converted to and from PDF coordinates here, page rotation included.
Kinds: highlight (quads over text), ink (freehand strokes), note (a pinned text note) and arrow (a line
annotation with an arrow head). Colours are ``#rrggbb``; widths are points.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import pymupdf
from pymupdf import mupdf

from .words import NormPoint, NormRect, clamp


@dataclass(frozen=True)
class Highlight:
    page: int
    rects: tuple[NormRect, ...]
    color: str = "#ffd400"
    text: str = ""
    author: str = ""
    id: str = ""
    kind: ClassVar[str] = "highlight"


@dataclass(frozen=True)
class Ink:
    page: int
    strokes: tuple[tuple[NormPoint, ...], ...]
    color: str = "#d32f2f"
    width: float = 2.0
    text: str = ""
    author: str = ""
    id: str = ""
    kind: ClassVar[str] = "ink"


@dataclass(frozen=True)
class Note:
    page: int
    at: NormPoint
    text: str
    color: str = "#ffb300"
    author: str = ""
    id: str = ""
    kind: ClassVar[str] = "note"


@dataclass(frozen=True)
class Arrow:
    page: int
    start: NormPoint
    end: NormPoint
    color: str = "#1565c0"
    width: float = 2.0
    text: str = ""
    author: str = ""
    id: str = ""
    kind: ClassVar[str] = "arrow"


Annotation = Highlight | Ink | Note | Arrow
KINDS: dict[str, type[Annotation]] = {c.kind: c for c in (Highlight, Ink, Note, Arrow)}


def to_dict(annotation: Annotation) -> dict[str, Any]:
    """Plain data with a ``kind`` key (tuples become lists)."""
    return {"kind": annotation.kind, **_lists(asdict(annotation))}


def from_dict(data: dict[str, Any]) -> Annotation:
    """The annotation described by :func:`to_dict`'s output."""
    fields = {k: _tuples(v) for k, v in data.items() if k != "kind"}
    return KINDS[data["kind"]](**fields)


def export_annotations(src: Path, dst: Path, annotations: Iterable[Annotation]) -> int:
    """Write a copy of ``src`` carrying ``annotations``; return how many were written."""
    count = 0
    with pymupdf.open(src, filetype="pdf") as doc:
        for annotation in annotations:
            page = doc.load_page(annotation.page - 1)
            annot = _add(page, annotation)
            annot.set_info(content=annotation.text, title=annotation.author)
            annot.update()
            if annotation.id:
                doc.xref_set_key(annot.xref, "NM", pymupdf.get_pdf_str(annotation.id))
            count += 1
        doc.save(dst, garbage=1, deflate=True)
    return count


def _add(page: pymupdf.Page, annotation: Annotation) -> pymupdf.Annot:
    to_pdf = _Frame(page)
    rgb = _rgb(annotation.color)
    if isinstance(annotation, Highlight):
        annot = page.add_highlight_annot(quads=[to_pdf.rect(r).quad for r in annotation.rects])
    elif isinstance(annotation, Ink):
        strokes = [[to_pdf.pair(p) for p in stroke] for stroke in annotation.strokes]
        annot = page.add_ink_annot(strokes)
        annot.set_border(width=annotation.width)
    elif isinstance(annotation, Note):
        return _note(page, to_pdf.point(annotation.at), annotation.text, rgb)
    else:
        annot = page.add_line_annot(to_pdf.point(annotation.start), to_pdf.point(annotation.end))
        annot.set_line_ends(mupdf.PDF_ANNOT_LE_NONE, mupdf.PDF_ANNOT_LE_CLOSED_ARROW)
        annot.set_border(width=annotation.width)
        annot.set_colors(fill=rgb)
    annot.set_colors(stroke=rgb)
    return annot


def _note(page: pymupdf.Page, point: pymupdf.Point, text: str, rgb: tuple[float, ...]) -> pymupdf.Annot:
    annot = page.add_text_annot(point, text, icon="Note")
    annot.set_colors(stroke=rgb)
    return annot


def read_annotations(path: Path) -> list[dict[str, Any]]:
    """Every annotation of ``path`` as plain data; kinds we do not model come as ``unsupported``."""
    found: list[dict[str, Any]] = []
    with pymupdf.open(path, filetype="pdf") as doc:
        for number in range(doc.page_count):
            page = doc.load_page(number)  # keep the page alive while its annotations are read
            frame = _Frame(page)
            for annot in page.annots():
                found.append(_read(annot, number + 1, frame))
    return found


def _read(annot: pymupdf.Annot, page: int, frame: _Frame) -> dict[str, Any]:
    info = annot.info
    common = {
        "page": page,
        "text": info.get("content", ""),
        "author": info.get("title", ""),
        "id": info.get("id", ""),
    }
    stroke = _hex((annot.colors or {}).get("stroke"))
    kind = annot.type[0]
    vertices = annot.vertices or []
    if kind == mupdf.PDF_ANNOT_HIGHLIGHT:
        quads = [vertices[i : i + 4] for i in range(0, len(vertices) - 3, 4)]
        rects = [frame.norm_rect(pymupdf.Quad(*q).rect) for q in quads]
        return to_dict(Highlight(rects=tuple(rects), color=stroke, **common))
    if kind == mupdf.PDF_ANNOT_INK:
        strokes = tuple(tuple(frame.norm_point(p) for p in stroke_points) for stroke_points in vertices)
        return to_dict(Ink(strokes=strokes, color=stroke, width=_width(annot), **common))
    if kind == mupdf.PDF_ANNOT_TEXT:
        x0, y0, _, _ = frame.norm_rect(annot.rect)  # the icon's top-left corner as displayed
        return to_dict(Note(at=(x0, y0), color=stroke, **common))
    if kind == mupdf.PDF_ANNOT_LINE and len(vertices) == 2:
        start, end = (frame.norm_point(p) for p in vertices)
        return to_dict(Arrow(start=start, end=end, color=stroke, width=_width(annot), **common))
    return {"kind": "unsupported", "type": annot.type[1], **common}


class _Frame:
    """Conversions between page fractions (as displayed) and the page's unrotated PDF coordinates."""

    def __init__(self, page: pymupdf.Page) -> None:
        self.width, self.height = page.rect.width, page.rect.height
        self.to_display = page.rotation_matrix
        self.from_display = page.derotation_matrix

    def point(self, p: NormPoint) -> pymupdf.Point:
        point: pymupdf.Point = pymupdf.Point(p[0] * self.width, p[1] * self.height) * self.from_display
        return point

    def pair(self, p: NormPoint) -> tuple[float, float]:
        """``point`` as a plain pair (what ``add_ink_annot`` wants)."""
        point = self.point(p)
        return (point.x, point.y)

    def rect(self, r: NormRect) -> pymupdf.Rect:
        w, h = self.width, self.height
        rect: pymupdf.Rect = pymupdf.Rect(r[0] * w, r[1] * h, r[2] * w, r[3] * h) * self.from_display
        return rect

    def norm_point(self, p: Sequence[float]) -> NormPoint:
        q = pymupdf.Point(p) * self.to_display
        return (clamp(q.x / self.width), clamp(q.y / self.height))

    def norm_rect(self, r: pymupdf.Rect) -> NormRect:
        s = r * self.to_display
        return (
            clamp(s.x0 / self.width),
            clamp(s.y0 / self.height),
            clamp(s.x1 / self.width),
            clamp(s.y1 / self.height),
        )


def _rgb(color: str) -> tuple[float, ...]:
    value = color.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"colour {color!r} is not #rrggbb")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))


def _hex(rgb: Sequence[float] | None) -> str:
    if not rgb or len(rgb) != 3:
        return "#000000"
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _width(annot: pymupdf.Annot) -> float:
    width = (annot.border or {}).get("width")
    return float(width) if width and width > 0 else 1.0


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
