"""The handles of running servers (:class:`DatabaseServer`, :class:`RedisServer`) and the
registry that stops, at interpreter exit, any server the tests did not stop."""

from __future__ import annotations

import atexit
import contextlib
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

__all__ = ["DatabaseServer", "RedisServer", "redis_url_without_password", "register"]

_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(eq=False)
class DatabaseServer:
    """A running database server (throwaway, or external when ``external`` is true)."""

    name: str  # "postgres" or "mariadb"
    base_url: str  # SQLAlchemy URL of the admin database (postgres / mysql)
    external: bool = False  # True: given by an environment variable, not started by us
    log_path: Path | None = None  # server log (None for external servers)
    startup_seconds: float = 0.0  # how long the start took (0 for external servers)
    _shutdown: Callable[[], None] | None = field(default=None, repr=False)
    # A throwaway PostgreSQL's immediate stop and its start again (see pause, resume).
    _pause: Callable[[], None] | None = field(default=None, repr=False)
    _resume: Callable[[], None] | None = field(default=None, repr=False)
    _created: list[str] = field(default_factory=list, repr=False)
    _stopped: bool = field(default=False, repr=False)

    def __repr__(self) -> str:  # never print a password of an external server
        url = make_url(self.base_url).render_as_string(hide_password=True)
        kind = "external" if self.external else "throwaway"
        return f"<DatabaseServer {self.name} ({kind}) {url}>"

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server (without creating it)."""
        url = make_url(self.base_url).set(database=database)
        return url.render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create a fresh, empty database ``name`` (dropped first if it exists).

        Returns a SQLAlchemy URL for it.  ``name`` must be a plain identifier
        (letters, digits, underscores; at most 63 characters).
        """
        if not _DB_NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        self._check_running()
        engine = self.admin_engine()
        try:
            with engine.connect() as conn:
                self._drop(conn, name)
                if self.name == "postgres":
                    # template0: really empty, whatever was added to template1.
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
                else:
                    conn.exec_driver_sql(
                        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
        finally:
            engine.dispose()
        if name not in self._created:
            self._created.append(name)
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server and delete its files (external servers: drop our databases).

        Safe to call more than once.
        """
        if self._stopped:
            return
        self._stopped = True
        _RUNNING.discard(self)
        if self.external:
            self._drop_created()
        elif self._shutdown is not None:
            self._shutdown()

    def pause(self) -> None:
        """Stop a throwaway PostgreSQL abruptly, as a crash would (``pg_ctl stop -m
        immediate``), keeping its files: every connection is cut, and new ones are refused
        until :meth:`resume`. For the tests of a database going away mid-flow.

        What was committed is kept: a CHECKPOINT comes first, since this server runs with
        ``synchronous_commit=off``, whose latest commits an immediate stop would lose."""
        pause = self._restartable("pause", self._pause)
        engine = self.admin_engine()
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("CHECKPOINT")
        finally:
            engine.dispose()
        pause()

    def resume(self) -> None:
        """Start a PostgreSQL stopped by :meth:`pause` again: same data, port and options."""
        self._restartable("resume", self._resume)()

    def admin_engine(self) -> Engine:
        """An engine on the admin database, in autocommit, without a pool (dispose it)."""
        return sa.create_engine(self.base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def _restartable(self, action: str, step: Callable[[], None] | None) -> Callable[[], None]:
        if step is None:
            raise RuntimeError(f"only a throwaway PostgreSQL can {action}, not {self!r}")
        self._check_running()
        return step

    def _check_running(self) -> None:
        if self._stopped:
            raise RuntimeError(f"{self!r} has been stopped")

    def _drop(self, conn: sa.Connection, name: str) -> None:
        if self.name == "postgres":
            # WITH (FORCE) (PostgreSQL 13+) disconnects sessions still using it.
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        # MariaDB has no FORCE: kill the sessions using it so DROP can't block.
        ids = conn.execute(
            sa.text(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = :db AND id <> CONNECTION_ID()"
            ),
            {"db": name},
        ).scalars()
        for session_id in ids:
            with contextlib.suppress(sa.exc.DBAPIError):  # it may be gone already
                conn.exec_driver_sql(f"KILL CONNECTION {int(session_id)}")
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")

    def _drop_created(self) -> None:
        if not self._created:
            return
        engine = self.admin_engine()
        try:
            with engine.connect() as conn:
                for name in self._created:
                    self._drop(conn, name)
        except sa.exc.SQLAlchemyError as exc:
            warnings.warn(
                f"could not drop test databases {self._created} on {self!r}: {exc}",
                stacklevel=3,
            )
        finally:
            engine.dispose()
            self._created.clear()


@dataclass(eq=False)
class RedisServer:
    """A running Redis (throwaway, or external when ``external`` is true)."""

    name: str  # "redis"
    url: str  # redis://127.0.0.1:PORT/0, as the `limits` library and redis-py take it
    external: bool = False  # True: given by AUTHADAPTER_TEST_REDIS_URL, not started by us
    log_path: Path | None = None  # server log (None for external servers)
    startup_seconds: float = 0.0  # how long the start took (0 for external servers)
    _shutdown: Callable[[], None] | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    def __repr__(self) -> str:  # never print a password of an external server
        kind = "external" if self.external else "throwaway"
        return f"<RedisServer ({kind}) {redis_url_without_password(self.url)}>"

    def client(self) -> Any:
        """A redis-py client of this server's database (close it after use)."""
        import redis  # here: only needed for Redis

        return redis.Redis.from_url(self.url, socket_timeout=10)

    def flush(self) -> None:
        """Delete every key of this server's database (a clean slate for one test)."""
        if self._stopped:
            raise RuntimeError(f"{self!r} has been stopped")
        with self.client() as client:
            client.flushdb()

    def stop(self) -> None:
        """Stop the server and delete its files (external servers: left as they are).

        Safe to call more than once.
        """
        if self._stopped:
            return
        self._stopped = True
        _RUNNING.discard(self)
        if not self.external and self._shutdown is not None:
            self._shutdown()


def redis_url_without_password(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


# Servers still running; stopped at interpreter exit if the tests did not.
_RUNNING: set[DatabaseServer | RedisServer] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception as exc:  # best effort at exit
            print(f"harness.servers: could not stop {server!r}: {exc}", file=sys.stderr)


_S = TypeVar("_S", DatabaseServer, RedisServer)


def register(server: _S) -> _S:
    """Remember ``server`` so that it is stopped at exit if nothing stops it before."""
    _RUNNING.add(server)
    return server
