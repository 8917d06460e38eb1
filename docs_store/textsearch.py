"""Diacritics-insensitive Vietnamese search: fold text for an index, and cut a snippet around a hit (pure).

``fold("Ngân SÁCH  Đồng")`` is ``"ngan sach dong"``: lower case, combining marks stripped after Unicode
decomposition, đ/Đ → d, runs of white space → one space. Index the folded page text and fold the
query the same way, so "ngan sach" finds "ngân sách".
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_LETTER_D = {"đ": "d", "ð": "d"}  # Đ and the look-alike Ð (Eth) are lowered first
_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff"}  # soft hyphen, zero-width characters


def fold_char(ch: str) -> str:
    """The folded form of one character (empty for marks and zero-width characters)."""
    if ch in _DROP:
        return ""
    out = []
    for part in unicodedata.normalize("NFD", ch.lower()):
        if not unicodedata.combining(part):
            out.append(_LETTER_D.get(part, part))
    return "".join(out)


def fold_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and give, for each folded character, the index of the character it came from.

    White space is collapsed to single spaces but not stripped, so offsets stay simple to map back.
    """
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        if ch.isspace():
            if not chars or chars[-1] != " ":
                chars.append(" ")
                origin.append(index)
            continue
        for folded in fold_char(ch):
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def fold(text: str) -> str:
    """Diacritics- and case-insensitive form of ``text`` for indexing and matching."""
    return fold_map(text)[0].strip()


@dataclass(frozen=True)
class Snippet:
    """A short excerpt of the original text; ``text[start:end]`` is the matched passage."""

    text: str
    start: int
    end: int

    def __str__(self) -> str:
        return self.text


def snippet(page_text: str, query: str, width: int = 80) -> Snippet | None:
    """The original text around the first folded match of ``query``, about ``width`` characters long.

    Whole words only, white space collapsed, ``…`` where the text was cut; ``None`` when nothing matches.
    """
    needle = fold(query)
    folded, origin = fold_map(page_text)
    at = folded.find(needle) if needle else -1
    if at < 0:
        return None
    start, end = origin[at], origin[at + len(needle) - 1] + 1
    context = max(0, width - (end - start)) // 2
    left, right = _widen(page_text, start, end, context)
    before = ("…" if left > 0 else "") + _squash(page_text[left:start]).lstrip()
    match = _squash(page_text[start:end])
    after = _squash(page_text[end:right]).rstrip() + ("…" if right < len(page_text) else "")
    return Snippet(before + match + after, len(before), len(before) + len(match))


def _widen(text: str, start: int, end: int, context: int) -> tuple[int, int]:
    """Bounds ``context`` characters around ``start:end``, pulled in to whole words."""
    left = max(0, start - context)
    if left > 0:
        cut = _next_space(text, left, start)
        left = cut + 1 if cut is not None else left
    right = min(len(text), end + context)
    if right < len(text):
        cut = _last_space(text, end, right)
        right = cut if cut is not None else right
    return left, right


def _next_space(text: str, lo: int, hi: int) -> int | None:
    return next((i for i in range(lo, hi) if text[i].isspace()), None)


def _last_space(text: str, lo: int, hi: int) -> int | None:
    return next((i for i in range(hi - 1, lo - 1, -1) if text[i].isspace()), None)


def _squash(text: str) -> str:
    """Collapse white-space runs to single spaces, keeping one at either end if there was one."""
    parts = text.split()
    if not parts:
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    tail = " " if text[-1].isspace() else ""
    return lead + " ".join(parts) + tail
