"""The ``cauhop`` command: serve, seed-demo, import-units, export-units, create-user, migrate."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from sqlmodel import select

from meetings import auth, commands, unit_csv
from meetings.clock import utcnow
from meetings.config import Settings
from meetings.db import make_engine, reading, transaction
from meetings.errors import CauhopError
from meetings.models import Person, Unit, User
from meetings.permissions import Role


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "demo", False):
        settings = dataclasses.replace(settings, demo=True)
    return settings


def cmd_migrate(args: argparse.Namespace) -> int:
    from meetings.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    print(f"database is at the latest schema ({_safe(settings.database_url)})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server import create_app

    settings = _settings(args)
    settings = dataclasses.replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    if args.migrate:
        from meetings.migrate import upgrade

        upgrade(settings.database_url)
    print(f"Cầu Họp on http://{settings.host}:{settings.port}  (API docs: /docs; demo mode: {settings.demo})")
    from web.ws_wire import LiveWebSocketProtocol

    ws = LiveWebSocketProtocol if args.ws == "live" else args.ws  # live: each event compressed once for all
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=args.log_level, ws=ws)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from meetings.demo import DEMO_PASSWORD, seed_demo

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    with reading(engine) as s:
        has_units = s.exec(select(Unit)).first() is not None
    if has_units and args.if_empty:
        print("the database already holds the province; demo data left as it is")
        summary = None
    else:
        with transaction(engine) as s:
            summary = seed_demo(s, utcnow(), settings.data_dir)
        print(
            f"seeded the demo province: {summary.units} units, {summary.bridge_points} bridge points, "
            f"meeting {summary.meeting_id}"
        )
    print(f"demo logins (password '{DEMO_PASSWORD}', accepted only when the server runs in demo mode):")
    print("  admin, secretary, chair, operator, delegate01 … delegate50")
    return 0


def cmd_import_units(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    text = Path(args.file).read_text(encoding="utf-8-sig")
    with transaction(engine) as s:
        report = unit_csv.import_csv(s, _io(text), progress=_progress)
        print(file=sys.stderr)
        if not report.ok:
            s.rollback()
            print(f"{args.file}: {len(report.errors)} bad row(s); nothing was imported", file=sys.stderr)
            for line, reason in report.errors:
                print(f"  line {line}: {reason}", file=sys.stderr)
            return 1
        rescoped = commands.reresolve_scopes(commands.Context(s, None, utcnow()))
    print(
        f"{report.kind}: {report.created} created, {report.updated} updated; "
        f"{len(rescoped)} meeting scope(s) re-resolved"
    )
    return 0


def _io(text: str):  # type: ignore[no-untyped-def]
    import io

    return io.StringIO(text)


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def cmd_export_units(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    with reading(engine) as s:
        text = unit_csv.export_bridge_points(s) if args.bridge_points else unit_csv.export_units(s)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10)) - 1} rows to {args.output}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    auth.check_new_password(args.password, demo=settings.demo)
    with transaction(engine) as s:
        unit = s.exec(select(Unit).where(Unit.code == args.unit)).first() if args.unit else None
        if args.unit and unit is None:
            raise CauhopError(f"unknown unit code '{args.unit}'")
        user = s.exec(select(User).where(User.username == args.username)).first()
        if user is not None and not args.reset:
            raise CauhopError(f"user '{args.username}' exists; add --reset to set a new password")
        if user is None:
            person = Person(full_name=args.full_name or args.username, unit_id=unit.id if unit else None)
            s.add(person)
            s.flush()
            user = User(
                username=args.username,
                password_hash="",
                role=args.role,
                unit_id=unit.id if unit else None,
                person_id=person.id,
            )
        user.password_hash = auth.hash_password(args.password)
        s.add(user)
    print(f"user '{args.username}' ({args.role}) saved")
    return 0


def _safe(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return (head.split("://")[0] + "://…@" + tail) if sep else url


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cauhop",
        description="Cầu Họp: paperless meetings and multi-level video "
        "conferences. Configure with DATABASE_URL, REDIS_URL, DATA_DIR, HOST, PORT, SECRET_KEY.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the web service")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--demo", action="store_true", help="demo mode: the demo password 'demo' is accepted")
    s.add_argument("--migrate", action="store_true", help="migrate the database first")
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    s.add_argument(
        "--ws",
        default="live",
        help="WebSocket implementation: live (uvicorn's websockets-sansio, each live event compressed once "
        "for every tablet) or one of uvicorn's (websockets-sansio, websockets, wsproto)",
    )
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("migrate", help="bring the database schema up to date")
    s.set_defaults(func=cmd_migrate)
    s = sub.add_parser("seed-demo", help="load the demo province, people and a 3-level conference")
    s.add_argument("--if-empty", action="store_true", help="do nothing when the database already has units")
    s.set_defaults(func=cmd_seed_demo)
    s = sub.add_parser("import-units", help="import units or bridge points from CSV (all rows or none)")
    s.add_argument("file")
    s.set_defaults(func=cmd_import_units)
    s = sub.add_parser("export-units", help="export units (or --bridge-points) as CSV")
    s.add_argument("--bridge-points", action="store_true")
    s.add_argument("-o", "--output", default="-")
    s.set_defaults(func=cmd_export_units)
    s = sub.add_parser("create-user", help="create a user, or --reset a password")
    s.add_argument("username")
    s.add_argument("--password", required=True)
    s.add_argument("--role", choices=[r.value for r in Role], default=Role.delegate.value)
    s.add_argument("--unit", help="unit code")
    s.add_argument("--full-name")
    s.add_argument("--reset", action="store_true")
    s.set_defaults(func=cmd_create_user)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CauhopError as exc:
        print(f"cauhop: {exc.detail}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
