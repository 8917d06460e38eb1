"""One participant's connection to the relay: what it publishes and the slots it receives in.

Its first receiving audio and video lines (the relay's view) are what it publishes (``Source``); the lines
on which the relay sends are its *slots*, paired by order (the n-th video line with the n-th audio line),
each a ``Leg``. ``Member`` says who it is.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiortc import RTCPeerConnection

from rtc import aiortc_hook as hook
from rtc.floor import Viewer
from rtc.leg import Leg, LegFormat
from rtc.source import Source, SourceFormat
from rtc.stats import LegReport, PoorLinkDetector

if TYPE_CHECKING:
    from rtc.room import Room


@dataclass(frozen=True)
class Member:
    """Who a peer connection belongs to."""

    key: str  # unique in the room, e.g. "bp:7" or "console:3"
    bridge_point_id: int | None
    console: bool = False
    low_bandwidth: bool = False
    label: str = ""
    link: bool = False  # another relay's cascade link: it may tell its roster (``Room.set_below``)


@dataclass
class Slot:
    index: int
    video: Leg | None = None
    audio: Leg | None = None
    mids: dict[str, str] = field(default_factory=dict)  # kind → mid
    shows: int | None = None


class Peer:
    """One participant's connection to the relay."""

    def __init__(self, room: Room, member: Member, pc: RTCPeerConnection) -> None:
        self.room, self.member, self.pc = room, member, pc
        self.tap: hook.PacketTap | None = None
        self.sources: dict[int, Source] = {}  # by media SSRC
        self.rtx: dict[int, tuple[Source, int]] = {}  # RTX SSRC → (source, original payload type)
        self.by_kind: dict[str, Source] = {}
        self.slots: list[Slot] = []
        self.legs: dict[int, tuple[Slot, Leg]] = {}  # by leg SSRC
        self.rtcp_ssrc = random.getrandbits(32)
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.closed = False
        self.paused: tuple[bool, bool] | None = None
        self.told: dict[str, Any] | None = None  # the last ``slots`` message sent
        self.link = PoorLinkDetector()
        self.low_bandwidth = member.low_bandwidth

    @property
    def key(self) -> str:
        return self.member.key

    def notify(self, message: dict[str, Any]) -> None:
        self.outbox.put_nowait(message)

    def build(self, lines: Sequence[hook.Line]) -> None:
        """Sources from the lines the peer sends on, legs (in slots) from the lines it receives on."""
        bp = self.member.bridge_point_id
        receiving: dict[str, int] = {"audio": 0, "video": 0}
        for line in lines:
            if line.receives and line.remote_ssrc is not None and line.kind not in self.by_kind:
                if bp is not None and not self.member.console:
                    fmt = SourceFormat(
                        line.kind, line.codec, line.clock_rate, line.extensions.get(hook.URI_AUDIO_LEVEL)
                    )
                    source = Source(f"{bp}:{line.kind}", line.remote_ssrc, fmt)
                    self.sources[line.remote_ssrc] = source
                    self.by_kind[line.kind] = source
                    if line.remote_rtx_ssrc is not None:
                        self.rtx[line.remote_rtx_ssrc] = (source, line.payload_type)
            if line.sends and line.local_ssrc is not None:
                n = receiving[line.kind]
                receiving[line.kind] += 1
                while len(self.slots) <= n:
                    self.slots.append(Slot(len(self.slots)))
                slot = self.slots[n]
                leg = Leg(
                    LegFormat(
                        kind=line.kind,
                        ssrc=line.local_ssrc,
                        payload_type=line.payload_type,
                        clock_rate=line.clock_rate,
                        mid=line.mid,
                        mid_ext=line.extensions.get(hook.URI_MID),
                        abs_send_time_ext=line.extensions.get(hook.URI_ABS_SEND_TIME),
                        audio_level_ext=line.extensions.get(hook.URI_AUDIO_LEVEL),
                    ),
                    seq0=random.getrandbits(15),
                    ts0=random.getrandbits(32),
                    pid0=random.getrandbits(15),
                )
                setattr(slot, line.kind, leg)
                slot.mids[line.kind] = line.mid
                self.legs[line.local_ssrc] = (slot, leg)

    def viewer(self, own: frozenset[int] = frozenset()) -> Viewer | None:
        """``own``: what this peer (a cascade link) publishes itself, its roster."""
        if not self.slots or not self.connected.is_set():
            return None
        return Viewer(
            self.key,
            self.member.bridge_point_id,
            len(self.slots),
            console=self.member.console,
            low_bandwidth=self.low_bandwidth,
            own=own,
        )

    def leg_reports(self, now: float) -> list[LegReport]:
        return [
            LegReport(
                ssrc=leg.format.ssrc,
                kind=leg.format.kind,
                source=leg.source,
                packets_sent=leg.packets_sent,
                bytes_sent=leg.bytes_sent,
                bitrate=leg.rate.bps(leg.bytes_sent, now),
                retransmitted=leg.retransmitted,
                nacks=leg.feedback.nacks,
                keyframe_requests=leg.feedback.keyframe_requests,
                rtt=leg.feedback.rtt,
                fraction_lost=leg.feedback.fraction_lost,
                packets_lost=None
                if leg.feedback.last_block is None
                else leg.feedback.last_block.packets_lost,
                jitter=leg.feedback.jitter,
            )
            for _, leg in self.legs.values()
        ]
