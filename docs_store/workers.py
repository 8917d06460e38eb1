"""The work done in the document pool's processes (``DocumentStore.run``): top-level functions, because
they travel to the workers by name. Each opens the PDF it is given and writes its result to disk
atomically (the page cache, a scratch file), so a worker that dies leaves nothing half-written."""
# mypy: allow-untyped-calls

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pymupdf

from . import anchoring
from .fonts import SERIF, load_pair
from .pagehash import page_hashes
from .render import render_page, words_on
from .sanitize import sanitize_pdf
from .typeset import Column, Flow
from .words import Word

if TYPE_CHECKING:
    from .store import PageRef


def deliver(src: str, dst: str, cache_dir: str) -> tuple[int, list[str], list[str]]:
    """Write the sanitised copy; return removals, its page hashes and page texts; cache its page words."""
    removed = sanitize_pdf(Path(src), Path(dst))
    with pymupdf.open(dst, filetype="pdf") as doc:
        hashes = page_hashes(doc)
        texts = []
        for number, page_hash in enumerate(hashes):
            page = doc.load_page(number)
            texts.append(str(page.get_text("text")))
            _write_atomic(Path(cache_dir) / page_hash[:2] / f"{page_hash}.words.json", _words_json(page))
    return removed, hashes, texts


def render_to_cache(ref: PageRef, width: int, fmt: str, target: str) -> bytes:
    data = render_page(ref.pdf, ref.page, width, fmt)
    _write_atomic(Path(target), data)
    return data


def words_to_cache(ref: PageRef, target: str) -> bytes:
    with pymupdf.open(ref.pdf, filetype="pdf") as doc:
        data = _words_json(doc.load_page(ref.page - 1))
    _write_atomic(Path(target), data)
    return data


def reanchor_in_worker(
    pdf: str, anchors: list[anchoring.Anchor], old_hashes: list[str], new_hashes: Sequence[str]
) -> list[anchoring.Outcome]:
    with pymupdf.open(pdf, filetype="pdf") as doc:
        pages = [
            anchoring.NewPage(h, [Word(**w) for w in _words(doc.load_page(i))])
            for i, h in enumerate(new_hashes)
        ]
    return anchoring.reanchor_all(anchors, old_hashes, pages)


COMMENT_COLUMN_SHARES = (0.5, 1.6, 1.6, 3.2, 3.2)  # number, delegate, where, comment, handling


def write_comments_pdf(heading: list[str], titles: list[str], rows: list[list[str]], dst: Path) -> None:
    with pymupdf.open() as doc:
        flow = Flow(doc, load_pair(SERIF))
        flow.line("BẢNG TỔNG HỢP TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý", 13, bold=True, align="center")
        for line in heading:
            flow.paragraph(line, 11, align="center")
        flow.space(6)
        columns = [
            Column(title, share, "center" if i == 0 else "left")
            for i, (title, share) in enumerate(zip(titles, COMMENT_COLUMN_SHARES, strict=True))
        ]
        flow.table(columns, rows or [["", "", "", "(chưa có ý kiến góp ý)", ""]], size=9)
        flow.flush()
        doc.set_metadata({"title": heading[0] if heading else "Bảng tổng hợp", "creator": "Cầu Họp"})
        doc.save(dst, garbage=3, deflate=True)


def _words(page: pymupdf.Page) -> list[dict[str, Any]]:
    """The page's words (``render.words_on``) with their boxes rounded to 5 decimals, as cached."""
    return [
        {"text": w.text, **{k: round(getattr(w, k), 5) for k in ("x0", "y0", "x1", "y1")}}
        for w in words_on(page)
    ]


def _words_json(page: pymupdf.Page) -> bytes:
    return json.dumps(_words(page), ensure_ascii=False, separators=(",", ":")).encode()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temp.write_bytes(data)
    os.replace(temp, path)
