"""Migrations from an empty database give exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import docs_store.models  # noqa: F401
import meetings.models  # noqa: F401
import meetings.models_jobs  # noqa: F401
from meetings.db import make_engine


def _not_search_index(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """The full-text index (SQLite FTS5 virtual table and its shadow tables, or the PostgreSQL tsvector
    column's index) is created by the migration by hand and has no model."""
    return not (name or "").startswith(("document_page_fts", "ix_document_page_text_search"))


def test_migrating_an_empty_database_matches_the_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _not_search_index})
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"unit", "bridge_point", "meeting", "meeting_event", "series", "app_user"} <= tables
