"""The bridge-point agent: joins a meeting's media as a bridge point (or the chair's console) with aiortc.

    cauhop-agent --server http://127.0.0.1:8000 --meeting 1 --bridge-point 7 --source testsrc \\
        --username secretary --password demo

It publishes a camera (``testsrc``: a synthetic picture that carries the bridge point id and a frame
counter as bars, so a receiver can tell who it sees; or a media FILE; or ``/dev/videoN``) and a tone,
receives its slots (the speaker, the chair), and prints per-slot and per-stream stats. Tests and the bench
use ``Agent`` as a library with any ``Signal`` (the WebSocket, or an in-process session).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiortc import MediaStreamTrack, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from rtc import aiortc_hook as hook
from rtc.testsrc import PatternVideo, Pausable, open_source, read_pattern


class Signal(Protocol):
    """How an agent talks to the relay: JSON messages both ways."""

    async def send(self, message: dict[str, Any]) -> None: ...
    async def recv(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class WebSocketSignal:
    """``/ws/rtc/{meeting_id}`` with a bearer token."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self._ws: Any = None
        self.ice_servers: list[RTCIceServer] = []

    async def open(self) -> WebSocketSignal:
        """Connect; the server's ``hello`` gives the ICE servers to use (an ``error`` raises)."""
        from websockets.asyncio.client import connect

        self._ws = await connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"})
        hello = await self.recv()
        if hello.get("type") != "hello":
            raise RuntimeError(f"relay refused: {hello.get('code')}: {hello.get('detail')}")
        self.ice_servers = [
            RTCIceServer(s["urls"], s.get("username"), s.get("credential")) for s in hello["ice_servers"]
        ]
        return self

    async def send(self, message: dict[str, Any]) -> None:
        await self._ws.send(json.dumps(message))

    async def recv(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await self._ws.recv())
        return data

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


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
        self._changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, signal: Signal) -> None:
        self.signal = signal
        o = self.options
        servers = list(o.ice_servers) or list(getattr(signal, "ice_servers", []))
        pc = self.pc = RTCPeerConnection(hook.configuration(servers))
        if o.publish and not o.console:
            self.audio, self.video = open_source(o.source, o.bridge_point_id or 0, o.loudness)
            if isinstance(self.video, PatternVideo):
                self.video.fps = o.fps
        receivers: list[tuple[int, str, Any]] = []
        for slot in range(o.slots):
            for kind in ("audio", "video"):
                if o.console and kind == "audio":
                    continue
                track = (self.audio if kind == "audio" else self.video) if slot == 0 else None
                direction = "sendrecv" if track is not None else "recvonly"
                receivers.append((slot, kind, pc.addTransceiver(track or kind, direction=direction)))
        if o.slots == 0 and o.publish:
            for track in (self.audio, self.video):
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
        for slot, kind, transceiver in receivers:
            self._tasks.append(
                asyncio.create_task(self._consume(self.slots[slot], kind, transceiver.receiver.track))
            )
        self._tasks.append(asyncio.create_task(self._listen()))

    async def _until_answer(self) -> str:
        assert self.signal is not None
        while True:
            message = await self.signal.recv()
            self.messages.append(message)
            if message.get("type") == "answer":
                return str(message["sdp"])
            if message.get("type") == "error":
                raise RuntimeError(f"relay refused: {message.get('code')}: {message.get('detail')}")
            self._apply(message)

    async def _listen(self) -> None:
        assert self.signal is not None
        with contextlib.suppress(Exception):
            while True:
                message = await self.signal.recv()
                self.messages.append(message)
                self._apply(message)
                async with self._changed:
                    self._changed.notify_all()

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
                async with self._changed:
                    self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> None:
        """Wait (at most ``within`` seconds) until ``predicate()`` holds after a frame or a message."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def send(self, message: dict[str, Any]) -> None:
        assert self.signal is not None
        await self.signal.send(message)

    async def stats(self) -> dict[str, Any]:
        """Per-stream numbers from aiortc's own statistics, and what each slot showed."""
        out: dict[str, Any] = {"slots": [], "streams": []}
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
        if self.pc is not None:
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

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.pc is not None:
            await self.pc.close()
        if self.signal is not None:
            with contextlib.suppress(Exception):
                await self.signal.close()


# --------------------------------------------------------------------------------------------- CLI


def ws_url(server: str, meeting_id: int) -> str:
    base = server.rstrip("/")
    base = "ws" + base[4:] if base.startswith("http") else base
    return f"{base}/ws/rtc/{meeting_id}"


def login(server: str, username: str, password: str) -> str:
    import httpx

    r = httpx.post(
        server.rstrip("/") + "/api/auth/login", json={"username": username, "password": password}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


async def run(args: argparse.Namespace) -> int:
    if args.host_address:
        hook.use_host_addresses(args.host_address)
    token = args.token or login(args.server, args.username, args.password)
    signal = await WebSocketSignal(ws_url(args.server, args.meeting), token).open()
    agent = Agent(
        AgentOptions(
            bridge_point_id=args.bridge_point,
            console=args.console,
            slots=args.slots,
            low_bandwidth=args.low_bandwidth,
            source=args.source,
        )
    )
    await agent.start(signal)
    started = time.time()
    try:
        while args.duration <= 0 or time.time() - started < args.duration:
            await asyncio.sleep(args.every)
            sys.stdout.write(json.dumps(await agent.stats(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
    finally:
        await agent.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cauhop-agent", description="Join a Cầu Họp meeting's media as a bridge point."
    )
    parser.add_argument("--server", required=True, help="the Cầu Họp server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--meeting", type=int, required=True)
    parser.add_argument(
        "--bridge-point", type=int, help="the bridge point this agent is (omit with --console)"
    )
    parser.add_argument("--source", default="testsrc", help="testsrc, a media file, or /dev/videoN")
    parser.add_argument("--console", action="store_true", help="join as the chair's console (receive only)")
    parser.add_argument("--slots", type=int, default=2, help="receiving slots (console: 1 + last-N)")
    parser.add_argument("--low-bandwidth", action="store_true", help="receive audio only")
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
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
