"""The demo meeting's documents: a realistic agenda of 100+ pages, uploaded through the store path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from starlette.testclient import TestClient

from docs_store.demo_seed import comment_deadline, seed_demo_documents
from meetings.clock import utcnow
from meetings.config import Settings
from meetings.db import transaction
from server import create_app
from tests.conftest import login


def test_the_demo_comment_deadline_is_before_the_start_and_still_ahead() -> None:
    start = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Giang
    for hours_before in (1, 13, 23, 30, 72):
        now = start - timedelta(hours=hours_before)
        deadline = comment_deadline(now, start)
        assert now < deadline < start
        if hours_before > 48:
            assert deadline == start - timedelta(days=1)


def test_the_demo_meeting_gets_its_agenda_documents_and_packet(engine: Engine, settings: Settings) -> None:
    with transaction(engine) as s:
        seeded = seed_demo_documents(s, 1, settings.data_dir, utcnow())
    assert (seeded.items, seeded.documents) == (8, 5) and seeded.pages >= 100
    # the packet holds what every participant may read (the delegates-only review is left out), plus its
    # cover and contents
    assert 80 < seeded.packet_pages < seeded.pages
    with TestClient(create_app(settings)) as client:
        h = login(client, "delegate01")
        agenda = client.get("/api/meetings/1/agenda", headers=h).json()
        assert [len(i["documents"]) for i in agenda] == [0, 1, 1, 1, 1, 1, 0, 0]
        assert sum(d["pages"] for i in agenda for d in i["documents"]) == seeded.pages
        hits = client.get("/api/meetings/1/search?q=du toan ngan sach", headers=h).json()
        assert hits and all("ngân sách" in hit["snippet"].lower() for hit in hits)
        doc = agenda[2]["documents"][0]["id"]
        assert client.get(f"/api/documents/{doc}", headers=h).json()["comment_deadline"] is not None
        # the drafts are open for comments when the demo starts, whatever the time of day it was seeded
        comment = {"text": "Đề nghị làm rõ.", "page": 1}
        r = client.post(f"/api/documents/{doc}/comments", json=comment, headers=h)
        assert r.status_code == 201, r.text
        assert client.get(f"/api/documents/{doc}/pages/1?width=320", headers=h).status_code == 200
        assert client.get("/api/meetings/1/packet", headers=h).status_code == 200
        operator = login(client, "operator")  # the committee's review is for delegates only
        assert (
            len(
                [
                    d
                    for i in client.get("/api/meetings/1/agenda", headers=operator).json()
                    for d in i["documents"]
                ]
            )
            == 4
        )
