"""A relay-to-relay media link (the cascade of DESIGN §5): a district relay joins the province room.

The district side is an ordinary peer of the province room — an offer with receive-only slots, marked
``link`` (the province admits it as the relay it authenticated, member ``relay:{name}``), sent through the
same signaling messages as any bridge point (a ``Signal``: the WebSocket, or ``DirectSignal`` in tests) — but
nothing is decoded: a ``PacketTap`` on the link's own transport hands each packet to the district
``Room``, where it arrives as if the publisher shown in that slot had joined the district relay itself.

Each upstream slot becomes a *feed*: a ``Peer`` of the district room whose member is the bridge point the
province says the slot shows (its ``slots`` message), and whose sources carry the slot's SSRCs. So district
viewers get the province's chair and speaker through the district's own legs (keyframe cache, NACK), and the
district's keyframe requests, NACKs and receiver reports go up the link to the province legs unchanged (they
name the same SSRCs and sequence numbers). When the province switches a slot to another publisher, the feed
is replaced. The district room mirrors the province's chair and speaker.

Upward, only what is selected. The link tells the province its *roster* — the bridge points publishing at
the district relay or below it — so the province plans over every bridge point of the meeting: its chair
may sit at the district, and the chair's console rotates its last-N through the communes too. The province
answers, in each ``slots`` message, with those of the roster it shows now (``up``); for each, the link opens
one more connection up — as that bridge point, sending only — and the district room forwards that publisher
into it (``Room.send_up``). It is closed when the province no longer shows it. The district's speaker goes
up as well while it is one of the district's own (a commune granted the floor). While the province chooses
the loudest room ("auto", ``slots.listening``), the district lets every room's audio in and tells the
province how loud each of the roster's rooms is (``loudness``), so a commune can be the loudest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiortc import RTCIceServer, RTCPeerConnection, RTCSessionDescription

from rtc import aiortc_hook as hook
from rtc.peer import Member, Peer
from rtc.relay import Relay
from rtc.room import Room
from rtc.signal_client import Signal
from rtc.source import Source, SourceFormat

log = logging.getLogger(__name__)

UP_EVERY = 0.05  # how often the link looks whether one of its own publishers is the speaker
UP_RETRY = 1.0  # after the relay above refused to take one up
ANSWER_WITHIN = 10.0  # seconds the relay above has to answer an offer


@dataclass
class Upward:
    """The connection on which the link sends one of its own publishers up."""

    bridge_point_id: int
    pc: RTCPeerConnection
    signal: Signal
    peer: Peer | None


class CascadeLink:
    """The link from one relay (``relay``, e.g. a district's) up to another relay's room for the meeting."""

    def __init__(
        self,
        relay: Relay,
        meeting_id: int,
        name: str,
        slots: int = 2,
        ice_servers: Sequence[RTCIceServer] = (),
        upward: Callable[[], Awaitable[Signal]] | None = None,
    ) -> None:
        self.relay, self.meeting_id, self.name = relay, meeting_id, name
        self.upward = upward  # a new signaling channel to the relay above, for each commune sent up
        self.ups: dict[int, Upward] = {}  # bridge point → the connection that sends it up
        self.wanted: frozenset[int] = frozenset()  # what the relay above shows of the roster (``up``)
        self.roster: frozenset[int] | None = None  # the roster last told to the relay above
        self.told_loudness: dict[int, float] | None = None
        self.slots, self.ice_servers = slots, list(ice_servers)
        self.pc: RTCPeerConnection | None = None
        self.signal: Signal | None = None
        self.tap: hook.PacketTap | None = None
        self.lines: dict[str, hook.Line] = {}  # the link's media lines by mid
        self.feeds: dict[int, Peer] = {}  # upstream slot index → the feed in the district room
        self.by_ssrc: dict[int, Peer] = {}
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()  # the link's connection failed or closed
        self.packets = 0
        self.starts = 0  # connections made (more than one: the link was re-established)
        self._listener: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._closing = False  # the watcher's own stop: a cancellation can be swallowed by a signal's close

    @property
    def room(self) -> Room:
        return self.relay.room(self.meeting_id)

    async def start(self, signal: Signal) -> None:
        """Offer receive-only slots upstream, tap the negotiated transport, then follow the ``slots``."""
        self.signal, self.roster, self.told_loudness = signal, None, None
        self.starts += 1
        closed = self.closed = asyncio.Event()
        pc = self.pc = RTCPeerConnection(hook.configuration(self.ice_servers))
        for _ in range(self.slots):
            for kind in ("audio", "video"):
                pc.addTransceiver(kind, direction="recvonly")
        hook.never_decode(pc)

        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState == "connected":
                self.connected.set()
            elif pc.connectionState in ("failed", "closed"):
                closed.set()

        await pc.setLocalDescription(await pc.createOffer())
        assert pc.localDescription is not None
        await signal.send({"type": "offer", "sdp": pc.localDescription.sdp, "link": True})
        early: list[dict[str, Any]] = []
        while (message := await asyncio.wait_for(signal.recv(), ANSWER_WITHIN)).get("type") != "answer":
            if message.get("type") == "error":
                raise RuntimeError(f"relay refused the link: {message.get('code')}: {message.get('detail')}")
            early.append(message)
        await pc.setRemoteDescription(RTCSessionDescription(str(message["sdp"]), "answer"))
        self.lines = {line.mid: line for line in hook.negotiated_lines(pc)}
        self.tap = hook.PacketTap(hook.dtls_transport(pc), self._rtp, self._rtcp)
        for message in early:
            await self._apply(message)
        self._listener = asyncio.create_task(self._listen(signal))
        if self.upward is not None and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())

    def keep(self, connect: Callable[[], Awaitable[Signal]], retry: float = 1.0) -> None:
        """Hold the link up until ``close``: start it, and whenever its connection fails or closes (or cannot
        be made), drop what came through it and start again ``retry`` seconds later."""
        self._keeper = asyncio.create_task(self._keep(connect, retry))

    async def _keep(self, connect: Callable[[], Awaitable[Signal]], retry: float) -> None:
        while not self._closing:
            try:
                await self.start(await connect())
                await self.closed.wait()
            except Exception:
                log.exception("cascade link %s of meeting %s failed", self.name, self.meeting_id)
            await self._down()
            if not self._closing:
                await asyncio.sleep(retry)

    async def _listen(self, signal: Signal) -> None:
        try:
            while True:
                await self._apply(await signal.recv())
        except Exception:  # the relay above went away (its process died): the link is down, not only quiet
            self.closed.set()

    # ------------------------------------------------------------------ packets
    async def _rtp(self, data: bytes, now: float) -> None:
        if len(data) < 12:
            return
        feed = self.by_ssrc.get(struct.unpack_from("!I", data, 8)[0])
        if feed is not None and not feed.closed:
            self.packets += 1
            await feed.room.on_rtp(feed, data, now)

    async def _rtcp(self, data: bytes) -> None:
        for feed in list(self.feeds.values()):  # sender reports of the upstream legs: each feed's clock
            await feed.room.on_rtcp(feed, data)

    # ------------------------------------------------------------------ what the province shows
    async def _apply(self, message: dict[str, Any]) -> None:
        if message.get("type") != "slots":
            return
        room = self.room
        self.wanted = frozenset(int(bp) for bp in message.get("up", ()))
        await room.set_wanted_above(self.wanted)  # links further down send up what this one must
        for slot in message["slots"]:
            index, bp = int(slot["index"]), slot["bridge_point_id"]
            current = self.feeds.get(index)
            if current is not None and current.member.bridge_point_id == bp and current.room is room:
                continue
            if current is not None:
                await self._drop(index)
            fed = {f.member.bridge_point_id for f in self.feeds.values()}
            if bp is not None and bp not in fed and not self._local(room, bp):  # not our own, sent back
                await self._feed(room, index, int(bp), slot["mids"])
        chair, speaker = message.get("chair"), message.get("speaker")
        granted = room.floor.granted
        if speaker is None and self._local(room, granted) and granted not in (self.roster or ()):
            speaker = granted  # ours, granted the floor, not yet in the roster the relay above plans over
        listening = bool(message.get("listening"))
        floor = room.floor
        if (floor.chair, floor.granted, floor.hear_all) != (chair, speaker, listening):
            floor.chair, floor.granted, floor.hear_all = chair, speaker, listening
            await room.replan()

    def _local(self, room: Room, bp: int | None) -> bool:
        """Whether this bridge point publishes at this relay itself (not through the link)."""
        peer = room.peers.get(f"bp:{bp}") if bp is not None else None
        return peer is not None and peer not in self.feeds.values() and bool(peer.by_kind)

    async def _feed(self, room: Room, index: int, bp: int, mids: dict[str, str]) -> None:
        assert self.pc is not None and self.tap is not None
        peer = Peer(room, Member(f"bp:{bp}", bp, label=f"via link {self.name}"), self.pc)
        for kind, mid in mids.items():
            line = self.lines.get(mid)
            if line is None or line.remote_ssrc is None:
                continue
            fmt = SourceFormat(kind, line.codec, line.clock_rate, line.extensions.get(hook.URI_AUDIO_LEVEL))
            source = Source(f"{bp}:{kind}", line.remote_ssrc, fmt)
            peer.sources[line.remote_ssrc] = source
            peer.by_kind[kind] = source
            self.by_ssrc[line.remote_ssrc] = peer
        peer.tap = self.tap  # keyframe requests, NACKs and reports go up the link
        peer.connected.set()
        self.feeds[index] = peer
        await room.add(peer)

    async def _drop(self, index: int) -> None:
        peer = self.feeds.pop(index)
        for ssrc in peer.sources:
            if self.by_ssrc.get(ssrc) is peer:
                del self.by_ssrc[ssrc]
        await peer.room.remove(peer)

    # ------------------------------------------------------------------ upward
    async def _watch(self) -> None:
        while not self._closing:
            room = self.room
            with contextlib.suppress(Exception):  # no signaling now: the roster is told on the next start
                await self._tell_roster(room)
                await self._tell_loudness(room)
            speaker = room.plan.speaker if room.plan is not None else None
            wanted = {bp for bp in (*self.wanted, speaker) if bp is not None and self._local(room, bp)}
            for bp, up in list(self.ups.items()):
                if bp not in wanted or up.pc.connectionState in ("failed", "closed"):
                    await self._close_up(bp)
            opened = await asyncio.gather(
                *(self._try_up(room, bp) for bp in sorted(wanted - self.ups.keys()))
            )
            await asyncio.sleep(UP_EVERY if all(opened) else UP_RETRY)

    async def _try_up(self, room: Room, bp: int) -> bool:
        """Open one connection up (all of a turn's at once: a console's last-N tiles come together)."""
        try:
            await self._open_up(room, bp)
            return True
        except Exception:  # the relay above refused or vanished: try again on a later look
            log.exception("cascade link %s: sending %s up failed", self.name, bp)
            await self._close_up(bp)
            return False

    async def _tell_roster(self, room: Room) -> None:
        """Tell the relay above which bridge points publish here or below, when that changed."""
        fed = {feed.member.bridge_point_id for feed in self.feeds.values()}
        roster = frozenset(room.publishers() - fed).union(*room.below.values())
        if roster != self.roster and self.signal is not None and self.tap is not None:
            await self.signal.send({"type": "roster", "bridge_points": sorted(roster)})
            self.roster = roster

    async def _tell_loudness(self, room: Room) -> None:
        """While the relay above chooses the loudest room, tell it how loud the roster's rooms are."""
        if not room.floor.hear_all or self.signal is None or self.tap is None:
            return
        roster = self.roster or frozenset()
        levels = {bp: round(v, 1) for bp, v in room.loudness().items() if bp in roster}
        if levels != self.told_loudness:
            await self.signal.send({"type": "loudness", "levels": levels})
            self.told_loudness = levels

    async def _open_up(self, room: Room, bp: int) -> None:
        assert self.upward is not None
        signal = await self.upward()
        pc = RTCPeerConnection(hook.configuration(self.ice_servers))
        up = self.ups[bp] = Upward(bp, pc, signal, None)
        for kind in ("audio", "video"):
            pc.addTransceiver(hook.Hold(kind), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        assert pc.localDescription is not None
        await signal.send({"type": "offer", "sdp": pc.localDescription.sdp, "bridge_point_id": bp})
        while (message := await asyncio.wait_for(signal.recv(), ANSWER_WITHIN)).get("type") != "answer":
            if message.get("type") == "error":
                raise RuntimeError(f"refused: {message.get('code')}: {message.get('detail')}")
        await pc.setRemoteDescription(RTCSessionDescription(str(message["sdp"]), "answer"))
        peer = up.peer = Peer(room, Member(f"up:{bp}", None), pc)
        peer.build(hook.negotiated_lines(pc))

        async def rtp(data: bytes, now: float) -> None:
            return None  # the relay above sends nothing on this connection

        async def rtcp(data: bytes) -> None:
            await room.on_rtcp(peer, data)  # its keyframe requests, NACKs and reports of our legs

        transport = hook.dtls_transport(pc)
        peer.tap = hook.PacketTap(transport, rtp, rtcp, lambda data: room.rewrite_rtcp(peer, data))
        await room.send_up(peer, bp)

    async def _close_up(self, bp: int) -> None:
        up = self.ups.pop(bp, None)
        if up is None:
            return
        if up.peer is not None:
            await up.peer.room.send_up(up.peer, None)
        await asyncio.shield(up.pc.close())
        with contextlib.suppress(Exception):
            await up.signal.close()

    async def close(self) -> None:
        """Leave the province room; the district stops showing what came through the link."""
        self._closing = True
        self.closed.set()
        for task in (self._keeper, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for bp in list(self.ups):
            await self._close_up(bp)
        await self._down()

    async def _down(self) -> None:
        """End the link's connection; the district stops showing what came through it."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        for index in list(self.feeds):
            await self._drop(index)
        self.wanted = frozenset()
        room = self.relay.rooms.get(self.meeting_id)
        if room is not None:
            await room.set_wanted_above(self.wanted)
        pc, signal, self.pc, self.signal, self.tap = self.pc, self.signal, None, None, None
        if pc is not None:
            await asyncio.shield(pc.close())
        if signal is not None:
            with contextlib.suppress(Exception):
                await signal.close()
