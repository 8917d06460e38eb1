"""One declared API route: its method, path, typed query/body/response, and a plain synchronous handler.

The async wrapper does only I/O plumbing — read the body (bounded), parse it into the declared model,
authenticate — then runs the handler in a worker thread, where it opens its own transaction. OpenAPI is
generated from the same declarations (``web/openapi.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from meetings import eventlog
from meetings.clock import utcnow
from meetings.config import Settings
from meetings.db import reading, transaction
from meetings.errors import Invalid, PayloadTooLarge, invalid_from
from meetings.live_service import event_message
from meetings.permissions import Actor
from web.auth import authenticate_request

MAX_JSON_BODY = 1_000_000


@dataclass
class Call:
    """Everything a handler may use: parsed input, who calls, and the way to the database."""

    request: Request
    engine: Engine
    settings: Settings
    now: datetime
    actor: Actor | None
    path: dict[str, Any]
    query: Any = None
    body: Any = None

    @property
    def user(self) -> Actor:
        assert self.actor is not None, "route declared without auth"
        return self.actor

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction; the meeting events it appended are published once it has committed."""
        with transaction(self.engine) as session:
            yield session
        bus = self.request.app.state.bus
        for event in eventlog.appended(session):
            bus.publish_threadsafe(f"meeting:{event.meeting_id}", event_message(event))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with reading(self.engine) as session:
            yield session


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False  # the response is a list of ``response``
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = field(default=())
    raw_body: str | None = None  # media type of a non-JSON body, handed to the handler as bytes
    max_body: int = MAX_JSON_BODY

    def route(self) -> Route:
        return Route(self.path, self._endpoint, methods=[self.method], name=self.handler.__name__)

    async def _endpoint(self, request: Request) -> Response:
        engine: Engine = request.app.state.engine
        settings: Settings = request.app.state.settings
        now = utcnow()
        actor = await run_in_threadpool(authenticate_request, request, engine, now) if self.auth else None
        body = await self._parse_body(request) if self.body or self.raw_body else None
        query = _parse_query(self.query, request) if self.query else None
        call = Call(request, engine, settings, now, actor, dict(request.path_params), query, body)
        result = await run_in_threadpool(self.handler, call)
        return self._render(result)

    async def _parse_body(self, request: Request) -> Any:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            raise PayloadTooLarge(f"the request body is over {self.max_body} bytes")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > self.max_body:
                raise PayloadTooLarge(f"the request body is over {self.max_body} bytes")
        if self.raw_body:
            return bytes(raw)
        assert self.body is not None
        if not raw:
            raise Invalid("the request needs a JSON body")
        try:
            return self.body.model_validate_json(raw)
        except ValidationError as exc:
            raise invalid_from(exc) from None

    def _render(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if isinstance(result, BaseModel):
            return JSONResponse(result.model_dump(mode="json"), status_code=self.status)
        if isinstance(result, list):
            return JSONResponse([_plain(r) for r in result], status_code=self.status)
        return JSONResponse(result, status_code=self.status)


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _parse_query(model: type[BaseModel], request: Request) -> BaseModel:
    data = {k: v for k, v in request.query_params.items() if v != ""}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc, ("query",)) from None
