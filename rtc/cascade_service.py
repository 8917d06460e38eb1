"""The cascade at work across processes: the edge around the pure planner of ``rtc/cascade.py``.

- **Where a bridge point joins.** On every offer that is not already redirected, the process asked plans the
  meeting (``plan_cascade`` over the unit tree, the meeting's bridge points with their link quality, the live
  relays of ``RelayRegistry``) keeping, as the previous plan, where each bridge point is in the call now (the
  rooms' figures every relay publishes): a bridge point in call stays where it is, and only what a failed
  relay held moves. A district relay started during a meeting takes its communes as they (re)join. When
  the plan names another relay, the client is told to go there (a ``redirect``). The chair's
  console goes to the root relay, which receives every room sent up.
- **Links from the plan.** A relay with an upstream in the plan opens a ``CascadeLink`` up to it as soon as
  one of its own members joins a meeting, and closes it when the last one leaves. The link is kept: when the
  relay above fails, each new attempt plans again and goes to the relay that replaced it. A meeting whose
  members joined while no relay above was heard (this relay had just started) is linked as soon as one is
  (``relink``). Relays prove to
  each other that they belong to the deployment with ``SECRET_KEY`` (``signal_client.relay_credential``).

A relay configured for no unit is the root (``ROOT_UNIT``, above every unit); one process alone is the root
and serves everyone, as before the cascade existed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from meetings import queries
from meetings.models import BridgePoint, Unit
from meetings.models_jobs import ConnectivityResult
from rtc.cascade import ROOT_LEVEL, CascadePlan, Point, RelayNode, Site, plan_cascade, point_link
from rtc.cascade_link import CascadeLink
from rtc.registry import RelayInfo, RelayRegistry
from rtc.relay import Relay
from rtc.signal_client import Signal, WebSocketSignal, relay_credential, ws_url

ROOT_UNIT = 0  # unit ids start at 1: the place of the root relay
RELINK_EVERY = 1.0  # seconds between looks for meetings that should be linked up and are not


@dataclass(frozen=True)
class MeetingTree:
    """What the planner needs of one meeting (read in a worker thread)."""

    sites: tuple[Site, ...]
    points: tuple[Point, ...]


def meeting_tree(session: Session, meeting_id: int) -> MeetingTree:
    units = session.exec(select(Unit.id, Unit.parent_id, Unit.level)).all()
    sites = [Site(ROOT_UNIT, None, ROOT_LEVEL)]
    sites += [
        Site(uid, parent if parent is not None else ROOT_UNIT, level) for uid, parent, level in units if uid
    ]
    ids = queries.meeting_bridge_point_ids(session, meeting_id)
    tested = {
        r.bridge_point_id: r
        for r in session.exec(
            select(ConnectivityResult).where(
                ConnectivityResult.meeting_id == meeting_id, col(ConnectivityResult.answered_at).is_not(None)
            )
        ).all()
    }
    rows = (
        session.exec(
            select(BridgePoint.id, BridgePoint.unit_id, BridgePoint.link_quality).where(
                col(BridgePoint.id).in_(ids)
            )
        ).all()
        if ids
        else []
    )
    points = []
    for bp, unit, recorded in rows:
        if bp is None:
            continue
        test = tested.get(bp)
        why = point_link(
            recorded,
            test.reachable if test is not None else None,
            test.loss_pct if test is not None else None,
            test.rtt_ms if test is not None else None,
        )
        points.append(Point(bp, unit, why))
    return MeetingTree(tuple(sites), tuple(points))


def unit_exists(session: Session, unit_id: int) -> bool:
    return session.get(Unit, unit_id) is not None


class CascadeService:
    """This process's part in the cascade: its plans of each meeting and its links up."""

    def __init__(
        self,
        registry: RelayRegistry,
        relay: Relay,
        secret: str,
        in_call: Callable[[int], dict[int, str]],
        slots: int = 2,
    ) -> None:
        self.registry, self.relay, self.secret, self.slots = registry, relay, secret, slots
        self.in_call = in_call  # meeting → {bridge point: the live relay it is in the call at}
        self.trees: dict[int, MeetingTree] = {}  # each linked meeting as last read, for the link's plans
        self.links: dict[int, CascadeLink] = {}

    @property
    def me(self) -> RelayInfo:
        return self.registry.me

    def plan(self, meeting_id: int, tree: MeetingTree) -> CascadePlan:
        """Plan the meeting over the relays alive now, keeping every bridge point in call where it is."""
        nodes = [
            RelayNode(r.id, ROOT_UNIT if r.unit_id is None else r.unit_id, r.capacity)
            for r in self.registry.live()
        ]
        return plan_cascade(tree.sites, tree.points, nodes, CascadePlan(None, {}, self.in_call(meeting_id)))

    def serving(self, meeting_id: int, tree: MeetingTree, bridge_point_id: int | None) -> RelayInfo | None:
        """The relay that serves this bridge point (None: the console), if not this one."""
        plan = self.plan(meeting_id, tree)
        target = plan.root if bridge_point_id is None else plan.serves.get(bridge_point_id, plan.root)
        if target is None or target == self.me.id:
            return None
        return next((r for r in self.registry.live() if r.id == target), None)

    # ------------------------------------------------------------------ links up
    def member_joined(self, meeting_id: int, tree: MeetingTree) -> None:
        """One of this relay's own members joined: link up if the plan gives this relay an upstream."""
        self.trees[meeting_id] = tree
        if meeting_id in self.links or self.plan(meeting_id, tree).upstream.get(self.me.id) is None:
            return
        link = CascadeLink(
            self.relay,
            meeting_id,
            self.me.id,
            self.slots,
            self.relay.ice_servers,
            upward=lambda: self._upstream(meeting_id),
        )
        self.links[meeting_id] = link
        link.keep(lambda: self._upstream(meeting_id))

    async def _upstream(self, meeting_id: int) -> Signal:
        """A signaling channel to the relay above this one in the meeting's plan, as it stands now."""
        tree = self.trees[meeting_id]
        above = self.plan(meeting_id, tree).upstream.get(self.me.id)
        if above is None:
            raise RuntimeError(f"no relay above {self.me.id} for meeting {meeting_id}")
        signal = WebSocketSignal(ws_url(above, meeting_id), "", relay_credential(self.secret, self.me.id))
        return await signal.open()

    def link_keys(self, meeting_id: int) -> set[str]:
        """Members of the meeting's room here that came down the link (not this relay's own)."""
        link = self.links.get(meeting_id)
        return {p.key for p in link.feeds.values()} if link is not None else set()

    def relink(self) -> None:
        """Link up every meeting with members here and no link, where the plan now gives this relay an
        upstream: when they joined, the relay above may not have been heard yet (this relay had just
        started) or may have been taken as failed for a moment. Run every ``RELINK_EVERY`` seconds."""
        for meeting_id, tree in list(self.trees.items()):
            if meeting_id not in self.links and self._has_members(meeting_id):
                self.member_joined(meeting_id, tree)

    def _has_members(self, meeting_id: int) -> bool:
        """Whether the meeting's room here holds members of this relay's own (not only a link's feeds)."""
        room = self.relay.rooms.get(meeting_id)
        return room is not None and bool(set(room.peers) - self.link_keys(meeting_id))

    async def member_left(self, meeting_id: int) -> None:
        """Close the link once only what came down it is left in the room."""
        if self._has_members(meeting_id):
            return
        self.trees.pop(meeting_id, None)
        link = self.links.pop(meeting_id, None)
        if link is None:
            return
        await link.close()
        room = self.relay.rooms.get(meeting_id)
        if room is not None:
            await self.relay.drop_if_empty(room)

    async def stop(self) -> None:
        for meeting_id in list(self.links):
            await self.links.pop(meeting_id).close()
