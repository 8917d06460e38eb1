"""Compile a meeting's packet (bộ tài liệu): cover, contents, then every agenda item's documents.

The packet has bookmarks (level 1 per agenda item, level 2 per document, the documents' own bookmarks
below), page labels (front matter i, ii…; body 1…n, the numbers the contents print) and clickable
contents lines. Document pages are copied unchanged, so a packet page has the same content hash as the
page it came from and its rendered image can be shared. Recompiling after one document changed is
simply compiling again: copying stored pages is cheap (see the figures in ``docs_store/__init__``).
"""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from .packet_front import CoverFacts, TocEntry, build_front

__all__ = ["PacketDoc", "PacketItem", "PacketSpec", "PacketResult", "TocEntry", "compile_packet"]


@dataclass(frozen=True)
class PacketDoc:
    """A stored document to include, with the title shown in the contents."""

    title: str
    path: Path


@dataclass(frozen=True)
class PacketItem:
    """An agenda item (nội dung) and its documents, in order."""

    title: str
    presenter: str
    documents: Sequence[PacketDoc] = ()


@dataclass(frozen=True)
class PacketSpec:
    """Everything the packet shows. ``start_local`` is already formatted for people."""

    meeting_title: str
    body: str
    host: str
    start_local: str
    bridge_points: int
    items: Sequence[PacketItem] = field(default_factory=tuple)


@dataclass(frozen=True)
class PacketResult:
    """The written packet: its path, page count, contents lines and how many front pages precede page 1."""

    path: Path
    pages: int
    toc_entries: tuple[TocEntry, ...]
    front_pages: int


def compile_packet(spec: PacketSpec, dst: Path) -> PacketResult:
    """Write the packet for ``spec`` to ``dst``."""
    with ExitStack() as stack:
        sources = [
            [stack.enter_context(pymupdf.open(d.path, filetype="pdf")) for d in item.documents]
            for item in spec.items
        ]
        entries, body_pages = _plan(spec, sources)
        documents = sum(len(docs) for docs in sources)
        facts = CoverFacts(
            spec.meeting_title, spec.body, spec.host, spec.start_local, spec.bridge_points,
            len(spec.items), documents, body_pages,
        )  # fmt: skip
        packet, links = build_front(facts, entries)
        stack.enter_context(packet)
        front = packet.page_count
        outline = _outline(sources, entries, front)
        for docs in sources:
            for src in docs:
                packet.insert_pdf(src)
        for link in links:
            packet[link.front_index].insert_link(
                {"kind": pymupdf.LINK_GOTO, "from": link.rect, "page": front + link.page - 1}
            )
        packet.set_toc(outline)
        packet.set_page_labels(_labels(front, body_pages))
        packet.set_metadata(
            {"title": spec.meeting_title, "author": spec.host, "subject": spec.body, "creator": "Cầu Họp"}
        )
        packet.save(dst, garbage=1, deflate=True, no_new_id=True)
        return PacketResult(dst, packet.page_count, tuple(entries), front)


def _plan(spec: PacketSpec, sources: list[list[pymupdf.Document]]) -> tuple[list[TocEntry], int]:
    """Contents lines with the body page each item and document starts at; and the body length."""
    entries: list[TocEntry] = []
    next_page = 1
    for number, (item, docs) in enumerate(zip(spec.items, sources, strict=True), start=1):
        entries.append(TocEntry(1, f"{number}. {item.title}", next_page if docs else None, item.presenter))
        for doc_spec, doc in zip(item.documents, docs, strict=True):
            entries.append(TocEntry(2, doc_spec.title, next_page))
            next_page += doc.page_count
    return entries, next_page - 1


def _outline(
    sources: list[list[pymupdf.Document]], entries: list[TocEntry], front: int
) -> list[list[object]]:
    """Bookmarks: the contents page, then items (level 1), documents (2) and their own bookmarks (3+)."""
    outline: list[list[object]] = [[1, "Mục lục", 2]]
    lines = iter(entries)
    for docs in sources:
        item = next(lines)
        outline.append([1, item.title, front + item.page if item.page is not None else -1])
        for doc in docs:
            entry = next(lines)
            start = front + (entry.page or 1)
            outline.append([2, entry.title, start])
            level = 2
            for own_level, title, page, *_ in doc.get_toc():
                level = min(own_level + 2, level + 1)
                inside = 0 < page <= doc.page_count
                outline.append([level, title, start + page - 1 if inside else -1])
    return outline


def _labels(front: int, body_pages: int) -> list[dict[str, object]]:
    labels: list[dict[str, object]] = [{"startpage": 0, "prefix": "", "style": "r", "firstpagenum": 1}]
    if body_pages:
        labels.append({"startpage": front, "prefix": "", "style": "D", "firstpagenum": 1})
    return labels
