"""Units and bridge points: the province's tree, listed, imported and exported as CSV."""

from __future__ import annotations

import io

from pydantic import BaseModel, Field
from sqlmodel import col, select
from starlette.responses import JSONResponse, Response

from meetings import commands, queries, unit_csv
from meetings.errors import Invalid, NotFound
from meetings.models import BridgePoint, Unit
from meetings.permissions import require_admin
from meetings.units import Level
from web.endpoint import ApiRoute, Call

MAX_CSV = 10_000_000


class UnitQuery(BaseModel):
    level: Level | None = None
    parent_id: int | None = Field(default=None, description="only the direct children of this unit")


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    level: Level
    kind: str
    parent_id: int | None


class BridgePointQuery(BaseModel):
    unit_id: int | None = Field(
        default=None, description="bridge points of this unit and every unit under it"
    )
    level: Level | None = Field(default=None, description="only bridge points of units at this level")


class BridgePointOut(BaseModel):
    id: int
    code: str
    name: str
    unit_id: int
    unit_name: str
    level: Level
    address: str
    capacity: int
    equipment: str
    operator_id: int | None
    link_quality: str


def list_units(call: Call) -> list[UnitOut]:
    q: UnitQuery = call.query
    query = select(Unit).order_by(col(Unit.id))
    if q.level is not None:
        query = query.where(Unit.level == q.level)
    if q.parent_id is not None:
        query = query.where(Unit.parent_id == q.parent_id)
    with call.read() as s:
        return [UnitOut.model_validate(u, from_attributes=True) for u in s.exec(query).all()]


def get_unit(call: Call) -> UnitOut:
    with call.read() as s:
        unit = s.get(Unit, call.path["unit_id"])
        if unit is None:
            raise NotFound(f"unit {call.path['unit_id']} does not exist")
        return UnitOut.model_validate(unit, from_attributes=True)


def list_bridge_points(call: Call) -> list[BridgePointOut]:
    q: BridgePointQuery = call.query
    with call.read() as s:
        tree = queries.unit_tree(s)
        if q.unit_id is not None and q.unit_id not in tree:
            raise NotFound(f"unit {q.unit_id} does not exist")
        wanted = set(tree.subtree(q.unit_id)) if q.unit_id is not None else None
        rows = s.exec(
            select(BridgePoint, Unit)
            .join(Unit, col(Unit.id) == BridgePoint.unit_id)
            .order_by(col(BridgePoint.id))
        ).all()
        return [
            BridgePointOut(
                **bp.model_dump(exclude={"unit_id"}),
                unit_id=bp.unit_id,
                unit_name=unit.name,
                level=Level(unit.level),
            )
            for bp, unit in rows
            if (wanted is None or bp.unit_id in wanted) and (q.level is None or unit.level == q.level)
        ]


class ImportOut(BaseModel):
    kind: str
    created: int
    updated: int
    meetings_rescoped: list[int]


def import_csv(call: Call) -> JSONResponse:
    require_admin(call.user)
    raw: bytes = call.body
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the CSV is not UTF-8 (byte {exc.start} is not valid)") from None
    with call.write() as s:
        report = unit_csv.import_csv(s, io.StringIO(text))
        if not report.ok:
            s.rollback()
            body = {
                "detail": f"{len(report.errors)} bad row(s); nothing was imported",
                "errors": [{"line": line, "reason": reason} for line, reason in report.errors],
            }
            return JSONResponse(body, status_code=422)
        rescoped = commands.reresolve_scopes(commands.Context(s, call.user, call.now))
    out = ImportOut(
        kind=report.kind, created=report.created, updated=report.updated, meetings_rescoped=rescoped
    )
    return JSONResponse(out.model_dump())


def export_units(call: Call) -> Response:
    with call.read() as s:
        return Response(
            unit_csv.export_units(s),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="units.csv"'},
        )


def export_bridge_points(call: Call) -> Response:
    with call.read() as s:
        return Response(
            unit_csv.export_bridge_points(s),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="bridge_points.csv"'},
        )


ROUTES = [
    ApiRoute(
        "GET",
        "/api/units",
        list_units,
        "Units, by level and/or parent",
        "units",
        query=UnitQuery,
        response=UnitOut,
        many=True,
    ),
    ApiRoute("GET", "/api/units/export.csv", export_units, "All units as CSV", "units"),
    ApiRoute(
        "POST",
        "/api/units/import",
        import_csv,
        "Import units or bridge points from CSV (admin); all rows or none",
        "units",
        raw_body="text/csv",
        max_body=MAX_CSV,
        response=ImportOut,
        errors=(403, 413, 422),
    ),
    ApiRoute(
        "GET", "/api/units/{unit_id:int}", get_unit, "One unit", "units", response=UnitOut, errors=(404,)
    ),
    ApiRoute(
        "GET",
        "/api/bridge-points",
        list_bridge_points,
        "Bridge points (descendants of unit_id included)",
        "units",
        query=BridgePointQuery,
        response=BridgePointOut,
        many=True,
        errors=(404,),
    ),
    ApiRoute(
        "GET", "/api/bridge-points/export.csv", export_bridge_points, "All bridge points as CSV", "units"
    ),
]
