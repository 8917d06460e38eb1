"""The one exception tree of Cầu Họp.

Every error a user must hear is raised as one of these, from the domain or from an edge, and turned into an
HTTP status (and later a WebSocket ``error`` reply) in exactly one place: ``web/errors.py``.
Each carries a ``detail`` written in English for the person who sent the request. One a person meets on a
screen also carries a ``reason`` (a short machine word, e.g. ``poll_closed``) and its ``figures`` (e.g.
``poll=3``): the screens say it in the page's language from those (``why.<reason>`` in
``web/static/js/strings.js``; ``tests/browser/test_strings.py`` checks every reason has its words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class CauhopError(Exception):
    """Base of every error Cầu Họp reports to a user."""

    def __init__(self, detail: str, reason: str | None = None, **figures: str | int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason
        self.figures = figures

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a document worker process, rebuilt in the server's: keep reason, figures and the rest.
        return (_rebuild, (type(self), self.args, self.__dict__))

    def explained(self) -> dict[str, Any]:
        """What a screen needs to say it in its own language (nothing when there is no reason)."""
        return {"reason": self.reason, "figures": self.figures} if self.reason else {}


def _rebuild(cls: type[CauhopError], args: tuple[Any, ...], state: dict[str, Any]) -> CauhopError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class NotAuthenticated(CauhopError):
    """No valid session or token (HTTP 401)."""


class Forbidden(CauhopError):
    """Authenticated, but not allowed to do this (HTTP 403)."""


class NotFound(CauhopError):
    """The thing named does not exist, or the user may not know it exists (HTTP 404)."""


class Invalid(CauhopError):
    """Input that cannot be accepted (HTTP 422). ``errors`` names each bad field by its path."""

    def __init__(
        self,
        detail: str,
        errors: list[FieldError] | None = None,
        reason: str | None = None,
        **figures: str | int,
    ) -> None:
        super().__init__(detail, reason, **figures)
        self.errors = errors or []


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg}


def invalid_from(exc: ValidationError, prefix: tuple[str, ...] = ()) -> Invalid:
    """A pydantic ValidationError as our Invalid, naming each field by its path (``body.data.text``) with
    pydantic's message, without the "Value error, " it puts before our validators' own words."""
    errors = [
        FieldError(
            prefix + tuple(e["loc"]),
            e["msg"].removeprefix("Value error, ") if e["type"] == "value_error" else e["msg"],
        )
        for e in exc.errors()
    ]
    first = errors[0]
    where = ".".join(str(p) for p in first.loc) or "body"
    return Invalid(f"invalid {where}: {first.msg}", errors)


class InvalidRule(Invalid):
    """A recurrence rule (RRULE) outside the supported subset or malformed."""


class Conflict(CauhopError):
    """The request clashes with the current state (HTTP 409)."""


class IllegalTransition(Conflict):
    """A lifecycle move that the meeting's current status does not allow."""


class StaleVersion(Conflict):
    """The client edited an older version of the record than the one stored."""


@dataclass(frozen=True)
class Clash:
    """One double-booking: a bridge point or a person already taken by another meeting."""

    kind: str  # "bridge_point" | "person"
    id: int
    meeting_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "meeting_id": self.meeting_id, **self.extra}


class SchedulingConflict(Conflict):
    """A meeting would double-book bridge points or people; ``clashes`` lists every one."""

    def __init__(
        self, detail: str, clashes: list[Clash], reason: str | None = None, **figures: str | int
    ) -> None:
        super().__init__(detail, reason, **figures)
        self.clashes = clashes


class TooManyRequests(CauhopError):
    """Rate limit exceeded (HTTP 429)."""


class PayloadTooLarge(CauhopError):
    """An upload or message over the configured size limit (HTTP 413)."""
