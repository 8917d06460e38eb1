"""The typed payloads of meeting commands and views (pydantic). HTTP (and later WebSocket) use these;
OpenAPI is generated from them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from meetings.clock import aware
from meetings.permissions import MeetingRole
from meetings.units import Level

MAX_MEETING = timedelta(days=7)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeRuleIn(Strict):
    under_unit_id: int = Field(description="every bridge point of units under this unit (itself included)")
    level: Level | None = Field(default=None, description="only units at this level")


class ScopeIn(Strict):
    bridge_point_ids: list[int] = Field(default_factory=list)
    rules: list[ScopeRuleIn] = Field(default_factory=list)


class ParticipantIn(Strict):
    person_id: int
    role: MeetingRole


class TimeSpan(Strict):
    start: datetime = Field(description="ISO 8601; without an offset it is Asia/Ho_Chi_Minh local time")
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSpan:
        _check_span(self.start, self.end)
        return self


def _check_span(start: datetime | None, end: datetime | None) -> None:
    if start is None or end is None:
        return
    if aware(end) <= aware(start):
        raise ValueError("end must be after start")
    if aware(end) - aware(start) > MAX_MEETING:
        raise ValueError("a meeting may last at most 7 days")


class MeetingCreate(TimeSpan):
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=255, description="the convening body, e.g. 'HĐND tỉnh'")
    description: str = Field(default="", max_length=20000)
    host_unit_id: int
    scope: ScopeIn = Field(default_factory=ScopeIn)
    participants: list[ParticipantIn] = Field(default_factory=list)


class MeetingPatch(Strict):
    version: int = Field(description="the version the client last saw; a stale one gets 409")
    title: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=20000)
    start: datetime | None = None
    end: datetime | None = None
    scope: ScopeIn | None = None
    participants: list[ParticipantIn] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MeetingPatch:
        _check_span(self.start, self.end)
        return self


class TransitionIn(Strict):
    to: Literal["draft", "scheduled", "live", "ended", "archived", "cancelled"]
    reason: str = Field(default="", max_length=1000)


class ParticipantOut(BaseModel):
    person_id: int
    role: MeetingRole
    full_name: str


class MeetingOut(BaseModel):
    id: int
    title: str
    body: str
    description: str
    host_unit_id: int
    start: datetime = Field(description="local time, Asia/Ho_Chi_Minh")
    end: datetime
    start_utc: datetime
    end_utc: datetime
    status: str
    scope: ScopeIn
    bridge_point_ids: list[int]
    participants: list[ParticipantOut]
    series_id: int | None
    detached: bool
    version: int
    last_seq: int


class ClashOut(BaseModel):
    kind: Literal["bridge_point", "person"]
    id: int
    meeting_id: int
    meeting_title: str | None = None


class ErrorOut(BaseModel):
    detail: str = Field(description="what went wrong, in English")
    reason: str | None = Field(default=None, description="a machine word for it, e.g. not_pdf")
    figures: dict[str, str | int] | None = Field(default=None, description="the values the reason names")
    errors: list[dict[str, object]] | None = None


class ConflictOut(ErrorOut):
    conflicts: list[ClashOut]
