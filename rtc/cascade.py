"""Cascade planning (pure): relays mirror the unit hierarchy, so no single site carries every stream.

A province relay feeds district relays, which serve their communes. Each bridge point is served by the
nearest live relay at its unit or above that still has room (the least loaded, when a unit runs several
relay processes: one per core); a relay's upstream is the nearest live relay above it (for a unit's second
process, its first); the highest relay is the root. When a relay fails, ``plan_cascade`` with the previous
plan keeps every assignment that still stands and moves only what the failed relay held (its bridge points
go to the next relay up, its child relays link to the next relay up). ``moves`` lists who must rejoin where.

``link_streams`` says which selected streams cross each relay link, each once: up from a subtree only what
the rest of the tree needs from it, down only what the subtree needs from outside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rtc.stats import LinkVerdict, judge_link

ROOT_LEVEL = "root"  # the place of a relay configured for no unit: above every unit of the tree
LEVEL_DEPTH = {ROOT_LEVEL: -1, "central": 0, "province": 1, "district": 2, "commune": 3}


@dataclass(frozen=True)
class Site:
    """A unit of the hierarchy, as the planner needs it."""

    unit_id: int
    parent_id: int | None
    level: str


@dataclass(frozen=True)
class Point:
    """A bridge point: where it sits and, when known, whether its link is too poor for video and why."""

    id: int
    unit_id: int
    why: LinkVerdict | None = None

    @property
    def poor(self) -> bool:
        return self.why is not None and self.why.poor


def point_link(
    recorded: str, reachable: bool | None, loss_pct: float | None, rtt_ms: float | None
) -> LinkVerdict:
    """Whether a bridge point's link is too poor for video in one meeting, and why: what its pre-meeting
    connectivity test measured when it answered (``reachable`` not None), else what is recorded for it
    (``BridgePoint.link_quality``: only "poor" is too poor)."""
    if reachable is None:
        return LinkVerdict(recorded == "poor", f"its link is recorded as {recorded}", "recorded")
    if not reachable:
        return LinkVerdict(True, "the pre-meeting connectivity test could not reach the relay", "unreachable")
    verdict = judge_link(
        None if loss_pct is None else loss_pct / 100, None if rtt_ms is None else rtt_ms / 1000
    )
    measured = ", ".join(
        part
        for part in (
            None if loss_pct is None else f"{loss_pct:g}% loss",
            None if rtt_ms is None else f"{rtt_ms:.0f} ms round trip",
        )
        if part
    )
    why = f"the pre-meeting connectivity test measured {measured}"
    return LinkVerdict(verdict.poor, why, "test", loss_pct, rtt_ms)


@dataclass(frozen=True)
class RelayNode:
    id: str
    unit_id: int
    capacity: int = 64  # bridge points it serves directly
    alive: bool = True


@dataclass(frozen=True)
class CascadePlan:
    root: str | None
    upstream: dict[str, str | None]  # relay → the relay it links to (None for the root)
    serves: dict[int, str]  # bridge point → its relay
    overloaded: frozenset[str] = frozenset()  # relays given more than their capacity (only the root)
    low_bandwidth: frozenset[int] = frozenset()  # bridge points on a poor link: audio and pages only
    unserved: tuple[int, ...] = ()  # bridge points with no live relay at all

    def subtree(self, relay: str) -> set[str]:
        """``relay`` and every relay below it."""
        below = {relay}
        changed = True
        while changed:
            changed = False
            for child, parent in self.upstream.items():
                if parent in below and child not in below:
                    below.add(child)
                    changed = True
        return below

    def points_of(self, relays: set[str]) -> set[int]:
        return {p for p, r in self.serves.items() if r in relays}


@dataclass
class _Tree:
    sites: dict[int, Site]
    cache: dict[int, list[int]] = field(default_factory=dict)

    def chain(self, unit_id: int) -> list[int]:
        """``unit_id`` and its ancestors, nearest first."""
        if unit_id in self.cache:
            return self.cache[unit_id]
        out: list[int] = []
        seen: set[int] = set()
        current: int | None = unit_id
        while current is not None and current not in seen and current in self.sites:
            out.append(current)
            seen.add(current)
            current = self.sites[current].parent_id
        self.cache[unit_id] = out
        return out

    def depth(self, unit_id: int) -> int:
        site = self.sites.get(unit_id)
        return LEVEL_DEPTH.get(site.level, len(self.chain(unit_id))) if site else 99


def plan_cascade(
    sites: Iterable[Site],
    points: Iterable[Point],
    relays: Iterable[RelayNode],
    previous: CascadePlan | None = None,
) -> CascadePlan:
    tree = _Tree({s.unit_id: s for s in sites})
    alive = sorted((r for r in relays if r.alive), key=lambda r: (tree.depth(r.unit_id), r.id))
    if not alive:
        return CascadePlan(None, {}, {}, unserved=tuple(sorted(p.id for p in points)))
    root = alive[0]
    by_unit: dict[int, list[RelayNode]] = {}
    for r in alive:
        by_unit.setdefault(r.unit_id, []).append(r)

    upstream: dict[str, str | None] = {root.id: None}
    for r in alive[1:]:
        upstream[r.id] = next(
            (
                cand.id
                for unit in tree.chain(r.unit_id)
                for cand in by_unit.get(unit, [])
                if tree.depth(cand.unit_id) < tree.depth(r.unit_id) or cand is root
            ),
            root.id,
        )
        if upstream[r.id] == r.id:
            upstream[r.id] = root.id

    capacity = {r.id: r.capacity for r in alive}
    load = dict.fromkeys(capacity, 0)
    serves: dict[int, str] = {}
    point_list = sorted(points, key=lambda p: p.id)
    if previous is not None:
        for p in point_list:
            kept = previous.serves.get(p.id)
            if kept in load and load[kept] < capacity[kept]:
                serves[p.id] = kept
                load[kept] += 1
    overloaded: set[str] = set()
    for p in point_list:
        if p.id in serves:
            continue
        choice = next(
            (
                min(room, key=lambda r: (load[r.id] / capacity[r.id], r.id)).id
                for unit in tree.chain(p.unit_id)
                if (room := [r for r in by_unit.get(unit, []) if load[r.id] < capacity[r.id]])
            ),
            None,
        )
        if choice is None:
            choice = root.id
            if load[choice] >= capacity[choice]:
                overloaded.add(choice)
        serves[p.id] = choice
        load[choice] += 1
    low = frozenset(p.id for p in point_list if p.poor)
    return CascadePlan(root.id, upstream, serves, frozenset(overloaded), low)


def moves(before: CascadePlan, after: CascadePlan) -> dict[int, str]:
    """Bridge points whose relay changed, and their new relay: they must rejoin there."""
    return {p: r for p, r in after.serves.items() if before.serves.get(p) != r}


def link_streams(
    plan: CascadePlan, selected: Iterable[int]
) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
    """For each relay's link to its upstream: (sources sent up, sources sent down).

    ``selected`` are the publishers every bridge point receives (the chair and the speaker).
    """
    chosen = frozenset(selected)
    out: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
    for relay, parent in plan.upstream.items():
        if parent is None:
            continue
        inside_points = plan.points_of(plan.subtree(relay))
        outside_points = set(plan.serves) - inside_points
        up = frozenset(chosen & inside_points) if outside_points else frozenset()
        down = frozenset(chosen - inside_points) if inside_points else frozenset()
        out[relay] = (up, down)
    return out


def relay_load(plan: CascadePlan, selected: Iterable[int]) -> Mapping[str, int]:
    """Streams each relay sends: to the bridge points it serves and down/up its links."""
    chosen = frozenset(selected)
    sent: dict[str, int] = dict.fromkeys(plan.upstream, 0)
    for point, relay in plan.serves.items():
        sent[relay] += len(chosen - {point})
    for relay, (up, down) in link_streams(plan, chosen).items():
        sent[relay] += len(up)
        parent = plan.upstream[relay]
        if parent is not None:
            sent[parent] += len(down)
    return sent
