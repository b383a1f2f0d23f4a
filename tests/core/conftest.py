"""Fixtures for the core's tests: each store in turn (memory, SQLite, PostgreSQL).

The database and its tables are made once per module and backend; each test starts from
empty tables, so the whole of ``tests/core`` stays quick.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from flask_authadapter.core.clock import FrozenClock
from tests.core.stores import UTC, Database, MakeDatabase, Store
from tests.databases import adapter_on, create_engine_for, empty_tables

#: The stores the core's rules run against; the test ids show which: [memory], [sqlite]...
STORE_BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]

#: An arbitrary instant, with microseconds, for the frozen clocks.
START = datetime(2031, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(scope="module", params=STORE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each store in turn: memory, sqlite, postgres."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(
    backend: str, make_database: MakeDatabase, request: pytest.FixtureRequest
) -> Iterator[Database | None]:
    """The module's database with the default tables on ``backend`` (None for memory)."""
    if backend == "memory":
        yield None
        return
    name = "t_core_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    engine = create_engine_for(make_database(backend, name))
    try:
        for adapter in adapter_on(engine):
            yield Database(engine, adapter.metadata)
    finally:
        engine.dispose()


@pytest.fixture
def store(backend: str, database: Database | None) -> Store:
    """The test's store, empty."""
    if database is not None:
        empty_tables(database.engine, database.metadata)
    return Store(backend, database)


@pytest.fixture
def clock() -> FrozenClock:
    """A clock standing at :data:`START` until moved."""
    return FrozenClock(START)
