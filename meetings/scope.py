"""Meeting scope: which bridge points take part, as explicit ids and/or rules over the unit tree (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meetings.errors import FieldError, Invalid
from meetings.units import Level, UnitTree


@dataclass(frozen=True)
class ScopeRule:
    """Every bridge point of units inside ``under_unit_id``'s subtree (itself included),
    optionally only of units at ``level`` — e.g. "every commune under district X"."""

    under_unit_id: int
    level: Level | None = None

    def as_json(self) -> dict[str, Any]:
        return {"under_unit_id": self.under_unit_id, "level": self.level.value if self.level else None}


@dataclass(frozen=True)
class Scope:
    bridge_point_ids: frozenset[int] = frozenset()
    rules: tuple[ScopeRule, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {"bridge_point_ids": sorted(self.bridge_point_ids), "rules": [r.as_json() for r in self.rules]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scope:
        rules = tuple(
            ScopeRule(int(r["under_unit_id"]), Level(r["level"]) if r.get("level") else None)
            for r in data.get("rules", [])
        )
        return cls(frozenset(int(i) for i in data.get("bridge_point_ids", [])), rules)


@dataclass(frozen=True)
class BridgePointRef:
    id: int
    unit_id: int


def resolve(scope: Scope, tree: UnitTree, bridge_points: Iterable[BridgePointRef]) -> list[int]:
    """The concrete, sorted list of bridge point ids the scope names today.

    Unknown explicit bridge points and unknown rule units are reported, each by its field path."""
    by_id = {bp.id: bp for bp in bridge_points}
    errors = [
        FieldError(("scope", "bridge_point_ids"), f"unknown bridge point {bp_id}")
        for bp_id in sorted(scope.bridge_point_ids)
        if bp_id not in by_id
    ]
    errors += [
        FieldError(("scope", "rules", i, "under_unit_id"), f"unknown unit {rule.under_unit_id}")
        for i, rule in enumerate(scope.rules)
        if rule.under_unit_id not in tree
    ]
    if errors:
        raise Invalid("the meeting's scope names things that do not exist", errors)
    chosen = set(scope.bridge_point_ids)
    for rule in scope.rules:
        units = {
            u
            for u in tree.subtree(rule.under_unit_id)
            if rule.level is None or tree.nodes[u].level == rule.level
        }
        chosen.update(bp.id for bp in by_id.values() if bp.unit_id in units)
    return sorted(chosen)
