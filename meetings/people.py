"""The people a secretary may add to a meeting: found by name, title or unit, accents and case ignored."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, select

from docs_store.textsearch import fold
from meetings.models import Person, Unit


class PersonOut(BaseModel):
    id: int
    full_name: str
    title: str
    unit_id: int | None
    unit_name: str


def matches(words: list[str], *texts: str) -> bool:
    """Every folded query word occurs in one of ``texts`` (pure)."""
    haystack = fold(" ".join(texts))
    return all(word in haystack for word in words)


def search_people(session: Session, query: str, limit: int) -> list[PersonOut]:
    """People whose name, title or unit holds every word of ``query`` (all people when it is empty): those
    whose name holds the query as written first, then by name; at most ``limit``."""
    phrase = fold(query)
    words = phrase.split()
    units = {uid: name for uid, name in session.exec(select(Unit.id, Unit.name)).all()}
    found = []
    for person in session.exec(select(Person)).all():
        unit = units.get(person.unit_id, "") if person.unit_id is not None else ""
        if person.id is not None and matches(words, person.full_name, person.title, unit):
            found.append(
                PersonOut(
                    id=person.id,
                    full_name=person.full_name,
                    title=person.title,
                    unit_id=person.unit_id,
                    unit_name=unit,
                )
            )
    found.sort(key=lambda p: (phrase not in fold(p.full_name), fold(p.full_name), p.id))
    return found[:limit]
