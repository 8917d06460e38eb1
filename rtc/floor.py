"""Floor control and last-N (pure): who receives which publisher in which slot.

- Every bridge point receives the chair's stream and the current speaker's stream: slot 0 is the speaker,
  slot 1 the chair (a bridge point never receives itself). The speaker is the one granted the floor from
  the speaker queue, or — when the chair chose "auto" and nobody holds the floor — the loudest room.
- The chair's console receives the speaker in slot 0 and a last-N set of bridge points in the other slots,
  rotating every ``rotate_every`` seconds so that every room is seen in turn; rooms waiting in the speaker
  queue are shown first. The console is a screen in the chair's room: it plays no audio.
- A low-bandwidth viewer receives the audio of its slots and no video.
- With relays in a cascade, the publishers planned over include those below a link (its roster): the chair,
  the speaker or a last-N tile may be a commune served by a district relay. A link, itself a viewer, is
  never sent back what it publishes. The consoles' next last-N turn is known ``warm_ahead`` seconds early
  (``upcoming``), so that a relay below can send those communes up before their tiles are shown.
- Publishers that no slot shows are paused: ``FloorPlan.paused`` names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

SPEAKER_SLOT, CHAIR_SLOT = 0, 1


@dataclass(frozen=True)
class Viewer:
    """A connection that receives: a bridge point, or the chair's console (``bridge_point_id`` None)."""

    key: str
    bridge_point_id: int | None
    slots: int
    console: bool = False
    low_bandwidth: bool = False
    own: frozenset[int] = frozenset()  # a cascade link's roster: never sent back down to it


@dataclass(frozen=True)
class Pick:
    """What one slot shows: a publisher (its bridge point), with or without its video and audio."""

    source: int | None
    video: bool = False
    audio: bool = False


NOTHING = Pick(None)


@dataclass(frozen=True)
class FloorPlan:
    picks: dict[str, tuple[Pick, ...]]
    speaker: int | None
    chair: int | None
    video_sources: frozenset[int]
    audio_sources: frozenset[int]
    listening: bool = False  # "auto": every room's audio comes in, so the relay hears which is loudest

    def paused(self, publishers: Iterable[int]) -> dict[int, tuple[bool, bool]]:
        """For each publisher: (video paused, audio paused)."""
        return {
            p: (p not in self.video_sources, not self.listening and p not in self.audio_sources)
            for p in publishers
        }


@dataclass
class Floor:
    """One meeting's floor: the chair's bridge point, who holds the floor, and the "auto" choice."""

    chair: int | None = None
    granted: int | None = None
    auto: bool = False
    rotate_every: float = 10.0
    warm_ahead: float = 2.0  # seconds before a last-N turn comes that its tiles are asked of relays below
    pinned: tuple[int, ...] = ()  # bridge points waiting in the speaker queue, in order
    hear_all: bool = False  # a relay below one in "auto": every room's audio comes in, its loudness goes up
    loudest: Loudest = field(default_factory=lambda: Loudest())

    @property
    def speaker(self) -> int | None:
        if self.granted is not None:
            return self.granted
        return self.loudest.current if self.auto else None

    def plan(self, viewers: Iterable[Viewer], publishers: Iterable[int], now: float) -> FloorPlan:
        live = frozenset(publishers)
        speaker = self.speaker if self.speaker in live else None
        chair = self.chair if self.chair in live else None
        picks: dict[str, tuple[Pick, ...]] = {}
        for v in viewers:
            chosen = (
                self._console(v, live, speaker, chair, now) if v.console else self._room(v, speaker, chair)
            )
            if v.low_bandwidth:
                chosen = [Pick(p.source, False, p.audio) if p.source is not None else p for p in chosen]
            picks[v.key] = tuple(chosen)
        video = frozenset(p.source for ps in picks.values() for p in ps if p.video and p.source is not None)
        audio = frozenset(p.source for ps in picks.values() for p in ps if p.audio and p.source is not None)
        return FloorPlan(picks, speaker, chair, video, audio, listening=self.auto or self.hear_all)

    def upcoming(self, viewers: Iterable[Viewer], publishers: Iterable[int], now: float) -> frozenset[int]:
        """The consoles' tiles of the last-N turn that comes within ``warm_ahead`` seconds (none: empty). A
        relay below sends them up ahead, so that each shows at once when its turn comes."""
        consoles = [v for v in viewers if v.console]
        if not consoles or self.rotate_every <= 0:
            return frozenset()
        turn = (now // self.rotate_every + 1) * self.rotate_every
        if turn - now > self.warm_ahead:
            return frozenset()
        return self.plan(consoles, publishers, turn).video_sources

    def _room(self, v: Viewer, speaker: int | None, chair: int | None) -> list[Pick]:
        mine = {v.bridge_point_id, *v.own}
        show_speaker = speaker if speaker not in mine else None
        show_chair = chair if chair not in mine and chair != show_speaker else None
        if v.slots == 1:
            only = show_speaker if show_speaker is not None else show_chair
            return [Pick(only, True, True) if only is not None else NOTHING]
        out = [
            Pick(show_speaker, True, True) if show_speaker is not None else NOTHING,
            Pick(show_chair, True, True) if show_chair is not None else NOTHING,
        ]
        return (out + [NOTHING] * v.slots)[: v.slots]

    def _console(
        self, v: Viewer, live: frozenset[int], speaker: int | None, chair: int | None, now: float
    ) -> list[Pick]:
        if v.slots <= 0:
            return []
        first = Pick(speaker, True, False) if speaker is not None else NOTHING
        n = v.slots - 1
        rest = sorted(live - {speaker, chair})
        pinned = [p for p in self.pinned if p in rest][:n]
        others = [p for p in rest if p not in pinned]
        window = list(pinned)
        if others and len(window) < n:
            need = min(n - len(window), len(others))
            turn = int(now // self.rotate_every) if self.rotate_every > 0 else 0
            start = (turn * need) % len(others)
            window += [others[(start + i) % len(others)] for i in range(need)]
        tiles = [Pick(p, True, False) for p in window]
        return [first, *tiles, *[NOTHING] * (n - len(tiles))]


class Loudest:
    """The "auto" speaker: the loudest room, changed only when another is clearly louder for a while.

    Loudness is 127 minus the RFC 6464 level (-dBov), so higher is louder; ``margin`` is in dB.
    """

    def __init__(self, hold: float = 1.5, margin: float = 6.0, threshold: float = 60.0) -> None:
        self.hold, self.margin, self.threshold = hold, margin, threshold
        self.current: int | None = None
        self.smoothed: dict[int, float] = {}
        self._challenger: tuple[int, float] | None = None  # (bridge point, since)

    def update(self, loudness: Mapping[int, float], now: float) -> int | None:
        for bp, value in loudness.items():
            prev = self.smoothed.get(bp, value)
            self.smoothed[bp] = prev + 0.3 * (value - prev)
        for bp in list(self.smoothed):
            if bp not in loudness:
                del self.smoothed[bp]
        if self.current is not None and self.current not in self.smoothed:
            self.current = None
        best = max(self.smoothed, key=lambda bp: (self.smoothed[bp], -bp), default=None)
        if best is None or self.smoothed[best] < self.threshold or best == self.current:
            self._challenger = None
            return self.current
        floor_level = self.smoothed.get(self.current, 0.0) if self.current is not None else 0.0
        if self.current is not None and self.smoothed[best] < floor_level + self.margin:
            self._challenger = None
            return self.current
        if self._challenger is None or self._challenger[0] != best:
            self._challenger = (best, now)
        if self.current is None or now - self._challenger[1] >= self.hold:
            self.current, self._challenger = best, None
        return self.current
