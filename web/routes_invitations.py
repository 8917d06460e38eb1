"""The people to pick participants from, and a meeting's invitations: their state per participant, and
sending them again."""

from __future__ import annotations

from pydantic import BaseModel, Field

from meetings import invitations, jobs, notify, notify_delivery, queries
from meetings.errors import Forbidden
from meetings.models import Meeting
from meetings.people import PersonOut, search_people
from meetings.permissions import Role, require_edit_meeting, require_see_invitations
from web.endpoint import ApiRoute, Call

CHOOSERS = {Role.admin, Role.secretary}  # who prepares meetings, and so picks their participants


class PeopleQuery(BaseModel):
    q: str = Field(default="", max_length=100, description="words of a name, title or unit (accents ignored)")
    limit: int = Field(default=20, ge=1, le=100)


def list_people(call: Call) -> list[PersonOut]:
    if call.user.role not in CHOOSERS:
        raise Forbidden("only secretaries and administrators may look people up")
    q: PeopleQuery = call.query
    with call.read() as s:
        return search_people(s, q.q, q.limit)


def _email_on(call: Call) -> bool:
    """E-mail is sent when this process's scheduler has an SMTP server."""
    service = getattr(call.request.app.state, "jobs", None)
    return isinstance(service, jobs.JobService) and service.settings.smtp.host is not None


def meeting_invitations(call: Call) -> invitations.InvitationReport:
    with call.read() as s:
        meeting = queries.get_meeting(s, call.path["meeting_id"])
        require_see_invitations(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
        return invitations.invitation_report(s, meeting, email=_email_on(call))


def resend_invitations(call: Call) -> invitations.InvitationReport:
    body: invitations.ResendIn = call.body
    email = _email_on(call)
    with call.write() as s:
        meeting: Meeting = queries.get_meeting(s, call.path["meeting_id"])
        require_edit_meeting(call.user, queries.meeting_access(s, meeting), queries.unit_tree(s))
        created = invitations.resend(s, meeting, body.person_ids, call.now, email=email)
    if created:  # the in-app copies go out now; e-mail is left to the scheduler's sender (never blocks here)
        notify_delivery.deliver_due(
            call.engine,
            call.now,
            publish=call.request.app.state.bus.publish_threadsafe,
            smtp=notify.SmtpSettings(),
            channels=(notify.IN_APP,),
        )
    with call.read() as s:
        return invitations.invitation_report(s, queries.get_meeting(s, call.path["meeting_id"]), email=email)


ROUTES = [
    ApiRoute(
        "GET",
        "/api/people",
        list_people,
        "People to choose participants from, by name, title or unit (secretaries, administrators)",
        "meetings",
        query=PeopleQuery,
        response=PersonOut,
        many=True,
        errors=(403, 422),
    ),
    ApiRoute(
        "GET",
        "/api/meetings/{meeting_id:int}/invitations",
        meeting_invitations,
        "Each participant's invitation: not sent, unreachable, pending, sent, read or failed",
        "meetings",
        response=invitations.InvitationReport,
        errors=(403, 404),
    ),
    ApiRoute(
        "POST",
        "/api/meetings/{meeting_id:int}/invitations",
        resend_invitations,
        "Send the invitation again (default: to the participants it did not reach)",
        "meetings",
        body=invitations.ResendIn,
        response=invitations.InvitationReport,
        errors=(403, 404, 409, 422),
    ),
]
