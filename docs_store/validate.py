"""The checks ``inspect_pdf`` runs on an untrusted PDF, inside its time- and memory-limited child process.

Damage policy. MuPDF silently rebuilds a PDF whose cross-reference table is broken or missing (a
truncated download, say), often recovering every page. Such a *repaired* file is accepted only if every
page loads, draws and hashes without a single MuPDF warning; a page that fails or warns rejects it
("page N cannot be read"), because it would otherwise show up blank or half-drawn on the tablets. A
damaged file that also lacks its ``%%EOF`` end marker is reported as incomplete (cut off). In an
intact file MuPDF's warnings are only recorded (``PdfInfo.warnings``); a page that fails to load rejects.
Our own walk of the page tree (``pagetree``) runs before any page is loaded, so loops and broken trees
are named precisely.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

import re
import resource
from pathlib import Path

import pymupdf

from .errors import PdfRejected
from .inspect import PdfInfo, PdfLimits
from .pagehash import PageHasher
from .pagetree import broken, count_leaves
from .sanitize import find_active_content

POINTS_PER_METRE = 72 / 0.0254
SNIFFED = (
    (b"PK\x03\x04", "a ZIP archive, such as a Word .docx or Excel .xlsx file"),
    (b"\xd0\xcf\x11\xe0", "an old Word or Excel file (.doc, .xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%!PS", "a PostScript file"),
)
_MEMORY = re.compile(r"(malloc|calloc|realloc)\b.*failed|out of memory", re.IGNORECASE)


def damaged(what: str) -> PdfRejected:
    return PdfRejected("damaged", f"the PDF is damaged: {what}; ask the sender for a new copy")


def check_in_worker(path: Path, limits: PdfLimits) -> PdfInfo | PdfRejected:
    """Entry point in the child: set the process limits, check, and turn every failure into a rejection."""
    _limit_process(limits)
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        return check_pdf(path, limits)
    except PdfRejected as rejected:
        return rejected


def _limit_process(limits: PdfLimits) -> None:
    """Cap this child's address space and CPU time (a backstop for the parent's wall-clock kill)."""
    statm = Path("/proc/self/statm")  # Linux: the address space in use now, in pages
    if statm.exists():
        memory = int(statm.read_text().split()[0]) * resource.getpagesize() + limits.max_memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.parse_seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def check_pdf(path: Path, limits: PdfLimits) -> PdfInfo:
    """Validate and describe the PDF at ``path`` (in-process; ``inspect_pdf`` is the safe way in)."""
    truncated = _check_header(path)
    pymupdf.TOOLS.reset_mupdf_warnings()
    try:
        with _open(path) as doc:
            return _check_document(doc, limits)
    except PdfRejected as rejected:
        if truncated and rejected.reason == "damaged":
            raise incomplete() from rejected
        raise
    except Exception as error:  # anything else the parser throws means the file is unreadable
        raise out_of_memory(error) or (incomplete() if truncated else damaged("it cannot be read")) from error


def out_of_memory(error: Exception) -> PdfRejected | None:
    """The rejection for an error that is the memory limit biting, else ``None``."""
    if isinstance(error, MemoryError) or _MEMORY.search(str(error)):
        return PdfRejected("out_of_memory", "the PDF needs too much memory to read; it may be damaged")
    return None


def incomplete() -> PdfRejected:
    return PdfRejected(
        "incomplete",
        "the PDF is incomplete (cut off before its end, as by an interrupted download); "
        "ask the sender for a new copy",
    )


def _open(path: Path) -> pymupdf.Document:
    try:
        return pymupdf.open(path, filetype="pdf")
    except Exception as error:
        raise PdfRejected(
            "damaged", "the PDF is damaged and cannot be opened; ask the sender for a new copy"
        ) from error


def _check_header(path: Path) -> bool:
    """Reject what is not a PDF at all; tell whether the file lacks its end marker (``%%EOF``)."""
    with path.open("rb") as file:
        head = file.read(1024)
        file.seek(max(0, path.stat().st_size - 1024))
        tail = file.read()
    if not head:
        raise PdfRejected("empty", "the file is empty")
    if head.startswith(b"%PDF-"):
        return b"%%EOF" not in tail
    kind = next((what for magic, what in SNIFFED if head.startswith(magic)), None)
    if kind is None and b"<html" in head[:256].lower():
        kind = "a web page (HTML)"
    suffix = f" (it looks like {kind}); save or export it as PDF and upload that" if kind else ""
    raise PdfRejected("not_pdf", f"the file is not a PDF{suffix}")


def _check_encryption(doc: pymupdf.Document, limits: PdfLimits) -> None:
    if doc.needs_pass:
        raise PdfRejected("password", "the PDF is password-protected; upload an unprotected copy")
    if (doc.metadata or {}).get("encryption") and not limits.accept_restricted:
        raise PdfRejected(
            "encrypted",
            "the PDF is encrypted (copying or printing is restricted); upload an unprotected copy",
        )


def _check_document(doc: pymupdf.Document, limits: PdfLimits) -> PdfInfo:
    _check_encryption(doc, limits)
    repaired = bool(doc.is_repaired)
    try:
        count = int(doc.page_count)
    except Exception as error:
        raise broken() from error
    if count > limits.max_pages:
        raise PdfRejected(
            "too_many_pages",
            f"the PDF has {count} pages, more than the limit of {limits.max_pages}",
            limit=limits.max_pages,
        )
    if count_leaves(doc, limits.max_pages) == 0 or count == 0:
        if repaired:
            raise damaged("none of its pages can be read")
        raise PdfRejected("no_pages", "the PDF has no pages")
    sizes, hashes, notes, first_text = _check_pages(doc, limits, repaired)
    active = find_active_content(doc)
    return PdfInfo(
        pages=count,
        title=_title(doc, first_text),
        page_sizes=tuple(sizes),
        has_javascript=active.javascript,
        has_launch=active.launch,
        page_hashes=tuple(hashes),
        repaired=repaired,
        warnings=tuple(notes),
    )


def _check_pages(
    doc: pymupdf.Document, limits: PdfLimits, repaired: bool
) -> tuple[list[tuple[float, float]], list[str], list[str], str]:
    hasher = PageHasher(doc)
    sizes: list[tuple[float, float]] = []
    hashes: list[str] = []
    notes: list[str] = []
    first_text = ""
    for index in range(doc.page_count):
        pymupdf.TOOLS.reset_mupdf_warnings()
        try:
            page = doc.load_page(index)
            _check_size(page, index + 1, limits)
            hashes.append(hasher.page_hash(page))
            if repaired or index == 0:
                text = page.get_text("text")  # draws the page's content: broken streams surface here
                first_text = first_text or text
        except PdfRejected:
            raise
        except Exception as error:
            raise out_of_memory(error) or damaged(f"page {index + 1} cannot be read") from error
        warned = pymupdf.TOOLS.mupdf_warnings()
        if warned and repaired:
            raise damaged(f"page {index + 1} cannot be read")
        if warned and len(notes) < 20:
            notes.append(f"page {index + 1}: {warned.splitlines()[0]}")
        sizes.append((round(page.rect.width, 2), round(page.rect.height, 2)))
    return sizes, hashes, notes, first_text


def _check_size(page: pymupdf.Page, number: int, limits: PdfLimits) -> None:
    box = page.mediabox
    if box.width <= 0 or box.height <= 0:
        raise damaged(f"page {number} has no size")
    if max(box.width, box.height) > limits.max_page_side_pt:
        limit = limits.max_page_side_pt
        raise PdfRejected(
            "page_too_large",
            f"page {number} is {box.width:.0f}×{box.height:.0f} pt, larger than the limit of "
            f"{limit:.0f} pt ({limit / POINTS_PER_METRE:.2f} m) per side",
            page=number,
            limit_m=f"{limit / POINTS_PER_METRE:.2f}",
        )


def _title(doc: pymupdf.Document, first_text: str) -> str | None:
    title = ((doc.metadata or {}).get("title") or "").strip()
    if title:
        return title
    first_line = next((line.strip() for line in first_text.splitlines() if line.strip()), "")
    return first_line[:200] or None
