"""The live meeting WebSocket: ``/ws/meetings/{id}?since=SEQ``.

On connect: authenticate (session cookie or bearer token), check the Origin, subscribe to the meeting's
channel, then replay what the client missed since ``since`` (or a snapshot when it is far behind), then
stream. Events reach the client in order, once each, without gaps: a gap seen on the bus is filled from
the log, and a client too slow for its bounded queue is told to resync and caught up from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from meetings import eventlog, live_schema
from meetings.bus import Subscription
from meetings.clock import utcnow
from meetings.db import reading
from meetings.errors import CauhopError, Forbidden, NotAuthenticated, invalid_from
from meetings.live_service import LiveService, event_message
from meetings.permissions import Actor
from web.auth import authenticate_request
from web.errors import status_of
from web.presence import PresenceTracker
from web.ws_wire import frame_writer, send_eagerly, wire

MAX_MESSAGE = 64_000
SNAPSHOT_GAP = 500  # further behind than this, a client gets a snapshot instead of the events
QUEUE = 1024
COMMANDS_PER_SECOND, BURST = 20.0, 60.0
log = logging.getLogger(__name__)


def _error_code(exc: CauhopError) -> str:
    return {
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        413: "too_large",
        422: "invalid",
        429: "rate_limited",
    }.get(status_of(exc), "error")


class Connection:
    def __init__(self, ws: WebSocket, service: LiveService, actor: Actor, meeting_id: int) -> None:
        self.ws, self.service, self.actor, self.meeting_id = ws, service, actor, meeting_id
        self.last = 0
        self.send_lock = asyncio.Lock()
        self.sub: Subscription | None = None
        self.pumping = False  # the pump is handling a message (it may be waiting on the log or the socket)
        self.writing: asyncio.Task[None] | None = None  # a direct write that had to wait for the socket
        self.tokens, self.refilled = BURST, time.monotonic()
        self.write_frame = frame_writer(ws.scope) if isinstance(ws, WebSocket) else None

    async def send(self, message: dict[str, Any] | str) -> None:
        text = message if isinstance(message, str) else json.dumps(message, ensure_ascii=False)
        async with self.send_lock:
            if self.writing is not None:  # a direct write still waiting on the socket goes first
                await asyncio.wait([self.writing])
            await self.ws.send_text(text)

    async def send_event(self, message: dict[str, Any]) -> None:
        await self.send(wire(message))

    def direct(self, message: dict[str, Any]) -> bool:
        """Offered each bus message synchronously, in the publisher's one delivery pass over the sockets:
        the next event for a socket in step (nothing queued, nothing being sent) is written out here, with
        no task switch (``web/ws_wire.py``). Anything else (a gap, presence, a socket behind or busy) is
        left to ``pump``."""
        if (
            message.get("type") != "event"
            or message.get("seq") != self.last + 1
            or self.pumping
            or self.send_lock.locked()
            or (self.writing is not None and not self.writing.done())
            or (self.sub is not None and not self.sub.queue.empty())
        ):
            return False
        self.last = message["seq"]
        try:
            if self.write_frame is None or not self.write_frame(message):
                self.writing = send_eagerly(self.ws.send_text(wire(message)))
        except Exception:  # the socket is gone: its receive loop sees the disconnect and cleans up
            log.debug("direct write to a closed socket", exc_info=True)
        return True

    # ---- outgoing: replay, then the bus ----
    async def catch_up(self, upto: int | None = None) -> None:
        def load() -> list[dict[str, Any]]:
            with reading(self.service.engine) as s:
                return [
                    event_message(e)
                    for e in eventlog.events_since(s, self.meeting_id, self.last, 10_000)
                    if upto is None or e.seq <= upto
                ]

        for message in await run_in_threadpool(load):
            if message["seq"] == self.last + 1:
                await self.send(message)
                self.last = message["seq"]

    async def start(self, since: int) -> None:
        state = await run_in_threadpool(self.service.snapshot, self.actor, self.meeting_id)
        role = state.members.get(self.actor.person_id) if self.actor.person_id is not None else None
        await self.send(
            live_schema.Hello(
                seq=state.seq, meeting_id=self.meeting_id, role=role, person_id=self.actor.person_id
            ).model_dump()
        )
        if since > state.seq:
            since = 0  # the client's number belongs to another database: start over
        if state.seq - since > SNAPSHOT_GAP or since == 0:
            await self.send(
                live_schema.Snapshot(seq=state.seq, state=state.as_json()).model_dump(mode="json")
            )
            self.last = state.seq
        else:
            self.last = since
            await self.catch_up()
        online = self.ws.app.state.presence.online(self.meeting_id)
        await self.send(live_schema.Presence(seq=self.last, online=online).model_dump())

    def follow(self, sub: Subscription) -> None:
        """Once caught up: take the next events directly from the bus while in step (see ``direct``)."""
        self.sub = sub
        sub.direct = self.direct

    async def pump(self, sub: Subscription) -> None:
        """Events this socket did not take directly (and presence), in order; resync after an overflow."""
        while True:
            message = await sub.get()
            self.pumping = True
            try:
                await self._pumped(sub, message)
            finally:
                self.pumping = False

    async def _pumped(self, sub: Subscription, message: dict[str, Any]) -> None:
        if sub.overflowed:
            sub.overflowed = False
            while not sub.queue.empty():
                sub.queue.get_nowait()
            await self.send(
                live_schema.Resync(seq=self.last, reason="you fell behind; catching up").model_dump()
            )
            await self.catch_up()
            return
        seq = message.get("seq")
        if message.get("type") != "event":  # ephemeral (presence): pass through with our seq
            await self.send({**message, "seq": self.last})
        elif seq is not None and seq > self.last:
            if seq > self.last + 1:
                await self.catch_up(upto=seq - 1)
            if seq == self.last + 1:
                await self.send_event(message)
                self.last = seq

    # ---- incoming: commands ----
    def _allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.refilled) * COMMANDS_PER_SECOND)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def handle(self, text: str) -> None:
        command_id = None
        try:
            if len(text) > MAX_MESSAGE:
                raise CauhopError(f"message over {MAX_MESSAGE} bytes")
            try:
                raw = json.loads(text)
            except ValueError as exc:
                await self.error(None, "malformed", f"not JSON: {exc}")
                return
            command_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
            try:
                msg = live_schema.client_message.validate_python(raw)
            except ValidationError as exc:
                bad = invalid_from(exc)
                await self.error(command_id, "invalid", bad.detail, [e.as_dict() for e in bad.errors])
                return
            if isinstance(msg, live_schema.Ping):
                await self.send(live_schema.Pong(seq=self.last).model_dump())
                return
            if not self._allow():
                await self.error(command_id, "rate_limited", "too many commands; slow down")
                return
            outcome = await run_in_threadpool(
                self.service.execute, self.actor, self.meeting_id, msg, utcnow()
            )
            if outcome.event is not None:
                await publish_event(self.ws.app, self.meeting_id, outcome.event)
            await self.send(
                live_schema.Ack(seq=outcome.seq, id=msg.id, duplicate=outcome.duplicate).model_dump()
            )
        except CauhopError as exc:
            errors = [e.as_dict() for e in getattr(exc, "errors", [])] or None
            await self.error(command_id, _error_code(exc), exc.detail, errors, **exc.explained())

    async def error(
        self,
        command_id: str | None,
        code: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        figures: dict[str, str | int] | None = None,
    ) -> None:
        msg = live_schema.ErrorMsg(
            seq=self.last,
            id=command_id,
            code=code,
            detail=detail,
            errors=errors,
            reason=reason,
            figures=figures,
        )
        await self.send(msg.model_dump(exclude_none=True))


async def publish_event(app: Any, meeting_id: int, event: Any) -> None:
    await app.state.bus.publish(f"meeting:{meeting_id}", event_message(event))


def _origin_ok(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:  # not a browser (an agent, a test client): authenticated by token, no CSRF risk
        return True
    host = ws.headers.get("host", "")
    allowed = {f"http://{host}", f"https://{host}", *ws.app.state.settings.allowed_origins}
    return origin in allowed


async def meeting_socket(ws: WebSocket) -> None:
    meeting_id = int(ws.path_params["meeting_id"])
    since_text = ws.query_params.get("since", "0")
    await ws.accept()
    try:
        if not _origin_ok(ws):
            raise Forbidden(f"WebSocket from origin {ws.headers.get('origin')} is not allowed")
        actor = await run_in_threadpool(authenticate_request, ws, ws.app.state.engine, utcnow())
        since = int(since_text) if since_text.isdigit() else 0
    except CauhopError as exc:
        refusal = {
            "type": "error",
            "seq": 0,
            "code": _error_code(exc),
            "detail": exc.detail,
            **exc.explained(),
        }
        await ws.send_text(json.dumps(refusal))
        await ws.close(code=4401 if isinstance(exc, NotAuthenticated) else 4403)
        return
    service: LiveService = ws.app.state.live
    conn = Connection(ws, service, actor, meeting_id)
    sub = ws.app.state.bus.subscribe(f"meeting:{meeting_id}", QUEUE)
    pump: asyncio.Task[None] | None = None
    presence: PresenceTracker = ws.app.state.presence
    joined = False
    try:
        try:
            await conn.start(since)
        except CauhopError as exc:
            await conn.error(None, _error_code(exc), exc.detail, **exc.explained())
            await ws.close(code=4404 if _error_code(exc) == "not_found" else 4403)
            return
        conn.follow(sub)
        pump = asyncio.create_task(conn.pump(sub))
        await presence.announce(meeting_id, actor.person_id, True)
        joined = True
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") is not None:
                await conn.handle(message["text"])
            else:
                await conn.error(None, "malformed", "send JSON text frames, not binary ones")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if joined:
            await presence.announce(meeting_id, actor.person_id, False)
        sub.close()
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
