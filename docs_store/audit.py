"""What a document change leaves behind: the meeting event everyone on the meeting's socket sees (written
in the same transaction as the change) and the audit log (who opened, downloaded, uploaded, annotated or
commented what, and when)."""
# mypy: allow-untyped-calls

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from meetings import eventlog
from meetings.clock import from_db
from meetings.models import User
from meetings.permissions import Actor

from .access import Caller, get_version, managed
from .models import AuditEntry, AuditOut, Confidentiality, Document


def document_event(
    s: Session, caller: Caller, doc: Document, kind: str, extra: dict[str, Any], now: datetime
) -> None:
    """A document event. Everyone on the meeting's socket sees it: a restricted document's title, pages and
    marks stay out of it (its readers fetch them, with their permission checked)."""
    payload: dict[str, Any] = {"document_id": doc.id, "confidentiality": doc.confidentiality}
    if doc.confidentiality == Confidentiality.all_participants:
        payload |= {"title": doc.title, "agenda_item_id": doc.agenda_item_id, **extra}
        if "version" in extra:
            version = get_version(s, doc, None)
            payload["page_hashes"] = version.page_hashes
    elif "version" in extra:
        payload["version"] = extra["version"]
    eventlog.append(s, caller.meeting, kind, payload, actor_id=caller.actor.user_id, at=now)


def audit_entry(
    s: Session,
    actor: Actor,
    now: datetime,
    action: str,
    meeting_id: int,
    document_id: int | None = None,
    version: int | None = None,
    detail: str = "",
) -> None:
    """One line of the audit log (``detail`` cut to 500 characters)."""
    s.add(
        AuditEntry(
            at=now,
            user_id=actor.user_id,
            action=action,
            meeting_id=meeting_id,
            document_id=document_id,
            version=version,
            detail=detail[:500],
        )
    )


def audit(
    s: Session, actor: Actor, now: datetime, action: str, doc: Document, version: int | None, detail: str = ""
) -> None:
    """An audit log line about ``doc``."""
    audit_entry(s, actor, now, action, doc.meeting_id, doc.id, version, detail)


def audit_log(s: Session, actor: Actor, doc_id: int, limit: int = 500) -> list[AuditOut]:
    """The document's audit log, newest first (for those who manage its meeting)."""
    managed(s, actor, doc_id)
    rows = s.exec(
        select(AuditEntry, User.username)
        .outerjoin(User, col(User.id) == AuditEntry.user_id)
        .where(AuditEntry.document_id == doc_id)
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    ).all()
    return [
        AuditOut(
            at=from_db(e.at),
            user_id=e.user_id,
            username=name,
            action=e.action,
            document_id=e.document_id,
            version=e.version,
            detail=e.detail,
        )
        for e, name in rows
    ]
