"""The one typed schema of the media signaling WebSocket ``/ws/rtc/{meeting_id}``, both ways.

The server first says ``hello`` with the ICE servers (STUN/TURN, from configuration: ``docs/turn.md``).
A client then sends an ``offer`` (its whole SDP; aiortc's answer carries every relay candidate, so the relay
does not trickle), then any ``candidate`` it trickles. Sending a new ``offer`` on the same socket replaces
the connection: that is how a bridge point reconnects after its network changed (aiortc has no ICE
restart, so the relay builds a fresh connection and keeps the bridge point's place in the room).
With relays in a cascade, the answer to an offer may be a ``redirect`` to the relay that serves it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MAX_SDP = 100_000
MAX_ROSTER = 2_000  # bridge points below one cascade link (a province has 200-250)


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Offer(_Msg):
    type: Literal["offer"]
    sdp: str = Field(min_length=10, max_length=MAX_SDP)
    bridge_point_id: int | None = Field(
        default=None, description="the bridge point joining (not for a console)"
    )
    console: bool = Field(default=False, description="the chair's console: receives the speaker and last-N")
    low_bandwidth: bool = Field(default=False, description="receive audio only")
    redirected: bool = Field(
        default=False, description="sent here by another relay's redirect: join here, do not plan again"
    )
    link: bool = Field(
        default=False,
        description="a relay's cascade link, receiving what its bridge points need (relays only)",
    )


class Candidate(_Msg):
    type: Literal["candidate"]
    candidate: str = Field(max_length=1000, description="an a=candidate value; empty: end of candidates")
    sdpMid: str | None = Field(default=None, max_length=32)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=64)


class LowBandwidth(_Msg):
    type: Literal["low_bandwidth"]
    on: bool


class Auto(_Msg):
    """The chair's choice: with nobody holding the floor, show the loudest room (runners only)."""

    type: Literal["auto"]
    on: bool


class Roster(_Msg):
    """A cascade link's bridge points: those publishing at its relay or further down (relays only). The
    relay above may then show any of them (last-N, the chair, the speaker) and asks for the ones it shows
    (``Slots.up``)."""

    type: Literal["roster"]
    bridge_points: list[Annotated[int, Field(ge=1)]] = Field(max_length=MAX_ROSTER)


class Loudness(_Msg):
    """A cascade link's rooms, how loud each is (127 minus -dBov, higher is louder), while the relay above
    chooses the loudest (``Slots.listening``; relays only)."""

    type: Literal["loudness"]
    levels: dict[Annotated[int, Field(ge=1)], Annotated[float, Field(ge=0, le=127)]] = Field(
        max_length=MAX_ROSTER
    )


class Ping(_Msg):
    type: Literal["ping"]


ClientMessage = Annotated[
    Offer | Candidate | LowBandwidth | Auto | Roster | Loudness | Ping, Field(discriminator="type")
]
client_message = TypeAdapter[Any](ClientMessage)


class IceServerInfo(_Msg):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Hello(_Msg):
    """First message on an authenticated socket: the ICE servers (STUN/TURN) to build the connection with."""

    type: Literal["hello"] = "hello"
    ice_servers: list[IceServerInfo]


class Redirect(_Msg):
    """The cascade plan has another relay serve this bridge point (or the console): send the same offer there,
    with ``redirected`` set. Nothing was joined here."""

    type: Literal["redirect"] = "redirect"
    server: str = Field(description="the relay's base URL, e.g. http://10.0.0.7:8000")
    relay: str = Field(description="the relay's id")


class Answer(_Msg):
    type: Literal["answer"] = "answer"
    sdp: str


class SlotInfo(_Msg):
    index: int
    bridge_point_id: int | None
    mids: dict[str, str]


class Slots(_Msg):
    """Which bridge point each receiving slot shows now."""

    type: Literal["slots"] = "slots"
    slots: list[SlotInfo]
    speaker: int | None
    chair: int | None
    up: list[int] = Field(
        default_factory=list,
        description="to a cascade link: the bridge points of its roster to send up now (others: empty)",
    )
    listening: bool = Field(
        default=False,
        description="the relay chooses the loudest room (auto): a cascade link sends up its rooms' loudness",
    )


class Pause(_Msg):
    """Nobody receives this stream of yours: stop sending it (resume when false)."""

    type: Literal["pause"] = "pause"
    video: bool
    audio: bool


class SuggestLowBandwidth(_Msg):
    """Your link looks too poor for video: switch to low bandwidth? ``reason`` in English words; ``cause``
    and the figures for a screen to say it in its own language."""

    type: Literal["suggest_low_bandwidth"] = "suggest_low_bandwidth"
    reason: str
    cause: Literal["loss", "round_trip", "test", "unreachable", "recorded"] = Field(
        description="loss / round_trip: measured in the call; test / unreachable: the pre-meeting "
        "connectivity test; recorded: the bridge point's recorded link quality"
    )
    loss_pct: float | None = None
    rtt_ms: float | None = None


class ErrorMsg(_Msg):
    type: Literal["error"] = "error"
    code: str
    detail: str


class Pong(_Msg):
    type: Literal["pong"] = "pong"


ServerMessage = Annotated[
    Hello | Answer | Redirect | Slots | Pause | SuggestLowBandwidth | ErrorMsg | Pong,
    Field(discriminator="type"),
]
server_message = TypeAdapter[Any](ServerMessage)


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Cầu Họp media signaling WebSocket",
        "client_to_server": TypeAdapter(ClientMessage).json_schema(),
        "server_to_client": TypeAdapter(ServerMessage).json_schema(),
    }
