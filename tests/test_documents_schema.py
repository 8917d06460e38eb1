"""Migration 0004 gives exactly the document tables the models describe, and the dialect's search index."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import docs_store.models
import meetings.models  # noqa: F401
import meetings.models_jobs  # noqa: F401
from docs_store.models import FTS_TABLE, PG_SEARCH_INDEX, include_object
from meetings.db import make_engine


def test_the_migrations_match_the_models_and_make_the_search_index(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
        if conn.dialect.name == "sqlite":
            kind = conn.execute(
                text("SELECT type FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}
            ).scalar()
            assert kind == "table"
        else:
            found = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": PG_SEARCH_INDEX}
            )
            assert "gin (to_tsvector('simple'::regconfig, folded))" in str(found.scalar())
    engine.dispose()
    assert diff == []
    assert {
        t.name for t in docs_store.models.SQLModel.metadata.sorted_tables if t.name.startswith("doc")
    } <= tables
