"""Shared pytest fixtures for the flask-authadapter test suite.

Fixtures are grouped in clearly delimited sections; add new ones in a section
of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests import servers
from tests.databases import BACKENDS
from tests.servers import DatabaseServer

# =========================================================================== #
# Real database servers (see tests/servers.py)
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
