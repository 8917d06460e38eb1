"""Live events on the wire: each event is framed (and compressed) once and the same bytes go to every tablet.

`cauhop serve` negotiates permessage-deflate without server context takeover, so a compressed event does not
depend on what the socket received before; tablets that negotiated no compression get the plain frame.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.extensions.base import ServerExtensionFactory
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame
from websockets.server import ServerProtocol
from websockets.streams import StreamReader
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from tests.servers import Server
from web.ws_wire import WINDOW_BITS, frame, shared_deflate, shared_frame

TURNS = 12


def read_frames(data: bytes, extension: PerMessageDeflate | None) -> list[dict[str, Any]]:
    """What a client makes of these bytes: every frame parsed and decoded in turn, as its socket would."""
    reader = StreamReader()
    reader.feed_data(data)
    out = []
    while reader.buffer:
        parse = Frame.parse(reader.read_exact, mask=False, extensions=[extension] if extension else [])
        try:
            next(parse)
        except StopIteration as done:
            out.append(json.loads(done.value.data))
    return out


def event(page: int) -> dict[str, Any]:
    payload = {"document_id": 3, "page": page, "zoom": 1.0, "title": "Báo cáo kinh tế - xã hội " * 4}
    return {"type": "event", "seq": page, "kind": "live.presenter", "payload": payload}


def test_an_event_is_framed_once_and_every_client_decodes_the_shared_bytes() -> None:
    events = [event(page) for page in range(1, 6)]
    plain = b"".join(frame(e, deflate=False) for e in events)
    packed = b"".join(frame(e, deflate=True) for e in events)
    assert len(packed) < len(plain)  # compressed, and the RSV1 bit tells the client so
    assert frame(events[0], deflate=True) is events[0]["\x00wire-frames"][True]  # built once, then reused
    client = PerMessageDeflate(True, False, WINDOW_BITS, WINDOW_BITS)  # the server keeps no context
    expected = [{k: v for k, v in e.items() if not k.startswith("\x00")} for e in events]
    assert read_frames(plain, None) == expected
    assert read_frames(packed, client) == expected  # one decoder over every message, as a tablet's socket


def handshake(offers_deflate: bool, server: list[ServerExtensionFactory]) -> ServerProtocol:
    """A server connection after a client's opening handshake (a browser always offers permessage-deflate)."""
    client = ClientProtocol(
        parse_uri("ws://127.0.0.1/ws/meetings/1"),
        extensions=[ClientPerMessageDeflateFactory()] if offers_deflate else None,
    )
    client.send_request(client.connect())
    conn = ServerProtocol(extensions=server)
    conn.receive_data(b"".join(client.data_to_send()))
    [request] = conn.events_received()
    conn.send_response(conn.accept(request))
    return conn


def test_which_sockets_take_the_shared_frame() -> None:
    assert shared_frame(handshake(True, [shared_deflate()])) is True  # a browser, at cauhop serve
    assert shared_frame(handshake(False, [shared_deflate()])) is False  # no compression: the plain frame
    # a compressor that keeps context from message to message (uvicorn's and websockets' default): its own
    assert shared_frame(handshake(True, [ServerPerMessageDeflateFactory()])) is None


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    s = Server({**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data")})
    try:
        yield s
    finally:
        s.stop()


def tablet(server: Server, user: str, compression: str | None) -> ClientConnection:
    token = server.login(user)
    ws = connect(
        f"ws://127.0.0.1:{server.port}/ws/meetings/1",
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=compression,
        open_timeout=20,
        legacy=True,  # closed by the test's own ``with``
    )
    assert json.loads(ws.recv(timeout=20))["type"] == "hello"
    return ws


def presenter_pages(ws: ClientConnection, count: int) -> list[int]:
    pages = []
    while len(pages) < count:
        msg = json.loads(ws.recv(timeout=20))
        if msg["type"] == "event" and msg["kind"] == "live.presenter":
            pages.append(msg["payload"]["page"])
    return pages


def test_compressing_and_plain_tablets_follow_every_page_turn(server: Server) -> None:
    packed = tablet(server, "delegate01", "deflate")
    plain = tablet(server, "delegate02", None)
    with packed, plain:
        offered = packed.response.headers["Sec-WebSocket-Extensions"] if packed.response else ""
        assert "permessage-deflate" in offered and "server_no_context_takeover" in offered, offered
        assert "Sec-WebSocket-Extensions" not in (plain.response.headers if plain.response else {})
        chair = server.login("chair")
        assert (
            server.request("POST", "/api/meetings/1/commands", {"type": "start", "id": "go"}, chair)[0] == 200
        )
        for page in range(1, TURNS + 1):
            body = {"type": "present", "id": f"turn-{page}", "document_id": 1, "page": page}
            assert server.request("POST", "/api/meetings/1/commands", body, chair)[0] == 200
        assert presenter_pages(packed, TURNS) == list(range(1, TURNS + 1))
        assert presenter_pages(plain, TURNS) == list(range(1, TURNS + 1))
