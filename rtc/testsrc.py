"""Synthetic sources for the agent, the tests and the bench: a picture that says who sent it, and a tone.

``PatternVideo`` draws vertical bars: two guard bars, the bridge point id (8 bits) and a frame counter
(6 bits). They survive VP8 at any sensible bitrate, so a receiver reads who it sees (``read_pattern``) and
whether a frame went missing. ``ToneAudio`` is a sine whose loudness the relay's "auto" speaker can compare.
Both pause when the relay says nobody receives them.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import numpy as np
from aiortc import MediaStreamTrack
from av import AudioFrame, VideoFrame

VIDEO_RATE = 90000
BARS = 16  # 2 guard bars (white, black), 8 bits of bridge point id, 6 bits of frame counter


def pattern(ident: int, counter: int, width: int, height: int) -> np.ndarray:
    """A yuv420p picture whose vertical bars spell guard bits, ``ident`` (8 bits) and ``counter`` (6 bits)."""
    bits = [1, 0] + [(ident >> (7 - i)) & 1 for i in range(8)] + [(counter >> (5 - i)) & 1 for i in range(6)]
    row = np.repeat(np.array([235 if b else 16 for b in bits], dtype=np.uint8), math.ceil(width / BARS))[
        :width
    ]
    luma = np.tile(row, (height, 1))
    chroma = np.full((height // 2, width), 128, dtype=np.uint8)
    return np.concatenate([luma, chroma])


def read_pattern(frame: VideoFrame) -> tuple[int, int] | None:
    """(bridge point id, frame counter) from a decoded ``pattern`` picture, or None if it is not one."""
    gray = frame.to_ndarray(format="gray")
    h, w = gray.shape
    step = w / BARS
    samples = [int(gray[h // 2, int(step * (i + 0.5))]) for i in range(BARS)]
    bits = [1 if s > 128 else 0 for s in samples]
    if bits[:2] != [1, 0]:
        return None
    ident = int("".join(map(str, bits[2:10])), 2)
    counter = int("".join(map(str, bits[10:16])), 2)
    return ident, counter


class Pausable:
    """A source the relay can pause (nobody receives it) and resume."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.running.set()

    def pause(self, paused: bool) -> None:
        if paused:
            self.running.clear()
        else:
            self.running.set()


class PatternVideo(MediaStreamTrack, Pausable):
    kind = "video"

    def __init__(self, ident: int, fps: float = 15, width: int = 320, height: int = 240) -> None:
        MediaStreamTrack.__init__(self)
        Pausable.__init__(self)
        self.ident, self.fps, self.width, self.height = ident, fps, width, height
        self.counter = 0
        self._t0 = time.time()
        self._next = self._t0

    async def recv(self) -> VideoFrame:
        await self.running.wait()
        now = time.time()
        if self._next > now:
            await asyncio.sleep(self._next - now)
        self._next = max(self._next + 1 / self.fps, time.time())
        frame = VideoFrame.from_ndarray(
            pattern(self.ident, self.counter, self.width, self.height), format="yuv420p"
        )
        frame.pts = int((time.time() - self._t0) * VIDEO_RATE)
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        self.counter = (self.counter + 1) % 64
        return frame


class ToneAudio(MediaStreamTrack, Pausable):
    """A sine tone in 20 ms frames; ``loudness`` 0..1 (the relay's "auto" speaker picks the loudest)."""

    kind = "audio"
    RATE = 48000

    def __init__(self, hz: float = 440.0, loudness: float = 0.3) -> None:
        MediaStreamTrack.__init__(self)
        Pausable.__init__(self)
        self.hz, self.loudness = hz, loudness
        self._samples = 0
        self._t0 = time.time()
        self._next = self._t0

    async def recv(self) -> AudioFrame:
        await self.running.wait()
        now = time.time()
        if self._next > now:
            await asyncio.sleep(self._next - now)
        self._next = max(self._next + 0.02, time.time())
        n = self.RATE // 50
        t = (np.arange(n) + self._samples) / self.RATE
        wave = (np.sin(2 * np.pi * self.hz * t) * 32767 * self.loudness).astype(np.int16)
        frame = AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, self.RATE)
        self._samples += n
        return frame


def open_source(
    source: str, ident: int, loudness: float = 0.3
) -> tuple[MediaStreamTrack | None, MediaStreamTrack | None]:
    """(audio, video) tracks for ``testsrc``, a media file, or a V4L2 camera."""
    if source == "testsrc":
        return ToneAudio(loudness=loudness), PatternVideo(ident)
    from aiortc.contrib.media import MediaPlayer

    if source.startswith("/dev/video"):
        player = MediaPlayer(source, format="v4l2", options={"video_size": "640x360"})
    else:
        player = MediaPlayer(source, loop=True)
    return player.audio, player.video
