"""Fixtures of the extension tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.core.clock import FrozenClock
from tests.apps import make_app
from tests.databases import adapter_on, create_engine_for, empty_tables

from .helpers import (
    BACKENDS,
    START,
    Build,
    Database,
    MakeDatabase,
    add_routes,
)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database in turn: sqlite, postgres."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(backend: str, make_database: MakeDatabase) -> Iterator[Database]:
    """The module's database on ``backend``, with the default tables."""
    url = make_database(backend, "t_ext_extension")
    engine = create_engine_for(url)
    try:
        for adapter in adapter_on(engine):
            yield Database(engine, adapter, url)
    finally:
        engine.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """The module's database, emptied for this test."""
    empty_tables(database.engine, database.adapter.metadata)
    return database


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def build(db: Database, clock: FrozenClock) -> Build:
    """``build(**config)``: a real app on the test's database, and a client of it."""

    def make(**config: Any) -> tuple[Flask, FlaskClient]:
        app, _ = make_app(db.adapter, clock=clock, **config)
        add_routes(app)
        return app, app.test_client()

    return make


@pytest.fixture
def client(build: Build) -> FlaskClient:
    return build()[1]
