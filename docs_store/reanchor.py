"""A new version carries the annotations of the one it replaces: each is re-anchored on the new pages
(``anchoring``: by page hash, then by its quoted text, in a worker when text must be read) and moved
there, marked ``ok``, ``moved`` or ``orphaned`` (an orphan keeps its data, flagged, on its last page).

The slow part runs before the upload's write transaction (``reanchor_ahead``); annotations made or edited
meanwhile are re-anchored inside it (``carry_annotations``)."""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from meetings.clock import from_db

from . import anchoring
from .access import get_document, get_version
from .models import AnchorStatus, Annotation, AnnotationKind, DocumentVersion
from .page_annotations import annotations_on
from .store import DocumentStore, Transactions
from .workers import reanchor_in_worker

Outcomes = dict[tuple[int, datetime], anchoring.Outcome]  # by annotation id and last change


def _key(mark: Annotation) -> tuple[int, datetime]:
    return mark.id or 0, from_db(mark.updated_at)


def reanchor_ahead(
    docs: DocumentStore, tx: Transactions, doc_id: int | None, pdf: Path, new_hashes: Sequence[str]
) -> Outcomes:
    """Re-anchor the current version's annotations before the write (the slow part, outside the lock)."""
    if doc_id is None:
        return {}
    with tx.read() as s:
        doc = get_document(s, doc_id)
        old = get_version(s, doc, None)
        marks = annotations_on(s, old)
    outcomes = reanchor(docs, marks, old.page_hashes, pdf, new_hashes)
    return {_key(a): o for a, o in zip(marks, outcomes, strict=True)}


def reanchor(
    docs: DocumentStore,
    marks: Sequence[Annotation],
    old_hashes: Sequence[str],
    pdf: Path,
    new_hashes: Sequence[str],
) -> list[anchoring.Outcome]:
    anchors = [_anchor_of(a) for a in marks]
    if not any(a.quote.strip() for a in anchors):  # page-following needs only the hashes
        pages = [anchoring.NewPage(h, ()) for h in new_hashes]
        return anchoring.reanchor_all(anchors, old_hashes, pages)
    return docs.run(reanchor_in_worker, str(pdf), anchors, list(old_hashes), new_hashes)


def carry_annotations(
    docs: DocumentStore,
    s: Session,
    now: datetime,
    old: DocumentVersion,
    new: DocumentVersion,
    pdf: Path,
    outcomes: Outcomes,
) -> dict[str, int]:
    """Move ``old``'s annotations onto ``new``; how many ended ``ok``, ``moved`` and ``orphaned``."""
    marks = annotations_on(s, old)
    late = [a for a in marks if _key(a) not in outcomes]
    for mark, outcome in zip(late, reanchor(docs, late, old.page_hashes, pdf, new.page_hashes), strict=True):
        outcomes[_key(mark)] = outcome  # made or edited meanwhile
    summary = {"ok": 0, "moved": 0, "orphaned": 0}
    for mark in marks:
        _place(mark, outcomes[_key(mark)], new, now)
        summary[mark.status] += 1
        s.add(mark)
    return summary


def _anchor_of(mark: Annotation) -> anchoring.Anchor:
    rects: tuple[Any, ...] = ()
    if mark.kind == AnnotationKind.highlight:
        rects = tuple(tuple(r) for r in mark.data.get("rects", []))
    return anchoring.Anchor(
        page=mark.page,
        quote=mark.anchor.get("quote", ""),
        prefix=mark.anchor.get("prefix", ""),
        suffix=mark.anchor.get("suffix", ""),
        rects=rects,
    )


def _place(mark: Annotation, outcome: anchoring.Outcome, version: DocumentVersion, now: datetime) -> None:
    """Move an annotation onto ``version`` where re-anchoring found it; an orphan keeps its data, flagged."""
    if isinstance(outcome, anchoring.Reanchored):
        same = outcome.page == mark.page and outcome.how in {"same_page", "text", "folded_text"}
        mark.status, mark.status_detail = (AnchorStatus.ok if same else AnchorStatus.moved), ""
        if outcome.rects and mark.kind == AnnotationKind.highlight:
            mark.data = {**mark.data, "rects": [list(r) for r in outcome.rects]}
        elif outcome.rects and mark.kind == AnnotationKind.note and mark.anchor.get("quote"):
            mark.data = {**mark.data, "at": [outcome.rects[0][0], outcome.rects[0][1]]}
        mark.page = outcome.page
    else:
        mark.status, mark.status_detail, mark.page = AnchorStatus.orphaned, outcome.reason, outcome.last_page
    mark.version_id = version.id or 0
    mark.updated_at = now
