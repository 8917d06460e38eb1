"""Search over the pages of the current versions the caller may read: the words of the query in a row,
accents and case ignored (``textsearch.fold`` on both sides), through SQLite FTS5 or PostgreSQL full-text
search. The meetings the caller may see narrow the query; each hit is still checked like any read."""
# mypy: allow-untyped-calls

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from meetings import queries
from meetings.errors import Invalid
from meetings.models import BridgePoint, Meeting, MeetingBridgePoint, MeetingParticipant
from meetings.permissions import Actor, Role

from . import textsearch
from .access import meeting_caller, readable_or_none
from .models import Document, SearchHit


def _tokens(query: str) -> list[str]:
    tokens = re.findall(r"\w+", textsearch.fold(query))
    if not tokens:
        raise Invalid("search for at least one word", [], "search_empty")
    return tokens[:20]


def _visible_meetings(s: Session, actor: Actor) -> list[int] | None:
    """Meetings the caller may see, as a query (``None``: all). Only narrows the search: each hit is still
    checked by ``can_read_document``."""
    if actor.role is Role.admin:
        return None
    ids: set[int] = set()
    if actor.person_id is not None:
        ids |= set(
            s.exec(
                select(MeetingParticipant.meeting_id).where(MeetingParticipant.person_id == actor.person_id)
            ).all()
        )
        ids |= set(
            s.exec(
                select(MeetingBridgePoint.meeting_id)
                .join(BridgePoint, col(BridgePoint.id) == MeetingBridgePoint.bridge_point_id)
                .where(BridgePoint.operator_id == actor.person_id)
            ).all()
        )
    if actor.role is Role.secretary and actor.unit_id is not None:
        units = list(queries.unit_tree(s).subtree(actor.unit_id))
        ids |= set(s.exec(select(Meeting.id).where(col(Meeting.host_unit_id).in_(units))).all())  # type: ignore[arg-type]
    return sorted(ids)


SQLITE_SEARCH = """
SELECT t.id, t.document_id, t.page, t.text, v.number
FROM document_page_fts f
JOIN document_page_text t ON t.id = f.rowid
JOIN document_version v ON v.id = t.version_id
JOIN document d ON d.id = t.document_id AND d.current_version = v.number
WHERE document_page_fts MATCH :q {meetings}
ORDER BY f.rank, t.document_id, t.page
LIMIT :n
"""
PG_SEARCH = """
SELECT t.id, t.document_id, t.page, t.text, v.number
FROM document_page_text t
JOIN document_version v ON v.id = t.version_id
JOIN document d ON d.id = t.document_id AND d.current_version = v.number
WHERE to_tsvector('simple', t.folded) @@ phraseto_tsquery('simple', :q) {meetings}
ORDER BY ts_rank(to_tsvector('simple', t.folded), phraseto_tsquery('simple', :q)) DESC, t.document_id, t.page
LIMIT :n
"""


def search(
    s: Session, actor: Actor, query: str, limit: int, meeting_id: int | None = None
) -> list[SearchHit]:
    """Pages of the current versions the caller may read that hold the words of ``query`` in a row,
    accents and case ignored (SQLite FTS5, or PostgreSQL full-text search, over folded text)."""
    tokens = _tokens(query)
    meetings = (
        [meeting_caller(s, actor, meeting_id).meeting.id or 0] if meeting_id else _visible_meetings(s, actor)
    )
    if meetings == []:
        return []
    postgres = s.get_bind().dialect.name == "postgresql"
    where = "AND d.meeting_id IN :meetings" if meetings is not None else ""
    sql = text((PG_SEARCH if postgres else SQLITE_SEARCH).format(meetings=where))
    params: dict[str, Any] = {
        "q": " ".join(tokens) if postgres else '"' + " ".join(tokens) + '"',
        "n": limit * 5,
    }
    if meetings is not None:
        sql = sql.bindparams(bindparam("meetings", expanding=True))
        params["meetings"] = meetings
    hits: list[SearchHit] = []
    allowed: dict[int, Document | None] = {}
    for _, doc_id, page, page_text, number in s.connection().execute(sql, params):
        if doc_id not in allowed:
            allowed[doc_id] = readable_or_none(s, actor, doc_id)
        doc = allowed[doc_id]
        if doc is None:
            continue
        cut = textsearch.snippet(page_text, " ".join(tokens)) or textsearch.snippet(page_text, tokens[0])
        snippet = cut or textsearch.Snippet(" ".join(page_text.split())[:80], 0, 0)
        hit = SearchHit(document_id=doc_id, meeting_id=doc.meeting_id, title=doc.title, version=number,
                        page=page, snippet=snippet.text, match=(snippet.start, snippet.end))  # fmt: skip
        hits.append(hit)
        if len(hits) >= limit:
            break
    return hits
