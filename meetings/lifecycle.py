"""The meeting lifecycle: draft → scheduled → live → ended → archived, or cancelled (pure)."""

from __future__ import annotations

from enum import StrEnum

from meetings.errors import IllegalTransition


class Status(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    live = "live"
    ended = "ended"
    archived = "archived"
    cancelled = "cancelled"


ALLOWED: dict[Status, frozenset[Status]] = {
    Status.draft: frozenset({Status.scheduled, Status.cancelled}),
    Status.scheduled: frozenset({Status.draft, Status.live, Status.cancelled}),
    Status.live: frozenset({Status.ended}),
    Status.ended: frozenset({Status.archived}),
    Status.archived: frozenset(),
    Status.cancelled: frozenset(),
}

# Statuses in which a meeting holds its bridge points and people (a cancelled one frees them).
HOLDS_RESOURCES = frozenset(set(Status) - {Status.cancelled})
# Statuses in which the schedule, scope and participants may still be edited.
EDITABLE = frozenset({Status.draft, Status.scheduled})


def check_transition(current: Status, to: Status) -> None:
    """Raise ``IllegalTransition`` unless ``current → to`` is a legal move."""
    if to not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (final status)"
        raise IllegalTransition(
            f"cannot move a meeting from '{current}' to '{to}'; allowed from '{current}': {allowed}",
            "cannot_move",
            status=current.value,
            to=to.value,
        )


def check_editable(current: Status) -> None:
    if current not in EDITABLE:
        raise IllegalTransition(
            f"a meeting that is '{current}' can no longer be edited", "not_editable", status=current.value
        )
