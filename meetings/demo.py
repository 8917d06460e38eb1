"""Seed the demo: the province, its people and users, and a scheduled 3-level conference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, select

from docs_store.demo_seed import seed_demo_documents
from meetings.auth import hash_password
from meetings.clock import LOCAL_TZ, from_db
from meetings.commands import Context, create_meeting, transition
from meetings.demo_province import person_names, province
from meetings.lifecycle import Status
from meetings.models import BridgePoint, Person, Unit, User
from meetings.permissions import MeetingRole, Role
from meetings.schemas import MeetingCreate, ParticipantIn, ScopeIn, ScopeRuleIn

DEMO_PASSWORD = "demo"
DELEGATES = 50


@dataclass(frozen=True)
class DemoSummary:
    units: int
    bridge_points: int
    users: list[str]
    meeting_id: int


def seed_demo(session: Session, now: datetime, data_dir: Path | None = None) -> DemoSummary:
    """Fill an empty database with the demo province. Refuses a database that already has units.
    With ``data_dir``, the conference also gets its agenda, documents (stored there) and packet."""
    if session.exec(select(Unit)).first() is not None:
        raise RuntimeError("the database already holds units; seed the demo only into an empty database")
    unit_specs, bp_specs = province()
    units: dict[str, Unit] = {}
    for spec in unit_specs:
        unit = Unit(
            code=spec.code,
            name=spec.name,
            level=spec.level,
            kind=spec.kind,
            parent_id=units[spec.parent_code].id if spec.parent_code else None,
        )
        session.add(unit)
        session.flush()
        units[spec.code] = unit
    names = iter(person_names(DELEGATES + len(bp_specs) + 3))
    bps = []
    for bp_spec in bp_specs:
        operator = Person(
            full_name=next(names), title="Kỹ thuật viên điểm cầu", unit_id=units[bp_spec.unit_code].id
        )
        session.add(operator)
        session.flush()
        bps.append(
            BridgePoint(
                code=bp_spec.code,
                name=bp_spec.name,
                unit_id=units[bp_spec.unit_code].id or 0,
                address=bp_spec.address,
                capacity=bp_spec.capacity,
                equipment="camera PTZ, micro, màn hình",
                link_quality=bp_spec.link_quality,
                operator_id=operator.id,
            )
        )
    session.add_all(bps)
    session.flush()
    users = _seed_users(session, units, bps, names)
    meeting_id = _seed_conference(session, now, units, users)
    if data_dir is not None:
        seed_demo_documents(session, meeting_id, data_dir, now)
    return DemoSummary(len(units), len(bps), sorted(users), meeting_id)


def _seed_users(
    session: Session, units: dict[str, Unit], bps: list[BridgePoint], names: object
) -> dict[str, User]:
    # One argon2 hash shared by every demo account: seeding stays fast, and it is only ever the demo password.
    digest = hash_password(DEMO_PASSWORD)
    people = [
        ("admin", Role.admin, "HG", "Quản trị hệ thống", "Phạm Văn Quản"),
        ("secretary", Role.secretary, "HG-UBND", "Chánh Văn phòng UBND tỉnh", "Nguyễn Thị Thu Hà"),
        ("chair", Role.chair, "HG-UBND", "Chủ tịch UBND tỉnh", "Hoàng Văn Thắng"),
        ("operator", Role.operator, "HG-UBND", "Kỹ thuật viên điểm cầu", None),
    ]
    people += [
        (f"delegate{i:02d}", Role.delegate, "HG-HDND", "Đại biểu HĐND tỉnh", next(names))  # type: ignore[call-overload]
        for i in range(1, DELEGATES + 1)
    ]
    users: dict[str, User] = {}
    for username, role, unit_code, title, name in people:
        if name is None:  # the operator account is the person who runs the UBND room
            person_id = next(b.operator_id for b in bps if b.code == "BP-HG-UBND")
        else:
            person = Person(full_name=name, title=title, unit_id=units[unit_code].id)
            session.add(person)
            session.flush()
            person_id = person.id
        user = User(
            username=username,
            password_hash=digest,
            role=role,
            unit_id=units[unit_code].id,
            person_id=person_id,
        )
        session.add(user)
        users[username] = user
    session.flush()
    return users


def next_workday_morning(now: datetime) -> datetime:
    """08:00 local on the next working day after ``now`` (aware local out)."""
    day = from_db(now).astimezone(LOCAL_TZ).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(8, 0), LOCAL_TZ)


def _seed_conference(session: Session, now: datetime, units: dict[str, Unit], users: dict[str, User]) -> int:
    start = next_workday_morning(now)
    participants = [
        ParticipantIn(person_id=users["chair"].person_id or 0, role=MeetingRole.chair),
        ParticipantIn(person_id=users["secretary"].person_id or 0, role=MeetingRole.secretary),
    ]
    participants += [
        ParticipantIn(person_id=u.person_id or 0, role=MeetingRole.delegate)
        for name, u in sorted(users.items())
        if name.startswith("delegate")
    ]
    data = MeetingCreate(
        title="Hội nghị trực tuyến 3 cấp triển khai nhiệm vụ phát triển kinh tế - xã hội năm 2027",
        body="UBND tỉnh",
        host_unit_id=units["HG-UBND"].id or 0,
        start=start,
        end=start + timedelta(hours=3),
        description="Hội nghị trực tuyến từ điểm cầu tỉnh tới 11 huyện, thành phố "
        "và 195 xã, phường, thị trấn.",
        scope=ScopeIn(rules=[ScopeRuleIn(under_unit_id=units["HG"].id or 0)]),
        participants=participants,
    )
    ctx = Context(session, None, now)
    meeting = create_meeting(ctx, data)
    assert meeting.id is not None
    transition(ctx, meeting.id, Status.scheduled)
    return meeting.id
