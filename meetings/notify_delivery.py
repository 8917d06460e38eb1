"""Sending notifications: ``deliver_due`` claims the deliveries that are due (moving their next attempt a
lease ahead, so a second sender skips them), sends outside any transaction, then records each outcome.
A failed e-mail is retried with exponential back-off (``reminders.retry_delay``) and is ``failed`` after
``max_attempts`` or on a permanent (5xx) refusal; an in-app copy goes out on the user's bus channel.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import Engine
from sqlmodel import col, select

from meetings.db import transaction
from meetings.models_jobs import Notification, NotificationDelivery
from meetings.notify import EMAIL, IN_APP, NotificationOut, Publish, SmtpSettings, notification_out
from meetings.reminders import retry_delay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    channel: str
    address: str
    attempts: int
    message: NotificationOut


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class _Permanent(Exception):
    """A refusal that retrying will not change (5xx)."""


def deliver_due(
    engine: Engine,
    now: datetime,
    *,
    publish: Publish | None,
    smtp: SmtpSettings,
    channels: tuple[str, ...] = (IN_APP, EMAIL),
    limit: int = 500,
    lease: timedelta = timedelta(minutes=5),
) -> DeliveryReport:
    """Send every due delivery of ``channels`` once; record sent / retry later / failed."""
    usable = tuple(c for c in channels if (c != IN_APP or publish) and (c != EMAIL or smtp.host))
    claimed = _claim(engine, now, usable, limit, lease) if usable else []
    if not claimed:
        return DeliveryReport()
    outcomes: dict[int, str | None] = {}
    permanent: set[int] = set()
    for item in (c for c in claimed if c.channel == IN_APP):
        assert publish is not None
        try:
            publish(item.address, item.message.model_dump(mode="json", exclude={"deliveries"}))
            outcomes[item.delivery_id] = None
        except RuntimeError as exc:  # the bus is not running
            outcomes[item.delivery_id] = f"bus: {exc}"
    mails = [c for c in claimed if c.channel == EMAIL]
    if mails:
        outcomes.update(_send_mails(smtp, mails, now, permanent))
    return _settle(engine, now, claimed, outcomes, permanent, smtp.max_attempts)


def _claim(
    engine: Engine, now: datetime, channels: tuple[str, ...], limit: int, lease: timedelta
) -> list[_Claimed]:
    with transaction(engine) as s:
        rows = s.exec(
            select(NotificationDelivery, Notification)
            .join(Notification, col(Notification.id) == NotificationDelivery.notification_id)
            .where(
                NotificationDelivery.status == "pending",
                col(NotificationDelivery.next_attempt_at) <= now,
                col(NotificationDelivery.channel).in_(channels),
            )
            .order_by(col(NotificationDelivery.id))
            .limit(limit)
            .with_for_update(of=NotificationDelivery, skip_locked=True)
        ).all()
        claimed = []
        for d, n in rows:
            assert d.id is not None
            d.attempts += 1
            d.next_attempt_at = now + lease
            s.add(d)
            claimed.append(_Claimed(d.id, d.channel, d.address, d.attempts, notification_out(n)))
        return claimed


def _send_mails(
    smtp: SmtpSettings, mails: list[_Claimed], now: datetime, permanent: set[int]
) -> dict[int, str | None]:
    assert smtp.host is not None
    outcomes: dict[int, str | None] = {}
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as conn:
            for item in mails:
                outcomes[item.delivery_id] = _send_one(conn, smtp, item, now, permanent)
    except (OSError, smtplib.SMTPException) as exc:  # the server is unreachable or hung up
        for item in mails:
            outcomes.setdefault(item.delivery_id, f"smtp {smtp.host}:{smtp.port}: {exc}")
    return outcomes


def _send_one(
    conn: smtplib.SMTP, smtp: SmtpSettings, item: _Claimed, now: datetime, permanent: set[int]
) -> str | None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, item.address, item.message.title
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(f"n{item.message.id}")
    msg.set_content(item.message.body or item.message.title)
    try:
        conn.send_message(msg)
        return None
    except smtplib.SMTPRecipientsRefused as exc:
        permanent.add(item.delivery_id)
        return f"refused: {exc.recipients}"
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            permanent.add(item.delivery_id)
        return f"smtp {exc.smtp_code}: {exc.smtp_error!r}"


def _settle(
    engine: Engine,
    now: datetime,
    claimed: list[_Claimed],
    outcomes: dict[int, str | None],
    permanent: set[int],
    max_attempts: int,
) -> DeliveryReport:
    sent = retrying = failed = 0
    with transaction(engine) as s:
        for item in claimed:
            d = s.get(NotificationDelivery, item.delivery_id)
            if d is None:
                continue
            error = outcomes.get(item.delivery_id, "not attempted")
            if error is None:
                d.status, d.sent_at, d.last_error = "sent", now, ""
                sent += 1
            elif item.delivery_id in permanent or item.attempts >= max_attempts:
                d.status, d.last_error = "failed", error[:1000]
                failed += 1
                log.warning("delivery %s to %s failed for good: %s", d.id, d.address, error)
            else:
                d.next_attempt_at, d.last_error = now + retry_delay(item.attempts), error[:1000]
                retrying += 1
            s.add(d)
    return DeliveryReport(sent, retrying, failed)
