"""The live meeting over HTTP: the same commands as the WebSocket, the current state, the message schema."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from meetings import live_schema
from meetings.live_service import LiveService, event_message
from web.endpoint import ApiRoute, Call
from web.errors import invalid_from


class CommandIn(BaseModel):
    """Any command of the WebSocket schema (/api/ws-schema.json), e.g. {"type": "checkin", "id": "c1"}."""

    model_config = {"extra": "allow"}


def run_command(call: Call) -> live_schema.Ack:
    try:
        cmd = live_schema.command_adapter.validate_python(call.body.model_dump())
    except ValidationError as exc:
        raise invalid_from(exc) from None
    service: LiveService = call.request.app.state.live
    outcome = service.execute(call.user, call.path["meeting_id"], cmd, call.now)
    if outcome.event is not None:
        call.request.app.state.bus.publish_threadsafe(
            f"meeting:{call.path['meeting_id']}", event_message(outcome.event)
        )
    return live_schema.Ack(seq=outcome.seq, id=cmd.id, duplicate=outcome.duplicate)


def live_state(call: Call) -> JSONResponse:
    service: LiveService = call.request.app.state.live
    state = service.snapshot(call.user, call.path["meeting_id"])
    return JSONResponse(live_schema.Snapshot(seq=state.seq, state=state.as_json()).model_dump(mode="json"))


async def ws_schema(request: Request) -> JSONResponse:
    return JSONResponse(live_schema.json_schema())


ROUTES = [
    ApiRoute(
        "POST",
        "/api/meetings/{meeting_id:int}/commands",
        run_command,
        "Run a live-meeting command (same schema and rules as the WebSocket); acknowledged once committed",
        "live",
        body=CommandIn,
        response=live_schema.Ack,
        errors=(403, 404, 409, 422),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/live",
        live_state,
        "The live state now (a snapshot)",
        "live",
        errors=(403, 404),
    ),
]
