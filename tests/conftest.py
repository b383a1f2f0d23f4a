"""Shared pytest fixtures for the flask-authadapter test suite.

Fixtures are grouped in clearly delimited sections; add new ones in a section
of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from flask_authadapter.testing import AdapterSuite
from harness import servers
from harness.servers import DatabaseServer
from tests.databases import BACKENDS

# =========================================================================== #
# Real database servers (see harness/servers/)
#
# ``postgres_server`` / ``mariadb_server`` are started once per test session,
# on first use, and stopped at its end.  Each test calls
# ``server.create_database("some_name")`` to get a fresh empty database and
# its SQLAlchemy URL.  Set AUTHADAPTER_TEST_POSTGRES_URL /
# AUTHADAPTER_TEST_MARIADB_URL to use an existing server instead.
#
# Server binaries not installed: the tests using the fixture are skipped -
# except in CI (CI=true), where that is a failure.  A server that is installed
# but fails to start is always an error.
# =========================================================================== #


def _session_server(kind: str) -> Iterator[DatabaseServer]:
    reason = servers.unavailable_reason(kind)
    if reason is not None:
        servers.skip_or_fail(reason)
    server = servers.start_server(kind)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[DatabaseServer]:
    """A PostgreSQL server for the whole session (``DatabaseServer``)."""
    yield from _session_server("postgres")


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[DatabaseServer]:
    """A MariaDB server for the whole session (``DatabaseServer``)."""
    yield from _session_server("mariadb")


# =========================================================================== #
# End of: real database servers
# =========================================================================== #


# =========================================================================== #
# Markers by what a test needs, so that ``make check`` can leave them out:
# a server fixture (postgres, mariadb, redis; also through the fixtures that
# depend on it, or a backend parameter of that name), a browser (tests/e2e),
# a built wheel, or a long run (slow).
# =========================================================================== #

#: fixture -> marker of every test that uses it, directly or not.
_MARK_BY_FIXTURE = {
    "postgres_server": "postgres",
    "own_postgres_server": "postgres",  # tests/hardening/test_faults.py: one it stops
    "mariadb_server": "mariadb",
    "redis_server": "redis",
}
#: path (relative to tests/) -> marker of every test under it.
_MARK_BY_PATH = {
    "e2e/": "browser",
    "integration/test_quickstart.py": "wheel",
    "integration/test_migrations_in_an_app.py": "wheel",
    "example/test_demo.py": "slow",
    "docs/test_adapters_doc.py": "slow",
}
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        params = set(map(str, callspec.params.values())) if callspec is not None else set()
        for fixture, marker in _MARK_BY_FIXTURE.items():
            # A backend parameter ("postgres") reaches its server through make_database.
            if fixture in names or marker in params:
                item.add_marker(marker)
        where = item.path.resolve().relative_to(_TESTS).as_posix()
        for prefix, marker in _MARK_BY_PATH.items():
            if where.startswith(prefix):
                item.add_marker(marker)


# =========================================================================== #
# End of: markers by what a test needs
# =========================================================================== #


# =========================================================================== #
# Databases by backend name
#
# ``make_database(backend, name)`` returns a SQLAlchemy URL to a fresh, empty
# database: a file for "sqlite", a new database on the session's server for
# "postgres" and "mariadb" (which starts that server on first use).
# =========================================================================== #


@pytest.fixture(scope="session")
def make_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], str]:
    """A factory: ``make_database("postgres", "t_name")`` -> URL of a fresh database."""

    def make(backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / name}.sqlite3"
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}")
        server: DatabaseServer = request.getfixturevalue(f"{backend}_server")
        return server.create_database(name)

    return make


# =========================================================================== #
# End of: databases by backend name
# =========================================================================== #


# =========================================================================== #
# A summary of the storage tests by backend, printed at the end of the run, so
# the output shows what ran where (conformance suite per adapter and model
# set, migrations per database) without a verbose listing of every test.
# =========================================================================== #

_by_backend: dict[str, Counter[str]] = defaultdict(Counter)


def _storage_group(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    backend = params.get("backend") or params.get("database_url")
    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, AdapterSuite):
        return f"conformance suite  {cls.__name__:<20} {backend or 'memory':<9}"
    module = getattr(item, "module", None)
    if module is not None and module.__name__.endswith("test_migrations") and backend:
        return f"migrations         {'':<20} {backend:<9}"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    group = _storage_group(item)
    if group is not None and (report.when == "call" or report.outcome != "passed"):
        _by_backend[group][report.outcome] += 1
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _by_backend:
        return
    terminalreporter.section("storage tests by backend")
    for group in sorted(_by_backend):
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_by_backend[group].items()))
        terminalreporter.write_line(f"{group}  {counts}")


# =========================================================================== #
# End of: summary by backend
# =========================================================================== #


# =========================================================================== #
# A real SMTP server (aiosmtpd; see tests/mail.py)
#
# ``smtp_server`` starts a fresh server on a free loopback port for the test
# and stops it afterwards.  ``smtp_server.config`` holds the MAIL_SERVER /
# MAIL_PORT settings that reach it; ``smtp_server.messages`` the messages it
# accepted; ``smtp_server.mode = "refuse-rcpt" | "refuse-data" | "hang"``
# changes how it answers.  ``tests.mail.free_port()`` is a server that is down.
# =========================================================================== #

from tests.mail import MailServer  # noqa: E402 - this section's own import


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    """A running SMTP server for one test (``tests.mail.MailServer``)."""
    server = MailServer().start()
    try:
        yield server
    finally:
        server.stop()


# =========================================================================== #
# End of: a real SMTP server
# =========================================================================== #


# =========================================================================== #
# A real Redis server (see harness/servers/), for the rate limits' shared
# storage (AUTH_RATELIMIT_STORAGE_URI=redis://...).
#
# ``redis_server`` is started once per test session, on first use, and
# stopped at its end; it is a ``RedisServer`` whose ``url`` is a redis:// URI
# and whose ``flush()`` empties it (call it at the start of each test).  Set
# AUTHADAPTER_TEST_REDIS_URL to use an existing Redis instead (the tests
# empty its database).
#
# redis-server not installed: the tests using the fixture are skipped -
# except in CI (CI=true), where that is a failure.  A Redis that is installed
# but fails to start is always an error.
# =========================================================================== #


@pytest.fixture(scope="session")
def redis_server() -> Iterator[servers.RedisServer]:
    """A Redis server for the whole session (``RedisServer``)."""
    reason = servers.unavailable_reason("redis")
    if reason is not None:
        servers.skip_or_fail(reason)
    server = servers.start_server("redis")
    assert isinstance(server, servers.RedisServer)
    try:
        yield server
    finally:
        server.stop()


# =========================================================================== #
# End of: a real Redis server
# =========================================================================== #


# =========================================================================== #
# A real OpenID provider (oidc-provider-mock; see tests/oidc.py)
#
# ``oidc_provider`` is one mock provider for the whole test session, started
# on first use on a free port of localhost and stopped at the end.  It is a
# ``tests.oidc.MockProvider``: ``issuer`` (http://localhost:<port>),
# ``set_user(sub, **claims)``, ``approve(authorize_url, sub)`` /
# ``deny(authorize_url)`` (the person at its authorization page, over real
# HTTP), ``token_requests(code)`` (what the app sent to its token endpoint).
# It accepts any client id and secret.  Users persist for the session: give
# each test its own subs.  ``tests.oidc.run_mock_provider()`` starts a
# dedicated one (for a test that stops it).
# =========================================================================== #

from typing import TYPE_CHECKING  # noqa: E402 - this section's own import

if TYPE_CHECKING:
    from tests.oidc import MockProvider


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[MockProvider]:
    """The session's OpenID provider (``tests.oidc.MockProvider``)."""
    # Imported here: only the sessions that use the provider load it (and Authlib's server).
    from tests.oidc import run_mock_provider

    with run_mock_provider() as provider:
        yield provider


# =========================================================================== #
# End of: a real OpenID provider
# =========================================================================== #
