"""The media relays' live figures per bridge point of a meeting, for the operations board.

With relays in a cascade, each relay process publishes its rooms' figures on the bus; any process answers
for the whole meeting (``RtcService.meeting_stats``), naming the relay that serves each bridge point: its URL,
and for a district relay its unit (by id and name, for the operations board)."""

from __future__ import annotations

from typing import Any

from anyio import from_thread
from pydantic import BaseModel, Field
from sqlmodel import col, select

from meetings import queries
from meetings.errors import Forbidden
from meetings.models import BridgePoint, Unit
from web.endpoint import ApiRoute, Call


class MediaPoint(BaseModel):
    bridge_point_id: int
    code: str
    name: str
    in_call: bool = Field(description="connected to a media relay now")
    relay: str | None = Field(default=None, description="the relay that serves it (its public URL)")
    relay_unit_id: int | None = Field(
        default=None,
        description="the unit whose relay serves it (a district relay of the cascade); None: the root relay, "
        "or not in the call",
    )
    relay_unit_name: str | None = Field(
        default=None,
        description="that unit's name, for the operator; None: the root relay, or not in the call",
    )
    low_bandwidth: bool = False
    rtt_ms: float | None = Field(default=None, description="round trip relay ↔ room, worst of its streams")
    loss_pct: float | None = Field(default=None, description="loss the room reports, worst of its streams")
    bitrate_in: float | None = Field(default=None, description="bits per second the room sends the relay")
    bitrate_out: float | None = Field(default=None, description="bits per second the relay sends the room")


class MediaReport(BaseModel):
    meeting_id: int
    live: bool = Field(description="a media room of the meeting is open on a relay of this deployment")
    relays: list[str] = Field(description="the relay processes of the deployment alive now (public URLs)")
    in_call: int
    points: list[MediaPoint]


def _point(bp: BridgePoint, peer: dict[str, Any] | None, unit_names: dict[int, str]) -> MediaPoint:
    assert bp.id is not None
    if peer is None:
        return MediaPoint(bridge_point_id=bp.id, code=bp.code, name=bp.name, in_call=False)
    legs = peer["legs"]
    rtts = [leg["rtt"] for leg in legs if leg["rtt"] is not None]
    losses = [leg["fraction_lost"] for leg in legs if leg["fraction_lost"] is not None]
    return MediaPoint(
        bridge_point_id=bp.id,
        code=bp.code,
        name=bp.name,
        in_call=True,
        relay=peer.get("relay"),
        relay_unit_id=peer["relay_unit_id"],
        relay_unit_name=unit_names.get(peer["relay_unit_id"]),
        low_bandwidth=peer["low_bandwidth"],
        rtt_ms=round(max(rtts) * 1000, 1) if rtts else None,
        loss_pct=round(max(losses) * 100, 2) if losses else None,
        bitrate_in=sum(s["bitrate"] for s in peer["sources"].values()),
        bitrate_out=sum(leg["bitrate"] for leg in legs),
    )


def _unit_names(call: Call, unit_ids: set[int]) -> dict[int, str]:
    """The names of the units whose relays serve the meeting's rooms (district relays of the cascade)."""
    if not unit_ids:
        return {}
    with call.read() as s:
        rows = s.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(unit_ids))).all()
    return {unit_id: name for unit_id, name in rows if unit_id is not None}


def meeting_media(call: Call) -> MediaReport:
    meeting_id: int = call.path["meeting_id"]
    app = call.request.app.state
    with call.read() as s:
        who = app.live.who(s, call.user, queries.get_meeting(s, meeting_id))
        if not who.runner:
            raise Forbidden("only the meeting's chair or secretaries and administrators may watch its media")
        ids = queries.meeting_bridge_point_ids(s, meeting_id)
        query = select(BridgePoint).where(col(BridgePoint.id).in_(ids)).order_by(col(BridgePoint.code))
        points = list(s.exec(query).all()) if ids else []
    stats = from_thread.run_sync(app.rtc.meeting_stats, meeting_id)
    # this process's own figures come last and win over another relay's older ones of the same room
    peers = {p["bridge_point_id"]: p for p in stats["peers"].values() if p["bridge_point_id"]}
    names = _unit_names(call, {p["relay_unit_id"] for p in peers.values()} - {None})
    out = [_point(bp, peers.get(bp.id), names) for bp in points]
    return MediaReport(
        meeting_id=meeting_id,
        live=stats["live"],
        relays=stats["relays"],
        in_call=sum(p.in_call for p in out),
        points=out,
    )


ROUTES = [
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/media",
        meeting_media,
        "Live media state of the meeting's bridge points: in the call, round trip, loss, bitrate",
        "media",
        response=MediaReport,
        errors=(403, 404),
    ),
]
