"""How a live event reaches the sockets in step during the publisher's one delivery pass: serialised once,
framed once, then written to each socket at once — straight into uvicorn's ``websockets-sansio`` protocol
(what ``cauhop serve`` runs), or else through the ASGI send, run eagerly. Either way no task is scheduled for
a socket that keeps up.

Compressed once for every socket: ``LiveWebSocketProtocol`` (the protocol ``cauhop serve`` gives uvicorn)
negotiates permessage-deflate with ``server_no_context_takeover`` (RFC 7692 §7.1.1.1: the server compresses
each message on its own, which every client must accept), so an event's compressed frame is the same bytes
for every tablet and is built once per event, not once per socket. Sockets that negotiated no compression
get the event's plain frame, also built once. A socket served otherwise (another server, the test client)
takes the ASGI send.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import zlib
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.protocol import State
from websockets.server import ServerProtocol

WIRE, WIRE_FRAMES = "\x00wire", "\x00wire-frames"  # cache keys of an event's text and frames (never sent)
WINDOW_BITS = 12  # uvicorn's choice for both directions
MEM_LEVEL = 5  # uvicorn's too
RAW_SEND = "cauhop.raw_send"  # scope key: the server's own ASGI send, beneath Starlette's wrappers
log = logging.getLogger(__name__)


def wire(message: dict[str, Any]) -> str:
    """An event from the bus as sent: the same dict goes to every socket, so it is serialised once."""
    text = message.get(WIRE)
    if text is None:
        text = message[WIRE] = json.dumps(message, ensure_ascii=False)
    return str(text)


def frame(message: dict[str, Any], deflate: bool) -> bytes:
    """The event as one unmasked final text frame (server to client), compressed or not; each built once per
    event and shared by every socket that negotiated the same."""
    text = wire(message)  # first: the cache keys below must not be part of the text
    frames = message.get(WIRE_FRAMES)
    if frames is None:
        frames = message[WIRE_FRAMES] = {}
    data = frames.get(deflate)
    if data is None:
        data = frames[deflate] = _frame(text.encode(), deflate)
    return bytes(data)


def _frame(payload: bytes, deflate: bool) -> bytes:
    first = 0x81  # FIN, text
    if deflate:  # RFC 7692 §7.2.1: a fresh compressor per message, the trailing empty block removed
        encoder = zlib.compressobj(wbits=-WINDOW_BITS, memLevel=MEM_LEVEL)
        payload = (encoder.compress(payload) + encoder.flush(zlib.Z_SYNC_FLUSH))[:-4]
        first |= 0x40  # RSV1: compressed
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", first, 126, n)
    else:
        head = struct.pack("!BBQ", first, 127, n)
    return head + payload


def shared_deflate() -> ServerPerMessageDeflateFactory:
    """permessage-deflate as ``LiveWebSocketProtocol`` negotiates it: the server keeps no context."""
    return ServerPerMessageDeflateFactory(
        server_no_context_takeover=True,
        server_max_window_bits=WINDOW_BITS,
        client_max_window_bits=WINDOW_BITS,
        compress_settings={"memLevel": MEM_LEVEL},
    )


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol, negotiating permessage-deflate without server context
    takeover (so one compressed frame serves every socket)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn = ServerProtocol(
                extensions=[shared_deflate()],
                max_size=self.config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )


class KeepRawSend:
    """ASGI middleware, outermost of ours: a WebSocket's scope keeps the server's own ``send``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


FrameWriter = Callable[[dict[str, Any]], bool]


def frame_writer(scope: Scope) -> FrameWriter | None:
    """For a socket served by uvicorn's ``websockets-sansio`` protocol: a function that writes an event now
    as one text frame, as that protocol's ``send`` does for ``websocket.send`` once it need not wait, and
    returns False (writing nothing) when that ``send`` would wait for the buffer to drain or the socket is
    closing. With ``LiveWebSocketProtocol`` the frame is the event's shared one. None for any other server
    (a test client, another WebSocket implementation)."""
    protocol = getattr(scope.get(RAW_SEND), "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    conn, transport, writable = protocol.conn, protocol.transport, protocol.writable
    shared = shared_frame(conn)

    def write(message: dict[str, Any]) -> bool:
        if (
            not writable.is_set()
            or protocol.close_sent
            or protocol.disconnected
            or conn.state is not State.OPEN
        ):
            return False
        if shared is None:
            conn.send_text(wire(message).encode())
            transport.write(b"".join(conn.data_to_send()))
        else:
            transport.write(frame(message, shared))
        return True

    return write


def shared_frame(conn: ServerProtocol) -> bool | None:
    """Which shared frame this connection takes: the plain one (False), the compressed one (True), or none
    (None: its compressor keeps context from message to message, so each frame is its own)."""
    if not conn.extensions:
        return False
    if len(conn.extensions) == 1:
        ext = conn.extensions[0]
        if (
            isinstance(ext, PerMessageDeflate)
            and ext.local_no_context_takeover
            and ext.local_max_window_bits == WINDOW_BITS
            and ext.compress_settings == {"memLevel": MEM_LEVEL}
        ):
            return True
    return None


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
