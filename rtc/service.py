"""The media side of one server process (the edge): the relay, who may join it, and the floor fed from the
meeting's event log.

- ``admit`` asks the domain who the caller is in the meeting (``LiveService.who``, the same check as the live
  WebSocket) and allows a bridge point to its operators and the meeting's runners, the console to runners.
- ``FloorFeed`` follows the meeting's bus channel and folds each live event with the domain's own folder
  (``meetings.live_state.apply``): the floor granted from the speaker queue becomes the relay's speaker, the
  waiting rooms become the console's first tiles. A gap in the sequence (or an overflow) refolds from a
  snapshot. It also publishes the room's stats, with this relay's id, on the relays' channel
  (``rtc/registry.py``: every process of the deployment hears them, so the operations board shows the whole
  meeting from any of them) and appends them to ``DATA_DIR/rtc-stats/meeting-{id}.jsonl``.
- ``RtcService.join`` first asks the cascade (``rtc/cascade_service.py``) which relay serves the caller: when
  it is another, it returns that relay and joins nothing (the client is redirected).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiortc import RTCIceServer
from sqlalchemy import Engine
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from meetings import queries
from meetings.bus import LocalBus
from meetings.db import reading
from meetings.errors import Forbidden, NotFound
from meetings.live_service import LiveService
from meetings.live_state import LiveState, apply
from meetings.models import BridgePoint
from meetings.permissions import Actor
from rtc import aiortc_hook as hook
from rtc.cascade_service import RELINK_EVERY, CascadeService, MeetingTree, meeting_tree, unit_exists
from rtc.config import RtcSettings
from rtc.registry import STATS_EVERY, RelayInfo, RelayRegistry
from rtc.relay import Member, Peer, Relay, Room
from rtc.schema import Offer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admission:
    member: Member
    chair_bridge_point: int | None
    person_points: dict[int, int]  # participant → the meeting's bridge point of their unit
    runner: bool


def admit(
    engine: Engine, live: LiveService, actor: Actor, meeting_id: int, offer: Offer, relay: str | None = None
) -> tuple[Admission, MeetingTree]:
    """Who joins, and what the relay and the cascade need to know of the meeting (runs in a worker thread).
    ``relay``: the id of the relay calling (authenticated by the signaling), for its cascade link."""
    with reading(engine) as session:
        meeting = queries.get_meeting(session, meeting_id)
        who = live.who(session, actor, meeting)
        ids = queries.meeting_bridge_point_ids(session, meeting_id)
        points = session.exec(select(BridgePoint).where(col(BridgePoint.id).in_(ids))).all() if ids else []
        by_unit: dict[int, list[int]] = {}
        for bp in points:
            if bp.id is not None:
                by_unit.setdefault(bp.unit_id, []).append(bp.id)
        people = {
            p.person_id: min(by_unit[person.unit_id])
            for p, person in queries.participants(session, meeting_id)
            if person.unit_id in by_unit
        }
        chair = min(by_unit.get(meeting.host_unit_id, []), default=None)
        tree = meeting_tree(session, meeting_id)
    if offer.link:
        if relay is None:
            raise Forbidden("only another relay of this deployment may open a cascade link")
        member = Member(f"relay:{relay}", None, label=f"link from {relay}", link=True)
    elif offer.console:
        if not who.runner:
            raise Forbidden("only the chair, the secretary or the host unit's secretary may open the console")
        member = Member(f"console:{actor.user_id}", None, console=True, label=actor.username)
    else:
        bp_id = offer.bridge_point_id
        if bp_id is None:
            raise Forbidden("name the bridge point you join as (bridge_point_id), or open the console")
        if bp_id not in ids:
            raise NotFound(f"bridge point {bp_id} is not in meeting {meeting_id}")
        if bp_id not in who.operator_of and not who.runner:
            raise Forbidden(f"only the operator of bridge point {bp_id} may join as it")
        member = Member(f"bp:{bp_id}", bp_id, low_bandwidth=offer.low_bandwidth, label=actor.username)
    return Admission(member, chair, people, who.runner), tree


class FloorFeed:
    """Keeps one room's floor in step with the meeting's live state."""

    def __init__(self, service: RtcService, room: Room, actor: Actor, admission: Admission) -> None:
        self.service, self.room, self.actor = service, room, actor
        self.person_points = admission.person_points
        self.chair = admission.chair_bridge_point
        self.state: LiveState | None = None
        self.task: asyncio.Task[None] | None = None
        self.reading: asyncio.Future[LiveState] | None = None  # a snapshot being read in a worker thread

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"rtc-floor-{self.room.meeting_id}")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.reading is not None:  # let its thread finish and give its database connection back
            with contextlib.suppress(Exception):
                await self.reading

    async def _snapshot(self) -> None:
        self.reading = asyncio.ensure_future(
            asyncio.to_thread(self.service.live.snapshot, self.actor, self.room.meeting_id)
        )
        self.state = await asyncio.shield(self.reading)
        await self._apply()

    async def _apply(self) -> None:
        state = self.state
        if state is None:
            return
        granted: int | None = None
        if state.floor is not None:
            granted = state.floor.get("bridge_point_id") or self.person_points.get(
                state.floor.get("person_id") or -1
            )
        pinned = tuple(
            bp
            for s in state.speakers
            if s.status == "waiting"
            and (bp := s.bridge_point_id or self.person_points.get(s.person_id or -1)) is not None
        )
        floor = self.room.floor
        if (floor.chair, floor.granted, floor.pinned) != (self.chair, granted, pinned):
            floor.chair, floor.granted, floor.pinned = self.chair, granted, pinned
            await self.room.replan()

    async def _run(self) -> None:
        bus = self.service.bus
        sub = bus.subscribe(f"meeting:{self.room.meeting_id}", 256)
        last_push = last_store = time.time()
        try:
            await self._snapshot()
            while True:
                with contextlib.suppress(TimeoutError):
                    message = await asyncio.wait_for(sub.get(), STATS_EVERY)
                    await self._event(message, sub.overflowed)
                    sub.overflowed = False
                now = time.time()
                if now - last_push >= STATS_EVERY:
                    last_push = now
                    await self.service.publish_stats(self.room.meeting_id)
                if now - last_store >= self.service.settings.stats_every:
                    last_store = now
                    await run_in_threadpool(self._store, self.room.stats(now))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the floor feed of meeting %s stopped", self.room.meeting_id)
        finally:
            sub.close()

    async def _event(self, message: dict[str, Any], overflowed: bool) -> None:
        if message.get("type") != "event" or self.state is None:
            return
        seq = int(message["seq"])
        if seq <= self.state.seq:
            return
        if overflowed or seq != self.state.seq + 1:
            await self._snapshot()
            return
        apply(self.state, seq, str(message["kind"]), dict(message["payload"]), str(message["at"]))
        await self._apply()

    def _store(self, stats: dict[str, Any]) -> None:
        folder = self.service.settings.stats_dir
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"meeting-{self.room.meeting_id}.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps({"at": time.time(), **stats}, ensure_ascii=False) + "\n")


class RtcService:
    """Owned by the app's lifespan: ``start`` before serving, ``stop`` after. ``me`` is this process as a
    relay of the cascade; ``secret`` (the deployment's SECRET_KEY) is what relays authenticate each other
    with."""

    def __init__(
        self,
        engine: Engine,
        live: LiveService,
        bus: LocalBus,
        settings: RtcSettings,
        me: RelayInfo,
        secret: str,
    ) -> None:
        self.engine, self.live, self.bus, self.settings = engine, live, bus, settings
        servers = [RTCIceServer(list(s.urls), s.username, s.credential) for s in settings.ice_servers]
        self.relay = Relay(servers)
        self.feeds: dict[int, FloorFeed] = {}
        self.registry = RelayRegistry(bus, me, settings.relay_lapse, secret)
        self.cascade = CascadeService(self.registry, self.relay, secret, self.in_call)
        self._relinking: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.settings.host_addresses is not None:
            hook.use_host_addresses(self.settings.host_addresses)
        unit = self.registry.me.unit_id
        if unit is not None and not await run_in_threadpool(self._unit_exists, unit):
            raise ValueError(f"CAUHOP_RELAY_UNIT_ID={unit}: there is no unit {unit} in the database")
        await self.registry.start()
        self._relinking = asyncio.create_task(self._relink())

    async def _relink(self) -> None:
        while True:
            await asyncio.sleep(RELINK_EVERY)
            try:
                self.cascade.relink()
            except Exception:  # a bug here must not stop the next look
                log.exception("cascade relink failed")

    def _unit_exists(self, unit_id: int) -> bool:
        with reading(self.engine) as session:
            return unit_exists(session, unit_id)

    async def stop(self) -> None:
        if self._relinking is not None:
            self._relinking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relinking
        await self.cascade.stop()
        await self.registry.stop()
        for feed in list(self.feeds.values()):
            await feed.stop()
        self.feeds.clear()
        await self.relay.close()

    async def join(
        self, actor: Actor, meeting_id: int, offer: Offer, relay: str | None = None
    ) -> tuple[Peer, str, Admission] | RelayInfo:
        """Join the caller here, or name the relay that serves it (``relay``: the calling relay's id; relays
        and redirected offers are never sent on)."""
        admission, tree = await run_in_threadpool(
            admit, self.engine, self.live, actor, meeting_id, offer, relay
        )
        own = relay is None  # one of this relay's own members, not another relay
        if own and not offer.redirected:
            elsewhere = self.cascade.serving(meeting_id, tree, admission.member.bridge_point_id)
            if elsewhere is not None:
                return elsewhere
        peer, answer = await self.relay.join(meeting_id, admission.member, offer.sdp)
        member = admission.member
        point = next((p for p in tree.points if p.id == member.bridge_point_id), None)
        if point is not None and point.why is not None and point.poor and not member.low_bandwidth:
            peer.notify(point.why.suggestion())
        feed = self.feeds.get(meeting_id)
        if feed is None or feed.room is not peer.room:  # a new room (the last one emptied and closed)
            if feed is not None:
                await feed.stop()
            feed = self.feeds[meeting_id] = FloorFeed(self, peer.room, actor, admission)
            feed.start()
        if own:
            self.cascade.member_joined(meeting_id, tree)
        return peer, answer, admission

    def room_stats(self, meeting_id: int) -> dict[str, Any] | None:
        """The latest figures of the meeting's room in this process (``Room.stats``, without what came down a
        cascade link), or None if none is open. Call it on the event loop (the room changes there)."""
        room = self.relay.rooms.get(meeting_id)
        if room is None:
            return None
        stats = room.stats()
        for key in self.cascade.link_keys(meeting_id):
            stats["peers"].pop(key, None)
        return stats

    def meeting_stats(self, meeting_id: int) -> dict[str, Any]:
        """Every live relay's room of the meeting in one: each peer with the relay that serves it and that
        relay's unit (None: the root relay; this process's own figures as they are now, the others' as last
        published), and the live relays."""
        rooms = self.registry.room_stats(meeting_id)
        here = self.room_stats(meeting_id)
        if here is not None:
            rooms[self.registry.me.id] = here
        units = {r.id: r.unit_id for r in self.registry.live()}
        peers = {
            f"{relay}#{key}": {**peer, "relay": relay, "relay_unit_id": units.get(relay)}
            for relay, stats in rooms.items()
            for key, peer in stats["peers"].items()
        }
        relays = sorted(units)
        return {"meeting_id": meeting_id, "live": bool(rooms), "relays": relays, "peers": peers}

    def socket_origins(self) -> list[str]:
        """The WebSocket origins of the other live relays (a page's CSP lets its media client follow a
        redirect there)."""
        others = (r.id for r in self.registry.live() if r.id != self.registry.me.id)
        return sorted("ws" + url[4:] if url.startswith("http") else url for url in others)

    def in_call(self, meeting_id: int) -> dict[int, str]:
        """Where each of the meeting's bridge points is in the call now: the relay that serves it."""
        peers = self.meeting_stats(meeting_id)["peers"].values()
        return {p["bridge_point_id"]: p["relay"] for p in peers if p["bridge_point_id"] is not None}

    async def publish_stats(self, meeting_id: int) -> None:
        stats = self.room_stats(meeting_id) or {
            "meeting_id": meeting_id,
            "peers": {},
        }  # none: the room closed
        await self.bus.publish(
            self.registry.channel, {"type": "rtc_stats", "relay": self.registry.me.id, **stats}
        )

    async def leave(self, peer: Peer) -> None:
        meeting_id = peer.room.meeting_id
        await self.relay.leave(peer)
        await self.cascade.member_left(meeting_id)
        if meeting_id not in self.relay.rooms:
            feed = self.feeds.pop(meeting_id, None)
            if feed is not None:
                await feed.stop()
            with contextlib.suppress(Exception):
                await self.publish_stats(meeting_id)
