"""Smoke tests for the throwaway database servers of harness/servers/."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from harness import servers
from harness.servers import DatabaseServer

# Microseconds matter: session and token expiry times are compared to "now".
STAMP = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.timezone.utc)


def _table(timestamp_type: sa.types.TypeEngine[dt.datetime]) -> sa.Table:
    return sa.Table(
        "smoke",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("stamp", timestamp_type, nullable=False),
    )


def _round_trip(url: str, table: sa.Table, stamp: dt.datetime) -> tuple[str, dt.datetime, str]:
    engine = sa.create_engine(url)
    try:
        table.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"email": "Zoë@Example.org", "stamp": stamp}])
        with engine.connect() as conn:
            email, got = conn.execute(sa.select(table.c.email, table.c.stamp)).one()
            version = conn.execute(sa.text("SELECT version()")).scalar_one()
        return email, got, version
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_server(postgres_server: DatabaseServer) -> None:
    assert postgres_server.name == "postgres"
    url = postgres_server.create_database("t_smoke")
    assert url.startswith("postgresql+psycopg://")
    assert url.endswith("/t_smoke")

    email, got, version = _round_trip(url, _table(sa.DateTime(timezone=True)), STAMP)
    assert "PostgreSQL" in version
    assert email == "Zoë@Example.org"
    assert got == STAMP
    assert got.microsecond == 123456
    # The server runs in a non-UTC zone on purpose; the same instant comes back in it.
    assert got.utcoffset() == dt.timedelta(hours=5, minutes=30)

    # create_database again: dropped and re-created empty.
    engine = sa.create_engine(postgres_server.create_database("t_smoke"))
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_mariadb_server(mariadb_server: DatabaseServer) -> None:
    assert mariadb_server.name == "mariadb"
    url = mariadb_server.create_database("t_smoke")
    assert url.startswith("mysql+pymysql://")
    assert "/t_smoke?" in url

    naive = STAMP.replace(tzinfo=None)  # DATETIME has no time zone
    email, got, version = _round_trip(url, _table(mysql.DATETIME(fsp=6)), naive)
    assert "MariaDB" in version
    assert email == "Zoë@Example.org"  # utf8mb4 all the way
    assert got == naive
    assert got.microsecond == 123456

    engine = sa.create_engine(mariadb_server.create_database("t_smoke"))
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_both_servers_in_one_session(
    postgres_server: DatabaseServer, mariadb_server: DatabaseServer
) -> None:
    assert postgres_server.base_url != mariadb_server.base_url
    for server in (postgres_server, mariadb_server):
        engine = sa.create_engine(server.base_url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        finally:
            engine.dispose()


def test_bad_database_names_are_refused(postgres_server: DatabaseServer) -> None:
    for bad in ("", "1abc", "a-b", 'x"; DROP DATABASE postgres; --', "a" * 64):
        with pytest.raises(ValueError, match="not a plain database name"):
            postgres_server.create_database(bad)


@pytest.mark.parametrize("kind", servers.KINDS)
def test_missing_binaries_are_reported(kind: str) -> None:
    reason = servers.server_binaries_missing(kind, search_path="/nonexistent")
    assert reason is not None
    assert "not found" in reason


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown database server kind"):
        servers.server_binaries_missing("sqlite")


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip"), ("false", "skip")])
def test_missing_server_skips_locally_but_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="binaries"):
        servers.skip_or_fail("PostgreSQL server binaries (initdb, pg_ctl) not found")
