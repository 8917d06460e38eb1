"""The live meeting over HTTP: the same commands as the WebSocket, the current state, the message schema."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from docs_store.minutes_pdf import sign_minutes, write_minutes
from docs_store.signing import SigningConfigError, service_credentials
from meetings import eventlog, live_schema, minutes, queries
from meetings.clock import from_db
from meetings.errors import invalid_from
from meetings.live_service import LiveService, event_message
from meetings.models import BridgePoint, Unit
from meetings.permissions import require_view_meeting
from web.endpoint import ApiRoute, Call


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


def minutes_pdf(call: Call) -> Response:
    """The minutes composed from the log, typeset and signed with the service's key (PAdES B-B, invisible).
    Without a key (production mode, none configured) they are served unsigned and say so, in the text and
    in the ``x-cauhop-signature`` header; a configured key that cannot be used is a 503 naming the fault."""
    meeting_id = call.path["meeting_id"]
    try:
        credentials = service_credentials(call.settings)
    except SigningConfigError as exc:
        return JSONResponse({"detail": f"the minutes cannot be signed: {exc}"}, status_code=503)
    with call.read() as s:
        meeting = queries.get_meeting(s, meeting_id)
        require_view_meeting(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
        host = s.get(Unit, meeting.host_unit_id)
        people = [
            minutes.Person(person.id or 0, person.full_name, person.title, p.role)
            for p, person in queries.participants(s, meeting_id)
        ]
        bp_ids = queries.meeting_bridge_point_ids(s, meeting_id)
        names = {
            bp.id or 0: bp.name for bp in s.exec(select(BridgePoint).where(col(BridgePoint.id).in_(bp_ids)))
        }
        events = [
            minutes.Event(e.seq, e.kind, e.payload, from_db(e.at))
            for e in eventlog.events_since(s, meeting_id, 0, limit=1_000_000)
        ]
        info = {
            "title": meeting.title,
            "body": meeting.body,
            "host": host.name if host else "",
            "start": from_db(meeting.start_at),
            "bridge_points": len(bp_ids),
        }
        head = meeting.last_hash
    composed = minutes.compose(info, people, names, events, head)
    folder = call.settings.data_dir / "minutes"
    folder.mkdir(parents=True, exist_ok=True)
    signer = credentials.signer_name if credentials else None
    path = write_minutes(composed, folder / f"meeting-{meeting_id}-{composed.last_seq}.pdf", signer)
    if credentials is None:
        data, signature = path.read_bytes(), "unsigned: no signing key is configured (CAUHOP_SIGNING_KEY)"
    else:
        data, signature = sign_minutes(path, composed, credentials), "PAdES-B-B"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="bien-ban-{meeting_id}.pdf"',
            "x-cauhop-signature": signature,
        },
    )


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
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/minutes.pdf",
        minutes_pdf,
        "The minutes (biên bản) from the log: attendance, items, speakers, polls, conclusions; signed "
        "(PAdES B-B) with the service's key, or unsigned when none is configured (x-cauhop-signature says)",
        "live",
        errors=(403, 404, 503),
    ),
]
