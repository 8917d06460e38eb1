"""Series rolled forward: each series keeps a year (the horizon) of materialised occurrences; a slot taken by
another meeting is skipped and the series' creator is told."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from meetings import commands, notify
from meetings import series as series_mod
from meetings.clock import LOCAL_TZ, from_db
from meetings.db import reading, transaction
from meetings.errors import CauhopError, SchedulingConflict
from meetings.models import Meeting, Series, User
from meetings.recurrence import parse_rrule
from meetings.reminders import roll_forward_slots

log = logging.getLogger(__name__)


def roll_series(
    engine: Engine, now: datetime, horizon: timedelta, buffer: timedelta, email: bool
) -> list[int]:
    """Materialise each series' occurrences up to ``now + horizon``: the ids of the new meetings."""
    with reading(engine) as s:
        ids = [i for i in s.exec(select(Series.id)).all() if i is not None]
    created: list[int] = []
    for sid in ids:
        try:
            created += _roll_one(engine, sid, now, horizon, buffer, email)
        except CauhopError as exc:  # e.g. its host unit is gone: the other series still roll
            log.warning("series %s cannot be rolled forward: %s", sid, exc.detail)
    return created


def _roll_one(
    engine: Engine, series_id: int, now: datetime, horizon: timedelta, buffer: timedelta, email: bool
) -> list[int]:
    with transaction(engine) as s:
        row = s.get(Series, series_id)
        if row is None:
            return []
        last = s.exec(select(func.max(Meeting.occurrence_start)).where(Meeting.series_id == series_id)).one()
        rule = parse_rrule(row.rrule, LOCAL_TZ)
        first = from_db(row.dtstart).astimezone(LOCAL_TZ)
        slots = roll_forward_slots(rule, first, from_db(last) if last else None, now + horizon)
        ctx = commands.Context(s, None, now, buffer)
        clashes: list[str] = []
        for slot in slots:
            try:
                with s.begin_nested():
                    series_mod._materialise(ctx, row, [slot], bool(row.template.get("publish", True)))
            except SchedulingConflict:
                clashes.append(f"{slot:%d/%m/%Y %H:%M}")
        if clashes and row.created_by_id is not None:
            _series_clash(s, row, clashes, now, email)
        query = select(Meeting.id).where(Meeting.series_id == series_id)
        if last is not None:
            query = query.where(col(Meeting.occurrence_start) > last)
        return [i for i in s.exec(query).all() if i is not None]


def _series_clash(s: Session, row: Series, clashes: list[str], now: datetime, email: bool) -> None:
    creator = s.get(User, row.created_by_id) if row.created_by_id is not None else None
    if creator is None or creator.person_id is None:
        return
    draft = notify.Draft(
        "series_clash",
        f"Không tạo được {len(clashes)} buổi họp định kỳ: {row.title}",
        f"Các buổi họp định kỳ «{row.title}» sau trùng lịch nên chưa được tạo: {', '.join(clashes)}.",
        None,
        {"series_id": row.id, "occurrences": clashes},
        dedupe=f"series:{row.id}:clash:{clashes[0]}:{clashes[-1]}",
    )
    notify.create(s, [creator.person_id], draft, now, email=email)
