"""Levels, kinds of unit, and the unit tree as plain data (pure: no database)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """Administrative level (cấp), from the top down."""

    central = "central"
    province = "province"
    district = "district"
    commune = "commune"

    @property
    def depth(self) -> int:
        return list(Level).index(self)


class UnitKind(StrEnum):
    """What kind of organisation a unit (đơn vị) is."""

    party_committee = "party_committee"  # Tỉnh ủy, Huyện ủy, Đảng ủy xã
    peoples_council = "peoples_council"  # HĐND
    peoples_committee = "peoples_committee"  # UBND
    department = "department"  # Sở, ban, ngành
    administrative = "administrative"  # the territorial unit itself (tỉnh, huyện, xã)
    other = "other"


class LinkQuality(StrEnum):
    good = "good"
    poor = "poor"


@dataclass(frozen=True)
class UnitNode:
    id: int
    parent_id: int | None
    level: Level


class UnitTree:
    """An immutable view of the unit hierarchy, for scope resolution and permission checks."""

    def __init__(self, nodes: Iterable[UnitNode]) -> None:
        self.nodes: dict[int, UnitNode] = {n.id: n for n in nodes}
        self._children: dict[int | None, list[int]] = {}
        for node in self.nodes.values():
            self._children.setdefault(node.parent_id, []).append(node.id)
        for kids in self._children.values():
            kids.sort()

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.nodes

    def children(self, unit_id: int | None) -> list[int]:
        return list(self._children.get(unit_id, []))

    def subtree(self, unit_id: int) -> Iterator[int]:
        """The unit and all its descendants, depth first (cycles are cut, never looped)."""
        seen: set[int] = set()
        stack = [unit_id]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            yield current
            stack.extend(reversed(self._children.get(current, [])))

    def ancestors(self, unit_id: int) -> Iterator[int]:
        """Parents of the unit, nearest first."""
        seen = {unit_id}
        parent = self.nodes[unit_id].parent_id if unit_id in self.nodes else None
        while parent is not None and parent not in seen and parent in self.nodes:
            seen.add(parent)
            yield parent
            parent = self.nodes[parent].parent_id

    def is_within(self, unit_id: int, root_id: int) -> bool:
        """True when ``unit_id`` is ``root_id`` or one of its descendants."""
        return unit_id == root_id or root_id in set(self.ancestors(unit_id))
