"""Browser journeys: Playwright drives Debian's Chromium against a real `cauhop serve --demo` process.

The browser is /usr/bin/chromium (`bash scripts/install-browser` installs it); Playwright never downloads a
browser of its own. A missing Chromium fails every journey loudly: nothing is skipped. Each launch uses a
fresh, temporary user-data directory (Playwright creates one per launch and removes it afterwards). Each test
gets its own server process on a free loopback port, over its own fresh database (SQLite, or PostgreSQL when
CAUHOP_TEST_DATABASE_URL is set), and saves a screenshot under test-output/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, TABLET, Api, Contexts
from tests.servers import Server

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: while Playwright's sync API is started it keeps an
    asyncio loop marked as running in this thread, and the other test modules call asyncio.run()."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: run `bash scripts/install-browser` (make test does) — "
            "the browser journeys never skip",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    # The media relay gathers its ICE candidates on loopback only, where the browser reaches it.
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path / "data"),
        "CAUHOP_RTC_HOST_ADDRESSES": "127.0.0.1",
    }
    env.pop("REDIS_URL", None)
    running = Server(env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def contexts(browser: Browser, server: Server) -> Iterator[Contexts]:
    """New browser contexts (separate cookies and storage: separate people), logged in when a user is named.

    Camera and microphone are allowed (Chromium's fake devices). Uncaught script errors on any page fail the
    test."""
    made: list[BrowserContext] = []
    errors: list[str] = []

    def make(username: str | None = None) -> BrowserContext:
        ctx = browser.new_context(
            base_url=server.base,
            viewport=TABLET,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            permissions=["camera", "microphone"],
        )
        ctx.set_default_timeout(15_000)
        ctx.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}")))
        if username is not None:
            reply = ctx.request.post("/api/auth/login", data={"username": username, "password": "demo"})
            assert reply.ok, reply.text()
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()
    assert not errors, "script errors in the page:\n" + "\n".join(errors)


@pytest.fixture
def as_user(server: Server) -> Callable[[str], Api]:
    return lambda username: Api(server, username)
