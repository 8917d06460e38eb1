"""Cascade planning: relays mirror the hierarchy; a failure moves only what failed; one copy per link."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from meetings.demo_province import province
from rtc.cascade import (
    CascadePlan,
    Point,
    RelayNode,
    Site,
    link_streams,
    moves,
    plan_cascade,
    point_link,
    relay_load,
)
from rtc.stats import LinkVerdict


def recorded(quality: str) -> LinkVerdict:
    return point_link(quality, None, None, None)


@st.composite
def provinces(draw: st.DrawFn) -> tuple[list[Site], list[Point], list[RelayNode]]:
    districts = draw(st.integers(1, 6))
    sites = [Site(1, None, "province")]
    points = [Point(1, 1)]
    relays = [RelayNode("province", 1, capacity=draw(st.integers(1, 50)))]
    next_id = 100
    for d in range(districts):
        district = 10 + d
        sites.append(Site(district, 1, "district"))
        points.append(Point(next_id, district))
        next_id += 1
        if draw(st.booleans()):
            relays.append(RelayNode(f"district-{d}", district, capacity=draw(st.integers(1, 30))))
        for c in range(draw(st.integers(0, 8))):
            commune = 1000 + d * 100 + c
            sites.append(Site(commune, district, "commune"))
            points.append(Point(next_id, commune, recorded(draw(st.sampled_from(["good", "fair", "poor"])))))
            next_id += 1
    return sites, points, relays


def chain(sites: list[Site], unit: int) -> list[int]:
    by_id = {s.unit_id: s for s in sites}
    out = []
    current: int | None = unit
    while current is not None:
        out.append(current)
        current = by_id[current].parent_id
    return out


def check(plan: CascadePlan, sites: list[Site], points: list[Point], relays: list[RelayNode]) -> None:
    alive = {r.id: r for r in relays if r.alive}
    assert plan.root in alive
    assert set(plan.upstream) == set(alive)
    for relay in alive:  # every relay reaches the root, without cycles
        seen, current = set(), relay
        while current is not None:
            assert current not in seen
            seen.add(current)
            current = plan.upstream[current]
        assert plan.root in seen
    for p in points:
        relay = alive[plan.serves[p.id]]
        assert relay.unit_id in chain(sites, p.unit_id) or relay.id == plan.root
    load = {r: sum(1 for x in plan.serves.values() if x == r) for r in alive}
    assert all(load[r] <= alive[r].capacity or r in plan.overloaded for r in alive)
    assert plan.low_bandwidth == {p.id for p in points if p.poor}


@given(provinces())
def test_every_point_is_served_by_a_relay_above_it(
    province: tuple[list[Site], list[Point], list[RelayNode]],
) -> None:
    sites, points, relays = province
    check(plan_cascade(sites, points, relays), sites, points, relays)


@given(provinces(), st.data())
def test_a_failed_relay_moves_only_what_it_held(
    province: tuple[list[Site], list[Point], list[RelayNode]], data: st.DataObject
) -> None:
    sites, points, relays = province
    before = plan_cascade(sites, points, relays)
    failed = data.draw(st.sampled_from([r.id for r in relays]))
    after_relays = [RelayNode(r.id, r.unit_id, r.capacity, alive=r.id != failed) for r in relays]
    after = plan_cascade(sites, points, after_relays, previous=before)
    if failed == "province" and len(relays) == 1:
        assert after.root is None and set(after.unserved) == {p.id for p in points}
        return
    check(after, sites, points, after_relays)
    moved = moves(before, after)
    assert failed not in after.serves.values()
    assert set(moved) <= {p for p, r in before.serves.items() if r == failed}


def test_links_carry_each_selected_stream_once_each_way() -> None:
    sites = [Site(1, None, "province"), Site(10, 1, "district"), Site(11, 1, "district")]
    sites += [Site(100 + i, 10, "commune") for i in range(5)] + [
        Site(200 + i, 11, "commune") for i in range(5)
    ]
    points = [Point(1, 1), Point(10, 10), Point(11, 11)]
    points += [Point(100 + i, 100 + i) for i in range(5)] + [Point(200 + i, 200 + i) for i in range(5)]
    relays = [RelayNode("p", 1), RelayNode("d10", 10), RelayNode("d11", 11)]
    plan = plan_cascade(sites, points, relays)
    assert plan.upstream == {"p": None, "d10": "p", "d11": "p"}
    chair, speaker = 1, 103  # the province chairs; a commune of district 10 speaks
    links = link_streams(plan, {chair, speaker})
    assert links["d10"] == (frozenset({speaker}), frozenset({chair}))
    assert links["d11"] == (frozenset(), frozenset({chair, speaker}))


def test_two_relay_processes_of_one_unit_share_its_bridge_points_one_per_core() -> None:
    """DESIGN §5, "shard by process": on a 2-core machine a unit runs two relays (the bench's "2 processes").
    Its bridge points are spread over both; the second links to the first; a failure of either moves only
    what it held."""
    sites = [Site(1, None, "province")]
    points = [Point(i, 1) for i in range(1, 101)]
    relays = [
        RelayNode("http://10.0.0.1:8000", 1, capacity=60),
        RelayNode("http://10.0.0.1:8001", 1, capacity=60),
    ]
    plan = plan_cascade(sites, points, relays)
    assert plan.root == "http://10.0.0.1:8000"
    assert plan.upstream == {"http://10.0.0.1:8000": None, "http://10.0.0.1:8001": "http://10.0.0.1:8000"}
    served = [plan.serves[p.id] for p in points]
    assert served.count("http://10.0.0.1:8000") == 50 and served.count("http://10.0.0.1:8001") == 50
    assert not plan.overloaded
    chair, speaker = 1, 100  # one on each process
    links = link_streams(plan, {chair, speaker})
    assert links["http://10.0.0.1:8001"] == (frozenset({speaker}), frozenset({chair}))

    second_down = [RelayNode(r.id, r.unit_id, r.capacity, alive=r.id.endswith("8000")) for r in relays]
    after = plan_cascade(sites, points, second_down, plan)
    assert set(moves(plan, after)) == {p.id for p in points if plan.serves[p.id].endswith("8001")}
    # 100 points on a process planned for 60: said, not refused
    assert after.overloaded == {"http://10.0.0.1:8000"}


@given(st.integers(1, 4), st.integers(0, 300), st.integers(1, 120), st.data())
def test_the_relay_processes_of_one_unit_carry_even_shares(
    processes: int, count: int, capacity: int, data: st.DataObject
) -> None:
    """However many points and processes of one unit (one per core): planned afresh, their loads differ by at
    most one while they have room; with points already in the call kept where they are, none is given more
    than its capacity but the root, which takes what none has room for."""
    sites = [Site(1, None, "province")]
    points = [Point(i, 1) for i in range(1, count + 1)]
    relays = [RelayNode(f"http://10.0.0.1:{8000 + k}", 1, capacity=capacity) for k in range(processes)]
    previous = None
    if data.draw(st.booleans()):  # some points already in the call somewhere, kept where they are
        kept = data.draw(st.lists(st.sampled_from([p.id for p in points]), unique=True)) if points else []
        serves = {p: data.draw(st.sampled_from([r.id for r in relays])) for p in kept}
        previous = CascadePlan(None, {}, serves)
    plan = plan_cascade(sites, points, relays, previous)
    load = {r.id: 0 for r in relays}
    for relay in plan.serves.values():
        load[relay] += 1
    if previous is None and count <= processes * capacity:
        assert max(load.values()) - min(load.values()) <= 1, load
    assert all(n <= capacity for r, n in load.items() if r != plan.root)
    assert not plan.overloaded or count > processes * capacity


def test_the_demo_province_cascade_needs_tens_of_streams_per_site_not_hundreds() -> None:
    """DESIGN §5: 241 bridge points × 2 streams from one star; a province relay plus one per district
    spreads that so no site sends more than a few dozen streams."""
    units, bps = province()
    ids = {u.code: i for i, u in enumerate(units, start=1)}
    sites = [Site(ids[u.code], ids.get(u.parent_code or ""), u.level) for u in units]
    points = [Point(i, ids[b.unit_code], recorded(b.link_quality)) for i, b in enumerate(bps, start=1)]
    relays = [RelayNode("province", ids["HG-UBND"], capacity=40)]
    relays += [
        RelayNode(u.code, ids[u.code], capacity=40)
        for u in units
        if u.level == "district" and u.kind == "administrative"
    ]
    plan = plan_cascade(sites, points, relays)
    chair = next(p.id for p, b in zip(points, bps, strict=True) if b.unit_code == "HG-UBND")
    speaker = points[-1].id  # a commune
    selected = {chair, speaker}
    star = sum(len(selected - {p.id}) for p in points)
    load = relay_load(plan, selected)
    assert len(points) == 241 and star == 2 * 241 - 2
    assert max(load.values()) <= 80 and max(load.values()) * 6 < star, load  # ~100 Mbps, not ~720
    assert not plan.overloaded and not plan.unserved
    assert len(plan.low_bandwidth) == 125
    assert plan.upstream["D01"] == "province"


def test_a_point_link_is_what_its_pre_meeting_test_measured_or_else_what_is_recorded() -> None:
    why = point_link("poor", None, None, None)
    assert (why.poor, why.reason, why.cause) == (True, "its link is recorded as poor", "recorded")
    assert not point_link("fair", None, None, None).poor
    why = point_link("poor", True, 0.0, 35.0)
    assert not why.poor
    assert why.reason == "the pre-meeting connectivity test measured 0% loss, 35 ms round trip"
    why = point_link("good", True, 12.5, None)  # video would break up above 8% loss
    assert (why.poor, why.cause, why.loss_pct, why.rtt_ms) == (True, "test", 12.5, None)
    assert point_link("good", True, 2.0, 900.0).poor
    why = point_link("good", False, None, None)
    assert (why.poor, why.cause) == (True, "unreachable")
    assert why.reason == "the pre-meeting connectivity test could not reach the relay"
