"""What the browser journeys share: the Chromium they drive, screenshots, and the API as one user."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, ViewportSize

from tests.servers import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TABLET: ViewportSize = {"width": 1280, "height": 800}
Contexts = Callable[..., BrowserContext]


def open_page(contexts: Contexts, username: str | None, path: str) -> Page:
    page = contexts(username).new_page()
    page.goto(path)
    return page


def shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # sticky panels sit where a reader sees them
    page.screenshot(path=str(path), full_page=True)
    return path


class Api:
    """The HTTP API as one user, to set the scene and to check what was stored."""

    def __init__(self, server: Server, username: str) -> None:
        self.server = server
        self.token = server.login(username)

    def get(self, path: str) -> Any:
        status, body = self.server.request("GET", path, token=self.token)
        assert status == 200, (path, status, body)
        return body

    def command(self, meeting_id: int, **cmd: Any) -> Any:
        cmd.setdefault("id", f"test-{cmd['type']}-{os.urandom(4).hex()}")
        status, body = self.server.request("POST", f"/api/meetings/{meeting_id}/commands", cmd, self.token)
        assert status == 200, (cmd, status, body)
        return body
