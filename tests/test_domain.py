"""The pure core, without a server: unit tree, scope resolution, lifecycle, permissions, event chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings.errors import Forbidden, IllegalTransition, Invalid
from meetings.eventlog import GENESIS, event_hash, verify_chain
from meetings.lifecycle import ALLOWED, Status, check_transition
from meetings.models import MeetingEvent
from meetings.permissions import (
    Actor,
    MeetingAccess,
    MeetingRole,
    Role,
    require_create_meeting,
    require_edit_meeting,
)
from meetings.scope import BridgePointRef, Scope, ScopeRule, resolve
from meetings.units import Level, UnitNode, UnitTree

LEVELS = list(Level)


@st.composite
def trees(draw: st.DrawFn) -> tuple[UnitTree, list[BridgePointRef]]:
    """A random unit forest whose levels never rise going down, with bridge points on random units."""
    n = draw(st.integers(1, 25))
    nodes: list[UnitNode] = []
    for i in range(1, n + 1):
        parent = draw(st.one_of(st.none(), st.integers(1, i - 1))) if i > 1 else None
        low = nodes[parent - 1].level.depth if parent else 0
        nodes.append(UnitNode(i, parent, LEVELS[draw(st.integers(low, 3))]))
    bps = [BridgePointRef(100 + j, draw(st.integers(1, n))) for j in range(draw(st.integers(0, 30)))]
    return UnitTree(nodes), bps


def _oracle(scope: Scope, tree: UnitTree, bps: list[BridgePointRef]) -> list[int]:
    def under(unit: int, root: int) -> bool:
        while unit is not None:
            if unit == root:
                return True
            unit = tree.nodes[unit].parent_id  # type: ignore[assignment]
        return False

    chosen = set(scope.bridge_point_ids)
    for rule in scope.rules:
        chosen |= {
            bp.id
            for bp in bps
            if under(bp.unit_id, rule.under_unit_id)
            and (rule.level is None or tree.nodes[bp.unit_id].level == rule.level)
        }
    return sorted(chosen)


@settings(max_examples=300, deadline=None)
@given(trees(), st.data())
def test_scope_resolution_matches_a_walk_up_the_tree(
    tb: tuple[UnitTree, list[BridgePointRef]], data: st.DataObject
) -> None:
    tree, bps = tb
    rules = tuple(
        ScopeRule(
            data.draw(st.sampled_from(sorted(tree.nodes))),
            data.draw(st.one_of(st.none(), st.sampled_from(LEVELS))),
        )
        for _ in range(data.draw(st.integers(0, 3)))
    )
    explicit = (
        frozenset(data.draw(st.lists(st.sampled_from([b.id for b in bps]), max_size=5)))
        if bps
        else frozenset()
    )
    scope = Scope(explicit, rules)
    assert resolve(scope, tree, bps) == _oracle(scope, tree, bps)
    assert Scope.from_json(scope.as_json()) == scope


def test_scope_names_unknown_things_by_path() -> None:
    tree = UnitTree([UnitNode(1, None, Level.province)])
    with pytest.raises(Invalid) as err:
        resolve(Scope(frozenset({7}), (ScopeRule(9),)), tree, [])
    assert [(e.loc, e.msg) for e in err.value.errors] == [
        (("scope", "bridge_point_ids"), "unknown bridge point 7"),
        (("scope", "rules", 0, "under_unit_id"), "unknown unit 9"),
    ]


def test_unit_tree_survives_a_cycle() -> None:
    tree = UnitTree([UnitNode(1, 2, Level.district), UnitNode(2, 1, Level.district)])
    assert sorted(tree.subtree(1)) == [1, 2]
    assert list(tree.ancestors(1)) == [2]


@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_lifecycle_accepts_exactly_the_allowed_moves(moves: list[Status]) -> None:
    current = Status.draft
    for to in moves:
        if to in ALLOWED[current]:
            check_transition(current, to)
            current = to
        else:
            with pytest.raises(IllegalTransition):
                check_transition(current, to)
    assert not ALLOWED[Status.archived] and not ALLOWED[Status.cancelled]


def test_permissions() -> None:
    tree = UnitTree(
        [
            UnitNode(1, None, Level.province),
            UnitNode(2, 1, Level.province),
            UnitNode(3, 1, Level.district),
            UnitNode(4, 3, Level.commune),
        ]
    )
    district_secretary = Actor(1, "s", Role.secretary, 3, 10)
    require_create_meeting(district_secretary, 4, tree)  # a commune under the district
    with pytest.raises(Forbidden):
        require_create_meeting(district_secretary, 2, tree)
    with pytest.raises(Forbidden):
        require_create_meeting(Actor(2, "d", Role.delegate, 1, 11), 1, tree)
    access = MeetingAccess(2, {12: MeetingRole.secretary, 13: MeetingRole.delegate})
    require_edit_meeting(Actor(3, "m", Role.delegate, None, 12), access, tree)  # the meeting's own secretary
    with pytest.raises(Forbidden):
        require_edit_meeting(Actor(4, "x", Role.delegate, None, 13), access, tree)


def test_hash_chain_names_the_first_broken_link() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    events, prev = [], GENESIS
    for seq in range(1, 5):
        h = event_hash(prev, 1, seq, "k", {"n": seq}, None, at)
        events.append(
            MeetingEvent(meeting_id=1, seq=seq, kind="k", payload={"n": seq}, at=at, prev_hash=prev, hash=h)
        )
        prev = h
    assert verify_chain(events).ok
    events[2].payload = {"n": 99}
    report = verify_chain(events)
    assert (report.ok, report.first_broken_seq) == (False, 3)
    assert verify_chain(events[:1] + events[2:]).first_broken_seq == 2
