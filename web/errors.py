"""The one place where errors become HTTP replies."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from meetings.errors import (
    CauhopError,
    Conflict,
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
    body: dict[str, object] = {"detail": exc.detail, **exc.explained()}
    if isinstance(exc, SchedulingConflict):
        body["conflicts"] = [c.as_dict() for c in exc.clashes]
    if isinstance(exc, Invalid) and exc.errors:
        body["errors"] = [e.as_dict() for e in exc.errors]
    return body


async def cauhop_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CauhopError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    return JSONResponse(body_of(exc), status_code=status_of(exc), headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


EXCEPTION_HANDLERS = {CauhopError: cauhop_error, HTTPException: http_error}
