"""Creates a tablet may send more than once (its offline outbox sends again what got no answer): an
annotation or comment carrying its author's ``client_key`` is made once; sent again, even at the same
moment as the first, the answer is the row the first one made."""
# mypy: allow-untyped-calls

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from meetings.errors import Conflict

from .models import Annotation, Comment

Keyed = TypeVar("Keyed", Annotation, Comment)
WHAT = {Annotation: "an annotation", Comment: "a comment"}


def made_before(s: Session, model: type[Keyed], author: int, doc_id: int, key: str | None) -> Keyed | None:
    """The row an earlier create with this client key made (a replay: nothing new is added)."""
    if not key:
        return None
    row = s.exec(select(model).where(model.author_id == author, model.client_key == key)).first()
    if row is not None and row.document_id != doc_id:
        raise Conflict(f"the client key {key!r} was already used for {WHAT[model]} on another document")
    return row


def add_once(s: Session, row: Keyed) -> Keyed:
    """Insert ``row``; if the same key was sent twice at once, the row the other request made instead."""
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
    except IntegrityError:
        found = made_before(s, type(row), row.author_id, row.document_id, row.client_key)
        if found is None:
            raise
        return found
    return row
