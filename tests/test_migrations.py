"""Migrations from an empty database give exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import meetings.models  # noqa: F401
import meetings.models_jobs  # noqa: F401
from meetings.db import make_engine


def test_migrating_an_empty_database_matches_the_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"unit", "bridge_point", "meeting", "meeting_event", "series", "app_user"} <= tables
