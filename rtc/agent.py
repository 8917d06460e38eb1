"""The bridge-point agent: joins a meeting's media as a bridge point (or the chair's console) with aiortc.

    cauhop-agent --server http://127.0.0.1:8000 --meeting 1 --bridge-point 7 --source testsrc \\
        --username secretary --password demo

It publishes a camera (``testsrc``: a synthetic picture that carries the bridge point id and a frame
counter as bars, so a receiver can tell who it sees; or a media FILE; or ``/dev/videoN``) and a tone,
receives its slots (the speaker, the chair), and prints per-slot and per-stream stats. Tests and the bench
use ``Agent`` as a library with any ``Signal`` (the WebSocket, or an in-process session).

The command line stays joined (``Agent.keep_joined``): when the peer connection fails or closes, the
signaling socket drops, or no answer comes within 10 s, it reopens the socket (backing off up to 10 s between
attempts, each logged) and joins again with a fresh peer connection and a new offer, which replaces the old
connection at the relay (aiortc has no ICE restart in place). The same source keeps publishing.

Relays in a cascade (``rtc/cascade_service.py``): the server asked may answer with a ``redirect`` to the relay
its plan names for this bridge point; the signal follows it (``rtc/signal_client.py``). Every rejoin asks the
first server again, so a bridge point whose relay died is sent to the one that replaces it. ``--server`` may
be given more than once: when a server cannot be reached, the next join asks the next one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import MediaStreamTrack, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from rtc import aiortc_hook as hook
from rtc.pacing import DEFAULT_RATE
from rtc.signal_client import Refused, Signal, WebSocketSignal, login, ws_url
from rtc.testsrc import PatternVideo, Pausable, open_source, read_pattern

__all__ = ["Agent", "AgentOptions", "Refused", "Signal", "SlotView", "WebSocketSignal", "main", "ws_url"]

log = logging.getLogger("cauhop.agent")

BACKOFF = (0.5, 10.0)  # the first and the longest wait before joining again


# ------------------------------------------------------------------------------------------- agent


@dataclass
class SlotView:
    """What the agent sees in one receiving slot."""

    index: int
    shows: int | None = None  # the bridge point the relay says this slot shows
    frames: int = 0
    decoded: list[tuple[float, int | None, int | None]] = field(default_factory=list)  # (time, id, counter)
    audio_frames: int = 0
    first_frame_at: float | None = None

    def last_id(self) -> int | None:
        return self.decoded[-1][1] if self.decoded else None

    def first_seen(self, ident: int, after: float = 0.0) -> float | None:
        return next((t for t, i, _ in self.decoded if i == ident and t >= after), None)


@dataclass
class AgentOptions:
    bridge_point_id: int | None
    console: bool = False
    slots: int = 2
    low_bandwidth: bool = False
    source: str = "testsrc"
    publish: bool = True
    ice_servers: Sequence[RTCIceServer] = ()
    fps: float = 15
    loudness: float = 0.3  # of the testsrc tone, 0..1
    answer_within: float = 10.0  # seconds from opening the signaling to the relay's answer (keep_joined)
    pace: float = DEFAULT_RATE  # bits/s at which video leaves, keyframes spread over time (0: unpaced)


class Feed(MediaStreamTrack):
    """The source as one peer connection's track: aiortc stops a sender's track with its connection, and the
    source must outlive it to publish again on the next one."""

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind, self.source = source.kind, source

    async def recv(self) -> Any:
        return await self.source.recv()


class Agent:
    def __init__(self, options: AgentOptions) -> None:
        self.options = options
        self.pc: RTCPeerConnection | None = None
        self.signal: Signal | None = None
        self.slots = [SlotView(i) for i in range(options.slots)]
        self.messages: list[dict[str, Any]] = []
        self.paused = (False, False)
        self.audio: MediaStreamTrack | None = None
        self.video: MediaStreamTrack | None = None
        self.joins = 0  # answers received: 1 after the first join, one more for every rejoin
        self._changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._broken = asyncio.Event()
        self._why = ""
        self._connected = False  # this join's peer connection got connected

    async def start(self, signal: Signal) -> None:
        """Join once over ``signal``: a new peer connection, an offer, the answer (see ``keep_joined``)."""
        self.signal = signal
        o = self.options
        servers = list(o.ice_servers) or list(getattr(signal, "ice_servers", []))
        pc = self.pc = RTCPeerConnection(hook.configuration(servers))
        self._broken, self._why, self._connected = asyncio.Event(), "", False

        @pc.on("connectionstatechange")
        async def changed() -> None:
            self._connected = self._connected or pc.connectionState == "connected"
            if pc.connectionState in ("failed", "closed"):
                self._break(f"the peer connection is {pc.connectionState}")
            await self._notify()

        if o.publish and not o.console and self.video is None:
            self.audio, self.video = open_source(o.source, o.bridge_point_id or 0, o.loudness)
            if isinstance(self.video, PatternVideo):
                self.video.fps = o.fps
        audio, video = (Feed(t) if t is not None else None for t in (self.audio, self.video))
        receivers: list[tuple[int, str, Any]] = []
        for slot in range(o.slots):
            for kind in ("audio", "video"):
                if o.console and kind == "audio":
                    continue
                track = (audio if kind == "audio" else video) if slot == 0 else None
                direction = "sendrecv" if track is not None else "recvonly"
                receivers.append((slot, kind, pc.addTransceiver(track or kind, direction=direction)))
        if o.slots == 0 and o.publish:
            for track in (audio, video):
                if track is not None:
                    pc.addTransceiver(track, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        assert pc.localDescription is not None
        await signal.send(
            {
                "type": "offer",
                "sdp": pc.localDescription.sdp,
                "bridge_point_id": o.bridge_point_id,
                "console": o.console,
                "low_bandwidth": o.low_bandwidth,
            }
        )
        answer = await self._until_answer()
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        if o.publish and o.pace > 0:
            hook.pace(pc, o.pace)
        for slot, kind, transceiver in receivers:
            self._tasks.append(
                asyncio.create_task(self._consume(self.slots[slot], kind, transceiver.receiver.track))
            )
        self._tasks.append(asyncio.create_task(self._listen()))
        self.joins += 1
        await self._notify()

    async def keep_joined(self, connect: Callable[[], Awaitable[Signal]], stop: asyncio.Event) -> None:
        """Stay joined until ``stop`` is set: whenever the connection fails or closes, the signaling drops or
        no answer comes within ``answer_within``, open a new signal and join again, backing off after failed
        attempts. A permanent refusal (forbidden, not found, a bad offer) raises ``Refused``."""
        failures = 0
        while not stop.is_set():
            attempt = f"join {self.joins + 1}" + (f" (attempt {failures + 1})" if failures else "")
            log.info("%s: opening the signaling", attempt)
            try:
                await asyncio.wait_for(self._join(connect), self.options.answer_within)
                log.info("joined (join %d)", self.joins)
                ended = asyncio.create_task(stop.wait())
                broken = asyncio.create_task(self._broken.wait())
                await asyncio.wait({ended, broken}, return_when=asyncio.FIRST_COMPLETED)
                ended.cancel()
                broken.cancel()
                why = self._why
                failures = 0 if self._connected else failures + 1  # a join that never connected failed
            except Refused as exc:
                if exc.permanent:
                    await self.end_session()
                    raise
                why, failures = str(exc), failures + 1
            except Exception as exc:  # the socket, the network, the timeout: all end in joining again
                why, failures = (
                    f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                    failures + 1,
                )
            await self.end_session()
            if stop.is_set():
                break
            delay = min(BACKOFF[1], BACKOFF[0] * 2 ** max(failures - 1, 0))
            log.warning("%s; joining again in %.1f s", why, delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def _join(self, connect: Callable[[], Awaitable[Signal]]) -> None:
        self.signal = None
        await self.start(await connect())

    def _break(self, why: str) -> None:
        if not self._broken.is_set():
            self._why = why
            self._broken.set()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _until_answer(self) -> str:
        assert self.signal is not None
        while True:
            message = await self.signal.recv()
            self.messages.append(message)
            if message.get("type") == "answer":
                return str(message["sdp"])
            if message.get("type") == "error":
                raise Refused(str(message.get("code")), str(message.get("detail")))
            self._apply(message)

    async def _listen(self) -> None:
        assert self.signal is not None
        try:
            while True:
                message = await self.signal.recv()
                self.messages.append(message)
                self._apply(message)
                await self._notify()
        except Exception as exc:  # the socket closed or broke
            self._break(f"the signaling closed ({type(exc).__name__})")

    def _apply(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "slots":
            for s in message["slots"]:
                if s["index"] < len(self.slots):
                    self.slots[s["index"]].shows = s["bridge_point_id"]
        elif kind == "pause":
            self.paused = (bool(message["video"]), bool(message["audio"]))
            for track, paused in ((self.video, self.paused[0]), (self.audio, self.paused[1])):
                if isinstance(track, Pausable):
                    track.pause(paused)

    async def _consume(self, view: SlotView, kind: str, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                now = time.time()
                if kind == "audio":
                    view.audio_frames += 1
                else:
                    assert isinstance(frame, VideoFrame)
                    read = read_pattern(frame)
                    view.frames += 1
                    view.first_frame_at = view.first_frame_at or now
                    view.decoded.append((now, read[0] if read else None, read[1] if read else None))
                    del view.decoded[:-600]
                await self._notify()

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> None:
        """Wait (at most ``within`` seconds) until ``predicate()`` holds after a frame or a message."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.signal is not None
        await self.signal.send(message)

    async def stats(self) -> dict[str, Any]:
        """Per-stream numbers from aiortc's own statistics, and what each slot showed."""
        state = self.pc.connectionState if self.pc is not None else "closed"
        relay = getattr(self.signal, "url", None)  # the relay joined (after a redirect: the one named)
        out: dict[str, Any] = {
            "joins": self.joins,
            "state": state,
            "relay": relay,
            "slots": [],
            "streams": [],
        }
        for v in self.slots:
            fps = 0.0
            recent = [t for t, _, _ in v.decoded if t > time.time() - 2]
            if len(recent) > 1:
                fps = (len(recent) - 1) / max(recent[-1] - recent[0], 1e-3)
            out["slots"].append(
                {
                    "slot": v.index,
                    "shows": v.shows,
                    "seen": v.last_id(),
                    "frames": v.frames,
                    "fps": round(fps, 1),
                }
            )
        if self.pc is not None and state != "closed":
            report = await self.pc.getStats()
            for s in report.values():
                if s.type in ("inbound-rtp", "remote-inbound-rtp"):
                    out["streams"].append(
                        {
                            "type": s.type,
                            "kind": s.kind,
                            "ssrc": s.ssrc,
                            "lost": getattr(s, "packetsLost", None),
                            "jitter": getattr(s, "jitter", None),
                            "rtt": getattr(s, "roundTripTime", None),
                        }
                    )
        return out

    async def end_session(self) -> None:
        """Close this join's peer connection and signal; the sources, slots and counts stay."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.pc is not None:
            # a close() cut short by a cancellation never finishes: run it to the end (as the relay does)
            await asyncio.shield(self.pc.close())
        if self.signal is not None:
            with contextlib.suppress(Exception):
                await self.signal.close()
        await self._notify()

    async def close(self) -> None:
        await self.end_session()
        for track in (self.audio, self.video):
            if track is not None:
                track.stop()


# --------------------------------------------------------------------------------------------- CLI


async def run(args: argparse.Namespace) -> int:
    if args.host_address:
        hook.use_host_addresses(args.host_address)
    servers: list[str] = args.server
    token = args.token or await asyncio.to_thread(login, servers, args.username, args.password)
    turn = 0  # the server asked: the next one after one that could not be reached

    async def connect() -> Signal:
        nonlocal token, turn
        try:
            return await WebSocketSignal(ws_url(servers[turn % len(servers)], args.meeting), token).open()
        except OSError:
            turn += 1
            raise
        except Refused as exc:
            if exc.code == "unauthenticated" and args.username and args.password:  # the token expired
                token = await asyncio.to_thread(login, servers, args.username, args.password)
            raise

    agent = Agent(
        AgentOptions(
            bridge_point_id=args.bridge_point,
            console=args.console,
            slots=args.slots,
            low_bandwidth=args.low_bandwidth,
            source=args.source,
            pace=args.pace_mbps * 1e6,
        )
    )
    stop = asyncio.Event()
    joined = asyncio.create_task(agent.keep_joined(connect, stop))
    started = time.time()
    try:
        while not joined.done() and (args.duration <= 0 or time.time() - started < args.duration):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(joined), args.every)
            sys.stdout.write(json.dumps(await agent.stats(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        if joined.done() and joined.exception() is not None:
            sys.stderr.write(f"cauhop-agent: {joined.exception()}\n")
            return 1
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, Refused):
            await joined
        await agent.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cauhop-agent", description="Join a Cầu Họp meeting's media as a bridge point."
    )
    parser.add_argument(
        "--server",
        required=True,
        action="append",
        help="the Cầu Họp server, e.g. http://127.0.0.1:8000 (again: another to ask when it is unreachable)",
    )
    parser.add_argument("--meeting", type=int, required=True)
    parser.add_argument(
        "--bridge-point", type=int, help="the bridge point this agent is (omit with --console)"
    )
    parser.add_argument("--source", default="testsrc", help="testsrc, a media file, or /dev/videoN")
    parser.add_argument("--console", action="store_true", help="join as the chair's console (receive only)")
    parser.add_argument("--slots", type=int, default=2, help="receiving slots (console: 1 + last-N)")
    parser.add_argument("--low-bandwidth", action="store_true", help="receive audio only")
    parser.add_argument(
        "--pace-mbps",
        type=float,
        default=DEFAULT_RATE / 1e6,
        help="send video at most this fast, so a keyframe is spread over time as browsers do (0: unpaced)",
    )
    parser.add_argument("--token", help="a bearer token (or --username/--password)")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--host-address", action="append", help="gather ICE candidates on this address only")
    parser.add_argument("--duration", type=float, default=0, help="seconds to stay (0: until interrupted)")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between stats lines")
    args = parser.parse_args(argv)
    if not args.token and not (args.username and args.password):
        parser.error("give --token, or --username and --password")
    if args.bridge_point is None and not args.console:
        parser.error("give --bridge-point, or --console")
    logging.basicConfig(level=logging.INFO, format="cauhop-agent: %(message)s", stream=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
