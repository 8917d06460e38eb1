"""How a live event reaches the sockets in step during the publisher's one delivery pass: serialised once,
then written to each socket at once — straight into uvicorn's ``websockets-sansio`` protocol (what
``cauhop serve`` runs) the way its own ASGI ``send`` does when it need not wait, or else through the ASGI
send, run eagerly. Either way no task is scheduled for a socket that keeps up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

WIRE, WIRE_BYTES = "\x00wire", "\x00wire-bytes"  # cache keys of an event's serialised text (never sent)
RAW_SEND = "cauhop.raw_send"  # scope key: the server's own ASGI send, beneath Starlette's wrappers
log = logging.getLogger(__name__)


def wire(message: dict[str, Any]) -> str:
    """An event from the bus as sent: the same dict goes to every socket, so it is serialised once."""
    text = message.get(WIRE)
    if text is None:
        text = message[WIRE] = json.dumps(message, ensure_ascii=False)
    return str(text)


def wire_bytes(message: dict[str, Any]) -> bytes:
    """The same text, UTF-8 encoded once."""
    data = message.get(WIRE_BYTES)
    if data is None:
        data = message[WIRE_BYTES] = wire(message).encode()
    return bytes(data)


class KeepRawSend:
    """ASGI middleware, outermost of ours: a WebSocket's scope keeps the server's own ``send``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


FrameWriter = Callable[[bytes], bool]


def frame_writer(scope: Scope) -> FrameWriter | None:
    """For a socket served by uvicorn's ``websockets-sansio`` protocol: a function that writes one text
    frame now, exactly as that protocol's ``send`` does for ``websocket.send`` once it need not wait, and
    returns False (writing nothing) when that ``send`` would wait for the buffer to drain or the socket is
    closing. None for any other server (a test client, another WebSocket implementation)."""
    protocol = getattr(scope.get(RAW_SEND), "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    conn, transport, writable = protocol.conn, protocol.transport, protocol.writable

    def write(frame: bytes) -> bool:
        if not writable.is_set() or protocol.close_sent or protocol.disconnected:
            return False
        conn.send_text(frame)
        transport.write(b"".join(conn.data_to_send()))
        return True

    return write


def send_eagerly(send: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run a socket send now, up to its first wait (what Python 3.12's eager tasks do). A send that must
    wait is finished by a task of its own (returned), without holding up the caller's pass over the other
    sockets. Raises what the send raises before its first wait (a closed socket)."""
    try:
        waiting_on = send.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_finish(send, waiting_on))


async def _finish(send: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    try:
        while True:
            if isinstance(waiting_on, asyncio.Future):
                await asyncio.wait([waiting_on])  # its result is for the send, which reads it on resuming
            else:
                await asyncio.sleep(0)  # a bare yield
            waiting_on = send.send(None)
    except StopIteration:
        return
    except Exception:  # the socket closed while we waited: its receive loop cleans up
        log.debug("direct write to a closed socket", exc_info=True)
    finally:
        send.close()
