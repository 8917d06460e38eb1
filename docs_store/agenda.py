"""A meeting's agenda (chương trình nghị sự): its items in order, each with the documents the caller may
read, and the chair's or secretary's changes to it (add, edit, remove, reorder), each announced to the
meeting as an ``agenda.changed`` event with the whole list."""
# mypy: allow-untyped-calls

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from meetings import eventlog
from meetings.errors import Conflict, Invalid, NotFound
from meetings.models import Meeting
from meetings.permissions import Actor

from .access import Caller, caller_in, can_read_document, check_participants, meeting_caller
from .models import (
    AgendaItem,
    AgendaItemIn,
    AgendaItemOut,
    AgendaItemPatch,
    Confidentiality,
    Document,
    DocumentBrief,
    DocumentReader,
    DocumentVersion,
)


def agenda_item(s: Session, meeting: Meeting, item_id: int) -> AgendaItem:
    item = s.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(f"agenda item {item_id} is not on this meeting's agenda")
    return item


def agenda_items(s: Session, meeting_id: int) -> list[AgendaItem]:
    return list(
        s.exec(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
        ).all()
    )


def in_agenda_order(s: Session, meeting_id: int) -> list[Document]:
    """The meeting's published documents, by agenda item and their place under it (unfiled ones last)."""
    rows = s.exec(
        select(Document, AgendaItem.position)
        .outerjoin(AgendaItem, col(AgendaItem.id) == Document.agenda_item_id)
        .where(Document.meeting_id == meeting_id, Document.current_version > 0)
    ).all()
    return [d for d, _ in sorted(rows, key=lambda r: (r[1] is None, r[1] or 0, r[0].position, r[0].id or 0))]


@dataclass(frozen=True)
class ReadableDocument:
    """A document the caller may read, with its current version and its named readers."""

    doc: Document
    version: DocumentVersion
    readers: set[int]


def readable_in_order(s: Session, caller: Caller, meeting_id: int) -> list[ReadableDocument]:
    """The meeting's documents the caller may read, in agenda order, each with its current version and
    named readers: three queries however many documents (500 tablets ask for this list at once when the
    packet is published)."""
    docs = in_agenda_order(s, meeting_id)
    ids = [d.id for d in docs if d.id is not None]
    readers: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        rows = s.exec(
            select(DocumentReader.document_id, DocumentReader.person_id).where(
                col(DocumentReader.document_id).in_(ids)
            )
        ).all()
        for doc_id, person_id in rows:
            readers[doc_id].add(person_id)
    visible = [
        d
        for d in docs
        if can_read_document(caller.actor, caller.access, caller.tree, d.confidentiality, readers[d.id or 0])
    ]
    current = {(d.id, d.current_version) for d in visible}
    versions = {
        v.document_id: v
        for v in s.exec(
            select(DocumentVersion).where(col(DocumentVersion.document_id).in_([d.id for d in visible]))
        ).all()
        if (v.document_id, v.number) in current
    }
    return [ReadableDocument(d, versions[d.id or 0], readers[d.id or 0]) for d in visible]


def agenda(s: Session, actor: Actor, meeting_id: int) -> list[AgendaItemOut]:
    """The agenda with the documents the caller may read under each item."""
    caller = meeting_caller(s, actor, meeting_id)
    docs: dict[int | None, list[DocumentBrief]] = {}
    for found in readable_in_order(s, caller, meeting_id):
        doc, version = found.doc, found.version
        brief = DocumentBrief(
            id=doc.id or 0,
            title=doc.title,
            confidentiality=Confidentiality(doc.confidentiality),
            version=version.number,
            pages=version.pages,
        )
        docs.setdefault(doc.agenda_item_id, []).append(brief)
    return [_item_out(i, docs.get(i.id, [])) for i in agenda_items(s, meeting_id)]


def _item_out(item: AgendaItem, docs: list[DocumentBrief]) -> AgendaItemOut:
    return AgendaItemOut(
        id=item.id or 0,
        meeting_id=item.meeting_id,
        position=item.position,
        title=item.title,
        presenter=item.presenter,
        presenter_person_id=item.presenter_person_id,
        time_box_minutes=item.time_box_minutes,
        documents=docs,
    )


def _agenda_changed(s: Session, caller: Caller, now: datetime) -> None:
    items = [
        {"id": i.id, "position": i.position, "title": i.title, "presenter": i.presenter,
         "time_box_minutes": i.time_box_minutes}
        for i in agenda_items(s, caller.meeting.id or 0)
    ]  # fmt: skip
    eventlog.append(
        s, caller.meeting, "agenda.changed", {"items": items}, actor_id=caller.actor.user_id, at=now
    )


def _renumber(s: Session, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            s.add(item)
    s.flush()


def _agenda_writer(s: Session, actor: Actor, meeting_id: int) -> Caller:
    meeting = eventlog.lock_meeting(s, meeting_id)
    caller = caller_in(s, actor, meeting)
    caller.require_manage()
    return caller


def _check_presenter(s: Session, caller: Caller, person_id: int | None) -> None:
    if person_id is not None:
        check_participants(s, caller.meeting, [person_id])


def add_item(s: Session, actor: Actor, now: datetime, meeting_id: int, data: AgendaItemIn) -> AgendaItemOut:
    caller = _agenda_writer(s, actor, meeting_id)
    _check_presenter(s, caller, data.presenter_person_id)
    items = agenda_items(s, meeting_id)
    item = AgendaItem(
        meeting_id=meeting_id,
        position=0,
        title=data.title,
        presenter=data.presenter,
        presenter_person_id=data.presenter_person_id,
        time_box_minutes=data.time_box_minutes,
    )
    s.add(item)
    at = len(items) if data.position is None else min(data.position - 1, len(items))
    items.insert(at, item)
    _renumber(s, items)
    _agenda_changed(s, caller, now)
    return _item_out(item, [])


def edit_item(
    s: Session, actor: Actor, now: datetime, meeting_id: int, item_id: int, data: AgendaItemPatch
) -> AgendaItemOut:
    caller = _agenda_writer(s, actor, meeting_id)
    item = agenda_item(s, caller.meeting, item_id)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name in {"title", "presenter"}:
            raise Invalid(f"{name} cannot be null", [])
        if name == "presenter_person_id":
            _check_presenter(s, caller, value)
        setattr(item, name, value)
    s.add(item)
    s.flush()
    _agenda_changed(s, caller, now)
    return next(i for i in agenda(s, actor, meeting_id) if i.id == item_id)


def remove_item(s: Session, actor: Actor, now: datetime, meeting_id: int, item_id: int) -> None:
    caller = _agenda_writer(s, actor, meeting_id)
    item = agenda_item(s, caller.meeting, item_id)
    if s.exec(select(Document.id).where(Document.agenda_item_id == item_id)).first() is not None:
        raise Conflict(
            "this agenda item has documents: move them to another item first", "item_has_documents"
        )
    s.delete(item)
    s.flush()
    _renumber(s, agenda_items(s, meeting_id))
    _agenda_changed(s, caller, now)


def reorder(
    s: Session, actor: Actor, now: datetime, meeting_id: int, item_ids: list[int]
) -> list[AgendaItemOut]:
    caller = _agenda_writer(s, actor, meeting_id)
    items = {i.id or 0: i for i in agenda_items(s, meeting_id)}
    if sorted(item_ids) != sorted(items) or len(set(item_ids)) != len(item_ids):
        raise Invalid("send every agenda item of the meeting exactly once", [])
    _renumber(s, [items[i] for i in item_ids])
    _agenda_changed(s, caller, now)
    return agenda(s, actor, meeting_id)
