"""Who may do what (pure). Every HTTP route and WebSocket command asks these, never its own copy."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from meetings.errors import Forbidden
from meetings.units import UnitTree


class Role(StrEnum):
    """A user's role in the service (per unit)."""

    admin = "admin"
    secretary = "secretary"
    chair = "chair"
    delegate = "delegate"
    operator = "operator"
    observer = "observer"


class MeetingRole(StrEnum):
    """A person's role in one meeting."""

    chair = "chair"
    secretary = "secretary"
    delegate = "delegate"
    guest = "guest"
    operator = "operator"


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: Role
    unit_id: int | None
    person_id: int | None


@dataclass(frozen=True)
class MeetingAccess:
    """What a permission check needs to know of one meeting."""

    host_unit_id: int
    roles_by_person: dict[int, MeetingRole]
    operator_person_ids: Collection[int] = ()  # operators of the meeting's bridge points


def manages_unit(actor: Actor, unit_id: int, tree: UnitTree) -> bool:
    if actor.role is Role.admin:
        return True
    return (
        actor.role is Role.secretary and actor.unit_id is not None and tree.is_within(unit_id, actor.unit_id)
    )


def require_create_meeting(actor: Actor, host_unit_id: int, tree: UnitTree) -> None:
    if actor.role not in {Role.admin, Role.secretary}:
        raise Forbidden(
            f"a {actor.role} may not create meetings; ask a secretary of the host unit", "secretaries_create"
        )
    if not manages_unit(actor, host_unit_id, tree):
        raise Forbidden(
            "a secretary may create meetings only for their own unit and the units under it", "own_units_only"
        )


def meeting_role(actor: Actor, access: MeetingAccess) -> MeetingRole | None:
    return access.roles_by_person.get(actor.person_id) if actor.person_id is not None else None


def can_view_meeting(actor: Actor, access: MeetingAccess, tree: UnitTree) -> bool:
    if manages_unit(actor, access.host_unit_id, tree) or meeting_role(actor, access) is not None:
        return True
    return actor.person_id is not None and actor.person_id in access.operator_person_ids


def require_view_meeting(actor: Actor, access: MeetingAccess, tree: UnitTree) -> None:
    if not can_view_meeting(actor, access, tree):
        raise Forbidden("you are not a participant of this meeting", "not_in_meeting")


def require_edit_meeting(actor: Actor, access: MeetingAccess, tree: UnitTree) -> None:
    """Schedule, scope, participants: the host unit's secretaries and the meeting's own secretary."""
    if manages_unit(actor, access.host_unit_id, tree) or meeting_role(actor, access) is MeetingRole.secretary:
        return
    raise Forbidden(
        "only the meeting's secretary or a secretary of its host unit may change it", "secretaries_edit"
    )


def _organises(actor: Actor, access: MeetingAccess, tree: UnitTree) -> bool:
    """The meeting's chair and secretary, and the host unit's secretaries."""
    if manages_unit(actor, access.host_unit_id, tree):
        return True
    return meeting_role(actor, access) in {MeetingRole.chair, MeetingRole.secretary}


def require_run_meeting(actor: Actor, access: MeetingAccess, tree: UnitTree) -> None:
    """Start and end the meeting: its chair and secretary, and the host unit's secretaries."""
    if not _organises(actor, access, tree):
        raise Forbidden("only the meeting's chair or secretary may start or end it", "runners_only")


def require_see_invitations(actor: Actor, access: MeetingAccess, tree: UnitTree) -> None:
    """Who was invited and whether it reached them: the same people who run the meeting."""
    if not _organises(actor, access, tree):
        raise Forbidden("only the meeting's chair or secretary may see its invitations", "runners_only")


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.admin:
        raise Forbidden("only an administrator may do this", "admins_only")
