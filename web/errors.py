"""The one place where errors become HTTP replies."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meetings.errors import (
    CauhopError,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    SchedulingConflict,
    TooManyRequests,
)

STATUS: tuple[tuple[type[CauhopError], int], ...] = (
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (Invalid, 422),
    (TooManyRequests, 429),
)


def status_of(exc: CauhopError) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 400)


def body_of(exc: CauhopError) -> dict[str, object]:
    body: dict[str, object] = {"detail": exc.detail}
    if isinstance(exc, SchedulingConflict):
        body["conflicts"] = [c.as_dict() for c in exc.clashes]
    if isinstance(exc, Invalid) and exc.errors:
        body["errors"] = [e.as_dict() for e in exc.errors]
    return body


def _message(error: ErrorDetails) -> str:
    """pydantic's message, without the "Value error, " it puts before our validators' own words."""
    msg = error["msg"]
    return msg.removeprefix("Value error, ") if error["type"] == "value_error" else msg


def invalid_from(exc: ValidationError, prefix: tuple[str, ...] = ()) -> Invalid:
    """A pydantic ValidationError as our Invalid, naming each field by its path."""
    errors = [FieldError(prefix + tuple(e["loc"]), _message(e)) for e in exc.errors()]
    first = errors[0]
    where = ".".join(str(p) for p in first.loc) or "body"
    return Invalid(f"invalid {where}: {first.msg}", errors)


async def cauhop_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CauhopError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    return JSONResponse(body_of(exc), status_code=status_of(exc), headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


EXCEPTION_HANDLERS = {CauhopError: cauhop_error, HTTPException: http_error}
