"""Annotations on a document's pages: highlights, ink, notes and arrows, private to their author or shared
(by the chair, the secretary or the item's presenter; a shared one appears live to every reader through a
meeting event). A highlight sent without its text gets the words under it as its anchor, so that it can
follow the text into the next version (``reanchor``). A create sent again with the same ``client_key``
(a tablet replaying its outbox) returns the annotation the first one made."""
# mypy: allow-untyped-calls

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from meetings.clock import from_db
from meetings.errors import Forbidden, NotFound, invalid_from
from meetings.permissions import Actor

from .access import Caller, get_version, readable, require_page, version_number
from .audit import audit, document_event
from .client_keys import add_once, made_before
from .meeting_documents import page_ref
from .models import (
    KIND_DATA,
    AgendaItem,
    AnchorIn,
    AnchorStatus,
    Annotation,
    AnnotationIn,
    AnnotationKind,
    AnnotationOut,
    AnnotationPatch,
    Document,
    DocumentVersion,
    Visibility,
)
from .store import DocumentStore, Transactions


def annotations_on(s: Session, version: DocumentVersion) -> list[Annotation]:
    return list(
        s.exec(
            select(Annotation).where(Annotation.version_id == version.id).order_by(col(Annotation.id))
        ).all()
    )


def can_see(caller: Caller, mark: Annotation) -> bool:
    return mark.visibility == Visibility.shared or mark.author_id == caller.actor.person_id


def _require_share(s: Session, caller: Caller, doc: Document) -> None:
    if caller.manages:
        return
    item = s.get(AgendaItem, doc.agenda_item_id) if doc.agenda_item_id else None
    if item is None or item.presenter_person_id is None or item.presenter_person_id != caller.actor.person_id:
        raise Forbidden(
            "only the chair, the secretary or the item's presenter may share annotations",
            "share_presenters_only",
        )


def _annotation_out(mark: Annotation, version: int) -> AnnotationOut:
    return AnnotationOut(
        id=mark.id or 0,
        document_id=mark.document_id,
        version=version,
        page=mark.page,
        author_id=mark.author_id,
        visibility=Visibility(mark.visibility),
        kind=AnnotationKind(mark.kind),
        data=mark.data,
        anchor=mark.anchor,
        status=AnchorStatus(mark.status),
        status_detail=mark.status_detail,
        created_at=from_db(mark.created_at),
        updated_at=from_db(mark.updated_at),
    )


def list_annotations(s: Session, actor: Actor, doc_id: int, version: int | None) -> list[AnnotationOut]:
    """The caller's own annotations and the shared ones, on the given (default: current) version."""
    doc, caller = readable(s, actor, doc_id)
    row = get_version(s, doc, version)
    return [_annotation_out(a, row.number) for a in annotations_on(s, row) if can_see(caller, a)]


def quote_under(words: list[dict[str, Any]], rects: list[tuple[float, ...]], context: int = 6) -> AnchorIn:
    """The text a highlight covers (words whose centre is inside a rectangle) with a few words around it."""
    inside = [
        i
        for i, w in enumerate(words)
        if any(
            r[0] <= (w["x0"] + w["x1"]) / 2 <= r[2] and r[1] <= (w["y0"] + w["y1"]) / 2 <= r[3] for r in rects
        )
    ]
    if not inside:
        return AnchorIn()
    first, last = inside[0], inside[-1]
    text_of = lambda ws: " ".join(w["text"] for w in ws)  # noqa: E731
    return AnchorIn(
        quote=text_of(words[first : last + 1])[:2000],
        prefix=text_of(words[max(0, first - context) : first])[-200:],
        suffix=text_of(words[last + 1 : last + 1 + context])[:200],
    )


def create_annotation(
    docs: DocumentStore, tx: Transactions, actor: Actor, now: datetime, doc_id: int, body: AnnotationIn
) -> AnnotationOut:
    """``add_annotation``; a highlight sent without its text first gets the words under it (read from the
    page, in a worker if they are not cached), outside the write transaction."""
    data = body.root
    anchor = data.anchor
    if data.kind == AnnotationKind.highlight and (anchor is None or not anchor.quote.strip()):
        with tx.read() as s:
            ref = page_ref(s, docs.blobs, actor, doc_id, data.page, data.version)
        rects = data.data.rects  # type: ignore[union-attr]
        anchor = quote_under(docs.words(ref), [tuple(r) for r in rects])
    with tx.write() as s:
        return add_annotation(s, actor, now, doc_id, data.model_copy(update={"anchor": anchor}))


def _replayed(s: Session, mark: Annotation) -> AnnotationOut:
    return _annotation_out(mark, version_number(s, mark.version_id) or 0)


def add_annotation(s: Session, actor: Actor, now: datetime, doc_id: int, data: Any) -> AnnotationOut:
    """A new annotation; sent again with the same ``client_key``, the one made the first time."""
    doc, caller = readable(s, actor, doc_id)
    author = caller.person()
    if (sent := made_before(s, Annotation, author, doc_id, data.client_key)) is not None:
        return _replayed(s, sent)
    row = get_version(s, doc, data.version)
    require_page(row, data.page)
    if data.visibility == Visibility.shared:
        _require_share(s, caller, doc)
    mark = Annotation(
        document_id=doc_id,
        version_id=row.id or 0,
        page=data.page,
        author_id=author,
        visibility=data.visibility,
        kind=data.kind,
        data=data.data.model_dump(mode="json"),
        anchor=(data.anchor or AnchorIn()).model_dump(),
        client_key=data.client_key,
        created_at=now,
        updated_at=now,
    )
    if (stored := add_once(s, mark)) is not mark:  # sent twice at once: the other request made it
        return _replayed(s, stored)
    _annotation_changed(s, caller, doc, mark, "annotation.added", now)
    audit(s, actor, now, "annotate", doc, row.number, f"add {mark.kind} {mark.id} ({mark.visibility})")
    return _annotation_out(mark, row.number)


def _annotation_changed(
    s: Session, caller: Caller, doc: Document, mark: Annotation, kind: str, now: datetime
) -> None:
    """Shared annotations appear live: an event (private ones stay private)."""
    if mark.visibility != Visibility.shared:
        return
    detail: dict[str, Any] = {"annotation_id": mark.id, "page": mark.page, "kind": mark.kind}
    if kind != "annotation.removed":
        detail |= {"data": mark.data, "anchor": mark.anchor}
    document_event(s, caller, doc, kind, detail, now)


def _own_annotation(
    s: Session, actor: Actor, doc_id: int, annotation_id: int
) -> tuple[Document, Caller, Annotation]:
    doc, caller = readable(s, actor, doc_id)
    mark = s.get(Annotation, annotation_id)
    if mark is None or mark.document_id != doc_id or not can_see(caller, mark):
        raise NotFound(f"annotation {annotation_id} does not exist")
    if mark.author_id != actor.person_id and not (mark.visibility == Visibility.shared and caller.manages):
        raise Forbidden("only its author may change an annotation", "not_your_annotation")
    return doc, caller, mark


def edit_annotation(
    s: Session, actor: Actor, now: datetime, doc_id: int, annotation_id: int, patch: AnnotationPatch
) -> AnnotationOut:
    doc, caller, mark = _own_annotation(s, actor, doc_id, annotation_id)
    was_shared = mark.visibility == Visibility.shared
    if patch.data is not None:
        try:
            mark.data = KIND_DATA[mark.kind].model_validate(patch.data).model_dump(mode="json")
        except ValidationError as exc:
            raise invalid_from(exc, ("body", "data")) from None
    if patch.anchor is not None:
        mark.anchor = patch.anchor.model_dump()
    if patch.visibility is not None:
        if patch.visibility == Visibility.shared:
            _require_share(s, caller, doc)
        mark.visibility = patch.visibility
    mark.updated_at = now
    s.add(mark)
    s.flush()
    if was_shared and mark.visibility != Visibility.shared:
        document_event(s, caller, doc, "annotation.removed", {"annotation_id": mark.id}, now)
    else:
        _annotation_changed(
            s, caller, doc, mark, "annotation.changed" if was_shared else "annotation.added", now
        )
    number = version_number(s, mark.version_id)
    audit(s, actor, now, "annotate", doc, number, f"edit {mark.id}")
    return _annotation_out(mark, number or 0)


def delete_annotation(s: Session, actor: Actor, now: datetime, doc_id: int, annotation_id: int) -> None:
    doc, caller, mark = _own_annotation(s, actor, doc_id, annotation_id)
    _annotation_changed(s, caller, doc, mark, "annotation.removed", now)
    audit(s, actor, now, "annotate", doc, None, f"delete {mark.kind} {mark.id}")
    s.delete(mark)
