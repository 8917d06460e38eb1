"""The browser apps: static ES modules under ``/static`` and one small HTML shell per screen.

Each screen is a plain page that loads its module from ``web/static/pages/``; the module asks the API who is
logged in (and sends the browser to the login page when nobody is). No build step, nothing from a CDN.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"

# Same-origin everything; no inline script. Styles set from scripts go through the CSSOM, which CSP allows.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

# screen → (module under static/pages/, the <title> shown before the module runs)
SCREENS: dict[str, tuple[str, str]] = {
    "login": ("login", "Đăng nhập"),
    "meetings": ("meetings", "Cuộc họp của tôi"),
    "secretary": ("secretary", "Thư ký: tạo cuộc họp"),
    "chair": ("chair", "Điều hành cuộc họp"),
    "tablet": ("tablet", "Phòng họp"),
    "bridge": ("bridge", "Điểm cầu"),
    "ops": ("ops", "Bảng vận hành"),
}


class StaticAssets(StaticFiles):
    """Static files that the browser revalidates on every use (cheap 304s), so an upgrade is never stale."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "no-cache"
        response.headers["x-content-type-options"] = "nosniff"
        return response


def shell(screen: str) -> str:
    module, title = SCREENS[screen]
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{html.escape(title)} · Cầu Họp</title>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<script type="module" src="/static/pages/{module}.js"></script>
</head>
<body data-screen="{screen}">
<a class="skip-link" href="#main" data-i18n="nav.skip">Bỏ qua đến nội dung chính</a>
<div id="app"><p class="loading" role="status">Đang tải…</p></div>
<noscript><p class="noscript">Cầu Họp cần JavaScript. / Cầu Họp needs JavaScript.</p></noscript>
</body>
</html>
"""


def page_headers(request: Request) -> dict[str, str]:
    """The security headers, with the deployment's other media relays allowed as WebSocket destinations (a
    bridge point's console is redirected to its district relay: ``rtc/cascade_service.py``)."""
    rtc = getattr(request.app.state, "rtc", None)
    relays = rtc.socket_origins() if rtc is not None else []
    if not relays:
        return SECURITY_HEADERS
    csp = SECURITY_HEADERS["content-security-policy"]
    return {
        **SECURITY_HEADERS,
        "content-security-policy": csp.replace(
            "connect-src 'self'", " ".join(["connect-src 'self'", *relays])
        ),
    }


def _screen(path: str, screen: str) -> Route:
    async def endpoint(request: Request) -> HTMLResponse:
        return HTMLResponse(shell(screen), headers=page_headers(request))

    return Route(path, endpoint, methods=["GET"], name=f"page_{screen}")


async def service_worker(request: Request) -> FileResponse:
    """The tablet's service worker, served from the root so that its scope may be ``/app/tablet/``."""
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript", headers=SECURITY_HEADERS)


async def home(request: Request) -> RedirectResponse:
    return RedirectResponse("/app/login")


async def app_home(request: Request) -> RedirectResponse:
    return RedirectResponse("/app/meetings")


ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/app", app_home, methods=["GET"]),
    Route("/app/", app_home, methods=["GET"]),
    _screen("/app/login", "login"),
    _screen("/app/meetings", "meetings"),
    _screen("/app/secretary", "secretary"),
    _screen("/app/chair/{meeting_id:int}", "chair"),
    _screen("/app/tablet/{meeting_id:int}", "tablet"),
    _screen("/app/bridge/{meeting_id:int}", "bridge"),
    _screen("/app/ops", "ops"),
    Route("/sw.js", service_worker, methods=["GET"], name="service_worker"),
    Mount("/static", app=StaticAssets(directory=STATIC_DIR), name="static"),
]
