"""The client side of the media signaling (``/ws/rtc/{meeting_id}``, schema in ``rtc/schema.py``), shared by
the bridge-point agent and the cascade link between relays.

``WebSocketSignal`` follows a ``redirect``: when the server's cascade plan says another relay serves the
bridge point, the server answers the offer with that relay's address; the signal closes the socket, opens
one to that relay and sends the same offer there, marked ``redirected`` (the relay that was named takes it
whatever its own view, so two relays never send a client back and forth). The caller only ever sees the
answer. The next connection starts again at the server first asked, which plans afresh: that is how a
bridge point served by a relay that died reaches the relay that replaces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiortc import RTCIceServer

RELAY_SCHEME = "Relay"  # Authorization: Relay <relay id> <mac>, between relay processes


class Refused(RuntimeError):
    """The relay said no (an ``error`` message). Only ``unauthenticated`` and ``conflict`` may pass."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"relay refused: {code}: {detail}")
        self.code = code

    @property
    def permanent(self) -> bool:
        return self.code not in ("unauthenticated", "conflict")


class Signal(Protocol):
    """How an agent talks to the relay: JSON messages both ways."""

    async def send(self, message: dict[str, Any]) -> None: ...
    async def recv(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


def ws_url(server: str, meeting_id: int) -> str:
    base = server.rstrip("/")
    base = "ws" + base[4:] if base.startswith("http") else base
    return f"{base}/ws/rtc/{meeting_id}"


def relay_mac(secret: str, relay_id: str) -> str:
    """What a relay process shows another to prove it belongs to the same deployment (same SECRET_KEY)."""
    return hmac.new(secret.encode(), f"cauhop-relay:{relay_id}".encode(), hashlib.sha256).hexdigest()


def relay_credential(secret: str, relay_id: str) -> str:
    return f"{RELAY_SCHEME} {relay_id} {relay_mac(secret, relay_id)}"


class WebSocketSignal:
    """``/ws/rtc/{meeting_id}`` with a bearer token (or, between relays, ``authorization`` as given)."""

    def __init__(self, url: str, token: str, authorization: str | None = None) -> None:
        self.url, self.token = url, token
        self.authorization = authorization or f"Bearer {token}"
        self._ws: Any = None
        self.ice_servers: list[RTCIceServer] = []
        self.redirected_to: str | None = None  # the relay a redirect sent this signal to
        self._offer: dict[str, Any] | None = None

    async def open(self) -> WebSocketSignal:
        """Connect; the server's ``hello`` gives the ICE servers to use (an ``error`` raises)."""
        from websockets.asyncio.client import connect

        self._ws = await connect(self.url, additional_headers={"Authorization": self.authorization})
        try:
            hello = await self._read()
        except BaseException:
            await asyncio.shield(self.close())
            raise
        if hello.get("type") != "hello":
            await self.close()
            raise Refused(str(hello.get("code")), str(hello.get("detail")))
        self.ice_servers = [
            RTCIceServer(s["urls"], s.get("username"), s.get("credential")) for s in hello["ice_servers"]
        ]
        return self

    async def send(self, message: dict[str, Any]) -> None:
        if message.get("type") == "offer":
            self._offer = message
        await self._ws.send(json.dumps(message))

    async def recv(self) -> dict[str, Any]:
        message = await self._read()
        if message.get("type") == "redirect" and self._offer is not None and self.redirected_to is None:
            await self._follow(str(message["server"]))
            message = await self._read()
        return message

    async def _follow(self, server: str) -> None:
        """Take the offer to the relay the plan names."""
        assert self._offer is not None
        await self.close()
        self.url = ws_url(server, int(urlsplit(self.url).path.rsplit("/", 1)[-1]))
        self.redirected_to = server
        await self.open()
        await self.send({**self._offer, "redirected": True})

    async def _read(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await self._ws.recv())
        return data

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


def login(servers: list[str], username: str, password: str) -> str:
    """A bearer token from the first of ``servers`` that answers (they share the database)."""
    import httpx

    for server in servers[:-1]:
        with contextlib.suppress(httpx.TransportError):
            return login([server], username, password)
    server = servers[-1]
    r = httpx.post(
        server.rstrip("/") + "/api/auth/login", json={"username": username, "password": password}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])
