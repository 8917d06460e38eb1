"""Series of recurring meetings: create, read, and change "this and the following" occurrences."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session

from meetings import commands, queries, series
from meetings.clock import LOCAL_TZ, to_local
from meetings.models import Series
from meetings.permissions import require_view_meeting
from meetings.recurrence import describe, parse_rrule
from web.endpoint import ApiRoute, Call


class OccurrenceOut(BaseModel):
    meeting_id: int
    start: datetime
    status: str
    detached: bool


class SeriesOut(BaseModel):
    id: int
    title: str
    rrule: str
    summary: str
    duration_minutes: int
    occurrences: list[OccurrenceOut]


def _ctx(call: Call, session: Session) -> commands.Context:
    return commands.Context(
        session, call.user, call.now, timedelta(minutes=call.settings.setup_buffer_minutes)
    )


def _out(ctx: commands.Context, s: Series) -> SeriesOut:
    assert s.id is not None
    meetings = series.occurrences_of(ctx, s.id)
    return SeriesOut(
        id=s.id,
        title=s.title,
        rrule=s.rrule,
        summary=describe(parse_rrule(s.rrule, LOCAL_TZ)),
        duration_minutes=s.duration_minutes,
        occurrences=[
            OccurrenceOut(
                meeting_id=m.id or 0, start=to_local(m.start_at), status=m.status, detached=m.detached
            )
            for m in meetings
        ],
    )


def create_series(call: Call) -> SeriesOut:
    with call.write() as s:
        ctx = _ctx(call, s)
        return _out(ctx, series.create_series(ctx, call.body))


def get_series(call: Call) -> SeriesOut:
    with call.read() as s:
        ctx = _ctx(call, s)
        found = series.get_series(ctx, call.path["series_id"])
        meetings = series.occurrences_of(ctx, call.path["series_id"])
        if meetings:
            require_view_meeting(call.user, queries.meeting_access(s, meetings[0]), queries.unit_tree(s))
        return _out(ctx, found)


def split_series(call: Call) -> SeriesOut:
    with call.write() as s:
        ctx = _ctx(call, s)
        return _out(ctx, series.split_series(ctx, call.path["series_id"], call.body))


ROUTES = [
    ApiRoute(
        "POST",
        "/api/series",
        create_series,
        "Create a recurring series; every occurrence is checked",
        "series",
        body=series.SeriesCreate,
        response=SeriesOut,
        status=201,
        errors=(403, 409, 422),
    ),
    ApiRoute(
        "GET",
        "/api/series/{series_id:int}",
        get_series,
        "A series and its occurrences",
        "series",
        response=SeriesOut,
        errors=(403, 404),
    ),
    ApiRoute(
        "POST",
        "/api/series/{series_id:int}/split",
        split_series,
        "Change this occurrence and the following ones (a new series from there)",
        "series",
        body=series.SeriesSplit,
        response=SeriesOut,
        status=201,
        errors=(403, 404, 409, 422),
    ),
]
