"""The Cầu Họp Starlette application: routes from web/, and in its lifespan the long-lived parts."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute

from docs_store.store import DocumentSettings, DocumentStore
from meetings.bus import make_bus
from meetings.config import Settings
from meetings.db import make_engine
from meetings.jobs import JobService, JobSettings
from meetings.live_service import LiveService
from rtc.config import RtcSettings
from rtc.signaling import rtc_lifespan, rtc_route
from web import (
    routes_agenda,
    routes_auth,
    routes_documents,
    routes_invitations,
    routes_live,
    routes_media,
    routes_meetings,
    routes_notifications,
    routes_pages,
    routes_series,
    routes_signatures,
    routes_units,
)
from web.endpoint import ApiRoute
from web.errors import EXCEPTION_HANDLERS
from web.openapi import build_spec, docs_page, openapi_json
from web.presence import PresenceTracker
from web.ratelimit import FailureLimiter
from web.ws import meeting_socket
from web.ws_wire import KeepRawSend

VERSION = "0.1.0"
API_ROUTES: list[ApiRoute] = [
    *routes_auth.ROUTES,
    *routes_units.ROUTES,
    *routes_meetings.ROUTES,
    *routes_invitations.ROUTES,
    *routes_series.ROUTES,
    *routes_live.ROUTES,
    *routes_notifications.ROUTES,
    *routes_media.ROUTES,
    *routes_agenda.ROUTES,
    *routes_documents.ROUTES,
    *routes_signatures.ROUTES,
]


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, rtc: RtcSettings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.engine = make_engine(settings.database_url)
        app.state.bus = make_bus(settings.redis_url)
        app.state.live = LiveService(app.state.engine)
        app.state.documents = DocumentStore(settings.data_dir / "documents", DocumentSettings.from_env())
        app.state.presence = PresenceTracker(app.state.bus, settings.presence_heartbeat)
        await app.state.presence.start()
        await app.state.bus.start()
        app.state.jobs = JobService(
            app.state.engine,
            JobSettings.from_env(),
            publish=app.state.bus.publish_threadsafe,
            buffer=timedelta(minutes=settings.setup_buffer_minutes),
        )
        app.state.jobs.start()
        try:
            async with rtc_lifespan(app, rtc):
                gc.freeze()  # what start-up built lives as long as the app: the collections meanwhile skip it
                yield
        finally:
            gc.unfreeze()
            await asyncio.to_thread(app.state.jobs.stop)
            await app.state.presence.stop()
            await app.state.bus.stop()
            await asyncio.to_thread(app.state.documents.close)
            app.state.engine.dispose()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/openapi.json", openapi_json),
        Route("/docs", docs_page),
        Route("/api/ws-schema.json", routes_live.ws_schema),
        WebSocketRoute("/ws/meetings/{meeting_id:int}", meeting_socket),
        rtc_route(),
        *(r.route() for r in API_ROUTES),
        *routes_pages.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
        middleware=[Middleware(KeepRawSend)],  # live sockets write their events beneath Starlette's wrappers
    )
    app.state.settings = settings
    app.state.login_limiter = FailureLimiter()
    app.state.openapi = build_spec(API_ROUTES, "Cầu Họp", VERSION)
    return app
