"""Notifications: in-app over the user's bus channel and the HTTP list; e-mail through a real SMTP server
(aiosmtpd on 127.0.0.1) with its delivery state, exponential back-off, and permanent refusals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from meetings.db import transaction
from meetings.lifecycle import Status
from meetings.models import Person
from meetings.models_jobs import Notification, NotificationDelivery
from meetings.notify import SmtpSettings
from tests.conftest import login
from tests.test_jobs import (
    QUIET,
    Demo,
    Factory,
    FakeClock,
    advance,
    app_client,
    create_meeting,
    demo,
    local,
    move,
    next_message,
    services,
)

__all__ = ["app_client", "demo", "services"]  # fixtures used here


class Mailbox:
    """An SMTP handler keeping what it accepted; it refuses addresses that start with 'bad'."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("bad"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"

    def subjects(self) -> dict[str, str]:
        found = {}
        for rcpts, raw in self.messages:
            msg = message_from_bytes(raw)
            found[rcpts[0]] = str(make_header(decode_header(msg["Subject"])))
        return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server(port: int) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def give_emails(engine: Engine, emails: dict[int, str]) -> None:
    with transaction(engine) as s:
        for person_id, email in emails.items():
            person = s.get(Person, person_id)
            assert person is not None
            person.email = email
            s.add(person)


def deliveries(engine: Engine, channel: str) -> list[NotificationDelivery]:
    with Session(engine) as s:
        query = select(NotificationDelivery).where(NotificationDelivery.channel == channel)
        return list(s.exec(query.order_by(col(NotificationDelivery.id))).all())


def test_in_app_notifications_reach_the_users_channel_and_their_list(
    services: Factory, engine: Engine, demo: Demo, app_client: TestClient
) -> None:
    clock = FakeClock(local("2031-02-10 09:00"))
    svc = services(clock)
    feed = app_client.app.state.bus.subscribe(f"user:{demo.users[demo.secretary]}")  # type: ignore[attr-defined]
    mid = create_meeting(engine, demo, clock.now, "2031-02-12T08:00", "2031-02-12T10:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    advance(svc, clock, local("2031-02-11 08:00"))  # the invitation, then the 24 h reminder

    pushed = app_client.portal.call(next_message, feed)  # type: ignore[union-attr]
    assert pushed["type"] == "notification" and pushed["kind"] == "invitation" and pushed["meeting_id"] == mid
    assert pushed["title"] == "Giấy mời họp: Giao ban trực tuyến tháng 1"
    assert "08:00 Thứ Tư, 12/02/2031 – 10:00 (giờ Việt Nam)" in pushed["body"]

    sec = login(app_client, "secretary")
    mine = app_client.get("/api/notifications", headers=sec).json()
    assert mine["unread"] == 2 and [n["kind"] for n in mine["items"]] == ["reminder", "invitation"]
    assert mine["items"][1]["id"] == pushed["id"]
    assert mine["items"][1]["deliveries"] == [
        {
            "channel": "in_app",
            "status": "sent",
            "attempts": 1,
            "last_error": "",
            "sent_at": mine["items"][1]["created_at"],
        }
    ]
    r = app_client.post(f"/api/notifications/{pushed['id']}/read", headers=sec)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    after = app_client.get("/api/notifications?unread_only=true", headers=sec).json()
    assert after["unread"] == 1 and [n["kind"] for n in after["items"]] == ["reminder"]
    chair = login(app_client, "chair")
    assert app_client.post(f"/api/notifications/{pushed['id']}/read", headers=chair).status_code == 404
    app_client.cookies.clear()
    assert app_client.get("/api/notifications").status_code == 401


def test_emails_are_sent_through_smtp_with_vietnamese_subjects(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    port = free_port()
    give_emails(engine, {demo.chair: "chu.tich@hagiang.gov.vn", demo.delegate: "dai.bieu@hagiang.gov.vn"})
    clock = FakeClock(local("2031-03-10 09:00"))
    svc = services(
        clock, replace(QUIET, smtp=SmtpSettings(host="127.0.0.1", port=port, sender="lich@hagiang.gov.vn"))
    )
    with smtp_server(port) as box:
        mid = create_meeting(engine, demo, clock.now, "2031-03-12T08:00", "2031-03-12T10:00", bps=[])
        move(engine, mid, Status.scheduled, clock.now)
        svc.on_meeting_changed(mid)
        advance(svc, clock, local("2031-03-10 09:01"))
    assert box.subjects() == {
        "chu.tich@hagiang.gov.vn": "Giấy mời họp: Giao ban trực tuyến tháng 1",
        "dai.bieu@hagiang.gov.vn": "Giấy mời họp: Giao ban trực tuyến tháng 1",
    }
    body = message_from_bytes(box.messages[0][1])
    assert body["From"] == "lich@hagiang.gov.vn"
    assert "Thời gian: 08:00 Thứ Tư, 12/03/2031" in body.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert [(d.status, d.attempts) for d in deliveries(engine, "email")] == [("sent", 1), ("sent", 1)]


def test_a_failed_email_is_retried_with_back_off_until_the_server_answers(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    port = free_port()  # nothing listens there yet
    give_emails(engine, {demo.chair: "chu.tich@hagiang.gov.vn"})
    clock = FakeClock(local("2031-04-07 09:00"))
    svc = services(clock, replace(QUIET, smtp=SmtpSettings(host="127.0.0.1", port=port, timeout=5)))
    mid = create_meeting(engine, demo, clock.now, "2031-04-09T08:00", "2031-04-09T10:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    svc.tick(clock.now)  # the invitation: recorded, the in-app copy sent, the e-mail fails
    [mail] = deliveries(engine, "email")
    assert (mail.status, mail.attempts) == ("pending", 1) and "Connection refused" in mail.last_error
    assert {d.status for d in deliveries(engine, "in_app")} == {"sent"}

    svc.deliver(clock.now + timedelta(seconds=29))  # too early: 30 s back-off
    assert deliveries(engine, "email")[0].attempts == 1
    svc.deliver(clock.now + timedelta(seconds=30))  # second attempt, still down: now 60 s
    assert deliveries(engine, "email")[0].attempts == 2
    svc.deliver(clock.now + timedelta(seconds=89))
    assert deliveries(engine, "email")[0].attempts == 2
    with smtp_server(port) as box:
        svc.deliver(clock.now + timedelta(seconds=90))
    [mail] = deliveries(engine, "email")
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 3, "") and len(box.messages) == 1


def test_a_refused_address_fails_at_once_and_retries_stop_after_the_last_attempt(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    port = free_port()
    give_emails(engine, {demo.chair: "bad.address@hagiang.gov.vn", demo.delegate: "dai.bieu@hagiang.gov.vn"})
    clock = FakeClock(local("2031-05-12 09:00"))
    svc = services(clock, replace(QUIET, smtp=SmtpSettings(host="127.0.0.1", port=port, max_attempts=2)))
    mid = create_meeting(engine, demo, clock.now, "2031-05-14T08:00", "2031-05-14T10:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    with smtp_server(port) as box:
        svc.tick(clock.now)
    bad, good = deliveries(engine, "email")
    assert (bad.status, bad.attempts) == ("failed", 1) and "550" in bad.last_error
    assert good.status == "sent" and len(box.messages) == 1

    clock.now = local("2031-05-13 08:00")  # the 24 h reminder, with the mail server down
    svc.tick(clock.now)
    svc.deliver(clock.now + timedelta(minutes=1))
    states = [(d.status, d.attempts) for d in deliveries(engine, "email")[2:]]
    assert states == [("failed", 2), ("failed", 2)]  # max_attempts=2: given up, reported as failed


def test_notifications_are_recorded_once_per_person_and_cause(
    services: Factory, engine: Engine, demo: Demo
) -> None:
    clock = FakeClock(local("2031-06-09 09:00"))
    svc = services(clock)
    mid = create_meeting(engine, demo, clock.now, "2031-06-11T08:00", "2031-06-11T10:00", bps=[])
    move(engine, mid, Status.scheduled, clock.now)
    svc.on_meeting_changed(mid)
    svc.tick(clock.now)
    svc.scheduler.add_job(  # the same job again, as if its removal had been lost: it must not run twice
        "meetings.jobs:planned_job",
        "date",
        run_date=clock.now,
        args=("invitation", mid, ""),
        id=f"m{mid}:invitation",
    )
    svc.tick(clock.now)
    with Session(engine) as s:
        rows = s.exec(select(Notification).where(Notification.meeting_id == mid)).all()
    assert sorted(n.person_id for n in rows) == sorted([demo.chair, demo.secretary, demo.delegate])


@pytest.mark.parametrize("env", [{}, {"CAUHOP_SMTP_HOST": "mail.hagiang.gov.vn", "CAUHOP_SMTP_PORT": "2525"}])
def test_smtp_settings_come_from_the_environment(env: dict[str, str]) -> None:
    smtp = SmtpSettings.from_env({**env, "CAUHOP_SMTP_FROM": "lich@hagiang.gov.vn"})
    assert (smtp.host, smtp.port, smtp.sender) == (
        env.get("CAUHOP_SMTP_HOST"),
        int(env.get("CAUHOP_SMTP_PORT", "25")),
        "lich@hagiang.gov.vn",
    )
