"""A small reader and writer for PDF object syntax as PyMuPDF prints it (``Document.xref_object``).

Used to walk objects generically — hashing page content independently of object numbers, and removing
JavaScript/launch actions wherever they hide. Numbers, strings, booleans and null are kept as their
source text (:class:`Atom`), so writing an object back reproduces it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True)
class Name:
    """A PDF name, without its leading slash."""

    value: str


@dataclass(frozen=True)
class Ref:
    """An indirect reference ``num gen R``."""

    num: int
    gen: int = 0


@dataclass(frozen=True)
class Atom:
    """A number, string, boolean or null, as written."""

    text: str


PdfValue: TypeAlias = "Name | Ref | Atom | list[PdfValue] | dict[str, PdfValue]"

_DELIMS = "()<>[]{}/%"
_TOKEN = re.compile(r"<<|>>|\[|\]|\{|\}|/[^\s()<>\[\]{}/%]*|<[0-9A-Fa-f\s]*>|[^\s()<>\[\]{}/%]+")
_INT = re.compile(r"\d+")


class PdfSyntaxError(ValueError):
    """Text that is not one PDF object."""


def parse(text: str) -> PdfValue:
    """Parse one PDF object (the first, if more follow)."""
    tokens = _tokenize(text)
    value, _ = _parse_at(tokens, 0)
    return value


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch == "%":
            newline = text.find("\n", pos)
            pos = end if newline < 0 else newline
        elif ch == "(":
            close = _string_end(text, pos)
            tokens.append(text[pos:close])
            pos = close
        else:
            match = _TOKEN.match(text, pos)
            if not match:
                raise PdfSyntaxError(f"unexpected {ch!r} at {pos}")
            tokens.append(match.group())
            pos = match.end()
    return tokens


def _string_end(text: str, pos: int) -> int:
    """Index just past the literal string opening at ``pos`` (nested parentheses, backslash escapes)."""
    depth, i = 0, pos
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        depth += (ch == "(") - (ch == ")")
        i += 1
        if depth == 0:
            return i
    raise PdfSyntaxError("unterminated string")


def _parse_at(tokens: list[str], i: int) -> tuple[PdfValue, int]:
    if i >= len(tokens):
        raise PdfSyntaxError("unexpected end of object")
    tok = tokens[i]
    if tok == "<<":
        return _parse_dict(tokens, i + 1)
    if tok == "[":
        return _parse_array(tokens, i + 1)
    if tok.startswith("/"):
        return Name(_unescape_name(tok[1:])), i + 1
    if _INT.fullmatch(tok) and i + 2 < len(tokens) and tokens[i + 2] == "R" and _INT.fullmatch(tokens[i + 1]):
        return Ref(int(tok), int(tokens[i + 1])), i + 3
    if tok in (">>", "]", "R"):
        raise PdfSyntaxError(f"unexpected {tok!r}")
    return Atom(tok), i + 1


def _parse_dict(tokens: list[str], i: int) -> tuple[PdfValue, int]:
    result: dict[str, PdfValue] = {}
    while i < len(tokens) and tokens[i] != ">>":
        key = tokens[i]
        if not key.startswith("/"):
            raise PdfSyntaxError(f"dictionary key expected, got {key!r}")
        value, i = _parse_at(tokens, i + 1)
        result[_unescape_name(key[1:])] = value
    if i >= len(tokens):
        raise PdfSyntaxError("dictionary not closed")
    return result, i + 1


def _parse_array(tokens: list[str], i: int) -> tuple[PdfValue, int]:
    items: list[PdfValue] = []
    while i < len(tokens) and tokens[i] != "]":
        value, i = _parse_at(tokens, i)
        items.append(value)
    if i >= len(tokens):
        raise PdfSyntaxError("array not closed")
    return items, i + 1


def _unescape_name(raw: str) -> str:
    return re.sub(r"#([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), raw)


def _escape_name(name: str) -> str:
    return "".join(
        f"#{ord(c):02X}" if c in _DELIMS or c == "#" or not 0x21 <= ord(c) <= 0x7E else c for c in name
    )


def dumps(value: PdfValue) -> str:
    """Write a value back as PDF syntax."""
    if isinstance(value, Name):
        return "/" + _escape_name(value.value)
    if isinstance(value, Ref):
        return f"{value.num} {value.gen} R"
    if isinstance(value, Atom):
        return value.text
    if isinstance(value, list):
        return "[" + " ".join(dumps(v) for v in value) + "]"
    return "<<" + "".join(f"/{_escape_name(k)} {dumps(v)}" for k, v in value.items()) + ">>"


def name_of(value: PdfValue | None) -> str | None:
    """The name's text if ``value`` is a name, else ``None``."""
    return value.value if isinstance(value, Name) else None
