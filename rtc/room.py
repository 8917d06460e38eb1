"""One meeting's media (a room): its peers, its floor, and which leg forwards which source.

A ``Floor`` plan says which publisher fills each slot; the room moves legs accordingly, starts them at a
keyframe, and carries keyframe requests, NACKs, receiver reports and the lowest bitrate estimate upstream.
Nothing is decoded. Packets arrive from ``aiortc_hook.PacketTap`` (``on_rtp``, ``on_rtcp``); a timer task
retries upstream NACKs and PLIs, rotates last-N, follows the loudest room in "auto", and reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from rtc.floor import Floor, FloorPlan, Pick
from rtc.keyframes import KeyframeRequests
from rtc.leg import Leg
from rtc.peer import Peer, Slot
from rtc.rtcp import (
    RtcpFir,
    RtcpNack,
    RtcpPacket,
    RtcpPli,
    RtcpRemb,
    RtcpRr,
    RtcpSr,
    parse_rtcp,
    serialize_rtcp,
)
from rtc.rtp import ParseError, RtpPacket, abs_send_time, unwrap_rtx
from rtc.source import MediaPacket, Source
from rtc.stats import Delays, judge_link, ntp_now

log = logging.getLogger(__name__)

TICK = 0.025  # upstream NACK retries and keyframe retries
REPORT_EVERY = 1.0  # receiver reports and REMB upstream
PLAN_EVERY = 0.25  # last-N rotation and the "auto" speaker
LINK_EVERY = 2.0  # poor-link suggestions


class Room:
    """One meeting's media: its peers, its floor, and which leg forwards which source."""

    def __init__(self, meeting_id: int) -> None:
        self.meeting_id = meeting_id
        self.floor = Floor()
        self.peers: dict[str, Peer] = {}
        self.forwarding: dict[str, tuple[tuple[Peer, Leg], ...]] = {}  # replaced, never mutated
        self.sources: dict[str, tuple[Peer, Source]] = {}
        self.keyframes = KeyframeRequests()
        self.plan: FloorPlan | None = None
        self.forwarded = 0
        self.delays = Delays()  # arrival at the relay → handed to the socket, every 16th forwarded packet
        self.below: dict[str, frozenset[int]] = {}  # a cascade link (its key) → its roster (``Roster``)
        self.wanted_above: frozenset[int] = frozenset()  # what the relay above asks this room to send up
        self.heard: dict[int, float] = {}  # how loud each publisher here was (every PLAN_EVERY)
        self.heard_below: dict[str, dict[int, float]] = {}  # a cascade link (its key) → its ``Loudness``
        self._sending_up: dict[str, int] = {}  # an upward connection (its key) → the publisher it carries
        self._planned: tuple[object, ...] | None = None  # what the last plan was made from
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ membership
    @property
    def sent_up(self) -> frozenset[int]:
        """Publishers a cascade link sends to the relay above: never paused."""
        return frozenset(self._sending_up.values())

    def publishers(self) -> set[int]:
        return {
            p.member.bridge_point_id
            for p in self.peers.values()
            if p.by_kind and p.member.bridge_point_id is not None and p.connected.is_set()
        }

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"rtc-room-{self.meeting_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def add(self, peer: Peer) -> None:
        old = self.peers.get(peer.key)
        if old is not None:  # a reconnect replaces the previous connection of the same participant
            await self.remove(old)
        self.peers[peer.key] = peer
        for source in peer.by_kind.values():
            self.sources[source.key] = (peer, source)
        await self.replan()

    async def remove(self, peer: Peer) -> None:
        if self.peers.get(peer.key) is not peer:
            return
        del self.peers[peer.key]
        peer.closed = True
        self.below.pop(peer.key, None)
        self.heard_below.pop(peer.key, None)
        for _, leg in peer.legs.values():
            self._unforward(peer, leg)
        for source in peer.by_kind.values():
            self.keyframes.forget(source.key)
            self.sources.pop(source.key, None)
            for _, leg in self.forwarding.pop(source.key, ()):
                leg.select(None)
        await self.replan()

    # ------------------------------------------------------------------ the hot path
    async def on_rtp(self, peer: Peer, data: bytes, now: float) -> None:
        try:
            packet = RtpPacket.parse(data)
        except ParseError:
            return
        source = peer.sources.get(packet.ssrc)
        if source is None:
            found = peer.rtx.get(packet.ssrc)
            if found is None or len(packet.payload) < 2:
                return
            source, payload_type = found
            packet = unwrap_rtx(packet, payload_type, source.ssrc)
        gaps_before = len(source.nacks.missing)
        media = source.receive(packet, now)
        if len(source.nacks.missing) > gaps_before:
            await self._nack_upstream(peer, source, now)
        if source.broken:
            await self._want_keyframe(source.key, now)
        if media is None:
            return
        if media.keyframe:
            self.keyframes.keyframe(source.key)
        await self._fan_out(source.key, media, now)

    async def _fan_out(self, key: str, media: MediaPacket, now: float) -> None:
        legs = self.forwarding.get(key, ())
        if not legs:
            return
        stamp = abs_send_time(now)
        for sub, leg in legs:
            out = leg.forward(media, now, stamp)
            tap = sub.tap
            if out is None or tap is None:
                continue
            self.forwarded += 1
            if tap.send_now(out) is None:
                await tap.send(out)
            if not self.forwarded & 15:
                self.delays.add(time.time() - now)

    # ------------------------------------------------------------------ feedback
    async def on_rtcp(self, peer: Peer, data: bytes) -> None:
        try:
            packets = parse_rtcp(data)
        except ParseError:
            return
        now = time.time()
        for p in packets:
            await self._feedback(peer, p, now)

    async def _feedback(self, peer: Peer, p: RtcpPacket, now: float) -> None:
        if isinstance(p, RtcpSr) and p.ssrc in peer.sources:
            peer.sources[p.ssrc].sender_report(p, now)
        if isinstance(p, RtcpSr | RtcpRr):
            for block in p.reports:
                found = peer.legs.get(block.ssrc)
                if found is not None:
                    found[1].feedback.report(block, ntp_now(now))
        elif isinstance(p, RtcpNack):
            found = peer.legs.get(p.media_ssrc)
            if found is not None and peer.tap is not None:
                for data in found[1].retransmit(p.lost, now):
                    await peer.tap.send(data)
        elif isinstance(p, RtcpPli | RtcpFir):
            targets = (
                [p.media_ssrc] if isinstance(p, RtcpPli) else [e.ssrc for e in p.entries] + [p.media_ssrc]
            )
            for ssrc in targets:
                found = peer.legs.get(ssrc)
                if found is not None and found[1].source is not None:
                    found[1].feedback.keyframe_requests += 1
                    await self._want_keyframe(found[1].source, now)
                    break
        elif isinstance(p, RtcpRemb):
            for ssrc in p.ssrcs:
                found = peer.legs.get(ssrc)
                if found is not None:
                    found[1].feedback.remb = p.bitrate

    def rewrite_rtcp(self, peer: Peer, data: bytes) -> bytes | None:
        """aiortc's senders report zeros (they sent nothing): each SR becomes the leg's own."""
        try:
            packets = parse_rtcp(data)
        except ParseError:
            return data
        now = time.time()
        out: list[RtcpPacket] = []
        for p in packets:
            if isinstance(p, RtcpSr) and p.ssrc in peer.legs:
                leg = peer.legs[p.ssrc][1]
                clock = None
                if leg.source is not None:
                    found = self.sources.get(leg.source)
                    clock = found[1].clock if found else None
                sr = leg.sender_report(now, clock)
                out.append(sr if sr is not None else RtcpRr(p.ssrc))
            else:
                out.append(p)
        return serialize_rtcp(out) if out else None

    async def _want_keyframe(self, key: str, now: float) -> None:
        if self.keyframes.request(key, now):
            await self._pli(key)

    async def _pli(self, key: str) -> None:
        found = self.sources.get(key)
        if found is not None and found[0].tap is not None:
            peer, source = found
            await found[0].tap.send(bytes(RtcpPli(peer.rtcp_ssrc, source.ssrc)))

    async def _nack_upstream(self, peer: Peer, source: Source, now: float) -> None:
        due = source.nacks.due(now, None)
        if due and peer.tap is not None:
            await peer.tap.send(
                bytes(RtcpNack.for_lost(peer.rtcp_ssrc, source.ssrc, [s % 65536 for s in due]))
            )

    # ------------------------------------------------------------------ floor
    async def replan(self, now: float | None = None) -> None:
        """Plan the floor over every publisher here and every one below a cascade link (``below``), fill
        the slots with those publishing here, and ask each link for those of its roster that are shown."""
        now = time.time() if now is None else now
        below_of = self.below
        viewers = [
            v for p in self.peers.values() if (v := p.viewer(below_of.get(p.key, frozenset()))) is not None
        ]
        publishers = self.publishers()
        below = frozenset().union(*self.below.values())
        plan = self.floor.plan(viewers, publishers | below, now)
        soon = self.floor.upcoming(viewers, publishers | below, now) & below  # last-N's next turn, warmed
        planned = (plan, soon, frozenset(publishers), below, self.wanted_above)
        if planned == self._planned:
            return
        self.plan, self._planned = plan, planned
        floor = {bp for bp in (plan.speaker, plan.chair) if bp is not None}
        shown = plan.video_sources | plan.audio_sources | floor | self.wanted_above | soon
        for key, picks in plan.picks.items():
            peer = self.peers[key]
            for slot, pick in zip(peer.slots, picks, strict=False):
                await self._fill(peer, slot, pick, now)
            message = self._slots_message(peer, shown & self.below.get(key, frozenset()))
            if message != peer.told:  # also when only the speaker or the chair changed: a console shows them
                peer.told = message
                peer.notify(message)
        await self._pause(plan, publishers)

    async def set_below(self, key: str, bridge_points: frozenset[int]) -> None:
        """A cascade link's roster: the bridge points publishing at its relay or further down."""
        if key in self.peers and self.below.get(key) != bridge_points:
            self.below[key] = bridge_points
            await self.replan()

    async def set_wanted_above(self, bridge_points: frozenset[int]) -> None:
        """What the relay above shows of this room's publishers (and of those below its own links)."""
        if bridge_points != self.wanted_above:
            self.wanted_above = bridge_points
            await self.replan()

    async def _pause(self, plan: FloorPlan, publishers: set[int]) -> None:
        for bp, paused in plan.paused(publishers).items():
            paused = (False, False) if bp in self.sent_up else paused
            publisher = self.peers.get(f"bp:{bp}")
            if publisher is not None and publisher.paused != paused:
                publisher.paused = paused
                publisher.notify({"type": "pause", "video": paused[0], "audio": paused[1]})

    async def _fill(self, peer: Peer, slot: Slot, pick: Pick, now: float) -> None:
        slot.shows = pick.source
        sources = self.sources
        for kind, leg, wanted in (("video", slot.video, pick.video), ("audio", slot.audio, pick.audio)):
            if leg is None:
                continue
            key = f"{pick.source}:{kind}" if pick.source is not None and wanted else None
            if key is not None and key not in sources:
                key = None
            if leg.source == key:
                continue
            self._unforward(peer, leg)
            leg.select(key)
            if key is None:
                continue
            self.forwarding[key] = (*self.forwarding.get(key, ()), (peer, leg))
            cached, complete = sources[key][1].start_packets()
            for data in leg.start(cached, complete, now):
                if peer.tap is not None:
                    await peer.tap.send(data)
            if kind == "video" and not complete:
                await self._want_keyframe(key, now)

    async def send_up(self, peer: Peer, bridge_point_id: int | None) -> None:
        """Slot 0 of ``peer`` — one of a cascade link's upward connections, not a member of this room —
        forwards this publisher (None: nothing), which stays unpaused meanwhile (``rtc/cascade_link.py``)."""
        if peer.slots:
            await self._fill(peer, peer.slots[0], Pick(bridge_point_id, True, True), time.time())
        if bridge_point_id is None:
            self._sending_up.pop(peer.key, None)
        else:
            self._sending_up[peer.key] = bridge_point_id
        if self.plan is not None:
            await self._pause(self.plan, self.publishers())

    def _unforward(self, peer: Peer, leg: Leg) -> None:
        if leg.source is None:
            return
        legs = tuple((p, lg) for p, lg in self.forwarding.get(leg.source, ()) if lg is not leg)
        if legs:
            self.forwarding[leg.source] = legs
        else:
            self.forwarding.pop(leg.source, None)

    def _slots_message(self, peer: Peer, up: frozenset[int] = frozenset()) -> dict[str, Any]:
        return {
            "type": "slots",
            "slots": [{"index": s.index, "bridge_point_id": s.shows, "mids": s.mids} for s in peer.slots],
            "speaker": self.plan.speaker if self.plan else None,
            "chair": self.plan.chair if self.plan else None,
            "up": sorted(up),
            "listening": self.plan.listening if self.plan else False,
        }

    async def set_chair(self, bridge_point_id: int | None) -> None:
        self.floor.chair = bridge_point_id
        await self.replan()

    async def grant(self, bridge_point_id: int | None) -> None:
        """The floor is granted to this bridge point (None: the floor ended)."""
        self.floor.granted = bridge_point_id
        await self.replan()

    async def set_auto(self, on: bool) -> None:
        """ "Auto": with nobody holding the floor, the loudest room is the speaker."""
        self.floor.auto = on
        await self.replan()

    async def set_pinned(self, bridge_points: tuple[int, ...]) -> None:
        """Rooms waiting in the speaker queue, shown first on the chair's console."""
        self.floor.pinned = bridge_points
        await self.replan()

    async def set_low_bandwidth(self, key: str, on: bool) -> None:
        peer = self.peers.get(key)
        if peer is not None and peer.low_bandwidth != on:
            peer.low_bandwidth = on
            await self.replan()

    # ------------------------------------------------------------------ timers
    async def _run(self) -> None:
        last_report = last_plan = last_link = time.time()
        while True:
            await asyncio.sleep(TICK)
            now = time.time()
            try:
                await self._tick(now)
                if now - last_plan >= PLAN_EVERY:
                    last_plan = now
                    self._listen(now)
                    await self.replan(now)
                    await self._ask_for_waiting(now)
                if now - last_report >= REPORT_EVERY:
                    last_report = now
                    await self._report_upstream(now)
                if now - last_link >= LINK_EVERY:
                    last_link = now
                    self._judge_links(now)
            except Exception:  # a bug in one tick must not stop the room's media
                log.exception("rtc room %s tick failed", self.meeting_id)

    async def _tick(self, now: float) -> None:
        for peer in list(self.peers.values()):
            for source in peer.by_kind.values():
                if source.nacks.missing:
                    await self._nack_upstream(peer, source, now)
        for key in self.keyframes.due(now):
            await self._pli(key)

    async def _ask_for_waiting(self, now: float) -> None:
        """A viewer still waiting for a picture keeps asking: a keyframe request lost on the way (a link
        not yet connected, a PLI dropped) is given up after a while, but never while somebody waits."""
        for key, legs in list(self.forwarding.items()):
            if not self.keyframes.pending(key) and any(leg.waiting_for_keyframe for _, leg in legs):
                await self._want_keyframe(key, now)

    def _listen(self, now: float) -> None:
        loudness: dict[int, float] = {}
        for peer in self.peers.values():
            audio = peer.by_kind.get("audio")
            bp = peer.member.bridge_point_id
            if audio is not None and bp is not None:
                value = audio.take_loudness()
                if value is not None:
                    loudness[bp] = value
        self.heard = loudness
        if self.floor.auto:
            self.floor.loudest.update(self.loudness(), now)

    def loudness(self) -> dict[int, float]:
        """How loud each room was, here and below this relay's cascade links (a room here wins)."""
        merged: dict[int, float] = {}
        for levels in self.heard_below.values():
            merged.update(levels)
        merged.update(self.heard)
        return merged

    def set_heard_below(self, key: str, levels: dict[int, float]) -> None:
        if key in self.peers:
            self.heard_below[key] = levels

    async def _report_upstream(self, now: float) -> None:
        for peer in list(self.peers.values()):
            if peer.tap is None or not peer.by_kind:
                continue
            blocks = [s.stats.report(now) for s in peer.by_kind.values() if s.stats.base_seq is not None]
            packets: list[RtcpPacket] = [RtcpRr(peer.rtcp_ssrc, blocks)]
            video = peer.by_kind.get("video")
            if video is not None:
                estimates = [
                    leg.feedback.remb for _, leg in self.forwarding.get(video.key, ()) if leg.feedback.remb
                ]
                if estimates:
                    packets.append(RtcpRemb.for_bitrate(peer.rtcp_ssrc, min(estimates), [video.ssrc]))
            await peer.tap.send(serialize_rtcp(packets))

    def _judge_links(self, now: float) -> None:
        for peer in self.peers.values():
            reports = [r for r in peer.leg_reports(now) if r.kind == "video" and r.source is not None]
            losses = [r.fraction_lost for r in reports if r.fraction_lost is not None]
            rtts = [r.rtt for r in reports if r.rtt is not None]
            verdict = judge_link(max(losses, default=None), max(rtts, default=None))
            lasting = peer.link.update(verdict, now)
            if lasting is not None and not peer.low_bandwidth:
                peer.notify(lasting.suggestion())

    def stats(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        return {
            "meeting_id": self.meeting_id,
            "peers": {
                key: {
                    "bridge_point_id": p.member.bridge_point_id,
                    "low_bandwidth": p.low_bandwidth,
                    "sources": {
                        s.key: {
                            "bitrate": s.rate.bps(s.bytes_received, now),
                            "lost": s.stats.lost,
                            "jitter": s.stats.jitter / s.format.clock_rate,
                        }
                        for s in p.by_kind.values()
                    },
                    "legs": [r.as_json() for r in p.leg_reports(now)],
                }
                for key, p in self.peers.items()
            },
            "keyframe_requests": {"sent": self.keyframes.sent, "merged": self.keyframes.merged},
            "forwarding_delay_ms": {
                "p50": _ms(self.delays.percentile(0.5)),
                "p99": _ms(self.delays.percentile(0.99)),
            },
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
