"""Fixtures for the SQLAlchemy adapter's tests: each backend in turn, a database per module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from tests.databases import BACKENDS, create_engine_for


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend in turn: sqlite, postgres, mariadb."""
    return str(request.param)


@pytest.fixture(scope="module")
def engine(
    backend: str, make_database: Callable[[str, str], str], request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """An engine on a fresh database of ``backend``, for one test module."""
    name = "t_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    engine = create_engine_for(make_database(backend, name))
    yield engine
    engine.dispose()
