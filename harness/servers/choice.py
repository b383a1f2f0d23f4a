"""Which server the tests get for a kind: the existing one an environment variable names, a
throwaway one, or none (then the test skips, or fails under ``CI=true``)."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from harness.servers import mariadb, postgres, redis
from harness.servers.handles import DatabaseServer, RedisServer, register
from harness.servers.process import ServerStartError

__all__ = [
    "ENV_VARS",
    "KINDS",
    "external_server",
    "running_in_ci",
    "server_binaries_missing",
    "skip_or_fail",
    "start_server",
    "unavailable_reason",
]

KINDS = ("postgres", "mariadb", "redis")

#: Environment variables that point the tests at an existing server instead.
ENV_VARS = {
    "postgres": "AUTHADAPTER_TEST_POSTGRES_URL",
    "mariadb": "AUTHADAPTER_TEST_MARIADB_URL",
    "redis": "AUTHADAPTER_TEST_REDIS_URL",
}

_MISSING = {"postgres": postgres.missing, "mariadb": mariadb.missing, "redis": redis.missing}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown database server kind {kind!r}; expected one of {KINDS}")


def server_binaries_missing(kind: str, search_path: str | None = None) -> str | None:
    """Why a throwaway ``kind`` server cannot be started here, or None if it can.

    ``search_path`` (an ``os.pathsep``-separated list of directories) replaces
    the normal lookup (PATH, /usr/sbin, /usr/lib/postgresql/*/bin, pg_config);
    it exists so the tests can check the "missing" answer.
    """
    _check_kind(kind)
    return _MISSING[kind](search_path)


def unavailable_reason(kind: str) -> str | None:
    """Why the tests cannot get a ``kind`` server at all, or None.

    An environment URL counts as available (if it turns out to be unreachable,
    :func:`start_server` raises instead: a configured server must work).
    """
    _check_kind(kind)
    if os.environ.get(ENV_VARS[kind]):
        return None
    return server_binaries_missing(kind)


def running_in_ci() -> bool:
    """Whether ``CI`` is set to true (then a missing server fails instead of skipping)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip the requesting test, except in CI (``CI=true``), where it fails."""
    import pytest  # here: keep this package importable without pytest (the benchmarks)

    if running_in_ci():
        pytest.fail(
            f"{reason} [CI=true: a missing database server fails, never skips]", pytrace=False
        )
    pytest.skip(reason)


def external_server(kind: str) -> DatabaseServer | RedisServer | None:
    """The server named by ``ENV_VARS[kind]`` (checked to answer), or None if unset."""
    _check_kind(kind)
    env_var = ENV_VARS[kind]
    raw = os.environ.get(env_var)
    if not raw:
        return None
    if kind == "redis":
        return redis.external_redis(env_var, raw)
    try:
        url = _normalise_url(kind, make_url(raw))
    except sa.exc.ArgumentError as exc:
        raise ServerStartError(f"{env_var} is not a SQLAlchemy URL: {exc}") from exc
    server = DatabaseServer(
        name=kind, base_url=url.render_as_string(hide_password=False), external=True
    )
    engine = server.admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        raise ServerStartError(f"{env_var} is set, but {server!r} does not answer: {exc}") from None
    finally:
        engine.dispose()
    return register(server)


def start_server(kind: str, workdir: Path | None = None) -> DatabaseServer | RedisServer:
    """The external server if its environment variable is set, else a throwaway one."""
    server = external_server(kind)
    if server is not None:
        return server
    if kind == "redis":
        return redis.start_redis(workdir)
    if kind == "postgres":
        return postgres.start_postgres(workdir)
    return mariadb.start_mariadb(workdir)


def _normalise_url(kind: str, url: URL) -> URL:
    if kind == "postgres":
        if url.get_backend_name() != "postgresql":
            raise ServerStartError(f"{ENV_VARS[kind]} must be a postgresql URL, not {url!r}")
        if url.drivername == "postgresql":  # the default driver would be psycopg2
            url = url.set(drivername="postgresql+psycopg")
        return url.set(database=url.database or "postgres")
    if url.get_backend_name() not in {"mysql", "mariadb"}:
        raise ServerStartError(f"{ENV_VARS[kind]} must be a mysql/mariadb URL, not {url!r}")
    if "+" not in url.drivername:
        url = url.set(drivername=f"{url.drivername}+pymysql")
    if "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url.set(database=url.database or "mysql")
