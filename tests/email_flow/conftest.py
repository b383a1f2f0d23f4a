"""Fixtures of the email flow tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.providers.email import Email
from tests.apps import make_app
from tests.databases import adapter_on, create_engine_for, empty_tables
from tests.mail import (
    MailServer,
)

from .helpers import (
    BACKENDS,
    BASE,
    SENDER,
    SITE,
    START,
    Browser,
    Build,
    Database,
    MakeDatabase,
    Site,
)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database in turn: sqlite, postgres."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(backend: str, make_database: MakeDatabase) -> Iterator[Database]:
    """The module's database on ``backend``, with the default tables."""
    engine = create_engine_for(make_database(backend, "t_email_flow"))
    try:
        for adapter in adapter_on(engine):
            yield Database(engine, adapter)
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
def build(db: Database, smtp_server: MailServer, clock: FrozenClock) -> Build:
    """``build(provider=None, **config)``: a real app with ``provider`` (default
    ``Email()``) sending to the test's SMTP server, on the test's database."""

    def make(provider: Email | None = None, **config: Any) -> Site:
        settings: dict[str, Any] = {
            "AUTH_URL": BASE,
            "AUTH_SITE_NAME": SITE,
            "MAIL_DEFAULT_SENDER": SENDER,
            "MAIL_SUPPRESS_SEND": False,
            **smtp_server.config,
        }
        settings.update(config)
        app, _ = make_app(db.adapter, providers=[provider or Email()], clock=clock, **settings)
        app.test_client_class = Browser
        return Site(app=app, db=db, smtp=smtp_server, clock=clock)

    return make


@pytest.fixture
def site(build: Build) -> Site:
    return build()
