"""A content hash per page that survives re-saving, renumbering and reordering the document.

A page's hash covers what draws it: its boxes and rotation, its decoded content streams, the resources
its content names (fonts, images, forms, graphic states… followed recursively), its annotations and
transparency group. Object numbers never enter the hash: a reference is replaced by the hash of the
object it points to (a Merkle hash), stream data is hashed decoded (or raw for image codecs), and
back-pointers (``/Parent``, ``/P``, structure-tree keys) and references to other pages are left out.
So when one page of a document changes, every other page keeps its hash wherever it moved.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import pymupdf

from .pdfobj import Atom, Name, PdfValue, Ref, parse

VERSION = b"cauhop-page-v1"
SKIPPED_KEYS = frozenset(
    {"Parent", "P", "StructParent", "StructParents", "PieceInfo", "LastModified", "Metadata", "Thumb", "B"}
)
STREAM_KEYS = frozenset({"Length", "Filter", "DecodeParms", "DL"})
PAGE_KEYS = ("Group", "UserUnit")
RESOURCE_KINDS = ("ExtGState", "ColorSpace", "Pattern", "Shading", "XObject", "Font", "Properties")
LOSSLESS = frozenset({"FlateDecode", "LZWDecode", "ASCII85Decode", "ASCIIHexDecode", "RunLengthDecode"})
_CONTENT_NAME = re.compile(rb"/([^\s/\[\]<>(){}%]+)")
_NAME = re.compile(r"/([^\s/\[\]<>(){}%]+)")
_REFERENCE = re.compile(r"(?<![\w.])(\d+)\s+\d+\s+R(?!\w)")


class PageHasher:
    """Hashes the pages of one open document, remembering the hash of every object it meets."""

    def __init__(self, doc: pymupdf.Document) -> None:
        self.doc = doc
        self.page_xrefs = {doc.page_xref(i) for i in range(doc.page_count)}
        self._digests: dict[int, str] = {}
        self._parsed: dict[int, PdfValue] = {}
        self._active: set[int] = set()

    def page_hash(self, page: pymupdf.Page) -> str:
        """Hex SHA-256 of the page's own content."""
        page_dict = self._object(page.xref)
        content = b"\n".join(self.doc.xref_stream(x) or b"" for x in page.get_contents())
        parts = [
            VERSION,
            _box(page.mediabox),
            _box(page.cropbox),
            str(page.rotation).encode(),
            hashlib.sha256(content).hexdigest().encode(),
            self._used_resources(page.xref, content),
        ]
        if isinstance(page_dict, dict):
            for key in (*PAGE_KEYS, "Annots"):
                parts.append(key.encode() + b"=" + self._canonical(page_dict.get(key, Atom("null"))))
        return hashlib.sha256(b"\x00".join(parts)).hexdigest()

    def _used_resources(self, page_xref: int, content: bytes) -> bytes:
        used = {m.decode("latin-1") for m in _CONTENT_NAME.findall(content)}
        resources = self._resolve(self._inherited(page_xref, "Resources"))
        if not isinstance(resources, dict):
            return b"-"
        out = []
        for kind in RESOURCE_KINDS:
            entries = self._resolve(resources.get(kind))
            if isinstance(entries, dict):
                for name in sorted(used & entries.keys()):
                    out.append(f"{kind}/{name}=".encode() + self._canonical(entries[name]))
        return b";".join(out)

    def _inherited(self, xref: int, key: str) -> PdfValue | None:
        """``key`` of a page object, looked up through its ``/Parent`` chain as PDF inheritance says."""
        seen: set[int] = set()
        while xref not in seen:
            seen.add(xref)
            node = self._object(xref)
            if not isinstance(node, dict):
                return None
            if key in node:
                return node[key]
            parent = node.get("Parent")
            if not isinstance(parent, Ref):
                return None
            xref = parent.num
        return None

    def _resolve(self, value: PdfValue | None) -> PdfValue | None:
        return self._object(value.num) if isinstance(value, Ref) else value

    def _object(self, xref: int) -> PdfValue:
        if xref not in self._parsed:
            self._parsed[xref] = parse(self.doc.xref_object(xref, compressed=True))
        return self._parsed[xref]

    def _canonical(self, value: PdfValue) -> bytes:
        if isinstance(value, Ref):
            return b"@" + self._digest(value.num).encode()
        if isinstance(value, Name):
            return b"/" + value.value.encode("utf-8", "surrogateescape")
        if isinstance(value, Atom):
            return value.text.encode("utf-8", "surrogateescape")
        if isinstance(value, list):
            return b"[" + b" ".join(self._canonical(v) for v in value) + b"]"
        return self._canonical_dict(value.items())

    def _canonical_dict(self, items: Iterable[tuple[str, PdfValue]]) -> bytes:
        kept = sorted((k, v) for k, v in items if k not in SKIPPED_KEYS)
        return b"<<" + b"".join(b"/" + k.encode() + b" " + self._canonical(v) for k, v in kept) + b">>"

    def _digest(self, xref: int) -> str:
        """Merkle hash of object ``xref``; other pages and objects already being hashed become markers."""
        if xref in self.page_xrefs:
            return "page"
        if xref in self._active:
            return "cycle"
        if xref not in self._digests:
            self._active.add(xref)
            try:
                self._digests[xref] = self._digest_uncached(xref)
            finally:
                self._active.discard(xref)
        return self._digests[xref]

    def _digest_uncached(self, xref: int) -> str:
        """Hash an object from its printed form, its top-level keys sorted, references replaced by hashes.

        (Working on text with one regular expression is ten times faster than parsing the large arrays
        of font widths; a string that happens to contain ``n g R`` is the only thing it can misread.)
        """
        doc = self.doc
        keys = doc.xref_get_keys(xref)
        if not keys:  # an array, a number, an empty dictionary
            return _sha(self._with_digests(doc.xref_object(xref, compressed=True)))
        stream = doc.xref_is_stream(xref)
        lossless = not stream or set(_NAME.findall(doc.xref_get_key(xref, "Filter")[1])) <= LOSSLESS
        skipped = SKIPPED_KEYS | (STREAM_KEYS if stream and lossless else {"Length", "DL"})
        head = "\n".join(
            f"/{key} {self._with_digests(doc.xref_get_key(xref, key)[1])}"
            for key in sorted(keys)
            if key not in skipped
        )
        if not stream:
            return _sha(head)
        # lossless filters: the decoded data (re-compressing changes nothing); image codecs: the coded bytes
        data = (doc.xref_stream(xref) if lossless else doc.xref_stream_raw(xref)) or b""
        return _sha(head + "\x00" + hashlib.sha256(data).hexdigest())

    def _with_digests(self, text: str) -> str:
        return _REFERENCE.sub(lambda m: "@" + self._digest(int(m.group(1))), text)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _box(rect: pymupdf.Rect) -> bytes:
    return ",".join(f"{v:.2f}" for v in (rect.x0, rect.y0, rect.x1, rect.y1)).encode()


def page_hashes(doc: pymupdf.Document) -> list[str]:
    """The content hash of every page of ``doc``, in page order."""
    hasher = PageHasher(doc)
    return [hasher.page_hash(doc.load_page(i)) for i in range(doc.page_count)]
