"""Debian's Janus (``apt-get install janus``) as the bench's third relay: its VideoRoom plugin, loopback only.

Janus never gathers ICE candidates on a loopback interface (its ``ice.c`` skips ``IFF_LOOPBACK``), so its run
happens in a private network namespace (``unshare -n``, see ``in_namespace``) where a veth interface carries
the loopback address 127.0.0.2: Janus gathers that, nothing leaves the namespace, the host's network is
untouched. ``start`` writes a minimal configuration in a temporary folder (only the VideoRoom plugin and the
HTTP transport, ICE on that interface only, no STUN) and starts ``janus`` with it; ``Janus`` is a small client
of its HTTP API (one session, long-polled events); ``publish`` and ``subscribe`` connect aiortc peers.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription

LIB = Path("/usr/lib/x86_64-linux-gnu/janus")
VETH = "cauhopj0"
ADDRESS = "127.0.0.2"  # Janus's, and its peers' (ICE fails between 127.0.0.1 and Janus on 127.0.0.2)
NAMESPACE_SETUP = (
    f"ip link set lo up && ip link add {VETH} type veth peer name {VETH}p && "
    f'ip addr add {ADDRESS}/32 dev {VETH} && ip link set {VETH} up && ip link set {VETH}p up && exec "$@"'
)


def missing() -> str | None:
    """Why Janus cannot run here, or None."""
    if shutil.which("janus") is None:
        return "janus is not installed (apt-cache policy janus; apt-get install janus)"
    for need in (LIB / "plugins" / "libjanus_videoroom.so", LIB / "transports" / "libjanus_http.so"):
        if not need.exists():
            return f"{need} is missing"
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"`{tool}` is missing (Janus needs a private network namespace, see this module)"
    probe = subprocess.run(["unshare", "-n", "sh", "-c", NAMESPACE_SETUP, "sh", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"no private network namespace with a veth pair here: {probe.stderr.decode().strip()}"
    return None


def in_namespace(command: list[str]) -> list[str]:
    """``command`` run in a fresh network namespace whose veth interface carries 127.0.0.2."""
    return ["unshare", "-n", "sh", "-c", NAMESPACE_SETUP, "sh", *command]


def start(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """Janus with the VideoRoom plugin and the HTTP transport on 127.0.0.1:``port``."""
    for name, kind in (("plugins", "videoroom"), ("transports", "http")):
        (folder / name).mkdir(parents=True)
        (folder / name / f"libjanus_{kind}.so").symlink_to(LIB / name / f"libjanus_{kind}.so")
    (folder / "none").mkdir()
    (folder / "janus.jcfg").write_text(
        f"""general: {{
  configs_folder = "{folder}"
  plugins_folder = "{folder}/plugins"
  transports_folder = "{folder}/transports"
  events_folder = "{folder}/none"
  loggers_folder = "{folder}/none"
  debug_level = 3
  session_timeout = 120
}}
media: {{
  ipv6 = false
  rtp_port_range = "30000-60000"
}}
nat: {{
  ice_enforce_list = "{VETH}"
  ignore_mdns = true
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
  json = "compact"
  base_path = "/janus"
  http = true
  port = {port}
  ip = "127.0.0.1"
  https = false
}}
admin: {{
  admin_http = false
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    log = (folder / "janus.log").open("wb")
    return subprocess.Popen(
        ["janus", "--configs-folder", str(folder), "--config", str(folder / "janus.jcfg")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (USER_HZ = 100)


class Janus:
    """One Janus session over HTTP; ``message`` sends a plugin request and waits for its event."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.AsyncClient(timeout=60)
        self.session = 0
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._poller: asyncio.Task[None] | None = None

    async def open(self, deadline: float = 20.0) -> None:
        until = time.monotonic() + deadline
        while True:
            try:
                reply = await self._post("", {"janus": "create"})
                break
            except httpx.TransportError:
                if time.monotonic() > until:
                    raise
                await asyncio.sleep(0.1)
        self.session = int(reply["data"]["id"])
        self._poller = asyncio.create_task(self._poll())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        try:
            await self._post(f"/{self.session}", {"janus": "destroy"})
        except httpx.HTTPError:
            pass
        await self.http.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": body.get("transaction") or secrets.token_hex(6)}
        reply = (await self.http.post(f"{self.base}/janus{path}", json=body)).json()
        if reply.get("janus") == "error":
            raise RuntimeError(f"janus: {reply['error']}")
        out: dict[str, Any] = reply
        return out

    async def _poll(self) -> None:
        while True:
            reply = await self.http.get(f"{self.base}/janus/{self.session}", params={"maxev": 20})
            events = reply.json()
            for event in events if isinstance(events, list) else [events]:
                future = self.waiting.pop(event.get("transaction", ""), None)
                if future is not None and not future.done():
                    future.set_result(event)

    async def attach(self) -> int:
        reply = await self._post(f"/{self.session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
        return int(reply["data"]["id"])

    async def request(self, handle: int, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous plugin request (create, …): the answer comes in the reply."""
        reply = await self._post(f"/{self.session}/{handle}", {"janus": "message", "body": body})
        data: dict[str, Any] = reply["plugindata"]["data"]
        if "error" in data:
            raise RuntimeError(f"videoroom: {data['error']}")
        return data

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An asynchronous plugin request (join, publish, start): waits for its event."""
        transaction = f"t{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[transaction] = future
        msg: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            msg["jsep"] = jsep
        await self._post(f"/{self.session}/{handle}", msg)
        event = await asyncio.wait_for(future, 30)
        data = event["plugindata"]["data"]
        if "error" in data:
            raise RuntimeError(f"videoroom: {data['error']}")
        return event


async def create_room(janus: Janus, room: int, publishers: int, bitrate: int) -> None:
    handle = await janus.attach()
    await janus.request(
        handle,
        {
            "request": "create",
            "room": room,
            "publishers": publishers,
            "bitrate": bitrate,
            "videocodec": "vp8",
            "audiocodec": "opus",
            "fir_freq": 0,
            "notify_joining": False,
        },
    )


async def publish(janus: Janus, room: int, feed: int, pc: RTCPeerConnection) -> None:
    """Join ``room`` as publisher ``feed`` and send ``pc``'s offer; applies Janus's answer."""
    handle = await janus.attach()
    await janus.message(handle, {"request": "join", "ptype": "publisher", "room": room, "id": feed})
    await pc.setLocalDescription(await pc.createOffer())
    assert pc.localDescription is not None
    event = await janus.message(
        handle, {"request": "publish"}, {"type": "offer", "sdp": pc.localDescription.sdp}
    )
    await pc.setRemoteDescription(RTCSessionDescription(event["jsep"]["sdp"], "answer"))


async def subscribe(
    janus: Janus, room: int, feeds: list[int], pc: RTCPeerConnection, prepare: Callable[[], None]
) -> None:
    """Subscribe to ``feeds`` (one stream each, in this order) with ``pc`` answering Janus's offer;
    ``prepare`` runs once the offer is set, before the answer."""
    handle = await janus.attach()
    streams = [{"feed": feed} for feed in feeds]
    join = {"request": "join", "ptype": "subscriber", "room": room, "streams": streams}
    for _ in range(100):  # a feed exists for subscribers once its publisher's media is up
        try:
            event = await janus.message(handle, join)
            break
        except RuntimeError as exc:
            if "No such feed" not in str(exc):
                raise
            await asyncio.sleep(0.1)
    else:
        raise RuntimeError(f"videoroom: feeds {feeds} never came up")
    await pc.setRemoteDescription(RTCSessionDescription(event["jsep"]["sdp"], "offer"))
    prepare()
    await pc.setLocalDescription(await pc.createAnswer())
    assert pc.localDescription is not None
    await janus.message(handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp})
