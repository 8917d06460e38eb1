"""A commune's bridge-point console in Chromium, opened on the province server, is served by its district
relay: the province's plan answers the offer with a `redirect`, the page takes it to the district relay (a
second `cauhop serve`, CAUHOP_RELAY_UNIT_ID, on the same database and Redis), and the chair's picture comes
down the cascade into the page. The operations board on the province server shows the commune in the call at
the district relay, named for the operator by the district's unit, and the chair's room at the province's."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from meetings.db import make_engine
from meetings.models import Unit
from tests.browser.helpers import Api, Contexts, open_page, shot
from tests.browser.test_browser_media import join, media_context, start_agent, tile_playing
from tests.polling import wait_until
from tests.rtc.test_cascade_processes import commune_of_a_district
from tests.servers import Server, redis_url

MEETING = 1


@pytest.fixture
def relay_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": redis_url(),
        "SECRET_KEY": secrets.token_urlsafe(16),  # the same on every relay of this test
        "CAUHOP_RTC_HOST_ADDRESSES": "127.0.0.1",
    }


@pytest.fixture
def server(relay_env: dict[str, str]) -> Iterator[Server]:
    """The province (root) relay, which the browser's pages come from."""
    running = Server(relay_env)
    try:
        yield running
    finally:
        running.stop()


def unit_name(db_url: str, unit_id: int) -> str:
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            unit = s.get(Unit, unit_id)
    finally:
        engine.dispose()
    assert unit is not None
    return unit.name


@pytest.fixture
def district(server: Server, relay_env: dict[str, str], db_url: str) -> Iterator[tuple[Server, int, int]]:
    """The district relay, its unit and a bridge point of one of its communes."""
    _, unit, commune = commune_of_a_district(db_url)
    # the province's pages open sockets here: their origin is allowed
    env = {**relay_env, "CAUHOP_RELAY_UNIT_ID": str(unit), "CAUHOP_ALLOWED_ORIGINS": server.base}
    running = Server(env)
    try:
        yield running, unit, commune
    finally:
        running.stop()


def test_a_commune_console_follows_the_redirect_to_its_district_relay_and_sees_the_chair(
    contexts: Contexts,
    as_user: Callable[[str], Api],
    server: Server,
    district: tuple[Server, int, int],
    db_url: str,
) -> None:
    relay, unit, commune = district
    name = unit_name(db_url, unit)
    secretary = as_user("secretary")
    codes = {bp["id"]: bp["code"] for bp in secretary.get("/api/bridge-points")}
    chair_bp = next(bp for bp, code in codes.items() if code == "BP-HG-UBND")
    wait_until(  # polling the route, as the board does
        lambda: relay.base in secretary.get(f"/api/meetings/{MEETING}/media")["relays"],
        15,
        "the province hears the district relay's heartbeat",
    )

    agent = start_agent(server, chair_bp)  # the chair's room, at the province relay
    try:
        room = media_context(contexts, "secretary").new_page()
        room.goto(f"/app/bridge/{MEETING}?bp={commune}")
        join(room)
        sockets = room.evaluate("window.__rtcSockets.map((s) => s.url)")
        assert sockets[0].startswith(server.base.replace("http", "ws"))
        assert sockets[-1] == f"{relay.base.replace('http', 'ws')}/ws/rtc/{MEETING}", sockets
        tile_playing(room, "chair")
        shot(room, "bridge-point-via-district-relay")

        def in_call_at_the_district() -> bool:
            rows = secretary.get(f"/api/meetings/{MEETING}/media")["points"]
            row = next(p for p in rows if p["bridge_point_id"] == commune)
            return bool(row["in_call"] and row["relay"] == relay.base and row["relay_unit_id"] == unit)

        wait_until(in_call_at_the_district, 15, "the board shows the commune in call at its relay")
        expect(room.locator(".call-state")).to_have_text("Đã vào cuộc gọi")
        rows = secretary.get(f"/api/meetings/{MEETING}/media")["points"]
        assert next(p for p in rows if p["bridge_point_id"] == commune)["relay_unit_name"] == name

        # the board names the relay serving each room: the province's (chair), the district's (commune)
        board = open_page(contexts, "secretary", f"/app/ops?meeting={MEETING}")
        chair_row = board.locator(f'tr.bp-row[data-bp="{chair_bp}"]')
        expect(chair_row.locator(".live-relay")).to_have_text("qua cầu nối tỉnh", timeout=20_000)
        board.get_by_label("Tìm điểm cầu").fill(codes[commune])
        commune_row = board.locator(f'tr.bp-row[data-bp="{commune}"]')
        state = commune_row.locator('[data-slot="media-state"]')
        expect(state).to_have_text(f"Trong cuộc gọi qua cầu nối {name}", timeout=20_000)
        shot(board, "ops-board-cascade")
        board.get_by_role("button", name="English").click()
        expect(state).to_have_text(f"In call via {name} relay")
    finally:
        agent.terminate()
        agent.wait(10)
