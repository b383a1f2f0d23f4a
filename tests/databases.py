"""Helpers for tests on real databases (fixtures live in conftest.py files)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, delete

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter

#: The databases every storage test runs on.
BACKENDS = ("sqlite", "postgres", "mariadb")


def create_engine_for(url: str) -> Engine:
    """An engine for a test database, tuned for concurrent tests (SQLite waits on locks)."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_size=10, max_overflow=30)


def empty_tables(engine: Engine, metadata: MetaData) -> None:
    """Delete every row of ``metadata``'s tables, children first."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


def adapter_on(engine: Engine, **options: Any) -> Iterator[SQLAlchemyAdapter]:
    """An adapter on ``engine`` with fresh tables; the tables are dropped afterwards."""
    adapter = SQLAlchemyAdapter(engine, **options)
    adapter.metadata.drop_all(engine)
    adapter.metadata.create_all(engine)
    try:
        yield adapter
    finally:
        adapter.metadata.drop_all(engine)
