"""The forwarding relay of one process: a room per meeting, a peer connection per participant.

``Relay.join`` answers a participant's offer (aiortc does ICE, DTLS and SRTP), taps its transport
(``aiortc_hook.PacketTap``) so that packets go to its ``Room`` instead of aiortc's decoders, and returns the
``Peer``. See ``rtc/room.py`` for what happens to the packets and ``rtc/peer.py`` for slots and legs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

from aiortc import RTCIceServer, RTCPeerConnection, RTCSessionDescription

from rtc import aiortc_hook as hook
from rtc.collector import collector
from rtc.errors import BadOffer
from rtc.peer import Member, Peer
from rtc.room import Room

__all__ = ["Member", "Peer", "Relay", "Room"]

RECLAIM_AFTER = 1.0  # seconds after the last room closed: then what the calls left is reclaimed


class Relay:
    """All rooms of this process. ``join`` answers an offer and returns the participant's ``Peer``."""

    def __init__(self, ice_servers: Sequence[RTCIceServer] = ()) -> None:
        self.ice_servers = list(ice_servers)
        self.rooms: dict[int, Room] = {}
        self.open: set[Peer] = set()  # every connection not yet closed, whatever room it left
        self._idle: asyncio.Handle | None = None

    def room(self, meeting_id: int) -> Room:
        room = self.rooms.get(meeting_id)
        if room is None:
            room = self.rooms[meeting_id] = Room(meeting_id)
            room.start()
        return room

    async def join(self, meeting_id: int, member: Member, offer_sdp: str) -> tuple[Peer, str]:
        room = self.room(meeting_id)
        pc = RTCPeerConnection(hook.configuration(self.ice_servers))
        peer = Peer(room, member, pc)
        self.open.add(peer)
        try:
            hook.check_offer(offer_sdp)
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            hook.prepare_answer(pc)
            transport = hook.dtls_transport(pc)
        except (ValueError, AssertionError, StopIteration, KeyError) as exc:
            await self.leave(peer)
            raise BadOffer(f"the offer cannot be used: {exc or repr(exc)}") from None

        peer.tap = hook.PacketTap(
            transport,
            partial(room.on_rtp, peer),
            partial(room.on_rtcp, peer),
            partial(room.rewrite_rtcp, peer),
        )

        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState == "connected" and not peer.connected.is_set():
                peer.connected.set()
                collector.settle()
                await room.replan()
            elif pc.connectionState in ("failed", "closed"):
                await self.leave(peer)

        await pc.setLocalDescription(await pc.createAnswer())
        peer.build(hook.negotiated_lines(pc))
        await room.add(peer)
        assert pc.localDescription is not None
        return peer, pc.localDescription.sdp

    async def leave(self, peer: Peer) -> None:
        room = peer.room
        peer.closed = True
        await room.remove(peer)
        await self.drop_if_empty(room)
        # aiortc's close() cut short by a cancellation never finishes, and every later close() waits for it:
        # run it to the end whatever happens to the caller.
        await asyncio.shield(peer.pc.close())
        if peer not in self.open:  # left already
            return
        self.open.discard(peer)
        # its packet caches (the legs' retransmissions, the sources' current GOP) go now, not with the next
        # full collection (rtc/collector.py): every reference the peer holds to them
        peer.legs.clear()
        peer.sources.clear()
        peer.rtx.clear()
        peer.by_kind.clear()
        collector.end(settled=peer.connected.is_set())
        if not self.rooms and self._idle is None:  # once aiortc has finished closing the last call
            self._idle = asyncio.get_running_loop().call_later(RECLAIM_AFTER, self._reclaim)

    def _reclaim(self) -> None:
        """No room left: reclaim what the closed calls left behind (``rtc/collector.py``)."""
        self._idle = None
        if not self.rooms:
            collector.idle()

    async def drop_if_empty(self, room: Room) -> None:
        """Close the meeting's room once nobody is in it."""
        if not room.peers and self.rooms.get(room.meeting_id) is room:
            del self.rooms[room.meeting_id]
            await room.stop()

    async def close(self) -> None:
        for peer in list(self.open):
            await self.leave(peer)
        for room in list(self.rooms.values()):
            await room.stop()
        self.rooms.clear()
        if self._idle is not None:  # closed: nothing to wait for
            self._idle.cancel()
            self._idle = None
        collector.idle()
