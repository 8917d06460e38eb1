"""The media side of one server process (the edge): the relay, who may join it, and the floor fed from the
meeting's event log.

- ``admit`` asks the domain who the caller is in the meeting (``LiveService.who``, the same check as the live
  WebSocket) and allows a bridge point to its operators and the meeting's runners, the console to runners.
- ``FloorFeed`` follows the meeting's bus channel and folds each live event with the domain's own folder
  (``meetings.live_state.apply``): the floor granted from the speaker queue becomes the relay's speaker, the
  waiting rooms become the console's first tiles. A gap in the sequence (or an overflow) refolds from a
  snapshot. It also publishes the room's stats on ``rtc:{meeting_id}`` for the operations board and appends
  them to ``DATA_DIR/rtc-stats/meeting-{id}.jsonl``.
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
from rtc.config import RtcSettings
from rtc.relay import Member, Peer, Relay, Room
from rtc.schema import Offer

log = logging.getLogger(__name__)
STATS_PUSH_EVERY = 2.0


@dataclass(frozen=True)
class Admission:
    member: Member
    chair_bridge_point: int | None
    person_points: dict[int, int]  # participant → the meeting's bridge point of their unit
    runner: bool


def admit(engine: Engine, live: LiveService, actor: Actor, meeting_id: int, offer: Offer) -> Admission:
    """Who joins, and what the relay needs to know of the meeting (runs in a worker thread)."""
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
    if offer.console:
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
    return Admission(member, chair, people, who.runner)


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
                    message = await asyncio.wait_for(sub.get(), STATS_PUSH_EVERY)
                    await self._event(message, sub.overflowed)
                    sub.overflowed = False
                now = time.time()
                if now - last_push >= STATS_PUSH_EVERY:
                    last_push = now
                    await bus.publish(
                        f"rtc:{self.room.meeting_id}", {"type": "rtc_stats", **self.room.stats(now)}
                    )
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
    """Owned by the app's lifespan: ``start`` before serving, ``stop`` after."""

    def __init__(self, engine: Engine, live: LiveService, bus: LocalBus, settings: RtcSettings) -> None:
        self.engine, self.live, self.bus, self.settings = engine, live, bus, settings
        servers = [RTCIceServer(list(s.urls), s.username, s.credential) for s in settings.ice_servers]
        self.relay = Relay(servers)
        self.feeds: dict[int, FloorFeed] = {}

    async def start(self) -> None:
        if self.settings.host_addresses is not None:
            hook.use_host_addresses(self.settings.host_addresses)

    async def stop(self) -> None:
        for feed in list(self.feeds.values()):
            await feed.stop()
        self.feeds.clear()
        await self.relay.close()

    async def join(self, actor: Actor, meeting_id: int, offer: Offer) -> tuple[Peer, str, Admission]:
        admission = await run_in_threadpool(admit, self.engine, self.live, actor, meeting_id, offer)
        peer, answer = await self.relay.join(meeting_id, admission.member, offer.sdp)
        feed = self.feeds.get(meeting_id)
        if feed is None or feed.room is not peer.room:  # a new room (the last one emptied and closed)
            if feed is not None:
                await feed.stop()
            feed = self.feeds[meeting_id] = FloorFeed(self, peer.room, actor, admission)
            feed.start()
        return peer, answer, admission

    def room_stats(self, meeting_id: int) -> dict[str, Any] | None:
        """The latest figures of the meeting's room in this process (``Room.stats``), or None if none is open.
        Call it on the event loop (the room changes there)."""
        room = self.relay.rooms.get(meeting_id)
        return None if room is None else room.stats()

    async def leave(self, peer: Peer) -> None:
        meeting_id = peer.room.meeting_id
        await self.relay.leave(peer)
        if meeting_id not in self.relay.rooms:
            feed = self.feeds.pop(meeting_id, None)
            if feed is not None:
                await feed.stop()
