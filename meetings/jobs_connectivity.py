"""The pre-meeting connectivity test: its two runners (ask every bridge point in scope to run a test call;
at the deadline, mark those that did not answer and alert), the answers a bridge point's console or agent
posts, and the report the operations board shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from meetings import notify, queries
from meetings.clock import from_db
from meetings.errors import FieldError, Forbidden, Invalid, NotFound
from meetings.jobs_context import JobContext, Outbox
from meetings.models import BridgePoint, MeetingBridgePoint
from meetings.models_jobs import ConnectivityResult
from meetings.notices import connectivity_notice, no_answer_summary
from meetings.permissions import Actor, MeetingRole, manages_unit, meeting_role, require_view_meeting
from meetings.reminders import MeetingFacts, PlannedJob, connectivity_status
from meetings.schemas import Strict


class ConnectivityTestRequest(BaseModel):
    """Sent on ``bridge-point:{id}``: run a test call now and answer (``answer_to``) before ``deadline``."""

    type: Literal["connectivity_test"] = "connectivity_test"
    meeting_id: int
    bridge_point_id: int
    meeting_title: str
    start: datetime
    requested_at: datetime
    deadline: datetime
    answer_to: str


def run_connectivity_test(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    s, mid = ctx.session, facts.meeting_id
    meeting = queries.get_meeting(s, mid)
    deadline = ctx.now + ctx.settings.plan.connectivity_deadline
    rows = {
        r.bridge_point_id: r
        for r in s.exec(select(ConnectivityResult).where(ConnectivityResult.meeting_id == mid))
    }
    out = Outbox()
    for bp_id in queries.meeting_bridge_point_ids(s, mid):
        row = rows.get(bp_id) or ConnectivityResult(meeting_id=mid, bridge_point_id=bp_id)
        row.status, row.requested_at, row.deadline_at = "pending", ctx.now, deadline
        row.answered_at = row.reachable = row.rtt_ms = row.loss_pct = row.alerted_at = None
        s.add(row)
        message = ConnectivityTestRequest(
            meeting_id=mid,
            bridge_point_id=bp_id,
            meeting_title=meeting.title,
            start=facts.start,
            requested_at=ctx.now,
            deadline=deadline,
            answer_to=f"/api/bridge-points/{bp_id}/connectivity",
        )
        out.messages.append((f"bridge-point:{bp_id}", message.model_dump(mode="json")))
    out.detail = f"{len(out.messages)} bridge points asked"
    return out


def run_connectivity_deadline(ctx: JobContext, facts: MeetingFacts, job: PlannedJob) -> Outbox:
    s, mid = ctx.session, facts.meeting_id
    late = s.exec(
        select(ConnectivityResult, BridgePoint)
        .join(BridgePoint, col(BridgePoint.id) == ConnectivityResult.bridge_point_id)
        .where(
            ConnectivityResult.meeting_id == mid,
            ConnectivityResult.status == "pending",
            col(ConnectivityResult.deadline_at) <= ctx.now,
        )
        .order_by(col(BridgePoint.code))
    ).all()
    out = Outbox()
    for row, bp in late:
        row.status, row.alerted_at = "no_answer", ctx.now
        s.add(row)
        if bp.operator_id is not None:
            out.notified += _alert(s, ctx.now, ctx.email, bp, row, [bp.operator_id])
    if late:
        meeting = queries.get_meeting(s, mid)
        notice = no_answer_summary(meeting.title, [bp.name for _, bp in late])
        draft = notify.Draft(
            "connectivity_no_answer",
            notice.title,
            notice.body,
            mid,
            {"bridge_point_ids": [bp.id for _, bp in late]},
            dedupe=job.run_key,
        )
        secretaries = notify.organisers(s, mid, meeting.created_by_id)
        out.notified += notify.create(s, secretaries, draft, ctx.now, email=ctx.email)
    out.detail = f"{len(late)} without an answer"
    return out


def _alert(
    session: Session, now: datetime, email: bool, bp: BridgePoint, row: ConnectivityResult, people: list[int]
) -> list[int]:
    """Tell ``people`` that a bridge point failed its connectivity test or did not answer (once a round)."""
    meeting = queries.get_meeting(session, row.meeting_id)
    notice = connectivity_notice(bp.name, meeting.title, row.status, row.rtt_ms, row.loss_pct)
    stamp = row.requested_at.isoformat() if row.requested_at else "unrequested"
    draft = notify.Draft(
        f"connectivity_{row.status}",
        notice.title,
        notice.body,
        row.meeting_id,
        {"bridge_point_id": bp.id, "status": row.status, "rtt_ms": row.rtt_ms, "loss_pct": row.loss_pct},
        dedupe=f"conn:{row.meeting_id}:{bp.id}:{stamp}:{row.status}",
    )
    return notify.create(session, people, draft, now, email=email)


# ---- the connectivity test's answers (from the bridge point's console or agent) ----


class ConnectivityAnswer(Strict):
    meeting_id: int
    reachable: bool
    rtt_ms: float | None = Field(default=None, ge=0, le=600_000)
    loss_pct: float | None = Field(default=None, ge=0, le=100)


class ConnectivityOut(BaseModel):
    bridge_point_id: int
    code: str
    name: str
    status: Literal["not_tested", "pending", "ok", "failed", "no_answer"]
    failed: bool = Field(default=False, description="failed the test or did not answer in time")
    requested_at: datetime | None = None
    deadline_at: datetime | None = None
    answered_at: datetime | None = None
    reachable: bool | None = None
    rtt_ms: float | None = None
    loss_pct: float | None = None


class ConnectivityReport(BaseModel):
    meeting_id: int
    counts: dict[str, int]
    results: list[ConnectivityOut]


def _out(bp: BridgePoint, row: ConnectivityResult | None) -> ConnectivityOut:
    assert bp.id is not None
    if row is None:
        return ConnectivityOut(bridge_point_id=bp.id, code=bp.code, name=bp.name, status="not_tested")

    def t(v: datetime | None) -> datetime | None:
        return from_db(v) if v is not None else None

    return ConnectivityOut(
        bridge_point_id=bp.id,
        code=bp.code,
        name=bp.name,
        status=row.status,
        failed=row.status in {"failed", "no_answer"},
        requested_at=t(row.requested_at),
        deadline_at=t(row.deadline_at),
        answered_at=t(row.answered_at),
        reachable=row.reachable,
        rtt_ms=row.rtt_ms,
        loss_pct=row.loss_pct,
    )


def record_connectivity(
    session: Session,
    actor: Actor,
    bridge_point_id: int,
    answer: ConnectivityAnswer,
    now: datetime,
    *,
    email: bool,
) -> tuple[ConnectivityOut, list[int]]:
    """Store a bridge point's test result; a failure alerts its operator and the meeting's secretaries at
    once (once per test round). Returns the result and the new notification ids."""
    bp = session.get(BridgePoint, bridge_point_id)
    if bp is None:
        raise NotFound(f"bridge point {bridge_point_id} does not exist")
    meeting = queries.get_meeting(session, answer.meeting_id)
    access, tree = queries.meeting_access(session, meeting), queries.unit_tree(session)
    runner = meeting_role(actor, access) in {MeetingRole.chair, MeetingRole.secretary}
    if (
        actor.person_id != bp.operator_id
        and not runner
        and not manages_unit(actor, meeting.host_unit_id, tree)
    ):
        raise Forbidden(
            "only the operator of this bridge point (or the meeting's secretary) may report its test"
        )
    if bridge_point_id not in queries.meeting_bridge_point_ids(session, answer.meeting_id):
        msg = f"bridge point {bp.code} does not take part in meeting {answer.meeting_id}"
        raise Invalid(msg, [FieldError(("meeting_id",), msg)])
    row = session.exec(
        select(ConnectivityResult).where(
            ConnectivityResult.meeting_id == answer.meeting_id,
            ConnectivityResult.bridge_point_id == bridge_point_id,
        )
    ).first() or ConnectivityResult(meeting_id=answer.meeting_id, bridge_point_id=bridge_point_id)
    row.reachable, row.rtt_ms, row.loss_pct, row.answered_at = (
        answer.reachable,
        answer.rtt_ms,
        answer.loss_pct,
        now,
    )
    before, row.status = row.status, connectivity_status(answer.reachable, answer.loss_pct)
    notified: list[int] = []
    if row.status == "failed" and before != "failed":
        row.alerted_at = now
        people = [bp.operator_id] if bp.operator_id is not None else []
        people += notify.organisers(session, answer.meeting_id, meeting.created_by_id)
        notified = _alert(session, now, email, bp, row, people)
    session.add(row)
    session.flush()
    return _out(bp, row), notified


def connectivity_report(session: Session, actor: Actor, meeting_id: int) -> ConnectivityReport:
    meeting = queries.get_meeting(session, meeting_id)
    require_view_meeting(actor, queries.meeting_access(session, meeting), queries.unit_tree(session))
    rows = {
        r.bridge_point_id: r
        for r in session.exec(select(ConnectivityResult).where(ConnectivityResult.meeting_id == meeting_id))
    }
    bps = session.exec(
        select(BridgePoint)
        .join(MeetingBridgePoint, col(MeetingBridgePoint.bridge_point_id) == BridgePoint.id)
        .where(MeetingBridgePoint.meeting_id == meeting_id)
        .order_by(col(BridgePoint.code))
    ).all()
    results = [_out(bp, rows.get(bp.id or 0)) for bp in bps]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return ConnectivityReport(meeting_id=meeting_id, counts=counts, results=results)
