"""Annotations in and out of PDF files: a copy of the current version carrying the caller's and the shared
annotations (made in a worker by ``annotations_pdf``), and reading an annotated PDF back as the caller's
private annotations (ours, ``cauhop-N``, are updated in place; others are added)."""
# mypy: allow-untyped-calls

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from meetings.permissions import Actor

from . import annotations_pdf
from .access import get_version, person_names, readable
from .audit import audit
from .meeting_documents import file_title
from .models import KIND_DATA, AnchorStatus, Annotation, AnnotationKind, ImportOut, Visibility
from .page_annotations import annotations_on, can_see
from .store import DocumentStore, Transactions


def export_annotated(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, doc_id: int
) -> tuple[Path, str]:
    """A copy of the current version with the caller's and the shared annotations (remove it after)."""
    with tx.write() as s:
        doc, caller = readable(s, actor, doc_id)
        version = get_version(s, doc, None)
        marks = [a for a in annotations_on(s, version) if can_see(caller, a)]
        names = person_names(s, {a.author_id for a in marks})
        items = [_exported(a, names.get(a.author_id, "")) for a in marks]
        audit(s, actor, now, "download", doc, version.number, "annotated copy")
    scratch = docs.scratch()
    docs.run(annotations_pdf.export_annotations, docs.blobs.path_for(version.sha256), scratch, items)
    return scratch, f"{file_title(doc.title)} (ghi chú).pdf"


def _exported(mark: Annotation, author: str) -> annotations_pdf.Annotation:
    """As a PDF annotation; an orphan becomes a note on its last page, quoting the text it marked."""
    if mark.status == AnchorStatus.orphaned:
        quote = mark.anchor.get("quote", "")
        body = mark.data.get("text", "")
        text = f"[Không còn vị trí trong bản mới] {quote}{': ' if quote and body else ''}{body}".strip()
        return annotations_pdf.Note(mark.page, (0.02, 0.02), text, author=author, id=f"cauhop-{mark.id}")
    fields = {"kind": mark.kind, "page": mark.page, **mark.data, "author": author, "id": f"cauhop-{mark.id}"}
    return annotations_pdf.from_dict(fields)


def import_annotations(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, doc_id: int, path: Path
) -> ImportOut:
    """Read the annotations of an annotated PDF (checked like any upload) as the caller's private ones."""
    with tx.read() as s:
        readable(s, actor, doc_id)
    docs.inspect(path)
    found = docs.run(annotations_pdf.read_annotations, path)
    with tx.write() as s:
        return merge_imported(s, actor, now, doc_id, found)


def merge_imported(
    s: Session, actor: Actor, now: datetime, doc_id: int, found: list[dict[str, Any]]
) -> ImportOut:
    """Keep imported annotations as the caller's private ones; ours (``cauhop-N``) are updated in place."""
    doc, caller = readable(s, actor, doc_id)
    author = caller.person()
    version = get_version(s, doc, None)
    counts = {"imported": 0, "updated": 0, "skipped": 0}
    for item in found:
        model = KIND_DATA.get(item.get("kind", ""))
        if model is None or not 1 <= int(item.get("page", 0)) <= version.pages:
            counts["skipped"] += 1
            continue
        fields = {k: v for k, v in item.items() if k in model.model_fields}
        if item["kind"] == AnnotationKind.note and not fields.get("text"):
            fields["text"] = "(ghi chú)"
        try:
            data = model.model_validate(fields).model_dump(mode="json")
        except ValidationError:
            counts["skipped"] += 1
            continue
        mark = _imported_target(s, item.get("id", ""), doc_id, author, now)
        if mark.id and mark.kind != item["kind"]:  # an orphan exported as a note: keep the original
            counts["skipped"] += 1
            continue
        counts["updated" if mark.id else "imported"] += 1
        mark.kind, mark.page, mark.data, mark.version_id = (
            item["kind"],
            int(item["page"]),
            data,
            version.id or 0,
        )
        mark.status, mark.status_detail, mark.updated_at = AnchorStatus.ok, "", now
        s.add(mark)
    s.flush()
    audit(s, actor, now, "annotate", doc, version.number, f"import {counts}")
    return ImportOut(**counts)


def _imported_target(s: Session, pdf_id: str, doc_id: int, author: int, now: datetime) -> Annotation:
    found = re.fullmatch(r"cauhop-(\d+)", pdf_id or "")
    if found:
        mark = s.get(Annotation, int(found.group(1)))
        if mark is not None and mark.document_id == doc_id and mark.author_id == author:
            return mark
    return Annotation(
        document_id=doc_id,
        version_id=0,
        page=1,
        author_id=author,
        visibility=Visibility.private,
        kind="note",
        data={},
        anchor={},
        created_at=now,
        updated_at=now,
    )
