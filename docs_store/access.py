"""Who may read and manage a meeting's documents, and the reads that check it.

The rule itself is pure (``can_manage_documents``, ``can_read_document``): the chair, the secretary and
the host unit's managers manage; a participant reads a document as its confidentiality allows
(everyone, delegates only, or the readers it names). The rest looks the caller, the document and its
versions up in a session and applies the rule: a participant who may not read a document is told it
does not exist (``NotFound``), so a restricted document's existence does not leak.
"""
# mypy: allow-untyped-calls

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, exists
from sqlmodel import Session, col, select

from meetings import queries
from meetings.errors import Forbidden, Invalid, NotFound
from meetings.models import BridgePoint, Meeting, MeetingBridgePoint, MeetingParticipant, Person
from meetings.permissions import (
    Actor,
    MeetingAccess,
    MeetingRole,
    Role,
    can_view_meeting,
    manages_unit,
    meeting_role,
    require_view_meeting,
)
from meetings.units import UnitTree

from .models import Confidentiality, Document, DocumentReader, DocumentVersion

RUNNERS = frozenset({MeetingRole.chair, MeetingRole.secretary})
DELEGATES = frozenset({MeetingRole.chair, MeetingRole.secretary, MeetingRole.delegate})


# ---- who may read and manage (pure) ------------------------------------------------------------------------


def can_manage_documents(actor: Actor, access: MeetingAccess, tree: UnitTree) -> bool:
    """The agenda, uploads, packets, shared annotations, comment handling: chair, secretary, host managers."""
    return manages_unit(actor, access.host_unit_id, tree) or meeting_role(actor, access) in RUNNERS


def require_manage_documents(actor: Actor, access: MeetingAccess, tree: UnitTree) -> None:
    if not can_manage_documents(actor, access, tree):
        raise Forbidden(
            "only the meeting's chair or secretary may change its agenda and documents", "runners_only"
        )


def can_read_document(
    actor: Actor, access: MeetingAccess, tree: UnitTree, confidentiality: str, readers: Collection[int]
) -> bool:
    """Whether ``actor`` may open a document of the meeting ``access`` describes."""
    if can_manage_documents(actor, access, tree):
        return True
    if not can_view_meeting(actor, access, tree):
        return False
    if confidentiality == Confidentiality.all_participants:
        return True
    if confidentiality == Confidentiality.delegates_only:
        return meeting_role(actor, access) in DELEGATES
    return actor.person_id is not None and actor.person_id in readers


@dataclass(frozen=True)
class Caller:
    """The caller as seen by one meeting's permission checks."""

    actor: Actor
    meeting: Meeting
    access: MeetingAccess
    tree: UnitTree

    @property
    def manages(self) -> bool:
        return can_manage_documents(self.actor, self.access, self.tree)

    def require_manage(self) -> None:
        require_manage_documents(self.actor, self.access, self.tree)

    def person(self) -> int:
        if self.actor.person_id is None:
            raise Invalid(
                "this account is not linked to a person; ask an administrator", reason="no_person_account"
            )
        return self.actor.person_id


# ---- the caller in a meeting -------------------------------------------------------------------------------


def _person_in_meeting() -> tuple[Any, Any]:
    """Two columns for one query: the role of the person ``:person_id`` in the meeting ``:meeting_id`` (or
    NULL) and whether they operate one of its bridge points."""
    meeting_id, person_id = bindparam("meeting_id", type_=Integer), bindparam("person_id", type_=Integer)
    role = (
        select(MeetingParticipant.role)
        .where(MeetingParticipant.meeting_id == meeting_id, MeetingParticipant.person_id == person_id)
        .limit(1)
        .scalar_subquery()
    )
    operates = exists(
        select(MeetingBridgePoint.bridge_point_id)
        .join(BridgePoint, col(BridgePoint.id) == MeetingBridgePoint.bridge_point_id)
        .where(MeetingBridgePoint.meeting_id == meeting_id, BridgePoint.operator_id == person_id)
    )
    return role, operates


# Built once: a list asked for by every tablet at once should not spend its time building statements.
_PERSON_IN_MEETING = select(*_person_in_meeting())
_VIEWER = select(Meeting.host_unit_id, *_person_in_meeting()).where(Meeting.id == bindparam("meeting_id"))


def _narrowed(host_unit_id: int, person_id: int | None, role: str | None, operates: bool) -> MeetingAccess:
    """The meeting as the permission checks see it, narrowed to the caller (they only ask about them)."""
    if person_id is None:
        return MeetingAccess(host_unit_id, {})
    roles = {person_id: MeetingRole(role)} if role is not None else {}
    return MeetingAccess(host_unit_id, roles, frozenset({person_id}) if operates else frozenset())


def _access(s: Session, meeting: Meeting, actor: Actor) -> MeetingAccess:
    if actor.person_id is None or meeting.id is None:
        return _narrowed(meeting.host_unit_id, None, None, False)
    params = {"meeting_id": meeting.id, "person_id": actor.person_id}
    role, operates = s.exec(_PERSON_IN_MEETING, params=params).one()
    return _narrowed(meeting.host_unit_id, actor.person_id, role, bool(operates))


def _tree_for(s: Session, actor: Actor) -> UnitTree:
    # ``manages_unit`` looks at the unit tree only for secretaries: spare everyone else the query.
    return queries.unit_tree(s) if actor.role is Role.secretary else UnitTree(())


def caller_in(s: Session, actor: Actor, meeting: Meeting) -> Caller:
    return Caller(actor, meeting, _access(s, meeting, actor), _tree_for(s, actor))


def meeting_caller(s: Session, actor: Actor, meeting_id: int, manage: bool = False) -> Caller:
    """The caller in a meeting they may see (or manage)."""
    caller = caller_in(s, actor, queries.get_meeting(s, meeting_id))
    if manage:
        caller.require_manage()
    else:
        require_view_meeting(actor, caller.access, caller.tree)
    return caller


@dataclass(frozen=True)
class Viewer:
    """The caller in a meeting they may see, without the meeting's row: enough for the per-document checks
    of a list (``may_read``, ``manages``)."""

    actor: Actor
    access: MeetingAccess
    tree: UnitTree

    @property
    def manages(self) -> bool:
        return can_manage_documents(self.actor, self.access, self.tree)

    def may_read(self, confidentiality: str, readers: Collection[int]) -> bool:
        return can_read_document(self.actor, self.access, self.tree, confidentiality, readers)


def meeting_viewer(s: Session, actor: Actor, meeting_id: int) -> Viewer:
    """The caller in a meeting they may see, in one query (the meeting's host unit, the caller's role, whether
    they operate one of its bridge points), plus the unit tree for secretaries; ``NotFound`` / ``Forbidden``
    as ``meeting_caller``."""
    person = actor.person_id
    row = s.exec(_VIEWER, params={"meeting_id": meeting_id, "person_id": person}).first()
    if row is None:
        raise NotFound(f"meeting {meeting_id} does not exist", "no_such_meeting", meeting=meeting_id)
    host_unit_id, role, operates = row
    viewer = Viewer(actor, _narrowed(host_unit_id, person, role, bool(operates)), _tree_for(s, actor))
    require_view_meeting(actor, viewer.access, viewer.tree)
    return viewer


def check_participants(s: Session, meeting: Meeting, person_ids: Iterable[int]) -> None:
    wanted = set(person_ids)
    found = set(
        s.exec(
            select(MeetingParticipant.person_id).where(
                MeetingParticipant.meeting_id == meeting.id, col(MeetingParticipant.person_id).in_(wanted)
            )
        ).all()
    )
    missing = sorted(wanted - found)
    if missing:
        raise Invalid(f"not participants of this meeting: {', '.join(map(str, missing))}", [])


def person_names(s: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = s.exec(select(Person.id, Person.full_name).where(col(Person.id).in_(person_ids))).all()
    return {pid: name for pid, name in rows if pid is not None}


# ---- documents and versions, with their checks -------------------------------------------------------------


def get_document(s: Session, doc_id: int) -> Document:
    doc = s.get(Document, doc_id)
    if doc is None:
        raise NotFound(f"document {doc_id} does not exist", "no_such_document", document=doc_id)
    return doc


def readers_of(s: Session, doc: Document) -> set[int]:
    return set(s.exec(select(DocumentReader.person_id).where(DocumentReader.document_id == doc.id)).all())


def may_read(s: Session, caller: Caller, doc: Document) -> bool:
    readers = readers_of(s, doc) if doc.confidentiality == Confidentiality.named else set()
    return can_read_document(caller.actor, caller.access, caller.tree, doc.confidentiality, readers)


def readable(s: Session, actor: Actor, doc_id: int) -> tuple[Document, Caller]:
    """The document and the caller, if they may read it; a participant who may not gets ``NotFound``."""
    doc = get_document(s, doc_id)
    caller = caller_in(s, actor, queries.get_meeting(s, doc.meeting_id))
    require_view_meeting(actor, caller.access, caller.tree)
    if not may_read(s, caller, doc):
        raise NotFound(f"document {doc_id} does not exist", "no_such_document", document=doc_id)
    return doc, caller


def readable_or_none(s: Session, actor: Actor, doc_id: int) -> Document | None:
    try:
        return readable(s, actor, doc_id)[0]
    except (NotFound, Forbidden):
        return None


def managed(s: Session, actor: Actor, doc_id: int) -> tuple[Document, Caller]:
    doc, caller = readable(s, actor, doc_id)
    caller.require_manage()
    return doc, caller


def get_version(s: Session, doc: Document, number: int | None) -> DocumentVersion:
    """A version of ``doc`` by its number (``None``: the current one)."""
    wanted = doc.current_version if number is None else number
    version = s.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == doc.id, DocumentVersion.number == wanted)
    ).first()
    if version is None:
        raise NotFound(f"document {doc.id} has no version {wanted}", "no_such_version", version=wanted)
    return version


def version_number(s: Session, version_id: int) -> int | None:
    """The number of the version with this row id (``None`` if it is gone)."""
    version = s.get(DocumentVersion, version_id)
    return version.number if version else None


def require_page(version: DocumentVersion, page: int) -> None:
    if page > version.pages:
        raise Invalid(
            f"page {page} does not exist; version {version.number} has {version.pages} pages",
            [],
            "no_such_page",
            page=page,
            pages=version.pages,
        )
