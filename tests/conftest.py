"""Test databases: SQLite by default; PostgreSQL when CAUHOP_TEST_DATABASE_URL names a server.

Each test gets its own fresh database, already migrated and holding the demo province:
a copied SQLite file, or a PostgreSQL database cloned from a template. A PostgreSQL server that is named
but cannot be reached fails the run loudly; nothing is skipped.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from starlette.testclient import TestClient

from meetings.clock import utcnow
from meetings.config import Settings, normalise_database_url
from meetings.db import make_engine, transaction
from meetings.demo import seed_demo
from meetings.migrate import upgrade
from server import create_app

PG_URL = os.environ.get("CAUHOP_TEST_DATABASE_URL")
os.environ.setdefault("CAUHOP_SCHEDULER", "manual")  # tests drive the scheduler's clock themselves
_counter = itertools.count()


def pytest_report_header() -> str:
    where = f"PostgreSQL {PG_URL}" if PG_URL else "SQLite (set CAUHOP_TEST_DATABASE_URL for PostgreSQL)"
    return f"database: {where}"


def _pg_admin() -> Engine:
    assert PG_URL is not None
    return create_engine(normalise_database_url(PG_URL), isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    assert PG_URL is not None
    base = normalise_database_url(PG_URL)
    return base.rsplit("/", 1)[0] + "/" + name


def _pg_create(name: str, template: str | None = None) -> str:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return _pg_url(name)


def _pg_drop(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database holding the demo province (built once per run)."""
    if PG_URL:
        url = _pg_create(f"cauhop_tpl_{os.getpid()}")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'seeded.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(engine) as s:
        seed_demo(s, utcnow())
    engine.dispose()
    return url


def _fresh(url_template: str | None, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        name = f"cauhop_t_{os.getpid()}_{next(_counter)}"
        template = url_template.rsplit("/", 1)[1] if url_template else None
        url = _pg_create(name, template)
        if url_template is None:
            upgrade(url)
        yield url
        _pg_drop(name)
    else:
        path = tmp_path / "test.sqlite3"
        if url_template:
            shutil.copyfile(url_template.split("///", 1)[1], path)
        url = f"sqlite:///{path}"
        if url_template is None:
            upgrade(url)
        yield url


@pytest.fixture
def db_url(seeded_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the demo province, for this test only."""
    yield from _fresh(seeded_template, tmp_path)


@pytest.fixture
def empty_db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database."""
    yield from _fresh(None, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return replace(Settings.from_env({"DATA_DIR": str(tmp_path / "data")}), database_url=db_url, demo=True)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def login(client: TestClient, username: str, password: str = "demo") -> dict[str, str]:
    """Bearer headers for a user (the demo password works: the test app runs in demo mode)."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
