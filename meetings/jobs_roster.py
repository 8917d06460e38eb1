"""Invitations to the people who join a meeting after its invitation went out, and a notice to those who
leave it.

A published meeting's audience — its participants and the operators of its bridge points
(``notify.everyone``) — may change after the invitation job ran: a PATCH of the participants or the scope,
a bridge point resolved into the scope by a unit import. ``sync_roster`` brings what was sent in line with
the audience: whoever is in it without a standing invitation gets one (kind ``invitation``, variant
``added``); whoever holds one and is no longer in it is told they are not invited any more (kind
``invitation_withdrawn``). A person's standing is their latest invitation or withdrawal of the current
publication (recorded at or after it): a role change keeps it, so it sends nothing.

Exactly once, whichever process and however often it runs: the state decides, not the edit — under the
meeting's row lock, which the invitation job takes too, so two syncs (the hook of the process that made the
edit, the leader's reconciliation after a crash) and the job serialise and the later finds nothing to do;
each notification also has a dedupe key (the meeting's event seq). Before the invitation job has run, this
does nothing: the job invites whoever is in the audience when it runs. A publication whose invitation was
missed (the server was down) stays the secretary's to send again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from meetings import eventlog, notify
from meetings.clock import from_db
from meetings.db import reading, transaction
from meetings.invitations import INVITATION, PUBLISHED
from meetings.models import Meeting, Person, User
from meetings.models_jobs import JobRun, Notification
from meetings.notices import notice_text, withdrawn_notice
from meetings.reminders import JobKind, invitation_run_key

INVITED, WITHDRAWN = INVITATION, "invitation_withdrawn"


@dataclass(frozen=True)
class RosterChanges:
    invite: tuple[int, ...] = ()  # in the audience's order
    withdraw: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.invite or self.withdraw)


def roster_changes(audience: Iterable[int], latest: Mapping[int, str], reachable: set[int]) -> RosterChanges:
    """Pure. ``audience``: who is invited now; ``latest``: person → the kind of their latest invitation or
    withdrawal of this publication; ``reachable``: who can be sent anything (an account, or an e-mail
    address while e-mail is on). Whom to invite, and whom to tell they are no longer invited."""
    people = list(dict.fromkeys(audience))
    standing = {pid for pid, kind in latest.items() if kind == INVITED}
    invite = tuple(pid for pid in people if pid not in standing and pid in reachable)
    return RosterChanges(invite, tuple(sorted(standing - set(people))))


def sync_roster(engine: Engine, meeting_id: int, now: datetime, *, email: bool) -> list[int]:
    """Invite the audience's newcomers and tell those who left; the new notification ids (their deliveries
    are pending: sending them is the caller's). A read decides first whether there is anything to do."""
    with reading(engine) as s:
        meeting = s.get(Meeting, meeting_id)
        if meeting is None or not _changes(s, meeting, email):
            return []
    with transaction(engine) as s:
        meeting = eventlog.lock_meeting(s, meeting_id)
        changes = _changes(s, meeting, email)
        if not changes:
            return []
        start, end = from_db(meeting.start_at), from_db(meeting.end_at)
        data = {"start": start.isoformat(), "end": end.isoformat()}
        words = notice_text(JobKind.invitation, meeting.title, start, end)
        gone = withdrawn_notice(meeting.title, start)
        at = f"{meeting_id}@{meeting.last_seq}"
        invite = notify.Draft(
            INVITED, words.title, words.body, meeting_id, {**data, "variant": "added"}, dedupe=f"m{at}:added"
        )
        withdraw = notify.Draft(WITHDRAWN, gone.title, gone.body, meeting_id, data, dedupe=f"m{at}:withdrawn")
        return [
            *notify.create(s, changes.invite, invite, now, email=email),
            *notify.create(s, changes.withdraw, withdraw, now, email=email),
        ]


def invited_since(session: Session, meeting_id: int, since: datetime) -> set[int]:
    """Who was sent an invitation to the meeting at or after ``since``."""
    query = select(Notification.person_id).where(
        Notification.meeting_id == meeting_id,
        Notification.kind == INVITED,
        col(Notification.created_at) >= since,
    )
    return set(session.exec(query).all())


def _changes(session: Session, meeting: Meeting, email: bool) -> RosterChanges:
    assert meeting.id is not None
    if meeting.status not in PUBLISHED:
        return RosterChanges()
    published_at = notify.publications(session, [meeting.id])[meeting.id].published_at
    if published_at is None:
        return RosterChanges()
    ran = session.get(JobRun, invitation_run_key(meeting.id, published_at))
    if ran is None or ran.outcome != "done":
        return RosterChanges()
    rows = session.exec(
        select(Notification.person_id, Notification.kind)
        .where(
            Notification.meeting_id == meeting.id,
            col(Notification.kind).in_([INVITED, WITHDRAWN]),
            col(Notification.created_at) >= published_at.replace(microsecond=0),
        )
        .order_by(col(Notification.id))
    ).all()
    latest = dict(rows)  # the later row wins
    audience = notify.everyone(session, meeting.id)
    return roster_changes(audience, latest, _reachable(session, audience, email))


def _reachable(session: Session, person_ids: list[int], email: bool) -> set[int]:
    if not person_ids:
        return set()
    found = session.exec(
        select(User.person_id).where(col(User.person_id).in_(person_ids), col(User.active))
    ).all()
    reachable = {pid for pid in found if pid is not None}
    if email:
        mailed = select(Person.id).where(col(Person.id).in_(person_ids), col(Person.email).is_not(None))
        mailed = mailed.where(Person.email != "")
        reachable |= {pid for pid in session.exec(mailed).all() if pid is not None}
    return reachable
