"""Carry annotations over to a new version of a document (pure: plain data in, plain data out).

A text annotation (highlight, comment on a passage) is found again by its quote: first exactly (white
space collapsed), then diacritics- and case-insensitively (``textsearch.fold``). Among several matches
the one whose surrounding text best fits the stored prefix/suffix wins, then the one nearest the old
page's new place (found by its content hash when it is unchanged, else its old number), then the one
closest to the old position. Its new boxes come from the new words.

An annotation without text (ink, a pinned note) stays on its page if that page's content hash is
unchanged, else follows the page to where it moved (same hash), else is orphaned. Every anchor yields
exactly one answer, :class:`Reanchored` or :class:`Orphaned` — nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .textsearch import fold, fold_map
from .words import NormRect, Word, merge_lines


@dataclass(frozen=True)
class Anchor:
    """Where an annotation was: page (from 1), the quoted text with some context, and its boxes."""

    page: int
    quote: str = ""
    prefix: str = ""
    suffix: str = ""
    rects: tuple[NormRect, ...] = ()


@dataclass(frozen=True)
class NewPage:
    """One page of the new version: its content hash and its words."""

    hash: str
    words: Sequence[Word]


@dataclass(frozen=True)
class Reanchored:
    """Where the annotation goes; ``how`` is ``text``, ``folded_text``, ``same_page`` or ``page_moved``."""

    page: int
    rects: tuple[NormRect, ...]
    how: str


@dataclass(frozen=True)
class Orphaned:
    """The annotation has no place in the new version; show it apart, near ``last_page``."""

    reason: str
    last_page: int


Outcome = Reanchored | Orphaned
_Norm = Callable[[str], str]


def reanchor_all(
    anchors: Sequence[Anchor], old_hashes: Sequence[str], new_pages: Sequence[NewPage]
) -> list[Outcome]:
    """One outcome per anchor, in order."""
    index = TextIndex([p.words for p in new_pages])
    new_hashes = [p.hash for p in new_pages]
    return [_reanchor(a, old_hashes, new_hashes, index) for a in anchors]


def reanchor(anchor: Anchor, old_hashes: Sequence[str], new_pages: Sequence[NewPage]) -> Outcome:
    """The outcome for one anchor (see :func:`reanchor_all` to do many at once)."""
    return reanchor_all([anchor], old_hashes, new_pages)[0]


def _reanchor(
    anchor: Anchor, old_hashes: Sequence[str], new_hashes: Sequence[str], index: TextIndex
) -> Outcome:
    if anchor.quote.strip():
        return index.find(anchor, _home(anchor.page, old_hashes, new_hashes))
    return follow_page(anchor.page, anchor.rects, old_hashes, new_hashes)


def _home(page: int, old_hashes: Sequence[str], new_hashes: Sequence[str]) -> int:
    """Where the anchor's old page is in the new version if it survived unchanged, else its old number."""
    followed = follow_page(page, (), old_hashes, new_hashes)
    return followed.page if isinstance(followed, Reanchored) else page


def follow_page(
    page: int, rects: tuple[NormRect, ...], old_hashes: Sequence[str], new_hashes: Sequence[str]
) -> Outcome:
    """Keep a text-less annotation on its page if unchanged, else on the page that moved, else orphan it."""
    last = max(1, min(page, len(new_hashes)))
    if not 1 <= page <= len(old_hashes):
        return Orphaned(f"page {page} was not in the previous version", last)
    old = old_hashes[page - 1]
    if page <= len(new_hashes) and new_hashes[page - 1] == old:
        return Reanchored(page, rects, "same_page")
    moved = [i + 1 for i, h in enumerate(new_hashes) if h == old]
    if moved:
        return Reanchored(min(moved, key=lambda p: abs(p - page)), rects, "page_moved")
    return Orphaned(f"page {page} changed in the new version", last)


@dataclass(frozen=True)
class _Hit:
    page: int
    start: int  # character range in the page's joined text
    end: int
    score: int


class _PageText:
    """A page's words joined by single spaces, with the map from characters back to words."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = words
        self.starts: list[int] = []
        parts, pos = [], 0
        for word in words:
            self.starts.append(pos)
            parts.append(word.text)
            pos += len(word.text) + 1
        self.text = " ".join(parts)
        self.folded, self.origin = fold_map(self.text)

    def rects(self, start: int, end: int) -> tuple[NormRect, ...]:
        """Boxes of the characters ``start:end`` (cut proportionally inside the first and last words)."""
        boxes = []
        for i, word in enumerate(self.words):
            lo, hi = self.starts[i], self.starts[i] + len(word.text)
            if hi <= start or lo >= end or not word.text:
                continue
            a, b = (max(start, lo) - lo) / len(word.text), (min(end, hi) - lo) / len(word.text)
            span = word.x1 - word.x0
            boxes.append((word.x0 + a * span, word.y0, word.x0 + b * span, word.y1))
        return tuple(merge_lines(boxes))


class TextIndex:
    """The new version's pages, prepared once for finding many quotes."""

    def __init__(self, pages: Sequence[Sequence[Word]]) -> None:
        self.pages = [_PageText(words) for words in pages]

    def find(self, anchor: Anchor, home: int | None = None) -> Outcome:
        """Find ``anchor``'s quote; ties go to the page nearest ``home`` (default: the anchor's page)."""
        home = anchor.page if home is None else home
        for how, norm in (("text", _collapse), ("folded_text", fold)):
            hits = self._hits(anchor, norm, folded=how == "folded_text")
            if hits:
                best = min(hits, key=lambda h: self._rank(h, anchor, home))
                return Reanchored(best.page, self.pages[best.page - 1].rects(best.start, best.end), how)
        excerpt = _collapse(anchor.quote)
        excerpt = excerpt if len(excerpt) <= 60 else excerpt[:59] + "…"
        last = max(1, min(anchor.page, len(self.pages)))
        return Orphaned(f"the marked text “{excerpt}” is not in the new version", last)

    def _hits(self, anchor: Anchor, norm: _Norm, folded: bool) -> list[_Hit]:
        quote, prefix, suffix = norm(anchor.quote), norm(anchor.prefix), norm(anchor.suffix)
        hits: list[_Hit] = []
        if not quote:
            return hits
        for number, page in enumerate(self.pages, start=1):
            text = page.folded if folded else page.text
            at = text.find(quote)
            while at >= 0:
                score = _common_suffix(text[:at].rstrip(), prefix) + _common_prefix(
                    text[at + len(quote) :].lstrip(), suffix
                )
                start, end = (
                    (page.origin[at], page.origin[at + len(quote) - 1] + 1)
                    if folded
                    else (at, at + len(quote))
                )
                hits.append(_Hit(number, start, end, score))
                at = text.find(quote, at + 1)
        return hits

    def _rank(self, hit: _Hit, anchor: Anchor, home: int) -> tuple[int, int, float, int]:
        """Best context first, then the page nearest home, then nearest the old position on it."""
        distance = 0.0
        if anchor.rects and hit.page == home:
            new = self.pages[hit.page - 1].rects(hit.start, hit.end)
            if new:
                distance = abs(new[0][0] - anchor.rects[0][0]) + abs(new[0][1] - anchor.rects[0][1])
        return (-hit.score, abs(hit.page - home), distance, hit.start)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _common_suffix(text: str, wanted: str) -> int:
    n = 0
    while n < min(len(text), len(wanted)) and text[-1 - n] == wanted[-1 - n]:
        n += 1
    return n


def _common_prefix(text: str, wanted: str) -> int:
    n = 0
    while n < min(len(text), len(wanted)) and text[n] == wanted[n]:
        n += 1
    return n
