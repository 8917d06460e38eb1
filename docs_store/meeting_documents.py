"""A meeting's documents: the list the caller may read, one document with its versions (an audited
``open``), the manager's changes (agenda item, title, place, confidentiality, readers, comment deadline),
and leave to read a version's pages or fetch its file."""
# mypy: allow-untyped-calls

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from meetings import eventlog
from meetings.clock import from_db, to_db
from meetings.errors import Invalid
from meetings.models import Meeting
from meetings.permissions import Actor

from .access import (
    Caller,
    check_participants,
    get_version,
    managed,
    meeting_caller,
    readable,
    readers_of,
)
from .agenda import agenda_item, readable_in_order
from .audit import audit, audit_entry, document_event
from .blobs import BlobStore
from .models import (
    Confidentiality,
    Document,
    DocumentDetail,
    DocumentOut,
    DocumentPatch,
    DocumentReader,
    DocumentVersion,
    VersionOut,
)
from .store import DocumentStore, FileRef, Grant, PageRef, Transactions


def file_title(title: str) -> str:
    """A document title fit for a file name."""
    return re.sub(r'[\\/:*?"<>|\r\n]+', " ", title).strip()[:120] or "tai-lieu"


# ---- reading: the list, one document, its pages and its file -----------------------------------------------


def list_documents(s: Session, actor: Actor, meeting_id: int) -> list[DocumentOut]:
    """The meeting's documents the caller may read, in agenda order."""
    caller = meeting_caller(s, actor, meeting_id)
    return [
        _document_out(r.doc, caller, r.version, r.readers) for r in readable_in_order(s, caller, meeting_id)
    ]


def open_document(s: Session, actor: Actor, now: datetime, doc_id: int) -> DocumentDetail:
    """The document with every version (written to the audit log as an ``open``)."""
    doc, caller = readable(s, actor, doc_id)
    versions = s.exec(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == doc.id)
        .order_by(col(DocumentVersion.number))
    ).all()
    audit(s, actor, now, "open", doc, doc.current_version)
    return DocumentDetail(
        **_one_document_out(s, doc, caller).model_dump(),
        versions=[
            VersionOut(
                number=v.number,
                sha256=v.sha256,
                original_sha256=v.original_sha256,
                pages=v.pages,
                title=v.title,
                size=v.size,
                removed_active=v.removed_active,
                page_hashes=v.page_hashes,
                uploaded_by_id=v.uploaded_by_id,
                uploaded_at=from_db(v.uploaded_at),
            )
            for v in versions
        ],
    )


def _one_document_out(s: Session, doc: Document, caller: Caller) -> DocumentOut:
    return _document_out(doc, caller, get_version(s, doc, None), readers_of(s, doc))


def _document_out(doc: Document, caller: Caller, version: DocumentVersion, readers: set[int]) -> DocumentOut:
    assert doc.id is not None
    deadline = from_db(doc.comment_deadline) if doc.comment_deadline else None
    return DocumentOut(
        id=doc.id,
        meeting_id=doc.meeting_id,
        agenda_item_id=doc.agenda_item_id,
        position=doc.position,
        title=doc.title,
        confidentiality=Confidentiality(doc.confidentiality),
        readers=sorted(readers) if caller.manages else None,
        current_version=doc.current_version,
        pages=version.pages,
        sha256=version.sha256,
        comment_deadline=deadline,
    )


def page_grant(s: Session, blobs: BlobStore, actor: Actor, doc_id: int, version: int | None) -> Grant:
    """The caller's leave to read a version's pages (default: the current version's)."""
    doc, _ = readable(s, actor, doc_id)
    row = get_version(s, doc, version)
    return Grant(doc_id, row.number, blobs.path_for(row.sha256), tuple(row.page_hashes), version is not None)


def page_ref(
    s: Session, blobs: BlobStore, actor: Actor, doc_id: int, page: int, version: int | None
) -> PageRef:
    return page_grant(s, blobs, actor, doc_id, version).page(page)


def document_file(s: Session, blobs: BlobStore, actor: Actor, doc_id: int, version: int | None) -> FileRef:
    """The delivered PDF of a version (default: the current one)."""
    doc, _ = readable(s, actor, doc_id)
    row = get_version(s, doc, version)
    name = f"{file_title(doc.title)} (v{row.number}).pdf"
    return FileRef(blobs.path_for(row.sha256), row.sha256, name, doc.meeting_id, doc.id, row.number, "")


def record_download(s: Session, actor: Actor, now: datetime, ref: FileRef) -> None:
    audit_entry(s, actor, now, "download", ref.meeting_id, ref.document_id, ref.version, ref.detail)


# ---- changing one ------------------------------------------------------------------------------------------


def edit_document(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, doc_id: int, patch: DocumentPatch
) -> DocumentOut:
    """``update_document`` in a transaction of its own; then this process's read grants for it are dropped
    (its readers may have changed)."""
    with tx.write() as s:
        out = update_document(s, actor, now, doc_id, patch)
    docs.grants.forget(doc_id)
    return out


def update_document(
    s: Session, actor: Actor, now: datetime, doc_id: int, patch: DocumentPatch
) -> DocumentOut:
    doc, caller = managed(s, actor, doc_id)
    meeting = eventlog.lock_meeting(s, doc.meeting_id)
    fields = patch.model_fields_set
    if "agenda_item_id" in fields:
        doc.agenda_item_id = (
            agenda_item(s, meeting, patch.agenda_item_id).id if patch.agenda_item_id else None
        )
    if patch.title is not None:
        doc.title = patch.title
    if patch.position is not None:
        doc.position = patch.position
    if patch.confidentiality is not None:
        doc.confidentiality = patch.confidentiality
    if patch.readers is not None:
        _set_readers(s, meeting, doc, patch.readers)
    if doc.confidentiality == Confidentiality.named and not readers_of(s, doc):
        raise Invalid("name at least one reader for a 'named' document", [])
    if patch.close_comments:
        doc.comment_deadline = None
    elif patch.comment_deadline is not None:
        doc.comment_deadline = to_db(patch.comment_deadline)
    doc.updated_at = now
    s.add(doc)
    s.flush()
    document_event(s, caller, doc, "document.changed", {"comment_deadline": doc.comment_deadline}, now)
    return _one_document_out(s, doc, caller)


def _set_readers(s: Session, meeting: Meeting, doc: Document, person_ids: list[int]) -> None:
    check_participants(s, meeting, person_ids)
    for old in s.exec(select(DocumentReader).where(DocumentReader.document_id == doc.id)).all():
        s.delete(old)
    s.flush()
    add_readers(s, doc, person_ids)
    s.flush()


def add_readers(s: Session, doc: Document, person_ids: list[int]) -> None:
    """Name readers of a ``named`` document (each once)."""
    for person_id in sorted(set(person_ids)):
        s.add(DocumentReader(document_id=doc.id or 0, person_id=person_id))
