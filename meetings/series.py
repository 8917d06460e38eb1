"""Series: recurring meetings (weekly giao ban, monthly sessions) from an RRULE subset.

A series keeps its rule and a template; its occurrences are ordinary meetings (``series_id`` and the slot
they fill, ``occurrence_start``), created up to a horizon. Editing one occurrence is a plain meeting edit
(it becomes ``detached``); editing "this and the following" ends the series before that occurrence,
cancels the following occurrences that were not edited on their own, and starts a new series there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlmodel import col, select

from meetings import commands
from meetings.clock import LOCAL_TZ, aware, from_db, to_db
from meetings.errors import Clash, FieldError, Invalid, InvalidRule, NotFound, SchedulingConflict
from meetings.lifecycle import EDITABLE, Status
from meetings.models import Meeting, Series
from meetings.recurrence import format_rrule, occurrences, parse_rrule
from meetings.schemas import MeetingCreate, ParticipantIn, ScopeIn, Strict

MAX_OCCURRENCES = 400


class SeriesCreate(Strict):
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=20000)
    host_unit_id: int
    rrule: str = Field(
        description="RRULE subset: FREQ=DAILY|WEEKLY|MONTHLY, INTERVAL, COUNT|UNTIL, BYDAY, BYMONTHDAY"
    )
    start: datetime = Field(description="the first occurrence (without an offset: Asia/Ho_Chi_Minh)")
    duration_minutes: int = Field(ge=15, le=24 * 60)
    scope: ScopeIn = Field(default_factory=ScopeIn)
    participants: list[ParticipantIn] = Field(default_factory=list)
    publish: bool = Field(
        default=True, description="schedule the occurrences at once (else leave them drafts)"
    )
    horizon_days: int = Field(default=365, ge=1, le=730, description="create occurrences this far ahead")


class SeriesSplit(Strict):
    """Change this occurrence and every following one that was not edited on its own."""

    from_meeting_id: int
    title: str | None = Field(default=None, min_length=1, max_length=500)
    rrule: str | None = None
    start: datetime | None = Field(default=None, description="new time of the first changed occurrence")
    duration_minutes: int | None = Field(default=None, ge=15, le=24 * 60)
    scope: ScopeIn | None = None
    participants: list[ParticipantIn] | None = None


def _rule(text: str) -> Any:
    try:
        return parse_rrule(text, LOCAL_TZ)
    except InvalidRule as exc:
        raise InvalidRule(exc.detail, [FieldError(("rrule",), exc.detail)]) from None


def create_series(ctx: commands.Context, data: SeriesCreate) -> Series:
    rule = _rule(data.rrule)
    first = aware(data.start).astimezone(LOCAL_TZ)
    slots = list(
        occurrences(rule, first, window_end=first + timedelta(days=data.horizon_days), limit=MAX_OCCURRENCES)
    )
    if not slots:
        raise Invalid(
            "the rule gives no occurrence within the horizon",
            [FieldError(("rrule",), "no occurrence within the horizon")],
        )
    template = data.model_dump(mode="json", exclude={"rrule", "start", "horizon_days"})
    series = Series(
        title=data.title,
        rrule=format_rrule(rule),
        dtstart=to_db(first),
        duration_minutes=data.duration_minutes,
        template=template,
        created_by_id=ctx.actor_id,
    )
    ctx.session.add(series)
    ctx.session.flush()
    _materialise(ctx, series, slots, data.publish)
    return series


def _materialise(ctx: commands.Context, series: Series, slots: list[datetime], publish: bool) -> None:
    """Create one meeting per slot; any clash in any occurrence rejects the whole series."""
    t = series.template
    clashes: list[Clash] = []
    for slot in slots:
        data = MeetingCreate(
            title=t["title"],
            body=t["body"],
            description=t["description"],
            host_unit_id=t["host_unit_id"],
            start=slot,
            end=slot + timedelta(minutes=series.duration_minutes),
            scope=ScopeIn.model_validate(t["scope"]),
            participants=[ParticipantIn.model_validate(p) for p in t["participants"]],
        )
        try:
            meeting = commands.create_meeting(ctx, data, series_id=series.id, occurrence_start=to_db(slot))
        except SchedulingConflict as exc:
            clashes += [
                Clash(c.kind, c.id, c.meeting_id, {**c.extra, "occurrence": slot.isoformat()})
                for c in exc.clashes
            ]
            continue
        if publish and meeting.id is not None:
            commands.transition(ctx, meeting.id, Status.scheduled)
    if clashes:
        dates = sorted({c.extra["occurrence"][:10] for c in clashes})
        raise SchedulingConflict(
            f"{len(dates)} occurrence(s) would double-book: {', '.join(dates)}",
            clashes,
            "series_double_booked",
            count=len(dates),
            dates=", ".join(dates),
        )


def occurrences_of(ctx: commands.Context, series_id: int) -> list[Meeting]:
    query = select(Meeting).where(Meeting.series_id == series_id).order_by(col(Meeting.start_at))
    return list(ctx.session.exec(query).all())


def get_series(ctx: commands.Context, series_id: int) -> Series:
    series = ctx.session.get(Series, series_id)
    if series is None:
        raise NotFound(f"series {series_id} does not exist")
    return series


def split_series(ctx: commands.Context, series_id: int, data: SeriesSplit) -> Series:
    old = get_series(ctx, series_id)
    pivot = ctx.session.get(Meeting, data.from_meeting_id)
    if pivot is None or pivot.series_id != series_id or pivot.occurrence_start is None:
        raise Invalid(
            "that meeting is not an occurrence of this series",
            [FieldError(("from_meeting_id",), f"not an occurrence of series {series_id}")],
        )
    if Status(pivot.status) not in EDITABLE:
        raise Invalid(
            f"occurrence {pivot.id} is '{pivot.status}' and can no longer be changed",
            reason="not_editable",
            status=str(pivot.status),
        )
    cut = from_db(pivot.occurrence_start)
    old_rule = parse_rrule(old.rrule, LOCAL_TZ)
    old.rrule = format_rrule(
        replace(old_rule, count=None, until=(cut - timedelta(seconds=1)).replace(microsecond=0))
    )
    ctx.session.add(old)
    for meeting in occurrences_of(ctx, series_id):
        if (
            meeting.occurrence_start is not None
            and from_db(meeting.occurrence_start) >= cut
            and not meeting.detached
            and Status(meeting.status) in EDITABLE
            and meeting.id is not None
        ):
            commands.transition(
                ctx, meeting.id, Status.cancelled, reason="the series was changed from here on"
            )
    t = old.template
    new = SeriesCreate(
        title=data.title or t["title"],
        body=t["body"],
        description=t["description"],
        host_unit_id=t["host_unit_id"],
        rrule=data.rrule or format_rrule(replace(old_rule, count=None)),
        start=data.start or cut.astimezone(LOCAL_TZ),
        duration_minutes=data.duration_minutes or old.duration_minutes,
        scope=data.scope or ScopeIn.model_validate(t["scope"]),
        participants=data.participants
        if data.participants is not None
        else [ParticipantIn.model_validate(p) for p in t["participants"]],
        publish=t["publish"],
    )
    return create_series(ctx, new)
