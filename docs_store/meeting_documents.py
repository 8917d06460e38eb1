"""A meeting's documents: the list the caller may read, one document with its versions (an audited
``open``), the manager's changes (agenda item, title, place, confidentiality, readers, comment deadline),
and leave to read a version's pages or fetch its file."""
# mypy: allow-untyped-calls

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam
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
    meeting_viewer,
    readable,
    readers_of,
)
from .agenda import agenda_item
from .audit import audit, audit_entry, document_event
from .blobs import BlobStore
from .models import (
    AgendaItem,
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
    """The meeting's documents the caller may read, in agenda order (by agenda item and their place under
    it, unfiled ones last). Every tablet asks for this at once when the packet is published, so it is three
    column queries (the caller, the documents with their current version, the named readers) and no ORM
    objects; the checks are ``can_read_document``'s, as for one document."""
    viewer = meeting_viewer(s, actor, meeting_id)
    rows = sorted(
        s.exec(_LISTED, params={"meeting_id": meeting_id}).all(),
        key=lambda r: (r[0] is None, r[0] or 0, r[3], r[1]),
    )
    manages = viewer.manages
    readers = _named_readers(s, [r[1] for r in rows if manages or r[5] == Confidentiality.named])
    listed = []
    for _, doc_id, item_id, position, title, conf, current, deadline, pages, sha256 in rows:
        named = readers.get(doc_id, set())
        if viewer.may_read(conf, named):
            out = DocumentOut(
                id=doc_id,
                meeting_id=meeting_id,
                agenda_item_id=item_id,
                position=position,
                title=title,
                confidentiality=Confidentiality(conf),
                readers=sorted(named) if manages else None,
                current_version=current,
                pages=pages,
                sha256=sha256,
                comment_deadline=from_db(deadline) if deadline else None,
            )
            listed.append(out)
    return listed


def _named_readers(s: Session, doc_ids: list[int]) -> dict[int, set[int]]:
    readers: dict[int, set[int]] = {}
    if doc_ids:
        for doc_id, person_id in s.exec(_READERS, params={"ids": doc_ids}).all():
            readers.setdefault(doc_id, set()).add(person_id)
    return readers


# The list's two statements, built once (``:meeting_id``; ``:ids``): the meeting's published documents, each
# with its agenda item's position and its current version; the named readers of some documents.
_LISTED_COLUMNS: tuple[Any, ...] = (
    AgendaItem.position,
    Document.id,
    Document.agenda_item_id,
    Document.position,
    Document.title,
    Document.confidentiality,
    Document.current_version,
    Document.comment_deadline,
    DocumentVersion.pages,
    DocumentVersion.sha256,
)
_LISTED = (
    select(*_LISTED_COLUMNS)
    .join(
        DocumentVersion,
        and_(
            col(DocumentVersion.document_id) == Document.id,
            col(DocumentVersion.number) == Document.current_version,
        ),
    )
    .outerjoin(AgendaItem, col(AgendaItem.id) == Document.agenda_item_id)
    .where(Document.meeting_id == bindparam("meeting_id"), Document.current_version > 0)
)
_READERS = select(DocumentReader.document_id, DocumentReader.person_id).where(
    col(DocumentReader.document_id).in_(bindparam("ids", expanding=True))
)


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
        raise Invalid("name at least one reader for a 'named' document", [], "named_needs_readers")
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
