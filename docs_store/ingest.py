"""Uploads: a new document under an agenda item, or a new version of one. In this order: the form and the
caller are checked (no PDF work for a bad form), the file is inspected in a killable child, sanitised,
hashed and its page words cached in a worker (``workers.deliver``), the current version's annotations are
re-anchored on the new pages (``reanchor``), and then the rows are written in one transaction with a
``document.published`` or ``document.versioned`` event and an audit line.

A rejected upload changes nothing: the blobs it stored are removed again unless another version or
packet uses the same content. A file uploaded before keeps the delivered copy made then."""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from meetings import eventlog, queries
from meetings.errors import Conflict, Invalid
from meetings.models import Meeting
from meetings.permissions import Actor

from . import textsearch
from .access import Caller, caller_in, check_participants, get_document, get_version, managed, meeting_caller
from .agenda import agenda_item
from .audit import audit, document_event
from .blobs import StoredBlob
from .errors import MIB
from .inspect import PdfInfo
from .meeting_documents import add_readers
from .models import (
    AgendaItem,
    Confidentiality,
    Document,
    DocumentPageText,
    DocumentVersion,
    UploadForm,
    UploadOut,
)
from .reanchor import Outcomes, carry_annotations, reanchor_ahead
from .store import DocumentStore, Transactions
from .workers import deliver


@dataclass(frozen=True)
class Prepared:
    """An accepted upload: both blobs, what inspection learnt, and the delivered copy's pages."""

    original: StoredBlob
    delivered: StoredBlob
    info: PdfInfo
    page_hashes: tuple[str, ...]
    texts: tuple[str, ...]
    removed: int


@dataclass(frozen=True)
class Upload:
    """Where an upload goes: a new document of ``meeting_id``, or a new version of ``document_id``."""

    meeting_id: int | None
    document_id: int | None
    form: UploadForm
    filename: str = ""


def check_upload_target(s: Session, actor: Actor, meeting_id: int | None, doc_id: int | None) -> None:
    """Before reading an upload's body: may the caller upload there at all?"""
    if doc_id is not None:
        managed(s, actor, doc_id)
    elif meeting_id is not None:
        meeting_caller(s, actor, meeting_id, manage=True)


def prepare(docs: DocumentStore, original: StoredBlob, known: Prepared | None = None) -> Prepared:
    """Inspect (in a killable child), sanitise, hash and read the pages; store the delivered copy.
    A file delivered before (``known``) keeps its delivered copy: same upload, same pages."""
    info = docs.inspect(original.path)
    if known is not None:
        return replace(known, original=original, info=info)
    (removed, hashes, texts), delivered = docs.made_blob(
        lambda path: docs.run(deliver, str(original.path), str(path), str(docs.cache)),
        2 * docs.settings.max_upload_bytes + MIB,
    )
    return Prepared(original, delivered, info, tuple(hashes), tuple(texts), removed)


def ingest(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, upload: Upload, blob: StoredBlob
) -> UploadOut:
    """Check, prepare and record an upload (already stored as ``blob``); undo the blobs on error."""
    made: list[str] = [blob.sha256]
    try:
        with tx.read() as s:
            _check_upload(s, actor, upload)
            known = _delivered_before(docs, s, blob)
        prepared = prepare(docs, blob, known)
        made.append(prepared.delivered.sha256)
        pdf = prepared.delivered.path
        outcomes = reanchor_ahead(docs, tx, upload.document_id, pdf, prepared.page_hashes)
        with tx.write() as s:
            out = _record(docs, s, actor, now, upload, prepared, outcomes)
    except BaseException:
        with tx.write() as s:
            docs.discard(s, made)
        raise
    docs.grants.forget(out.id)  # "the current version" has changed
    return out


def _delivered_before(docs: DocumentStore, s: Session, original: StoredBlob) -> Prepared | None:
    """The delivered copy made when the same file was uploaded before, if it is still stored."""
    version = s.exec(
        select(DocumentVersion)
        .where(DocumentVersion.original_sha256 == original.sha256)
        .order_by(col(DocumentVersion.id))
    ).first()
    if version is None or not docs.blobs.exists(version.sha256):
        return None
    texts = s.exec(
        select(DocumentPageText.text)
        .where(DocumentPageText.version_id == version.id)
        .order_by(col(DocumentPageText.page))
    ).all()
    delivered = StoredBlob(version.sha256, version.size, docs.blobs.path_for(version.sha256))
    info = PdfInfo(version.pages, version.title, (), False, False, tuple(version.page_hashes))
    return Prepared(
        original, delivered, info, tuple(version.page_hashes), tuple(texts), version.removed_active
    )


def _record(
    docs: DocumentStore,
    s: Session,
    actor: Actor,
    now: datetime,
    upload: Upload,
    prepared: Prepared,
    outcomes: Outcomes,
) -> UploadOut:
    doc, meeting_id = _target(s, upload)
    meeting = eventlog.lock_meeting(s, meeting_id)
    caller = caller_in(s, actor, meeting)
    caller.require_manage()
    form = upload.form
    title = form.title or prepared.info.title or Path(upload.filename).stem or "Tài liệu"
    previous = None
    if doc is None:
        doc = _new_document(s, caller, now, form, title[:500])
    else:
        previous = get_version(s, doc, None)
        if (
            prepared.delivered.sha256 == previous.sha256
            or prepared.original.sha256 == previous.original_sha256
        ):
            raise Conflict(
                f"this file is the same as version {previous.number}; nothing to publish",
                "same_file",
                version=previous.number,
            )
        if form.title:
            doc.title = form.title
    version = _add_version(s, actor, now, doc, prepared, title[:500])
    summary = {"ok": 0, "moved": 0, "orphaned": 0}
    changed = list(range(1, version.pages + 1))
    if previous is not None:
        changed = _changed_pages(previous.page_hashes, version.page_hashes)
        pdf = prepared.delivered.path
        summary = carry_annotations(docs, s, now, previous, version, pdf, outcomes)
    payload = {"version": version.number, "pages": version.pages, "changed_pages": changed}
    if previous is None:
        document_event(s, caller, doc, "document.published", payload, now)
    else:
        document_event(s, caller, doc, "document.versioned", {**payload, "annotations": summary}, now)
    audit(s, actor, now, "upload" if previous is None else "version", doc, version.number, upload.filename)
    assert doc.id is not None
    return UploadOut(
        id=doc.id,
        version=version.number,
        sha256=version.original_sha256,
        delivered_sha256=version.sha256,
        pages=version.pages,
        title=doc.title,
        page_hashes=version.page_hashes,
        changed_pages=changed,
        annotations=summary,
    )


def _check_upload(s: Session, actor: Actor, upload: Upload) -> None:
    """Everything about an upload except the file itself (so a bad form costs no PDF work)."""
    doc, meeting_id = _target(s, upload)
    meeting = queries.get_meeting(s, meeting_id)
    caller_in(s, actor, meeting).require_manage()
    if doc is None:
        _check_new_document(s, meeting, upload.form)


def _target(s: Session, upload: Upload) -> tuple[Document | None, int]:
    if upload.document_id is not None:
        doc = get_document(s, upload.document_id)
        return doc, doc.meeting_id
    assert upload.meeting_id is not None
    return None, upload.meeting_id


def _check_new_document(s: Session, meeting: Meeting, form: UploadForm) -> AgendaItem:
    if form.agenda_item_id is None:
        raise Invalid("say which agenda item the document belongs to (agenda_item_id)", [])
    item = agenda_item(s, meeting, form.agenda_item_id)
    if form.confidentiality == Confidentiality.named:
        if not form.readers:
            raise Invalid(
                "name at least one reader (readers) for a 'named' document", [], "named_needs_readers"
            )
        check_participants(s, meeting, form.readers)
    return item


def _new_document(s: Session, caller: Caller, now: datetime, form: UploadForm, title: str) -> Document:
    item = _check_new_document(s, caller.meeting, form)
    count = s.exec(select(func.count()).where(Document.agenda_item_id == item.id)).one()
    doc = Document(
        meeting_id=caller.meeting.id or 0,
        agenda_item_id=item.id,
        position=int(count),
        title=title,
        confidentiality=form.confidentiality or Confidentiality.all_participants,
        created_by_id=caller.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    s.add(doc)
    s.flush()
    add_readers(s, doc, form.readers)
    return doc


def _add_version(
    s: Session, actor: Actor, now: datetime, doc: Document, prepared: Prepared, title: str
) -> DocumentVersion:
    version = DocumentVersion(
        document_id=doc.id or 0,
        number=doc.current_version + 1,
        original_sha256=prepared.original.sha256,
        sha256=prepared.delivered.sha256,
        pages=prepared.info.pages,
        title=title,
        page_hashes=list(prepared.page_hashes),
        page_sizes=[list(size) for size in prepared.info.page_sizes],
        size=prepared.delivered.size,
        original_size=prepared.original.size,
        removed_active=prepared.removed,
        repaired=prepared.info.repaired,
        uploaded_by_id=actor.user_id,
        uploaded_at=now,
    )
    s.add(version)
    s.flush()
    for number, page_text in enumerate(prepared.texts, start=1):
        s.add(
            DocumentPageText(
                version_id=version.id or 0,
                document_id=doc.id or 0,
                page=number,
                text=page_text,
                folded=textsearch.fold(page_text),
            )
        )
    doc.current_version = version.number
    doc.updated_at = now
    s.add(doc)
    return version


def _changed_pages(old: Sequence[str], new: Sequence[str]) -> list[int]:
    return [n for n, h in enumerate(new, start=1) if n > len(old) or old[n - 1] != h]
