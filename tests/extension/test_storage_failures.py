"""Storage failures."""

from __future__ import annotations

import logging
import secrets
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.pool import NullPool
from werkzeug.wrappers import Response

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.errors import StorageError
from tests.apps import dummy_sign_in, make_app
from tests.databases import create_engine_for

from .helpers import (
    COOKIE,
    Database,
    MakeDatabase,
    add_routes,
    browser_sign_in,
    cookie_of,
    set_cookies,
    who,
)

_DRIVER_WORDS = ("Traceback", "OperationalError", "ProgrammingError", "sqlite", "psycopg", "SELECT")


def _failure_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "flask_authadapter" and r.levelno >= logging.ERROR
    ]


def assert_unavailable_page(answer: Response) -> None:
    assert answer.status_code == 503
    assert answer.mimetype == "text/html"
    body = answer.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    for word in _DRIVER_WORDS:
        assert word not in body
    assert answer.headers["Cache-Control"] == "no-store"


def assert_unavailable_json(answer: Response) -> None:
    assert answer.status_code == 503
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "Unavailable"
    for word in _DRIVER_WORDS:
        assert word not in body["message"]


def assert_logged_once(
    caplog: pytest.LogCaptureFixture, action: str, *, cause: str | None = None
) -> None:
    [record] = _failure_records(caplog)
    assert action in record.getMessage()
    if cause is not None:
        assert cause in record.getMessage()
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, StorageError)
    assert error.__cause__ is not None  # the driver's exception, for the operator
    caplog.clear()


@dataclass
class Broken:
    """An app signed in on a database of its own, which the test then breaks."""

    database: Database
    app: Flask
    client: FlaskClient
    token: str


@pytest.fixture(scope="module")
def breakable(backend: str, make_database: MakeDatabase) -> Iterator[Database]:
    """A second database on ``backend``, whose tables the storage-failure tests drop."""
    url = make_database(backend, "t_ext_broken")
    engine = create_engine_for(url)
    try:
        yield Database(engine, SQLAlchemyAdapter(engine), url)
    finally:
        engine.dispose()


@pytest.fixture
def broken(breakable: Database, clock: FrozenClock) -> Broken:
    """A signed-in browser on an app whose database has then lost its tables."""
    adapter, engine = breakable.adapter, breakable.engine
    adapter.metadata.create_all(engine)
    app, _ = make_app(adapter, clock=clock)
    add_routes(app)
    client = app.test_client()
    token = browser_sign_in(client)
    adapter.metadata.drop_all(engine)
    return Broken(breakable, app, client, token)


def test_a_failing_store_gives_a_503_page_logged_once(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    answer = broken.client.get("/whoami")
    assert_unavailable_page(answer)
    assert_logged_once(caplog, "get_session_and_user failed")
    # An outage is not a sign-out: the cookie stays, for when the database is back.
    assert COOKIE not in set_cookies(answer)
    assert cookie_of(broken.client) == broken.token


def test_a_failing_store_gives_503_json_to_a_json_request(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    answer = broken.client.get("/state", headers={"Accept": "application/json"})
    assert_unavailable_json(answer)
    assert_logged_once(caplog, "get_session_and_user failed")


def test_the_session_endpoint_answers_a_storage_failure_in_json(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    assert_unavailable_json(broken.client.get("/auth/session", headers={"Accept": "*/*"}))


def test_a_failing_store_on_a_protected_page_is_not_a_sign_in_redirect(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    assert_unavailable_page(broken.client.get("/private"))
    assert_logged_once(caplog, "get_session_and_user failed")


def test_a_failing_store_during_a_sign_in_gives_a_503(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    client = broken.app.test_client()  # a new browser, signing in
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    answer = dummy_sign_in(client, sub="9", email="new@example.com")
    assert_unavailable_page(answer)
    assert_logged_once(caplog, "failed")
    assert cookie_of(client) is None


def test_a_locked_sqlite_database_gives_a_503(
    make_database: MakeDatabase, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_database("sqlite", "t_ext_locked")
    engine = sa.create_engine(url, connect_args={"timeout": 0.05})
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.create_all(engine)
    locker = sqlite3.connect(sa.make_url(url).database or "", isolation_level=None)
    try:
        app, _ = make_app(adapter, clock=clock)
        client = app.test_client()
        browser_sign_in(client)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the database
        caplog.set_level(logging.INFO, logger="flask_authadapter")
        caplog.clear()
        assert_unavailable_page(client.get("/whoami"))
        assert_logged_once(caplog, "get_session_and_user failed", cause="locked")
        locker.execute("ROLLBACK")
        assert who(client) == "ada@example.com"  # back once the lock is gone
    finally:
        locker.close()
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_database_server_gives_a_503(
    clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing"
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        app, _ = make_app(SQLAlchemyAdapter(engine), clock=clock)
        client = app.test_client()
        client.set_cookie(COOKIE, secrets.token_urlsafe(32))
        caplog.set_level(logging.INFO, logger="flask_authadapter")
        caplog.clear()
        assert_unavailable_json(client.get("/whoami", headers={"Accept": "application/json"}))
        assert_logged_once(caplog, "get_session_and_user failed")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_database_dropped_under_a_running_app_gives_503s(
    make_database: MakeDatabase,
    postgres_server: Any,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = make_database("postgres", "t_ext_doomed")
    engine = create_engine_for(url)
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.create_all(engine)
    admin = sa.create_engine(
        postgres_server.base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        app, _ = make_app(adapter, clock=clock)
        client = app.test_client()
        browser_sign_in(client)  # the pool now holds a live connection
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE "t_ext_doomed" WITH (FORCE)')
        caplog.set_level(logging.INFO, logger="flask_authadapter")
        caplog.clear()
        # The pooled connection was killed by the server...
        assert_unavailable_page(client.get("/whoami"))
        assert_logged_once(caplog, "get_session_and_user failed")
        # ...and a new one finds no database.
        assert_unavailable_page(client.get("/whoami"))
        assert_logged_once(caplog, "get_session_and_user failed", cause="does not exist")
    finally:
        engine.dispose()
        admin.dispose()
