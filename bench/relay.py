"""Media relay: forwarded 1.5 Mbps VP8 legs on loopback vs aiortc's transcoding ``MediaRelay`` and Janus.

One run, on this machine, loopback only (ICE host candidates on 127.0.0.x, no STUN); every relay in its own
process, the load in others:
  1. direct: a publisher straight to one receiver (no relay): the latency baseline.
  2. forward: the Cầu Họp relay (``rtc.relay``); two publishers (the chair and the speaker) send a
     pre-encoded 640x360 30 fps VP8 clip at ~1.5 Mbps; N receiving legs (each room gets the speaker and the
     chair). Per N: the relay's CPU (per leg, and µs per packet out), loss at the receivers (no NACK
     repair, so raw), the one-way latency publisher → relay → receiver (p50/p99) minus the direct baseline:
     the added latency per hop, and the relay's own delay (arrival → socket).
  3. transcode: the same load through aiortc's ``MediaRelay`` (decode once, one encoder per viewer) with a
     few legs: its CPU per leg, for the ratio.
  4. Janus: the same load through Debian's Janus VideoRoom when it is installed (see ``relay_janus.py``).
  5. sharded: the forwarding relay as two processes, the second linked to the first as a district relay
     is (``CascadeLink``), the legs split between them: what a second core buys.
Each runs twice: with publishers that send each frame in one burst (as aiortc does) and with publishers
paced as browsers pace (``rtc.pacing``, as ``cauhop-agent`` now sends); a keyframe (~75 KB) in one burst
makes every packet behind it wait for its fan-out to all legs. The clip loops every 2 s with a keyframe at its
start; the speaker's starts half-way (``--keyframes apart``), so the two cameras' keyframes alternate as two
independent encoders' would, rather than meeting every 2 s (``--keyframes together``: the worst case, held).
The publishers' process holds one full receiver that measures latency (one more on the second process when
sharded), from a packet's send to its arrival at the receiver's socket as the kernel stamped it
(``Sink.wire_stamps``), so the measuring process's own delays are not the relay's; the other legs are
counted from their RTP headers off the socket, never decrypted (``Sink.fast_path``), in processes at nice
10 (``--load-nice``): in a deployment the receivers are other machines, and here they should not take a
core from the relay under test while it has work. A run that fails becomes a row saying why. Prints a
markdown table and the targets met / not met.

    .venv/bin/python bench/relay.py [--legs 20,60,100,150] [--seconds 8] [--transcode-legs 4]
                                    [--janus-legs 20,150] [--sharded-legs 150]
                                    [--publishers bursts,paced] [--pace-mbps 3.75]
                                    [--keyframes apart|together] [--load-nice 10]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import fcntl
import fractions
import gc
import json
import math
import os
import pickle
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402
import relay_janus as janus  # noqa: E402
import uvloop  # noqa: E402
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription  # noqa: E402

from rtc import aiortc_hook as hook  # noqa: E402
from rtc.cascade_link import CascadeLink  # noqa: E402
from rtc.pacing import DEFAULT_RATE  # noqa: E402
from rtc.relay import Member, Relay  # noqa: E402
from rtc.rtcp import is_rtcp  # noqa: E402
from rtc.rtp import RtpPacket, SeqUnwrapper  # noqa: E402
from rtc.signaling import DirectSignal  # noqa: E402

MEETING, CHAIR, SPEAKER = 1, 1, 2
FPS, WIDTH, HEIGHT, BITRATE = 30, 640, 360, 1_500_000
JOIN_BATCH = 4  # receiving connections a load process opens at once
KEYFRAMES = "apart"  # the two publishers' keyframes: "apart" (1 s between them) or "together"
DEFAULT_LOAD_NICE = (
    10  # the counting receivers' niceness: the legs' receivers are other machines in a deployment
)
LOAD_NICE = DEFAULT_LOAD_NICE
PACE = 0.0  # bits/s at which the publishers send video (``hook.pace``, as browsers do); 0: bursts, as aiortc


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


# ------------------------------------------------------------------------------------------ the clip


def make_clip(path: Path, seconds: float = 2.0) -> None:
    """A looping VP8 clip (keyframe first) at ~1.5 Mbps: a moving gradient, a box and some noise."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.bit_rate = BITRATE
    codec.time_base = fractions.Fraction(1, FPS)
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "minrate": str(BITRATE),
        "maxrate": str(BITRATE),
        "bufsize": str(BITRATE),
    }
    rng = np.random.default_rng(5)
    frames: list[bytes] = []
    for i in range(int(seconds * FPS)):
        y = (np.add.outer(np.arange(HEIGHT), np.arange(WIDTH)) + i * 4).astype(np.uint8)
        x0 = (i * 9) % (WIDTH - 120)
        y[100:220, x0 : x0 + 120] = 255 - y[100:220, x0 : x0 + 120]
        y = (y + rng.integers(0, 24, y.shape, dtype=np.uint8)).astype(np.uint8)
        yuv = np.concatenate([y, np.full((HEIGHT // 2, WIDTH), 128, np.uint8)])
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = i
        frame.pict_type = av.video.frame.PictureType.I if i == 0 else av.video.frame.PictureType.NONE
        frames += [bytes(p) for p in codec.encode(frame)]
    frames += [bytes(p) for p in codec.encode(None)]
    path.write_bytes(pickle.dumps(frames))


def read_clip(path: Path) -> list[bytes]:
    frames: list[bytes] = pickle.loads(path.read_bytes())
    return frames


class ClipTrack(MediaStreamTrack):
    """Sends the clip's encoded frames (aiortc packetizes pre-encoded packets), looping, paced at 30 fps."""

    kind = "video"

    def __init__(self, frames: list[bytes], start: int = 0) -> None:
        super().__init__()
        self.frames, self.i, self.n = frames, start, 0
        self.t0 = time.time()

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        due = self.t0 + self.n / FPS
        if due > time.time():
            await asyncio.sleep(due - time.time())
        packet = av.Packet(self.frames[self.i])
        packet.pts, packet.time_base = self.n, fractions.Fraction(1, FPS)
        self.i = (self.i + 1) % len(self.frames)
        self.n += 1
        return packet


# ------------------------------------------------------------------------------------ relay process


class Transcoder:
    """aiortc's way: receive and decode each publisher once (``MediaRelay``), one encoder per viewer."""

    def __init__(self) -> None:
        from aiortc.codecs import vpx
        from aiortc.contrib.media import MediaRelay

        vpx.DEFAULT_BITRATE = BITRATE  # bench only: the viewers' encoders aim at the same 1.5 Mbps
        self.relay = MediaRelay()
        self.tracks: dict[int, MediaStreamTrack] = {}
        self.pcs: list[RTCPeerConnection] = []

    async def join(self, bp: int, sdp: str) -> str:
        pc = RTCPeerConnection(hook.configuration())
        self.pcs.append(pc)

        @pc.on("track")
        def track(t: MediaStreamTrack) -> None:
            self.tracks[bp] = t

        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        slot = 0
        for transceiver, (_, direction) in zip(
            pc.getTransceivers(), hook.offered_directions(sdp), strict=False
        ):
            if direction == "recvonly":
                source = self.tracks[SPEAKER if slot == 0 else CHAIR]
                transceiver.sender.replaceTrack(self.relay.subscribe(source))
                transceiver.direction = "sendonly"
                slot += 1
        await pc.setLocalDescription(await pc.createAnswer())
        assert pc.localDescription is not None
        return pc.localDescription.sdp


async def watch_lag(lags: list[float], every: float = 0.005) -> None:
    """How late the event loop runs a timer: about what a packet reaching the relay's socket waits before
    the relay reads it (libuv timers have a 1 ms resolution)."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + every
        await asyncio.sleep(every)
        lags.append(loop.time() - due)
        if len(lags) > 100_000:
            del lags[:50_000]


class LineSignal:
    """A shard's signaling to the relay above: JSON lines on the bench's control connection (``op: link``)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, message: dict[str, Any]) -> None:
        self.writer.write((json.dumps(message) + "\n").encode())
        await self.writer.drain()

    async def recv(self) -> dict[str, Any]:
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("the relay above closed the link's signaling")
        message: dict[str, Any] = json.loads(line)
        return message

    async def close(self) -> None:
        self.writer.close()


async def carry_link(relay: Relay, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The root's end of a shard's ``LineSignal``: the shard joins the room as a link (``DirectSignal``)."""
    direct = DirectSignal(relay, MEETING)

    async def down() -> None:
        while True:
            writer.write((json.dumps(await direct.recv()) + "\n").encode())
            await writer.drain()

    pump = asyncio.create_task(down())
    try:
        while line := await reader.readline():
            await direct.send(json.loads(line))
    finally:
        pump.cancel()
        await direct.close()


class Collections:
    """The garbage collector's pauses in this process (``gc.callbacks``): the longest since the last ``take``
    and how many full (generation 2) collections; the relay does nothing else meanwhile."""

    def __init__(self) -> None:
        self.longest, self.full, self._began = 0.0, 0, 0.0
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.longest = max(self.longest, time.perf_counter() - self._began)
        self.full += info["generation"] == 2

    def take(self) -> list[float]:
        out = [self.longest, float(self.full)]
        self.longest, self.full = 0.0, 0
        return out


async def serve(mode: str, port: int, upstream: int | None = None) -> None:
    """A relay process; ``upstream``: the port of the relay this one is a shard of (it links up to its room,
    as a district relay does in a cascade, and serves the legs that join it)."""
    hook.use_host_addresses(["127.0.0.1"])
    relay = Relay() if mode == "forward" else None
    transcoder = Transcoder() if mode == "transcode" else None
    done = asyncio.Event()
    lags: list[float] = []
    watcher = asyncio.create_task(watch_lag(lags))
    collections_ = Collections()
    link: CascadeLink | None = None
    if upstream is not None:
        assert relay is not None
        link = CascadeLink(relay, MEETING, f"shard-{port}")
        reader, writer = await asyncio.open_connection("127.0.0.1", upstream)
        writer.write(b'{"op": "link"}\n')
        await link.start(LineSignal(reader, writer))
        await asyncio.wait_for(link.connected.wait(), 30)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            msg = json.loads(line)
            reply: dict[str, Any] = {}
            if msg["op"] == "link" and relay is not None:
                await carry_link(relay, reader, writer)
                return
            if msg["op"] == "join":
                if relay is not None:
                    member = Member(f"bp:{msg['bp']}", msg["bp"])
                    _, reply["sdp"] = await relay.join(MEETING, member, msg["sdp"])
                else:
                    assert transcoder is not None
                    reply["sdp"] = await transcoder.join(msg["bp"], msg["sdp"])
            elif msg["op"] == "floor" and relay is not None:
                room = relay.rooms[MEETING]
                room.floor.chair, room.floor.granted = CHAIR, SPEAKER
                await room.replan()
            elif msg["op"] == "cpu":
                t = os.times()
                reply["cpu"], reply["system"] = t.user + t.system, t.system
                reply["lag"] = [pct(lags, 0.5), pct(lags, 0.99)] if lags else [None, None]
                reply["gc"] = collections_.take()
                lags.clear()
                if relay is not None and MEETING in relay.rooms:
                    room = relay.rooms[MEETING]
                    reply["forwarded"] = room.forwarded
                    reply["peers"], reply["publishers"] = len(room.peers), sorted(room.publishers())
                    reply["delay"] = [room.delays.percentile(0.5), room.delays.percentile(0.99)]
                    room.delays.clear()
            elif msg["op"] == "stop":
                done.set()
            writer.write((json.dumps(reply) + "\n").encode())
            await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await done.wait()
    server.close()
    watcher.cancel()
    if link is not None:
        await link.close()
    if relay is not None:
        await relay.close()


# ------------------------------------------------------------------------------------- load process


class Control:
    """A load process's line to a ``--serve`` relay: one question at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.lock = asyncio.Lock()

    async def ask(self, **msg: Any) -> dict[str, Any]:
        async with self.lock:
            self.writer.write((json.dumps(msg) + "\n").encode())
            await self.writer.drain()
            reply: dict[str, Any] = json.loads(await self.reader.readline())
        return reply


class Sent:
    """When each publisher sent each packet, keyed by the payload's last bytes (the relay keeps them); with
    paced publishers also how long after its frame's first packet was handed to the pacer (``held``)."""

    def __init__(self) -> None:
        self.at: dict[tuple[int, bytes], float] = {}
        self.held: dict[tuple[int, bytes], float] = {}
        self.frames: dict[tuple[int, bytes], float] = {}  # (publisher, RTP timestamp) → first handed

    def observer(self, bp: int) -> Any:
        def seen(data: bytes) -> None:
            if not is_rtcp(data):
                key, now = (bp, data[-12:]), time.time()
                self.at[key] = now
                handed = self.frames.get((bp, data[4:8]))
                if handed is not None:
                    self.held[key] = now - handed
                if len(self.at) > 50_000:
                    for book in (self.at, self.held, self.frames):
                        for old in list(book)[: len(book) // 2]:
                            del book[old]

        return seen

    def handover(self, bp: int) -> Any:
        def seen(data: bytes) -> None:
            if not is_rtcp(data):
                self.frames.setdefault((bp, data[4:8]), time.time())

        return seen


SIOCGSTAMP = 0x8906  # Linux: when the last datagram read from a socket reached it (struct timeval)


class Sink:
    """One receiving connection: counts packets and sequence gaps per leg, and one-way latency.

    ``full``: every packet goes through aiortc (ICE, SRTP) and is matched to its send time (latency). Its
    arrival is when the datagram reached the receiver's socket, as the kernel stamped it (``wire_stamps``),
    so the measuring process's own scheduling delay is not counted as the relay's (that delay is kept apart:
    ``app_latency``, arrival as the receiving code sees it). Else, once every leg has started (``fast_path``),
    packets are counted from their RTP header straight off the socket, never decrypted: a cheap load
    generator, so that the relay is what is measured.
    """

    def __init__(self, sent: Sent, full: bool = True) -> None:
        self.sent, self.full = sent, full
        self.publishers: dict[int, int] = {}  # leg SSRC → publishing bridge point
        self.pc: RTCPeerConnection | None = None
        self.unwrap: dict[int, SeqUnwrapper] = {}
        self.first: dict[int, int] = {}
        self.received: dict[int, int] = {}
        self.bytes = 0
        self.latency: list[float] = []  # from the publisher's send to the receiver's socket
        self.app_latency: list[float] = []  # to the receiving code (after its own process's delays)
        self.arrived: dict[tuple[int, int], float] = {}  # (SSRC, sequence number) → kernel's arrival stamp
        self.waits: list[float] = []  # how long after its frame was handed to the pacer each packet left
        self.measuring = False
        self.started = asyncio.Event()
        self.legs = 0
        self.fast = False

    async def on_rtp(self, data: bytes, now: float) -> None:
        self.count(data, 0)
        if self.measuring and self.full:
            packet = RtpPacket.parse(data)
            key = (self.publishers.get(packet.ssrc, 0), data[-12:])
            sent, held = self.sent.at.get(key), self.sent.held.get(key)
            arrived = self.arrived.pop((packet.ssrc, packet.sequence_number), None)
            if sent is not None and arrived is not None:
                self.latency.append(arrived - sent)
                self.app_latency.append(now - sent)
                if held is not None:
                    self.waits.append(held)

    def count(self, data: bytes, trailer: int) -> None:
        ssrc = int.from_bytes(data[8:12])
        ext = self.unwrap.setdefault(ssrc, SeqUnwrapper()).unwrap(int.from_bytes(data[2:4]))
        if ssrc not in self.first:
            self.first[ssrc] = ext
            self.received[ssrc] = 0
            if len(self.first) == self.legs:
                self.started.set()
                # from now on off the socket: cheaply (a load), or with the kernel's stamps (a measure)
                asyncio.get_running_loop().call_soon(self.wire_stamps if self.full else self.fast_path)
        if self.measuring:
            self.received[ssrc] += 1
            self.bytes += len(data) - trailer

    def fast_path(self) -> None:
        if self.full or self.fast:
            return
        self.fast = True
        assert self.pc is not None
        pair = hook.dtls_transport(self.pc).transport._connection._nominated[1]
        protocol = pair.protocol
        slow = protocol.datagram_received

        def received(data: bytes, addr: tuple[Any, ...]) -> None:
            if len(data) >= 12 and 128 <= data[0] < 192 and not 192 <= data[1] < 224:
                self.count(data, 10)  # SRTP: the RTP header is in clear, then payload and a 10-byte tag
            else:
                slow(data, addr)  # STUN, DTLS, RTCP

        protocol.datagram_received = received  # type: ignore[method-assign,assignment]

    def wire_stamps(self) -> None:
        """Stamp each RTP datagram with when it reached this socket (``SIOCGSTAMP`` right after the event
        loop read it: libuv hands each datagram over as it reads it), to match it after decryption."""
        assert self.pc is not None
        protocol = hook.dtls_transport(self.pc).transport._connection._nominated[1].protocol
        fd = protocol.transport.get_extra_info("socket").fileno()
        slow = protocol.datagram_received
        arrived = self.arrived

        def received(data: bytes, addr: tuple[Any, ...]) -> None:
            if len(data) >= 12 and 128 <= data[0] < 192 and not 192 <= data[1] < 224:
                seconds, micros = struct.unpack("qq", fcntl.ioctl(fd, SIOCGSTAMP, bytes(16)))
                if len(arrived) > 10_000:  # what never reached the receiving code (duplicates, RTX)
                    arrived.clear()
                arrived[int.from_bytes(data[8:12]), int.from_bytes(data[2:4])] = seconds + micros / 1e6
            slow(data, addr)

        protocol.datagram_received = received  # type: ignore[method-assign,assignment]

    def reset(self) -> None:
        for ssrc, u in self.unwrap.items():
            self.first[ssrc] = (u.highest or 0) + 1
            self.received[ssrc] = 0
        self.bytes, self.latency, self.app_latency, self.waits, self.measuring = 0, [], [], [], True

    def loss(self) -> tuple[int, int]:
        expected = sum((self.unwrap[s].highest or 0) - self.first[s] + 1 for s in self.first)
        return expected, sum(self.received.values())


async def rtcp_ignored(data: bytes) -> None:
    return None


class Peers:
    """How a load process connects publishers and receivers to the relay under test."""

    def __init__(self, mode: str, port: int, room: int) -> None:
        self.mode, self.port, self.room = mode, port, room
        self.control: Control | None = None
        self.janus: janus.Janus | None = None

    async def open(self) -> None:
        if self.mode == "janus":
            self.janus = janus.Janus(f"http://127.0.0.1:{self.port}")
            await self.janus.open()
        else:
            self.control = Control(*await asyncio.open_connection("127.0.0.1", self.port))

    async def close(self) -> None:
        if self.janus is not None:
            await self.janus.close()
        if self.control is not None:
            self.control.writer.close()

    async def publish(self, bp: int, frames: list[bytes], sent: Sent) -> RTCPeerConnection:
        pc = RTCPeerConnection(hook.configuration())
        start = len(frames) // 2 if bp == SPEAKER and KEYFRAMES == "apart" else 0
        pc.addTransceiver(ClipTrack(frames, start), direction="sendonly")
        if self.janus is not None:
            await janus.publish(self.janus, self.room, bp, pc)
        else:
            assert self.control is not None
            await pc.setLocalDescription(await pc.createOffer())
            assert pc.localDescription is not None
            answer = await self.control.ask(op="join", bp=bp, sdp=pc.localDescription.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        hook.observe_sent(pc, sent.observer(bp))
        if PACE:
            hook.pace(pc, PACE)  # after the observer: a packet's send time is when the pacer lets it go
            hook.observe_sent(pc, sent.handover(bp))
        return pc

    async def receive(self, bp: int, feeds: list[int], sink: Sink) -> RTCPeerConnection:
        """A receiving connection with one leg per feed (the speaker's, then the chair's)."""
        pc = RTCPeerConnection(hook.configuration())

        def tap() -> None:
            hook.never_decode(pc)
            hook.PacketTap(hook.dtls_transport(pc), sink.on_rtp, rtcp_ignored)

        if self.janus is not None:
            await janus.subscribe(self.janus, self.room, feeds, pc, tap)
        else:
            assert self.control is not None
            for _ in feeds:
                pc.addTransceiver("video", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            assert pc.localDescription is not None
            answer = await self.control.ask(op="join", bp=bp, sdp=pc.localDescription.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
            tap()
        lines = [line for line in hook.negotiated_lines(pc) if line.kind == "video"]
        sink.publishers = {line.remote_ssrc or 0: feed for line, feed in zip(lines, feeds, strict=False)}
        sink.legs = len(feeds)
        sink.pc = pc
        return pc


async def load_child(
    role: str,
    mode: str,
    port: int,
    room: int,
    legs: int,
    first: int,
    frames: list[bytes],
    shards: Sequence[int] = (),
) -> None:
    """A load process: ``publish`` (the two publishers and one full receiving connection, which measures
    latency; one more on each shard relay, at the ports ``shards``) or ``receive`` (``legs`` more legs that
    only count packets). Told ``start`` and ``stop`` on stdin, answers ``ready`` and then its counts as JSON
    on stdout."""
    hook.use_host_addresses([janus.ADDRESS if mode == "janus" else "127.0.0.1"])
    peers = Peers(mode, port, room)
    await peers.open()
    sent = Sent()
    pcs: list[RTCPeerConnection] = []
    if role == "receive" and LOAD_NICE:
        os.nice(LOAD_NICE)
    if role == "publish":
        if peers.janus is not None:
            await janus.create_room(peers.janus, room, 4, 2 * BITRATE)
        pcs += [await peers.publish(bp, frames, sent) for bp in (CHAIR, SPEAKER)]
        if peers.control is not None and mode == "forward":
            await peers.control.ask(op="floor")
    sinks = [Sink(sent, full=role == "publish") for _ in range(math.ceil(legs / 2))]
    for batch in range(0, len(sinks), JOIN_BATCH):
        joins = [
            peers.receive(first + i, [SPEAKER, CHAIR][: min(2, legs - 2 * i)], sinks[i])
            for i in range(batch, min(batch + JOIN_BATCH, len(sinks)))
        ]
        pcs += await asyncio.gather(*joins)
    via: list[Sink] = []  # the measuring connections on the shards
    others = [Peers(mode, p, room) for p in shards]
    for k, shard in enumerate(others):
        await shard.open()
        via.append(Sink(sent))
        pcs.append(await shard.receive(first + 50 + k, [SPEAKER, CHAIR], via[-1]))
    sinks += via
    await asyncio.wait_for(asyncio.gather(*(s.started.wait() for s in sinks)), 60)
    say("ready")
    assert await asyncio.to_thread(sys.stdin.readline) == "start\n"
    cpu0, t0 = sum(os.times()[:2]), time.time()
    for s in sinks:
        s.reset()
    assert await asyncio.to_thread(sys.stdin.readline) == "stop\n"
    for s in sinks:
        s.measuring = False
    elapsed, cpu = time.time() - t0, sum(os.times()[:2]) - cpu0
    latency = [x for s in sinks if s not in via for x in s.latency]
    latency_via = [x for s in via for x in s.latency]
    app_latency = [x for s in sinks if s not in via for x in s.app_latency]
    waits = [x for s in sinks for x in s.waits]
    say(
        json.dumps(
            {
                "expected": sum(s.loss()[0] for s in sinks),
                "received": sum(s.loss()[1] for s in sinks),
                "bytes": sum(s.bytes for s in sinks),
                "elapsed": elapsed,
                "cpu": cpu,
                "latency": latency[:: max(1, len(latency) // 20000)],
                "latency_via": latency_via[:: max(1, len(latency_via) // 20000)],
                "app_latency": app_latency[:: max(1, len(app_latency) // 20000)],
                "waits": waits[:: max(1, len(waits) // 20000)],
            }
        )
    )
    for pc in pcs:
        await pc.close()
    for each in (peers, *others):
        await each.close()


def sample_cpu(every: float = 0.001) -> collections.Counter[str]:
    """Python stacks sampled every ``every`` seconds of this process's CPU time (SIGPROF), so time spent
    waiting for a core is not counted; a sample inside a C call lands on the Python line that made it."""
    samples: collections.Counter[str] = collections.Counter()

    def sample(signum: int, frame: Any) -> None:
        stack: list[str] = []
        while frame is not None and len(stack) < 12:
            code = frame.f_code
            stack.append(f"{Path(code.co_filename).name}:{code.co_name}:{frame.f_lineno}")
            frame = frame.f_back
        samples[";".join(reversed(stack))] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, every, every)
    return samples


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)


async def direct(seconds: float, frames: list[bytes]) -> dict[str, Any]:
    """Publisher straight to a receiver (no relay): the latency of the two aiortc ends alone."""
    hook.use_host_addresses(["127.0.0.1"])
    sent = Sent()
    pub = RTCPeerConnection(hook.configuration())
    pub.addTransceiver(ClipTrack(frames), direction="sendonly")
    await pub.setLocalDescription(await pub.createOffer())
    receiver = RTCPeerConnection(hook.configuration())
    assert pub.localDescription is not None
    await receiver.setRemoteDescription(pub.localDescription)
    hook.never_decode(receiver)
    s = Sink(sent)
    s.legs, s.pc = 1, receiver
    hook.PacketTap(hook.dtls_transport(receiver), s.on_rtp, rtcp_ignored)
    await receiver.setLocalDescription(await receiver.createAnswer())
    assert receiver.localDescription is not None
    await pub.setRemoteDescription(receiver.localDescription)
    hook.observe_sent(pub, sent.observer(0))
    if PACE:
        hook.pace(pub, PACE)
    await asyncio.wait_for(s.started.wait(), 30)
    s.reset()
    await asyncio.sleep(seconds)
    s.measuring = False
    await pub.close()
    await receiver.close()
    return {
        "latency_p50_ms": round(1000 * pct(s.latency, 0.5), 2),
        "latency_p99_ms": round(1000 * pct(s.latency, 0.99), 2),
        "app_latency_p50_ms": round(1000 * pct(s.app_latency, 0.5), 2),
        "app_latency_p99_ms": round(1000 * pct(s.app_latency, 0.99), 2),
        "mbps": round(s.bytes * 8 / seconds / 1e6, 2),
    }


# ------------------------------------------------------------------------------------- orchestrator


class Child:
    """A process of this script, driven line by line over its stdin and stdout (stderr to ``log``)."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.args, self.log = args, log
        with log.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, __file__, *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        self._reader = ThreadPoolExecutor(1)

    def expect(self, timeout: float = 120) -> str:
        assert self.proc.stdout is not None
        try:
            line = self._reader.submit(self.proc.stdout.readline).result(timeout)
        except FutureTimeout:
            line = ""
        if not line:
            self.stop()
            raise RuntimeError(f"{' '.join(self.args[:2])} failed:\n{self.log.read_text()[-3000:]}")
        return line.strip()

    def tell(self, word: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._reader.shutdown(wait=False, cancel_futures=True)


class SyncControl:
    """The orchestrator's line to a ``--serve`` relay (its CPU time, stop)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rw")

    def ask(self, **msg: Any) -> dict[str, Any]:
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        reply: dict[str, Any] = json.loads(self.file.readline())
        return reply


def split(legs: int, per_process: int = 80) -> list[int]:
    """Receiving legs spread over load processes, in pairs (a connection gets the speaker and the chair)."""
    if legs <= 0:
        return []
    procs = math.ceil(legs / per_process)
    pairs = [
        math.ceil(legs / 2) // procs + (1 if i < math.ceil(legs / 2) % procs else 0) for i in range(procs)
    ]
    out = [2 * p for p in pairs if p]
    out[-1] -= sum(out) - legs
    return out


def one_load(
    mode: str, legs: int, seconds: float, clip: Path, work: Path, pace: float, shards: int = 1
) -> dict[str, Any]:
    """The relay under test (``forward``, ``transcode`` or ``janus``) with 2 publishers (paced at ``pace``
    bits/s, 0: not) and ``legs`` legs. ``shards`` > 1 (forward only): as many relay processes, the others
    linked to the first (``CascadeLink``) and the receiving legs split evenly among them."""
    port = free_port()
    ports = [port]
    controls: list[SyncControl] = []
    relays: list[Child] = []
    janus_proc: subprocess.Popen[Any] | None = None
    if mode == "janus":
        janus_proc = janus.start(work / f"janus-{port}", port)
        pid = janus_proc.pid
        relay_pids = [pid]

        def cpu() -> dict[str, Any]:
            return {"cpu": janus.cpu_seconds(pid)}
    else:
        for k in range(shards):
            if k:
                ports.append(free_port())
            upstream = ["--upstream", str(port)] if k else []
            serve = ["--serve", mode, "--port", str(ports[k]), *upstream]
            relays.append(Child(serve, work / f"relay{k}.log"))
            relays[-1].expect()
            controls.append(SyncControl(ports[k]))
        relay_pids = [r.proc.pid for r in relays]

        def cpu() -> dict[str, Any]:
            return merged([c.ask(op="cpu") for c in controls])

    common = ["--relay", mode, "--room", "1234", "--clip", str(clip), "--pace-mbps", str(pace / 1e6)]
    common += ["--keyframes", KEYFRAMES, "--load-nice", str(LOAD_NICE)]
    children: list[Child] = []
    try:
        publish = ["--child", "publish", "--legs", "2", "--first", "100", "--port", str(port)]
        if shards > 1:
            publish += ["--shard-ports", ",".join(map(str, ports[1:]))]
        children.append(Child([*publish, *common], work / "p.log"))
        children[0].expect()
        share = (legs - 2 * shards) // shards  # each relay also serves one measuring connection
        for k, relay_port in enumerate(ports):
            n = share if k else legs - 2 * shards - share * (shards - 1)
            for j, count in enumerate(split(n)):
                first = 1000 + 500 * (len(children) - 1)
                args = ["--child", "receive", "--legs", str(count), "--first", str(first)]
                children.append(Child([*args, "--port", str(relay_port), *common], work / f"r{k}-{j}.log"))
        for child in children[1:]:
            child.expect()
        time.sleep(2.5)  # every leg past a keyframe (the clip has one every 2 s), encoders settled
        load_pids = [child.proc.pid for child in children]
        before, held = cpu(), (udp_drops(relay_pids), udp_drops(load_pids))
        stolen, began = steal_seconds(), time.time()
        for child in children:
            child.tell("start")
        time.sleep(seconds)
        for child in children:
            child.tell("stop")
        after = cpu()
        stolen = (steal_seconds() - stolen) / (time.time() - began) / (os.cpu_count() or 1)
        dropped = (
            dropped_since(held[0], udp_drops(relay_pids)),
            dropped_since(held[1], udp_drops(load_pids)),
        )
        results = [json.loads(child.expect()) for child in children]
    finally:
        for child in children:
            child.stop()
        for control in reversed(controls):
            control.ask(op="stop")
        for relay in reversed(relays):
            relay.proc.wait(30)
            relay.stop()
        if janus_proc is not None:
            janus_proc.terminate()
            janus_proc.wait(30)
    elapsed = statistics.mean(r["elapsed"] for r in results)
    expected, received = sum(r["expected"] for r in results), sum(r["received"] for r in results)
    latency, waits, via = results[0]["latency"], results[0]["waits"], results[0]["latency_via"]
    app = results[0]["app_latency"]
    relay_cpu = after["cpu"] - before["cpu"]
    forwarded = after.get("forwarded", 0) - before.get("forwarded", 0)
    return {
        "mode": mode,
        "legs": legs,
        "paced": pace > 0,
        "shards": shards,
        "relay_cpu_pct": 100 * relay_cpu / elapsed,
        "relay_system_cpu_pct": (
            100 * (after["system"] - before["system"]) / elapsed if "system" in after else None
        ),
        "relay_cpu_pct_per_leg": 100 * relay_cpu / elapsed / legs,
        "us_per_forwarded_packet": 1e6 * relay_cpu / forwarded if forwarded else None,
        "load_cpu_pct": 100 * sum(r["cpu"] for r in results) / elapsed,
        "mbps_per_leg": sum(r["bytes"] for r in results) * 8 / elapsed / legs / 1e6,
        "loss_pct": 100 * (expected - received) / expected if expected else None,
        "latency_p50_ms": 1000 * pct(latency, 0.5) if latency else None,
        "latency_p99_ms": 1000 * pct(latency, 0.99) if latency else None,
        "app_latency_p50_ms": 1000 * pct(app, 0.5) if app else None,
        "app_latency_p99_ms": 1000 * pct(app, 0.99) if app else None,
        "via_p50_ms": 1000 * pct(via, 0.5) if via else None,
        "via_p99_ms": 1000 * pct(via, 0.99) if via else None,
        "pacing_wait_p50_ms": 1000 * pct(waits, 0.5) if waits else None,
        "pacing_wait_p99_ms": 1000 * pct(waits, 0.99) if waits else None,
        "relay_delay_p50_ms": _ms(after.get("delay", [None])[0]),
        "relay_delay_p99_ms": _ms(after.get("delay", [None, None])[1]),
        "relay_lag_p50_ms": _ms(after.get("lag", [None])[0]),
        "relay_lag_p99_ms": _ms(after.get("lag", [None, None])[1]),
        "gc_joining_ms": _ms(before["gc"][0]) if "gc" in before else None,
        "gc_window_ms": _ms(after["gc"][0]) if "gc" in after else None,
        "steal_pct": 100 * stolen,
        "udp_dropped_relay": dropped[0],
        "udp_dropped_load": dropped[1],
        "publishers_left": None if "publishers" not in after else 2 - len(after["publishers"]),
    }


def merged(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The relay processes' ``cpu`` answers as one: times and counts summed; the root's publishers; of the
    delays and lags, the worst process's."""
    out: dict[str, Any] = {
        "cpu": sum(a["cpu"] for a in answers),
        "system": sum(a["system"] for a in answers),
        "forwarded": sum(a.get("forwarded", 0) for a in answers),
    }
    if "publishers" in answers[0]:
        out["publishers"] = answers[0]["publishers"]
    for key in ("delay", "lag"):
        pairs = [a[key] for a in answers if key in a and a[key][0] is not None]
        if pairs:
            out[key] = [max(p[0] for p in pairs), max(p[1] for p in pairs)]
    if all("gc" in a for a in answers):
        out["gc"] = [max(a["gc"][0] for a in answers), sum(a["gc"][1] for a in answers)]
    return out


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other machines while this one wanted it (``steal`` in /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def udp_drops(pids: list[int]) -> dict[str, int]:
    """Datagrams dropped so far at full receive buffers, by socket inode, for the UDP sockets these processes
    hold (the ``drops`` column of /proc/net/udp): so the relay's drops and the load's are told apart."""
    drops: dict[str, int] = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            drops[fields[9]] = int(fields[12])
    held: dict[str, int] = {}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in drops:
                held[link[8:-1]] = drops[link[8:-1]]
    return held


def dropped_since(before: dict[str, int], after: dict[str, int]) -> int:
    """Drops during a window, on the sockets still open at its end."""
    return sum(n - before.get(inode, 0) for inode, n in after.items())


def failed(mode: str, legs: int, pace: float, exc: Exception) -> dict[str, Any]:
    """A run that did not complete (its reason, shortened), as a row."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = next(
        (line for line in reversed(lines) if "Error" in line or "error" in line), lines[-1:] or [""]
    )
    return {"mode": mode, "legs": legs, "paced": pace > 0, "failed": str(reason)[:160]}


def through_janus(legs: int, seconds: float, clip: Path, work: Path, pace: float) -> dict[str, Any]:
    """``one_load`` of Janus, run in a private network namespace (Janus ignores loopback interfaces)."""
    command = [sys.executable, __file__, "--janus-run", str(work), "--legs", str(legs)]
    command += ["--seconds", str(seconds), "--clip", str(clip), "--pace-mbps", str(pace / 1e6)]
    command += ["--keyframes", KEYFRAMES, "--load-nice", str(LOAD_NICE)]
    out = subprocess.run(janus.in_namespace(command), capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"janus run failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def table(rows: list[dict[str, Any]], bases: dict[bool, dict[str, Any]]) -> None:
    """``bases``: the direct run (no relay) with bursting and with paced publishers."""
    print(
        "| relay | publishers | legs | relay CPU, % of a core | CPU per leg | µs CPU per packet out | loss "
        "| Mbps per leg "
        "| publisher's pacing wait p50 / p99 ms | one-way p50 / p99 ms | added per hop p50 / p99 ms "
        "| one-way to the receiving code p50 / p99 ms "
        "| through the second process: one-way p50 / p99 ms (2 hops) | inside the relay p50 / p99 ms "
        "| relay loop lag p50 / p99 ms | relay's longest GC pause, joins / window ms | load generator CPU "
        "| UDP drops relay / load "
        "| CPU stolen by the host |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = {
        "forward": "Cầu Họp (forwarding)",
        "transcode": "aiortc MediaRelay (transcoding)",
        "janus": "Janus",
    }
    for r in rows:
        publishers = "paced" if r["paced"] else "bursts"
        name = names[r["mode"]] + (f", {r['shards']} processes" if r.get("shards", 1) > 1 else "")
        if "failed" in r:
            print(f"| {name} | {publishers} | {r['legs']} | failed: {r['failed']} ||||||||||||||||")
            continue
        base = bases[r["paced"]]
        if r.get("publishers_left"):
            r["note"] = f"{r['publishers_left']} publisher(s) disconnected during the run"
        added = "—"
        if r["latency_p50_ms"] is not None:
            r["added_p50_ms"] = r["latency_p50_ms"] - base["latency_p50_ms"]
            r["added_p99_ms"] = r["latency_p99_ms"] - base["latency_p99_ms"]
            added = f"{r['added_p50_ms']:.1f} / {r['added_p99_ms']:.1f}"
        if r.get("via_p50_ms") is not None:  # two hops: publisher → first process → second → receiver
            r["via_added_p50_ms"] = r["via_p50_ms"] - base["latency_p50_ms"]
            r["via_added_p99_ms"] = r["via_p99_ms"] - base["latency_p99_ms"]
        print(
            f"| {name} | {publishers} | {r['legs']} | {r['relay_cpu_pct']:.0f}% "
            f"| {r['relay_cpu_pct_per_leg']:.2f}% "
            f"| {fmt(r['us_per_forwarded_packet'], 0)} | {fmt(r['loss_pct'], 2, '%')} "
            f"| {r['mbps_per_leg']:.2f} | {fmt(r['pacing_wait_p50_ms'])} / {fmt(r['pacing_wait_p99_ms'])} "
            f"| {fmt(r['latency_p50_ms'])} / {fmt(r['latency_p99_ms'])} | {added} "
            f"| {fmt(r.get('app_latency_p50_ms'))} / {fmt(r.get('app_latency_p99_ms'))} "
            f"| {fmt(r.get('via_p50_ms'))} / {fmt(r.get('via_p99_ms'))} "
            f"| {fmt(r['relay_delay_p50_ms'], 2)} / {fmt(r['relay_delay_p99_ms'], 2)} "
            f"| {fmt(r['relay_lag_p50_ms'], 2)} / {fmt(r['relay_lag_p99_ms'], 2)} "
            f"| {fmt(r.get('gc_joining_ms'))} / {fmt(r.get('gc_window_ms'))} "
            f"| {r['load_cpu_pct']:.0f}% | {r['udp_dropped_relay']} / {r['udp_dropped_load']} "
            f"| {r['steal_pct']:.0f}% |"
        )


def verdicts(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        if r.get("note"):
            print(f"- {r['mode']} at {r['legs']} legs: {r['note']}")
    rows = [r for r in rows if "failed" not in r]
    print()
    for paced in (False, True):
        if any(r["paced"] == paced and r["mode"] == "forward" for r in rows):
            print(f"Publishers {'paced' if paced else 'sending each frame in one burst'}:")
            verdicts_of([r for r in rows if r["paced"] == paced or r["mode"] == "transcode"])


def verdicts_of(rows: list[dict[str, Any]]) -> None:
    def say_target(name: str, ok: bool, detail: str) -> None:
        print(f"- {name}: **{'met' if ok else 'not met'}** ({detail})")

    for r in rows:
        if r["mode"] == "forward" and r["shards"] > 1 and r.get("via_added_p99_ms") is not None:
            say_target(
                f"≤ 5 ms added latency per hop, one relay process per core ({r['shards']} processes)",
                r["added_p99_ms"] <= 5 and r["via_added_p99_ms"] <= 2 * 5,
                f"{r['legs']} legs, {fmt(r['loss_pct'], 2, '%')} lost; legs at the first process: added p50 "
                f"{fmt(r.get('added_p50_ms'))} ms, p99 {fmt(r.get('added_p99_ms'))} ms; legs at the second "
                f"(2 hops): added p50 {fmt(r['via_added_p50_ms'])} ms, p99 {fmt(r['via_added_p99_ms'])} ms; "
                f"{r['relay_cpu_pct']:.0f}% of a core in all",
            )
    ours = [r for r in rows if r["mode"] == "forward" and r["shards"] == 1]
    clean = [
        r for r in ours if r["loss_pct"] is not None and r["loss_pct"] <= 1.0 and not r["publishers_left"]
    ]
    most = max(clean, key=lambda r: r["legs"]) if clean else None
    transcode = next((r for r in rows if r["mode"] == "transcode"), None)
    if most is None:
        say_target("≥ 150 legs with ≤ 1% loss", False, "no run stayed under 1% loss")
        return
    say_target(
        "≥ 150 legs with ≤ 1% loss (one relay process)",
        most["legs"] >= 150,
        f"most legs measured under 1% loss: {most['legs']}, {most['loss_pct']:.2f}% lost, "
        f"relay at {most['relay_cpu_pct']:.0f}% of one core",
    )
    say_target(
        "≤ 5 ms added latency per hop (one relay process)",
        most.get("added_p99_ms", 99) <= 5,
        f"at {most['legs']} legs: p50 {fmt(most.get('added_p50_ms'))} ms, "
        f"p99 {fmt(most.get('added_p99_ms'))} ms; "
        f"inside the relay p50 {fmt(most['relay_delay_p50_ms'], 2)} ms, "
        f"p99 {fmt(most['relay_delay_p99_ms'], 2)} ms",
    )
    if transcode is not None:
        ratio = most["relay_cpu_pct_per_leg"] / transcode["relay_cpu_pct_per_leg"]
        say_target(
            "CPU per leg ≤ 10% of the transcoding relay",
            ratio <= 0.10,
            f"{most['relay_cpu_pct_per_leg']:.2f}% at {most['legs']} legs vs "
            f"{transcode['relay_cpu_pct_per_leg']:.1f}% at {transcode['legs']} legs: {ratio:.1%}",
        )
    for r in rows:
        if r["mode"] == "janus":
            same = next((o for o in clean if o["legs"] == r["legs"]), None)
            if same is not None:
                print(
                    f"- Janus at {r['legs']} legs: {r['relay_cpu_pct_per_leg']:.2f}% per leg, "
                    "Cầu Họp / Janus CPU per leg: "
                    f"{same['relay_cpu_pct_per_leg'] / r['relay_cpu_pct_per_leg']:.1f}×"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--legs", default="20,60,100,150", help="receiving legs through the forwarding relay")
    parser.add_argument("--seconds", type=float, default=8.0, help="measurement window per run")
    parser.add_argument("--transcode-legs", type=int, default=4, help="0 to skip the transcoding relay")
    parser.add_argument("--janus-legs", default="20,150", help="legs through Janus ('' to skip)")
    parser.add_argument(
        "--sharded-legs",
        default="150",
        help="legs through two forwarding relay processes, the second linked to the first ('' to skip)",
    )
    parser.add_argument(
        "--publishers",
        default="bursts,paced",
        help="bursts (each frame at once, as aiortc sends), paced (at --pace-mbps, as browsers do), or both",
    )
    parser.add_argument(
        "--pace-mbps", type=float, default=DEFAULT_RATE / 1e6, help="the paced publishers' rate"
    )
    parser.add_argument(
        "--keyframes",
        choices=["apart", "together"],
        default="apart",
        help="the speaker's clip starts half-way, so its keyframes fall between the chair's (apart, as two "
        "cameras' would), or both clips start together and every keyframe of one meets one of the other",
    )
    parser.add_argument(
        "--load-nice",
        type=int,
        default=DEFAULT_LOAD_NICE,
        help="niceness of the processes that only count the legs' packets (0: as the relay), so that on a "
        "shared 2-core machine they wait while the relay under test has work, as other machines would",
    )
    parser.add_argument("--serve", choices=["forward", "transcode"], help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["publish", "receive"], help=argparse.SUPPRESS)
    parser.add_argument("--relay", choices=["forward", "transcode", "janus"], help=argparse.SUPPRESS)
    parser.add_argument("--direct", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", type=int, help=argparse.SUPPRESS)  # a shard relay: the root's port
    parser.add_argument("--shard-ports", default="", help=argparse.SUPPRESS)  # the publisher's measuring legs
    parser.add_argument("--room", type=int, default=1234, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--clip", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--janus-run", type=Path, help=argparse.SUPPRESS)  # its work folder
    args = parser.parse_args()
    global PACE, KEYFRAMES, LOAD_NICE
    PACE = args.pace_mbps * 1e6  # what a child process does; the orchestrator passes 0 for bursts
    KEYFRAMES, LOAD_NICE = args.keyframes, args.load_nice
    paces = {"bursts": 0.0, "paced": PACE}
    kinds = [paces[k] for k in args.publishers.split(",")]
    uvloop.install()  # as under `cauhop serve` (uvicorn picks uvloop when installed), and a cheaper load
    if args.serve:
        profile_to = os.environ.get("CAUHOP_RELAY_PROFILE")  # a file: where the relay's CPU time goes
        samples = sample_cpu() if profile_to else None
        asyncio.run(serve(args.serve, args.port, args.upstream))
        if profile_to and samples is not None:
            Path(f"{profile_to}.{args.port}").write_text(
                "".join(f"{n} {stack}\n" for stack, n in samples.most_common())
            )
        return
    if args.child:
        frames = read_clip(args.clip)
        legs = int(args.legs)
        shard_ports = [int(p) for p in args.shard_ports.split(",") if p]
        asyncio.run(
            load_child(args.child, args.relay, args.port, args.room, legs, args.first, frames, shard_ports)
        )
        return
    if args.direct:
        say(json.dumps(asyncio.run(direct(args.seconds, read_clip(args.clip)))))
        return
    if args.janus_run:  # inside the private network namespace (see relay_janus)
        say(json.dumps(one_load("janus", int(args.legs), args.seconds, args.clip, args.janus_run, PACE)))
        return
    # a SIGTERM (``timeout``) unwinds like an error: every child is stopped and the work folder removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    began, load_before = time.time(), load_average()
    with tempfile.TemporaryDirectory(prefix="cauhop-bench-relay-") as tmp:
        work = Path(tmp)
        clip = work / "clip.pickle"
        make_clip(clip)
        bases = {}
        for pace in {*kinds, 0.0}:
            probe_args = ["--direct", "--seconds", str(args.seconds), "--clip", str(clip)]
            probe = Child([*probe_args, "--pace-mbps", str(pace / 1e6)], work / "direct.log")
            bases[pace > 0] = json.loads(probe.expect())
            probe.stop()
            print(f"direct (no relay, paced {pace > 0}): {bases[pace > 0]}", file=sys.stderr, flush=True)
        plan = [("forward", int(n), pace, 1) for pace in kinds for n in args.legs.split(",")]
        plan += [("forward", int(n), pace, 2) for pace in kinds for n in args.sharded_legs.split(",") if n]
        if args.transcode_legs > 0:
            plan.append(("transcode", args.transcode_legs, 0.0, 1))
        why_not = janus.missing()
        if args.janus_legs and why_not is None:
            plan += [("janus", int(n), pace, 1) for pace in kinds for n in args.janus_legs.split(",")]
        rows = []
        for mode, legs, pace, shards in plan:
            try:
                if mode == "janus":
                    row = through_janus(legs, args.seconds, clip, work, pace)
                else:
                    row = one_load(mode, legs, args.seconds, clip, work, pace, shards)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                row = failed(mode, legs, pace, exc) | {"shards": shards}
            print(f"{mode} {legs}: {json.dumps(row)}", file=sys.stderr, flush=True)
            rows.append(row)
    print(
        f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(began))}, {time.time() - began:.0f} s, "
        f"keyframes {KEYFRAMES}; "
        "load average "
        f"before {load_before}, after {load_average()} ({os.cpu_count()} cores). Direct publisher → receiver "
        f"(no relay), publishers sending bursts: one-way p50 {bases[False]['latency_p50_ms']:.2f} ms, "
        f"p99 {bases[False]['latency_p99_ms']:.2f} ms"
        + (
            f"; paced: p50 {bases[True]['latency_p50_ms']:.2f} ms, p99 {bases[True]['latency_p99_ms']:.2f} ms"
            if True in bases
            else ""
        )
        + ".\n"
    )
    table(rows, bases)
    verdicts(rows)
    if why_not is not None:
        print(f"- Janus: not measured: {why_not}")


if __name__ == "__main__":
    main()
