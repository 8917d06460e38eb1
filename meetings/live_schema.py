"""The one typed schema of the live meeting WebSocket (both ways), published as JSON Schema.

A client sends ``ping`` or a command; every command carries ``id``, the idempotency key: a command resent
after a reconnect with the same ``id`` is applied once and acknowledged again with the same ``seq``.
Every server message carries ``seq``: the meeting's last event sequence number the message reflects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

CommandId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Command(_Msg):
    id: CommandId


class Ping(_Msg):
    type: Literal["ping"]


class Start(_Command):
    type: Literal["start"]


class Pause(_Command):
    type: Literal["pause"]


class Resume(_Command):
    type: Literal["resume"]


class End(_Command):
    type: Literal["end"]


class SetItem(_Command):
    type: Literal["set_item"]
    item_id: int | None = Field(description="the agenda item now discussed, or null between items")
    title: str = Field(default="", max_length=500)


class Present(_Command):
    """Follow the presenter: the document, page, zoom and pointer every tablet and screen shows."""

    type: Literal["present"]
    document_id: int | None = None
    page: int = Field(ge=1, le=100_000)
    zoom: float = Field(default=1.0, ge=0.25, le=8.0)
    x: float | None = Field(default=None, ge=0, le=1, description="pointer, 0..1 of the page width")
    y: float | None = Field(default=None, ge=0, le=1)


class CheckIn(_Command):
    type: Literal["checkin"]
    person_id: int | None = Field(default=None, description="default: yourself; others: secretary or chair")
    present: bool = True


class Headcount(_Command):
    """A bridge point operator reports how many people are in the room."""

    type: Literal["headcount"]
    bridge_point_id: int
    count: int = Field(ge=0, le=10_000)


class SpeakRequest(_Command):
    type: Literal["speak_request"]
    bridge_point_id: int | None = Field(default=None, description="ask for the whole room (operators)")
    topic: str = Field(default="", max_length=300)


class SpeakWithdraw(_Command):
    type: Literal["speak_withdraw"]
    request_id: int


class SpeakOrder(_Command):
    type: Literal["speak_order"]
    request_ids: list[int] = Field(max_length=1000)


class FloorGrant(_Command):
    type: Literal["floor_grant"]
    request_id: int
    limit_seconds: int = Field(default=300, ge=30, le=3600)


class FloorEnd(_Command):
    type: Literal["floor_end"]


class PollOpen(_Command):
    type: Literal["poll_open"]
    question: str = Field(min_length=1, max_length=1000)
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=lambda: ["for", "against", "abstain"], min_length=2, max_length=20
    )
    secret: bool = False
    rule: Literal["of_present", "of_members", "two_thirds"] = "of_members"
    changeable: bool = Field(
        default=True, description="a voter may change their ballot until close (open polls)"
    )
    item_id: int | None = None


class Vote(_Command):
    type: Literal["vote"]
    poll_id: int
    choice: str = Field(min_length=1, max_length=100)


class PollClose(_Command):
    type: Literal["poll_close"]
    poll_id: int


class Conclude(_Command):
    type: Literal["conclude"]
    item_id: int | None = None
    text: str = Field(min_length=1, max_length=20_000)


Command = Annotated[
    Start
    | Pause
    | Resume
    | End
    | SetItem
    | Present
    | CheckIn
    | Headcount
    | SpeakRequest
    | SpeakWithdraw
    | SpeakOrder
    | FloorGrant
    | FloorEnd
    | PollOpen
    | Vote
    | PollClose
    | Conclude,
    Field(discriminator="type"),
]
ClientMessage = Annotated[Ping | Command, Field(discriminator="type")]
client_message = TypeAdapter[Any](ClientMessage)
command_adapter = TypeAdapter[Any](Command)


# Server → client
class Hello(_Msg):
    type: Literal["hello"] = "hello"
    seq: int
    meeting_id: int
    role: str | None
    person_id: int | None


class EventMsg(_Msg):
    type: Literal["event"] = "event"
    seq: int
    kind: str
    payload: dict[str, Any]
    at: str
    actor_id: int | None


class Snapshot(_Msg):
    type: Literal["snapshot"] = "snapshot"
    seq: int
    state: dict[str, Any]


class Ack(_Msg):
    type: Literal["ack"] = "ack"
    seq: int
    id: str
    duplicate: bool = False


class ErrorMsg(_Msg):
    type: Literal["error"] = "error"
    seq: int
    id: str | None = None
    code: str
    detail: str
    reason: str | None = None  # with figures: the screens' words for it (meetings/errors.py)
    figures: dict[str, str | int] | None = None
    errors: list[dict[str, Any]] | None = None


class Resync(_Msg):
    type: Literal["resync"] = "resync"
    seq: int
    reason: str


class Presence(_Msg):
    type: Literal["presence"] = "presence"
    seq: int
    online: list[int] = Field(description="person ids connected now")


class Pong(_Msg):
    type: Literal["pong"] = "pong"
    seq: int


ServerMessage = Annotated[
    Hello | EventMsg | Snapshot | Ack | ErrorMsg | Resync | Presence | Pong, Field(discriminator="type")
]


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Cầu Họp live meeting WebSocket",
        "client_to_server": TypeAdapter(ClientMessage).json_schema(),
        "server_to_client": TypeAdapter(ServerMessage).json_schema(),
    }
