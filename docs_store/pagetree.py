"""Walk a PDF's page tree ourselves, so loops and broken trees get a precise error before MuPDF loads it.

MuPDF trusts the root's ``/Count`` for the page count and notices a loop only when a page is loaded;
a tree whose nodes are missing it quietly replaces by a slow scan for page objects. We walk from the
catalog's ``/Pages`` down every ``/Kids`` array, counting leaves.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import pymupdf

from .errors import PdfRejected
from .pdfobj import Atom, Name, PdfValue, Ref, parse

MAX_DEPTH = 64


class _Walk:
    def __init__(self, doc: pymupdf.Document, max_pages: int) -> None:
        self.doc = doc
        self.max_pages = max_pages
        self.leaves = 0
        self.seen: set[int] = set()

    def visit(self, xref: int, ancestors: frozenset[int]) -> None:
        if xref in ancestors:
            raise PdfRejected("page_tree_loop", "the PDF is damaged: its page tree contains a loop")
        if xref in self.seen or len(ancestors) > MAX_DEPTH:
            raise broken()
        self.seen.add(xref)
        node = self.dict_at(xref)
        kind = node.get("Type")
        if kind == Name("Pages") or (kind is None and "Kids" in node):
            for kid in self.kids(node):
                self.visit(kid, ancestors | {xref})
        elif kind in (Name("Page"), None):
            self.leaves += 1
            if self.leaves > self.max_pages:
                raise PdfRejected(
                    "too_many_pages",
                    f"the PDF has more than {self.max_pages} pages, the limit",
                    limit=self.max_pages,
                )
        else:
            raise broken()

    def dict_at(self, xref: int) -> dict[str, PdfValue]:
        if not 0 < xref < self.doc.xref_length():
            raise broken()
        node = parse(self.doc.xref_object(xref, compressed=True))
        if not isinstance(node, dict):
            raise broken()
        return node

    def kids(self, node: dict[str, PdfValue]) -> list[int]:
        kids = node.get("Kids")
        if isinstance(kids, Ref):
            kids = parse(self.doc.xref_object(kids.num, compressed=True))
        if not isinstance(kids, list) or not all(isinstance(k, Ref) for k in kids):
            raise broken()
        return [k.num for k in kids if isinstance(k, Ref)]


def broken() -> PdfRejected:
    return PdfRejected(
        "damaged", "the PDF is damaged: its list of pages is broken; ask the sender for a new copy"
    )


def count_leaves(doc: pymupdf.Document, max_pages: int) -> int:
    """Number of pages in the page tree; raises ``PdfRejected`` for a loop or a broken tree."""
    root = _ref(doc.xref_get_key(-1, "Root"))
    pages = _ref(doc.xref_get_key(root, "Pages")) if root else None
    if pages is None:
        raise broken()
    walk = _Walk(doc, max_pages)
    walk.visit(pages, frozenset())
    return walk.leaves


def _ref(entry: tuple[str, str]) -> int | None:
    kind, value = entry
    if kind != "xref":
        return None
    parsed = parse(value)
    return parsed.num if isinstance(parsed, Ref) else None


def inherited(doc: pymupdf.Document, page_xref: int, key: str) -> PdfValue | None:
    """A page attribute that PDF lets pages inherit (``MediaBox``, ``CropBox``, ``Resources``, ``Rotate``)."""
    xref: int | None = page_xref
    seen: set[int] = set()
    while xref is not None and xref not in seen:
        seen.add(xref)
        kind, text = doc.xref_get_key(xref, key)
        if kind != "null":
            value = parse(text)
            return parse(doc.xref_object(value.num, compressed=True)) if isinstance(value, Ref) else value
        kind, text = doc.xref_get_key(xref, "Parent")
        parent = parse(text) if kind == "xref" else None
        xref = parent.num if isinstance(parent, Ref) else None
    return None


def visible_box(doc: pymupdf.Document, page_xref: int) -> tuple[float, float, float, float]:
    """The page's visible area (crop box within media box) in PDF user space, as x0, y0, x1, y1."""
    media = _numbers(inherited(doc, page_xref, "MediaBox")) or [0.0, 0.0, 612.0, 792.0]
    crop = _numbers(inherited(doc, page_xref, "CropBox")) or media
    mx0, mx1, my0, my1 = sorted(media[0::2]) + sorted(media[1::2])
    cx0, cx1, cy0, cy1 = sorted(crop[0::2]) + sorted(crop[1::2])
    return max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1)


def _numbers(value: PdfValue | None) -> list[float] | None:
    if not isinstance(value, list) or len(value) != 4:
        return None
    try:
        return (
            [float(v.text) for v in value if isinstance(v, Atom)]
            if all(isinstance(v, Atom) for v in value)
            else None
        )
    except ValueError:
        return None
