"""Fixtures of the hardening tests: the app of ``apps_under_test.py`` in-process, and the
module's PostgreSQL database with its tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from harness.servers import DatabaseServer
from tests.hardening.apps_under_test import create_app, create_tables, dispose, module_database
from tests.hardening.tables import Rows
from tests.mail import MailServer

#: The host the in-process apps answer as (their ``SERVER_NAME``).
HOST = "app.example"


@pytest.fixture
def sqlite_app(tmp_path: Path, smtp_server: MailServer) -> Iterator[Callable[..., Flask]]:
    """``sqlite_app(**config)``: the app under test on a fresh SQLite file of the test,
    sending to the test's SMTP server, ``config`` on top; its connections are closed at the
    end of the test."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    create_tables(url)
    apps: list[Flask] = []

    def build(**config: Any) -> Flask:
        settings = {"SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": HOST, **smtp_server.config}
        app = create_app({**settings, **config})
        apps.append(app)
        return app

    yield build
    for app in apps:
        dispose(app)


@pytest.fixture(scope="module")
def database_url(postgres_server: DatabaseServer, request: pytest.FixtureRequest) -> str:
    """The module's database on the session's PostgreSQL, with the app's tables."""
    return module_database(postgres_server, request)


@pytest.fixture
def rows(database_url: str) -> Iterator[Rows]:
    """The tables of the module's ``database_url``, emptied for the test."""
    reader = Rows.at(database_url)
    reader.empty()
    try:
        yield reader
    finally:
        reader.engine.dispose()
