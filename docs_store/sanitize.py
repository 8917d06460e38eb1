"""Write the copy of a PDF that we deliver: JavaScript and launch actions removed, nothing executed.

Every object is read as data (``pdfobj``), never run. Removed: additional actions (``/AA`` on pages,
annotations, form fields and the catalog), actions of type JavaScript or Launch and ``URI`` actions to
``javascript:`` (as ``/OpenAction``, ``/A``, ``/Next`` or inside arrays), any ``/JS`` entry, the
document-level ``/Names /JavaScript`` tree and XFA forms (whose XML can hold scripts). Links whose
action is removed stay as inert rectangles. The copy is written unencrypted and without the orphans.

A file with nothing to remove (and that MuPDF did not have to repair) is delivered byte for byte as it
was uploaded: rewriting it would gain nothing and would break its digital signatures (chữ ký số), which
readers must be able to verify in the copy they download.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from pymupdf import mupdf

from .pdfobj import Atom, PdfSyntaxError, PdfValue, Ref, dumps, name_of, parse

BAD_ACTIONS = frozenset({"JavaScript", "Launch"})
DROPPED_KEYS = frozenset({"AA", "JS", "JavaScript", "XFA"})
_JS_URI = re.compile(r"javascript\s*:", re.IGNORECASE)
_SUSPECT = re.compile(r"/(?:JS|JavaScript|Launch|URI|AA|XFA)(?![^\s()<>\[\]{}/%])")


@dataclass(frozen=True)
class ActiveContent:
    """Whether a document holds JavaScript (scripts, ``javascript:`` links) or launch actions."""

    javascript: bool
    launch: bool


def find_active_content(doc: pymupdf.Document) -> ActiveContent:
    """Scan every object, nested dictionaries included, for scripts and launch actions."""
    found: set[str] = set()
    for xref in range(1, doc.xref_length()):
        value = _parsed(doc, xref, only_if=_SUSPECT)
        if value is not None:
            _scan(value, found)
    return ActiveContent("javascript" in found, "launch" in found)


def _scan(value: PdfValue, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _scan(item, found)
    elif isinstance(value, dict):
        if "JS" in value or "JavaScript" in value:
            found.add("javascript")
        if _is_bad_action(value):
            found.add("launch" if name_of(value.get("S")) == "Launch" else "javascript")
        for item in value.values():
            _scan(item, found)


def sanitize_pdf(src: Path, dst: Path) -> int:
    """Write ``src`` to ``dst`` without active content; return how many entries were removed."""
    with pymupdf.open(src, filetype="pdf") as doc:
        suspects = {x: _parsed(doc, x, only_if=_SUSPECT) for x in range(1, doc.xref_length())}
        bad = {x for x, v in suspects.items() if isinstance(v, dict) and _is_bad_action(v)}
        pointing = _pointing_at(bad)
        objects = {x: v if v is not None else _parsed(doc, x, only_if=pointing) for x, v in suspects.items()}
        cleaner = _Cleaner(bad)
        changed = False
        for xref, value in objects.items():
            if not isinstance(value, dict):
                continue
            if doc.xref_is_stream(xref):
                for key, new in cleaner.stream_changes(value):
                    doc.xref_set_key(xref, key, new)
                    changed = True
            elif xref in bad:
                doc.update_object(xref, "<<>>")
                cleaner.removed += 1
                changed = True
            elif (cleaned := cleaner.clean(value)) != value:
                doc.update_object(xref, dumps(cleaned))
                changed = True
        if not changed and not doc.is_repaired and not (doc.metadata or {}).get("encryption"):
            shutil.copyfile(src, dst)  # nothing to remove: the upload as it is (signatures stay valid)
            return 0
        doc.save(dst, garbage=1, deflate=True, encryption=mupdf.PDF_ENCRYPT_NONE)
        return cleaner.removed


def _parsed(doc: pymupdf.Document, xref: int, only_if: re.Pattern[str]) -> PdfValue | None:
    """The object, parsed, if its printed form matches ``only_if`` (parsing everything is slow).
    A number that no cross-reference section defines (a gap a signing tool's update may leave) is null."""
    try:
        text = doc.xref_object(xref, compressed=True)
    except RuntimeError:
        return None
    if not only_if.search(text):
        return None
    try:
        return parse(text)
    except PdfSyntaxError:
        return None


def _pointing_at(xrefs: set[int]) -> re.Pattern[str]:
    """A pattern for objects that refer to any of ``xrefs`` (or that never matches)."""
    if not xrefs:
        return re.compile(r"(?!)")
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(str, sorted(xrefs))) + r")\s+\d+\s+R(?!\w)")


class _Cleaner:
    """Computes the edits that strip bad actions from one object, given the objects that are bad actions."""

    def __init__(self, bad_xrefs: set[int]) -> None:
        self.bad_xrefs = bad_xrefs
        self.removed = 0

    def stream_changes(self, value: dict[str, PdfValue]) -> list[tuple[str, str]]:
        """Edits to a stream's dictionary, which cannot be rewritten whole: ``(key, new value)`` pairs."""
        cleaned = self.clean(value)
        if not isinstance(cleaned, dict) or cleaned == value:
            return []
        return [
            (k, dumps(cleaned[k]) if k in cleaned else "null") for k in value if cleaned.get(k) != value[k]
        ]

    def clean(self, value: PdfValue) -> PdfValue:
        """``value`` with bad inline actions and dropped keys removed at any depth."""
        if isinstance(value, list):
            kept = [self.clean(v) for v in value if not self.is_bad(v)]
            self.removed += len(value) - len(kept)
            return kept
        if isinstance(value, dict):
            items = {
                k: self.clean(v) for k, v in value.items() if k not in DROPPED_KEYS and not self.is_bad(v)
            }
            self.removed += len(value) - len(items)
            return items
        return value

    def is_bad(self, value: PdfValue) -> bool:
        """An action, inline or referenced, that must not survive."""
        if isinstance(value, Ref):
            return value.num in self.bad_xrefs
        return isinstance(value, dict) and _is_bad_action(value)


def _is_bad_action(value: dict[str, PdfValue]) -> bool:
    kind = name_of(value.get("S"))
    if kind in BAD_ACTIONS or (kind is not None and "JS" in value):
        return True
    uri = value.get("URI")
    return kind == "URI" and isinstance(uri, Atom) and bool(_JS_URI.search(_decode_string(uri.text)))


def _decode_string(text: str) -> str:
    if text.startswith("<") and not text.startswith("<<"):
        digits = re.sub(r"\s", "", text[1:-1])
        return bytes.fromhex(digits + "0" * (len(digits) % 2)).decode("latin-1")
    return text
