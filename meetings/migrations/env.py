"""Alembic environment: the target is SQLModel's metadata of meetings.models."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import docs_store.models  # noqa: F401
import meetings.models  # noqa: F401  (registers the tables)
import meetings.models_jobs  # noqa: F401
from meetings.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
