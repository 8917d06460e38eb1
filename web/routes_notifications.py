"""Notifications (mine, mark read), the calendar feed and its token, and the pre-meeting connectivity test."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from starlette.responses import Response

from meetings import jobs, jobs_connectivity, notify, notify_calendar, notify_delivery
from meetings.models import User
from web.endpoint import ApiRoute, Call


class NotificationQuery(BaseModel):
    unread_only: bool = False
    limit: int = Field(default=50, ge=1, le=500)


def list_notifications(call: Call) -> notify.NotificationList:
    q: NotificationQuery = call.query
    with call.read() as s:
        return notify.list_for_user(s, call.user.user_id, unread_only=q.unread_only, limit=q.limit)


def read_notification(call: Call) -> notify.NotificationOut:
    with call.write() as s:
        return notify.mark_read(s, call.user.user_id, call.path["notification_id"], call.now)


class CalendarTokenOut(BaseModel):
    token: str
    url: str = Field(description="subscribe to this address in a phone or desktop calendar")
    created_at: datetime


def issue_calendar_token(call: Call) -> CalendarTokenOut:
    with call.write() as s:
        token = notify_calendar.issue_calendar_token(s, call.user.user_id, call.now)
    path = f"/api/calendar/{token}.ics"
    return CalendarTokenOut(
        token=token, url=str(call.request.base_url).rstrip("/") + path, created_at=call.now
    )


def calendar_feed(call: Call) -> Response:
    with call.read() as s:
        user: User = notify_calendar.calendar_owner(s, call.path["token"])
        text = notify_calendar.calendar_feed(s, user, call.now)
    headers = {"Cache-Control": "private, max-age=300"}
    return Response(text, media_type="text/calendar; charset=utf-8", headers=headers)


def report_connectivity(call: Call) -> jobs_connectivity.ConnectivityOut:
    smtp_on = _job_settings(call).smtp.host is not None
    with call.write() as s:
        result, notified = jobs_connectivity.record_connectivity(
            s, call.user, call.path["bridge_point_id"], call.body, call.now, email=smtp_on
        )
    if notified:  # in-app alerts go out now; e-mail is left to the scheduler's sender (never blocks here)
        bus = call.request.app.state.bus
        notify_delivery.deliver_due(
            call.engine,
            call.now,
            publish=bus.publish_threadsafe,
            smtp=notify.SmtpSettings(),
            channels=(notify.IN_APP,),
        )
    return result


def connectivity_report(call: Call) -> jobs_connectivity.ConnectivityReport:
    with call.read() as s:
        return jobs_connectivity.connectivity_report(s, call.user, call.path["meeting_id"])


def _job_settings(call: Call) -> jobs.JobSettings:
    service = getattr(call.request.app.state, "jobs", None)
    return service.settings if isinstance(service, jobs.JobService) else jobs.JobSettings()


ROUTES = [
    ApiRoute(
        "GET",
        "/api/notifications",
        list_notifications,
        "My notifications, newest first, with the unread count",
        "notifications",
        query=NotificationQuery,
        response=notify.NotificationList,
    ),
    ApiRoute(
        "POST",
        "/api/notifications/{notification_id:int}/read",
        read_notification,
        "Mark one of my notifications read",
        "notifications",
        response=notify.NotificationOut,
        errors=(404,),
    ),
    ApiRoute(
        "POST",
        "/api/calendar/token",
        issue_calendar_token,
        "Get a new calendar-feed address (the previous one stops working)",
        "notifications",
        response=CalendarTokenOut,
    ),
    ApiRoute(
        "GET",
        "/api/calendar/{token}.ics",
        calendar_feed,
        "My meetings as an iCalendar feed (RFC 5545), for phone and desktop calendars",
        "notifications",
        auth=False,
        errors=(404,),
    ),
    ApiRoute(
        "POST",
        "/api/bridge-points/{bridge_point_id:int}/connectivity",
        report_connectivity,
        "A bridge point's connectivity test result (from its operator's console or agent)",
        "connectivity",
        body=jobs_connectivity.ConnectivityAnswer,
        response=jobs_connectivity.ConnectivityOut,
        errors=(403, 404, 422),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/connectivity",
        connectivity_report,
        "Connectivity test results of the meeting's bridge points",
        "connectivity",
        response=jobs_connectivity.ConnectivityReport,
        errors=(403, 404),
    ),
]
