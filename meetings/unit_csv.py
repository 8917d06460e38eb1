"""CSV import and export of units and bridge points.

A file is checked whole before anything is stored: any bad row (reported with its line and reason) and
nothing of the file is kept. Rows are matched by ``code``: a known code is updated, a new one created.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from sqlmodel import Session, select

from meetings.models import BridgePoint, Unit
from meetings.units import Level, LinkQuality, UnitKind

UNIT_COLUMNS = ("code", "name", "level", "kind", "parent_code")
BRIDGE_POINT_COLUMNS = ("code", "name", "unit_code", "address", "capacity", "equipment", "link_quality")
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    kind: str
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(text: TextIO, columns: tuple[str, ...], report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(text)
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return []
    rows = []
    for row in reader:
        if None in row:
            report.errors.append((reader.line_num, "more fields than columns"))
            continue
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows


def detect_kind(header_line: str) -> str:
    names = {h.strip() for h in next(csv.reader([header_line]), [])}
    return "bridge_points" if "unit_code" in names else "units"


def import_csv(session: Session, text: TextIO, progress: Progress | None = None) -> ImportReport:
    """Import a units or bridge points CSV (told apart by its header). Stores nothing on any error."""
    content = text.read().lstrip("\ufeff")
    kind = detect_kind(content.splitlines()[0] if content else "")
    report = ImportReport(kind)
    if kind == "units":
        _import_units(session, _rows(io.StringIO(content), UNIT_COLUMNS, report), report, progress)
    else:
        _import_bridge_points(
            session, _rows(io.StringIO(content), BRIDGE_POINT_COLUMNS, report), report, progress
        )
    return report


def _check_unit_row(line: int, row: dict[str, str], report: ImportReport) -> bool:
    problems = []
    if not row["code"]:
        problems.append("code is empty")
    if not row["name"]:
        problems.append("name is empty")
    if row["level"] not in Level.__members__:
        problems.append(f"level '{row['level']}' is not one of {', '.join(Level)}")
    if row["kind"] not in UnitKind.__members__:
        problems.append(f"kind '{row['kind']}' is not one of {', '.join(UnitKind)}")
    report.errors.extend((line, p) for p in problems)
    return not problems


def _import_units(
    session: Session, rows: list[tuple[int, dict[str, str]]], report: ImportReport, progress: Progress | None
) -> None:
    existing = {u.code: u for u in session.exec(select(Unit)).all()}
    in_file: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in rows:
        if _check_unit_row(line, row, report):
            if row["code"] in in_file:
                report.errors.append(
                    (line, f"code '{row['code']}' already on line {in_file[row['code']][0]}")
                )
            in_file[row["code"]] = (line, row)
    levels = {c: Level(u.level) for c, u in existing.items()} | {
        c: Level(r["level"]) for c, (_, r) in in_file.items() if r["level"] in Level.__members__
    }
    for code, (line, row) in in_file.items():
        parent = row["parent_code"]
        if parent and parent not in levels:
            report.errors.append((line, f"parent_code '{parent}' is neither in the file nor already stored"))
        elif parent and levels[parent].depth > Level(row["level"]).depth:
            report.errors.append((line, f"a {row['level']} unit cannot sit under a {levels[parent]} unit"))
        elif parent and _makes_cycle(code, in_file, existing):
            report.errors.append((line, f"parent_code '{parent}' makes a cycle in the unit tree"))
    if report.errors:
        return
    _store_units(session, in_file, existing, report, progress)


def _makes_cycle(
    code: str, in_file: dict[str, tuple[int, dict[str, str]]], existing: dict[str, Unit]
) -> bool:
    by_id = {u.id: c for c, u in existing.items()}
    seen, current = {code}, code
    while True:
        if current in in_file:
            parent = in_file[current][1]["parent_code"] or None
        else:
            unit = existing.get(current)
            parent = by_id.get(unit.parent_id) if unit is not None and unit.parent_id else None
        if parent is None:
            return False
        if parent in seen:
            return True
        seen.add(parent)
        current = parent


def _store_units(
    session: Session,
    in_file: dict[str, tuple[int, dict[str, str]]],
    existing: dict[str, Unit],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    units = dict(existing)
    for done, (code, (_, row)) in enumerate(in_file.items(), 1):
        unit = units.get(code)
        if unit is None:
            unit = units[code] = Unit(code=code, name=row["name"], level=row["level"], kind=row["kind"])
            report.created += 1
        else:
            unit.name, unit.level, unit.kind = row["name"], row["level"], row["kind"]
            report.updated += 1
        session.add(unit)
        if progress:
            progress(done, 2 * len(in_file))
    session.flush()
    for done, (code, (_, row)) in enumerate(in_file.items(), len(in_file) + 1):
        units[code].parent_id = units[row["parent_code"]].id if row["parent_code"] else None
        if progress:
            progress(done, 2 * len(in_file))
    session.flush()


def _check_bridge_point_row(
    line: int, row: dict[str, str], units: dict[str, int], report: ImportReport
) -> bool:
    problems = []
    if not row["code"] or not row["name"]:
        problems.append("code and name must not be empty")
    if row["unit_code"] not in units:
        problems.append(f"unit_code '{row['unit_code']}' is not a known unit")
    if not row["capacity"].isdigit():
        problems.append(f"capacity '{row['capacity']}' is not a whole number")
    if row["link_quality"] not in LinkQuality.__members__:
        problems.append(f"link_quality '{row['link_quality']}' is not one of {', '.join(LinkQuality)}")
    report.errors.extend((line, p) for p in problems)
    return not problems


def _import_bridge_points(
    session: Session, rows: list[tuple[int, dict[str, str]]], report: ImportReport, progress: Progress | None
) -> None:
    units = {u.code: u.id for u in session.exec(select(Unit)).all() if u.id is not None}
    existing = {b.code: b for b in session.exec(select(BridgePoint)).all()}
    seen: dict[str, int] = {}
    valid = []
    for line, row in rows:
        if row["code"] in seen:
            report.errors.append((line, f"code '{row['code']}' already on line {seen[row['code']]}"))
        elif _check_bridge_point_row(line, row, units, report):
            valid.append(row)
        seen.setdefault(row["code"], line)
    if report.errors:
        return
    for done, row in enumerate(valid, 1):
        bp = existing.get(row["code"]) or BridgePoint(code=row["code"], name="", unit_id=0)
        report.created += bp.id is None
        report.updated += bp.id is not None
        bp.name, bp.unit_id, bp.address = row["name"], units[row["unit_code"]], row["address"]
        bp.capacity, bp.equipment, bp.link_quality = (
            int(row["capacity"]),
            row["equipment"],
            row["link_quality"],
        )
        session.add(bp)
        if progress:
            progress(done, len(valid))
    session.flush()


def export_units(session: Session) -> str:
    units = list(session.exec(select(Unit).order_by(Unit.id)).all())  # type: ignore[arg-type]
    codes = {u.id: u.code for u in units}
    return _csv(UNIT_COLUMNS, ([u.code, u.name, u.level, u.kind, codes.get(u.parent_id, "")] for u in units))


def export_bridge_points(session: Session) -> str:
    codes = {u.id: u.code for u in session.exec(select(Unit)).all()}
    bps = session.exec(select(BridgePoint).order_by(BridgePoint.id)).all()  # type: ignore[arg-type]
    return _csv(
        BRIDGE_POINT_COLUMNS,
        (
            [b.code, b.name, codes[b.unit_id], b.address, str(b.capacity), b.equipment, b.link_quality]
            for b in bps
        ),
    )


def _csv(columns: tuple[str, ...], rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()
