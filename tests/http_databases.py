"""The HTTP tests' databases: each backend in turn, one database per test module, empty
tables per test. Test modules import these fixtures by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.testing import SQLAlchemyRawStore
from tests.databases import adapter_on, create_engine_for, empty_tables

__all__ = ["HTTP_BACKENDS", "adapter", "backend", "database", "raw"]

HTTP_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=HTTP_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database in turn; the test ids show which: [sqlite], [postgres]."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(
    backend: str, make_database: Any, request: pytest.FixtureRequest
) -> Iterator[tuple[Engine, SQLAlchemyAdapter]]:
    """The module's database with the default tables, and an adapter on it."""
    name = "t_http_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    engine = create_engine_for(make_database(backend, name))
    try:
        for adapter in adapter_on(engine):
            yield engine, adapter
    finally:
        engine.dispose()


@pytest.fixture
def adapter(database: tuple[Engine, SQLAlchemyAdapter]) -> SQLAlchemyAdapter:
    """The test's adapter, on empty tables."""
    engine, adapter = database
    empty_tables(engine, adapter.metadata)
    return adapter


@pytest.fixture
def raw(adapter: SQLAlchemyAdapter) -> SQLAlchemyRawStore:
    """Reads the tables behind the adapter's back."""
    return SQLAlchemyRawStore(adapter)
