"""Media signaling: offer/answer and trickled ICE over ``/ws/rtc/{meeting_id}`` (schema: ``rtc/schema.py``).

``RtcSession`` is the protocol, independent of the socket: it is fed one client message at a time and
sends replies through a callable, so tests and the bench drive it in-process (``LocalSignal``) exactly as
the WebSocket endpoint does. Errors are ``CauhopError``s, turned into ``error`` messages in one place
(``RtcSession.handle``).

Another relay process of the deployment (a cascade link, ``rtc/cascade_service.py``) authenticates with
``Authorization: Relay <its id> <mac>`` (``signal_client.relay_credential``: an HMAC with the shared
SECRET_KEY); it may join as its link or send any of the meeting's bridge points up, and is never redirected.

In ``server.py``: add ``rtc_route()`` to the routes, and inside the lifespan (after the engine, the bus and
the live service exist) ``async with rtc_lifespan(app):`` around the ``yield``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from meetings.clock import utcnow
from meetings.errors import CauhopError, Forbidden, NotAuthenticated, invalid_from
from meetings.permissions import Actor, Role
from rtc import aiortc_hook as hook
from rtc import schema
from rtc.config import RtcSettings
from rtc.errors import BadSignal
from rtc.registry import RelayInfo
from rtc.relay import Member, Peer, Relay
from rtc.service import RtcService
from rtc.signal_client import RELAY_SCHEME, relay_mac
from web.auth import authenticate_request
from web.errors import status_of
from web.ws import _origin_ok

MAX_MESSAGE = schema.MAX_SDP + 10_000
Send = Callable[[dict[str, Any]], Awaitable[None]]

_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}


def error_code(exc: CauhopError) -> str:
    return _CODES.get(status_of(exc), "error")


async def member_message(
    peer: Peer | None,
    message: schema.LowBandwidth | schema.Auto | schema.Roster | schema.Loudness,
    runner: bool,
) -> None:
    """A joined member's choice for its room: low-bandwidth mode, "auto" (runners only), and a cascade
    link's roster and loudness (relay links only). Raises ``BadSignal`` before joining, ``Forbidden`` when the
    member may not."""
    if peer is None:
        raise BadSignal(
            "join (send an offer) before choosing low-bandwidth mode"
            if isinstance(message, schema.LowBandwidth)
            else "join (send an offer) first"
        )
    room = peer.room
    if isinstance(message, schema.LowBandwidth):
        await room.set_low_bandwidth(peer.key, message.on)
    elif isinstance(message, schema.Auto):
        if not runner:
            raise Forbidden("only the meeting's chair or secretary chooses the automatic speaker")
        await room.set_auto(message.on)
    elif not peer.member.link:
        what = (
            "the bridge points below it"
            if isinstance(message, schema.Roster)
            else "how loud the rooms below it are"
        )
        raise Forbidden(f"only another relay's cascade link tells {what}")
    elif isinstance(message, schema.Roster):
        await room.set_below(peer.key, frozenset(message.bridge_points))
    else:
        room.set_heard_below(peer.key, message.levels)


class RtcSession:
    """One client's signaling: at most one peer connection at a time (a new offer replaces it)."""

    def __init__(
        self, service: RtcService, actor: Actor, meeting_id: int, send: Send, relay: str | None = None
    ) -> None:
        self.service, self.actor, self.meeting_id, self._send = service, actor, meeting_id, send
        self.relay = relay  # the relay process calling, authenticated
        self.peer: Peer | None = None
        self.runner = False
        self._pump: asyncio.Task[None] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        checked = schema.server_message.validate_python(message)
        await self._send(checked.model_dump(mode="json"))

    async def handle(self, raw: Any) -> None:
        """One message from the client; every error becomes an ``error`` reply here."""
        try:
            try:
                message = schema.client_message.validate_python(raw)
            except ValidationError as exc:
                raise invalid_from(exc) from None
            await self._dispatch(message)
        except CauhopError as exc:
            await self.send({"type": "error", "code": error_code(exc), "detail": exc.detail})

    async def _dispatch(self, message: Any) -> None:
        if isinstance(message, schema.Ping):
            await self.send({"type": "pong"})
        elif isinstance(message, schema.Offer):
            await self._offer(message)
        elif isinstance(message, schema.Candidate):
            if self.peer is None:
                raise BadSignal("send the offer before any candidate")
            await hook.add_candidate(self.peer.pc, message.candidate, message.sdpMid, message.sdpMLineIndex)
        else:
            await member_message(self.peer, message, self.runner)

    async def _offer(self, offer: schema.Offer) -> None:
        await self.close_peer()
        joined = await self.service.join(self.actor, self.meeting_id, offer, self.relay)
        if isinstance(joined, RelayInfo):
            await self.send({"type": "redirect", "server": joined.id, "relay": joined.id})
            return
        peer, answer, admission = joined
        self.peer, self.runner = peer, admission.runner
        await self.send({"type": "answer", "sdp": answer})
        self._pump = asyncio.create_task(self._forward(peer))

    async def _forward(self, peer: Peer) -> None:
        """The relay's messages for this peer (slots, pause, suggestions) go out on the socket."""
        while True:
            message = await peer.outbox.get()
            with contextlib.suppress(Exception):
                await self.send(message)

    async def close_peer(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self.peer is not None:
            peer, self.peer = self.peer, None
            await self.service.leave(peer)


class LocalSignal:
    """An in-process ``Signal`` for the agent: its messages go straight to an ``RtcSession``."""

    def __init__(self, service: RtcService, actor: Actor, meeting_id: int) -> None:
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.session = RtcSession(service, actor, meeting_id, self._deliver)

    async def _deliver(self, message: dict[str, Any]) -> None:
        await self._inbox.put(message)

    async def send(self, message: dict[str, Any]) -> None:
        await self.session.handle(json.loads(json.dumps(message)))

    async def recv(self) -> dict[str, Any]:
        return await self._inbox.get()

    async def close(self) -> None:
        await self.session.close_peer()


async def rtc_socket(ws: WebSocket) -> None:
    """``/ws/rtc/{meeting_id}``: authenticate (bearer token or session cookie), check the Origin, then relay
    signaling messages until the socket closes; the peer connection ends with it."""
    meeting_id = int(ws.path_params["meeting_id"])
    await ws.accept()
    service: RtcService = ws.app.state.rtc
    relay: str | None = None
    try:
        if not _origin_ok(ws):
            raise Forbidden(f"WebSocket from origin {ws.headers.get('origin')} is not allowed")
        relay = relay_calling(ws.headers.get("authorization", ""), service.cascade.secret)
        if relay is not None:
            actor = relay_actor(relay)
        else:
            actor = await run_in_threadpool(authenticate_request, ws, ws.app.state.engine, utcnow())
    except CauhopError as exc:
        await ws.send_text(json.dumps({"type": "error", "code": error_code(exc), "detail": exc.detail}))
        await ws.close(code=4401 if isinstance(exc, NotAuthenticated) else 4403)
        return
    lock = asyncio.Lock()

    async def send(message: dict[str, Any]) -> None:
        async with lock:
            await ws.send_text(json.dumps(message, ensure_ascii=False))

    session = RtcSession(service, actor, meeting_id, send, relay)
    try:
        await session.send(
            {"type": "hello", "ice_servers": [s.as_json() for s in service.settings.ice_servers]}
        )
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None or len(text) > MAX_MESSAGE:
                await session.send({"type": "error", "code": "malformed", "detail": "send JSON text frames"})
                continue
            try:
                raw = json.loads(text)
            except ValueError as exc:
                await session.send({"type": "error", "code": "malformed", "detail": f"not JSON: {exc}"})
                continue
            await session.handle(raw)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await session.close_peer()


def relay_calling(authorization: str, secret: str) -> str | None:
    """The relay id, when another relay process of the deployment calls (None: not a relay's header)."""
    scheme, _, rest = authorization.partition(" ")
    if scheme != RELAY_SCHEME:
        return None
    relay, _, mac = rest.rpartition(" ")
    if not relay or not secret or not hmac.compare_digest(mac, relay_mac(secret, relay)):
        raise NotAuthenticated(
            "relay credentials not accepted: every relay process of a deployment needs the same SECRET_KEY"
        )
    return relay


def relay_actor(relay: str) -> Actor:
    """Who another relay acts as: the deployment itself (it reads the same database), for media only."""
    return Actor(0, f"relay {relay}", Role.admin, None, None)


def rtc_route() -> WebSocketRoute:
    return WebSocketRoute("/ws/rtc/{meeting_id:int}", rtc_socket)


@asynccontextmanager
async def rtc_lifespan(app: Starlette, settings: RtcSettings | None = None) -> AsyncIterator[None]:
    """Starts the media service on ``app.state.rtc`` (after the engine, bus and live service exist)."""
    state = app.state
    settings = settings or RtcSettings.from_env(data_dir=state.settings.data_dir)
    public = settings.public_url or f"http://{state.settings.host}:{state.settings.port}"
    me = RelayInfo(public, settings.relay_unit_id, settings.relay_capacity)
    service = RtcService(state.engine, state.live, state.bus, settings, me, state.settings.secret_key)
    await service.start()
    state.rtc = service
    try:
        yield
    finally:
        await service.stop()


class DirectSignal:
    """An in-process ``Signal`` straight to a ``Relay`` room, without authentication: tests and the bench."""

    def __init__(self, relay: Relay, meeting_id: int) -> None:
        self.relay, self.meeting_id = relay, meeting_id
        self.peer: Peer | None = None
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        parsed = schema.client_message.validate_python(message)
        if isinstance(parsed, schema.Offer):
            bp = None if parsed.console or parsed.link else parsed.bridge_point_id
            key = (
                f"console:{id(self)}"
                if parsed.console
                else f"relay:{id(self)}"
                if parsed.link
                else f"bp:{bp}"
            )
            member = Member(key, bp, parsed.console, parsed.low_bandwidth, link=parsed.link)
            self.peer, answer = await self.relay.join(self.meeting_id, member, parsed.sdp)
            await self._inbox.put({"type": "answer", "sdp": answer})
            self._pump = asyncio.create_task(self._forward(self.peer))
        elif isinstance(parsed, schema.LowBandwidth | schema.Auto | schema.Roster | schema.Loudness):
            try:
                await member_message(self.peer, parsed, runner=True)
            except CauhopError as exc:
                await self._inbox.put({"type": "error", "code": error_code(exc), "detail": exc.detail})

    async def _forward(self, peer: Peer) -> None:
        while True:
            await self._inbox.put(await peer.outbox.get())

    async def recv(self) -> dict[str, Any]:
        return await self._inbox.get()

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self.peer is not None:
            await self.relay.leave(self.peer)
