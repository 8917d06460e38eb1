"""Positions on a page as the reader sees it, normalised to 0..1 (pure; shared by render and anchoring).

``(0, 0)`` is the top-left corner of the displayed page (after its /Rotate), ``(1, 1)`` the bottom-right;
so a rectangle scales to any rendered width by multiplying by the image's width and height.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NormRect = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` in page fractions, ``x0 <= x1`` and ``y0 <= y1``."""

NormPoint = tuple[float, float]


@dataclass(frozen=True)
class Word:
    """One word of a page's text with its box in page fractions."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def rect(self) -> NormRect:
        return (self.x0, self.y0, self.x1, self.y1)


def clamp(value: float) -> float:
    """Clip a coordinate into 0..1."""
    return min(1.0, max(0.0, value))


def union(rects: Iterable[NormRect]) -> NormRect:
    """The smallest rectangle holding all ``rects`` (at least one)."""
    xs0, ys0, xs1, ys1 = zip(*rects, strict=True)
    return (min(xs0), min(ys0), max(xs1), max(ys1))


def merge_lines(rects: Iterable[NormRect]) -> list[NormRect]:
    """Join rectangles that sit on the same text line (overlapping vertically) into one per line, in order."""
    merged: list[NormRect] = []
    for rect in rects:
        if merged and _same_line(merged[-1], rect):
            merged[-1] = union([merged[-1], rect])
        else:
            merged.append(rect)
    return merged


def _same_line(a: NormRect, b: NormRect) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1])
