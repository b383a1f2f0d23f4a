"""Throwaway PostgreSQL, MariaDB and Redis servers for the test suite.

Each ``start_*`` function creates a brand-new server in a temporary directory,
listening on a free loopback TCP port, tuned for speed rather than durability
(no fsync), and returns a :class:`DatabaseServer`.  ``DatabaseServer.stop()``
shuts it down and deletes the directory; an ``atexit`` hook does the same for
any server still running when the interpreter exits (e.g. after an
exception or Ctrl-C), so a test run never leaves servers behind.  A run killed
with SIGKILL cannot clean up: MariaDB then dies with it (parent-death signal),
but a PostgreSQL started through ``pg_ctl`` keeps running until the next
start of a server of that kind finds and stops it (see ``_new_server_dir``).

Instead of starting a server, the tests can use an existing one: set
``AUTHADAPTER_TEST_POSTGRES_URL`` / ``AUTHADAPTER_TEST_MARIADB_URL`` to a
SQLAlchemy URL of an admin database (a user allowed to create and drop
databases), e.g. ``postgresql+psycopg://postgres:secret@localhost/postgres`` or
``mysql+pymysql://root:secret@localhost/mysql``.  ``create_database()`` then
works on that server, and ``stop()`` drops the databases it created.

Redis (the shared storage of the rate limits) is not a database server in that
sense: :func:`start_redis` returns a :class:`RedisServer`, whose ``url`` is a
``redis://`` URI and whose ``flush()`` empties it between tests.
``AUTHADAPTER_TEST_REDIS_URL`` (e.g. ``redis://localhost:6379/15``) points the
tests at an existing Redis instead: they empty that database, so give them one
of their own.

The module deliberately does not import pytest at module level; only
:func:`skip_or_fail` needs it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

__all__ = [
    "ENV_VARS",
    "KINDS",
    "DatabaseServer",
    "RedisServer",
    "ServerStartError",
    "external_server",
    "running_in_ci",
    "server_binaries_missing",
    "skip_or_fail",
    "start_mariadb",
    "start_postgres",
    "start_redis",
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

START_TIMEOUT = 60.0  # seconds until a server must accept connections
STOP_TIMEOUT = 30.0
# The servers' own time zone: deliberately not UTC (see the start functions).
SERVER_TIME_ZONE = "Asia/Kolkata"
SERVER_UTC_OFFSET = "+05:30"
_BIND_ATTEMPTS = 3  # the free port we picked may be taken before the server binds it
_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_BIND_ERRORS = ("address already in use", "could not bind", "bind on tcp/ip port")


class ServerStartError(RuntimeError):
    """A database server could not be started (or reached); the message has the log tail."""


# --------------------------------------------------------------------------- #
# The server handle
# --------------------------------------------------------------------------- #


@dataclass(eq=False)
class DatabaseServer:
    """A running database server (throwaway, or external when ``external`` is true)."""

    name: str  # "postgres" or "mariadb"
    base_url: str  # SQLAlchemy URL of the admin database (postgres / mysql)
    external: bool = False  # True: given by an environment variable, not started by us
    log_path: Path | None = None  # server log (None for external servers)
    startup_seconds: float = 0.0  # how long the start took (0 for external servers)
    _shutdown: Callable[[], None] | None = field(default=None, repr=False)
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
        if self._stopped:
            raise RuntimeError(f"{self!r} has been stopped")
        engine = self._admin_engine()
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
        data = self._postgres_data_dir("pause")
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("CHECKPOINT")
        finally:
            engine.dispose()
        _pause_postgres(data)

    def resume(self) -> None:
        """Start a PostgreSQL stopped by :meth:`pause` again: same data, port and options."""
        _resume_postgres(self._postgres_data_dir("resume"))

    def _postgres_data_dir(self, action: str) -> Path:
        if self.name != "postgres" or self.external or self.log_path is None:
            raise RuntimeError(f"only a throwaway PostgreSQL can {action}, not {self!r}")
        if self._stopped:
            raise RuntimeError(f"{self!r} has been stopped")
        return self.log_path.parent / "data"

    # -- helpers ---------------------------------------------------------- #

    def _admin_engine(self) -> Engine:
        return sa.create_engine(self.base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

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
        engine = self._admin_engine()
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
        return f"<RedisServer ({kind}) {_redis_url_without_password(self.url)}>"

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


def _redis_url_without_password(url: str) -> str:
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
            print(f"tests/servers.py: could not stop {server!r}: {exc}", file=sys.stderr)


_S = TypeVar("_S", DatabaseServer, RedisServer)


def _register(server: _S) -> _S:
    _RUNNING.add(server)
    return server


# --------------------------------------------------------------------------- #
# Finding binaries, choosing between throwaway / external / unavailable
# --------------------------------------------------------------------------- #

# /usr/sbin is often missing from a normal user's PATH, and it is where
# Debian installs mariadbd.
_EXTRA_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _default_search_path() -> str:
    return os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_PATH])


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/15/bin -> (15,)
    return tuple(int(n) for n in re.findall(r"\d+", Path(bindir).parent.name)) or (0,)


def _postgres_bindir(search_path: str | None = None) -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` (newest PostgreSQL), or None."""
    candidates: list[str] = []
    if search_path is None:
        # Debian/Ubuntu keep server binaries out of PATH.
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)[::-1]
        pg_config = shutil.which("pg_config")
        if pg_config:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                out = subprocess.run(
                    [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
                )
                if out.returncode == 0 and out.stdout.strip():
                    candidates.append(out.stdout.strip())
        search_path = _default_search_path()
    candidates += [d for d in search_path.split(os.pathsep) if d]
    for directory in candidates:
        path = Path(directory)
        if all(os.access(path / exe, os.X_OK) for exe in ("initdb", "pg_ctl")):
            return path
    return None


def _mariadb_binaries(search_path: str | None = None) -> tuple[str, str] | None:
    """Paths of ``(mariadb-install-db, mariadbd)``, or None."""
    path = search_path if search_path is not None else _default_search_path()
    install_db = shutil.which("mariadb-install-db", path=path)
    mariadbd = shutil.which("mariadbd", path=path)
    return (install_db, mariadbd) if install_db and mariadbd else None


def _redis_binary(search_path: str | None = None) -> str | None:
    """The path of ``redis-server``, or None."""
    path = search_path if search_path is not None else _default_search_path()
    return shutil.which("redis-server", path=path)


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
    if kind == "postgres":
        if _postgres_bindir(search_path) is None:
            return (
                "PostgreSQL server binaries (initdb, pg_ctl) not found; "
                "install Debian's postgresql (or set AUTHADAPTER_TEST_POSTGRES_URL)"
            )
        if _is_root() and not shutil.which("runuser", path=_default_search_path()):
            return "running as root, but runuser (util-linux) is missing to run PostgreSQL"
        return None
    if kind == "redis":
        if _redis_binary(search_path) is None:
            return (
                "Redis server binary (redis-server) not found; "
                "install Debian's redis-server (or set AUTHADAPTER_TEST_REDIS_URL)"
            )
        return None
    if _mariadb_binaries(search_path) is None:
        return (
            "MariaDB server binaries (mariadb-install-db, mariadbd) not found; "
            "install Debian's mariadb-server (or set AUTHADAPTER_TEST_MARIADB_URL)"
        )
    return None


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
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip the requesting test, except in CI (``CI=true``), where it fails."""
    import pytest  # here: keep this module importable without pytest

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
        return _external_redis(env_var, raw)
    try:
        url = _normalise_url(kind, make_url(raw))
    except sa.exc.ArgumentError as exc:
        raise ServerStartError(f"{env_var} is not a SQLAlchemy URL: {exc}") from exc
    server = DatabaseServer(
        name=kind, base_url=url.render_as_string(hide_password=False), external=True
    )
    engine = server._admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        raise ServerStartError(f"{env_var} is set, but {server!r} does not answer: {exc}") from None
    finally:
        engine.dispose()
    return _register(server)


def start_server(kind: str, workdir: Path | None = None) -> DatabaseServer | RedisServer:
    """The external server if its environment variable is set, else a throwaway one."""
    server = external_server(kind)
    if server is not None:
        return server
    if kind == "redis":
        return start_redis(workdir)
    return start_postgres(workdir) if kind == "postgres" else start_mariadb(workdir)


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


# --------------------------------------------------------------------------- #
# Shared plumbing
# --------------------------------------------------------------------------- #


def _is_root() -> bool:
    return os.geteuid() == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def _start_error(what: str, output: str, log: Path | None = None) -> ServerStartError:
    parts = [what]
    if output.strip():
        parts.append("--- output ---\n" + output.strip())
    if log is not None:
        parts.append(f"--- last lines of {log} ---\n{_tail(log)}")
    return ServerStartError("\n".join(parts))


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.output.decode(errors="replace") if isinstance(exc.output, bytes) else ""
        return subprocess.CompletedProcess(cmd, -1, f"{out}\n(timed out after {timeout} s)")


def _log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _bind_failed(log: Path, since: int) -> bool:
    """Did the server log, after byte ``since``, that its port was taken?"""
    try:
        with log.open("rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace").lower()
    except OSError:
        return False
    return any(marker in text for marker in _BIND_ERRORS)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child process
    """preexec_fn: have Linux send SIGTERM to the server if the test process dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_OWNER_FILE = "owner.pid"  # pid of the test process that started the server in this dir


def _new_server_dir(prefix: str, workdir: Path | None, reap: Callable[[Path], None]) -> Path:
    """A fresh directory for a server, after cleaning up orphans of earlier runs.

    A test run killed with SIGKILL cannot stop its servers (a PostgreSQL
    started by pg_ctl outlives it).  Each server dir records the pid of its
    test process; dirs whose process is gone are handed to ``reap`` (stop the
    server if still running) and deleted.
    """
    base = Path(workdir) if workdir is not None else Path(tempfile.gettempdir())
    for old in base.glob(f"{prefix}*"):
        try:
            owner = int((old / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or not fully created yet
        if _pid_alive(owner):
            continue
        with contextlib.suppress(Exception):
            reap(old)
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=workdir))
    (tmp / _OWNER_FILE).write_text(str(os.getpid()))
    return tmp


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextlib.contextmanager
def _cleanup_on_error(cleanup: Callable[[], None]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            cleanup()
        raise


# --------------------------------------------------------------------------- #
# PostgreSQL
# --------------------------------------------------------------------------- #


def start_postgres(workdir: Path | None = None) -> DatabaseServer:
    """Start a throwaway PostgreSQL (newest installed) and return its handle.

    Its files live in a new directory under ``workdir`` (default: the system
    temp dir).  When running as root, the server runs as the ``postgres``
    user, which must be able to reach that directory; pytest's own tmp dirs
    (mode 0700) are not suitable then.
    """
    reason = server_binaries_missing("postgres")
    if reason:
        raise ServerStartError(reason)
    bindir = _postgres_bindir()
    assert bindir is not None
    started = time.monotonic()

    pg_ctl = str(bindir / "pg_ctl")

    def as_postgres(*cmd: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if _is_root() else list(cmd)

    def reap(old: Path) -> None:
        if (old / "data" / "postmaster.pid").exists():
            stop = as_postgres(pg_ctl, "stop", "-D", str(old / "data"), "-m", "immediate")
            _run(stop, old, STOP_TIMEOUT)

    tmp = _new_server_dir("authadapter-pg-", workdir, reap)
    data, log = tmp / "data", tmp / "postgres.log"

    def shutdown() -> None:
        if (data / "postmaster.pid").exists():
            stop = as_postgres(pg_ctl, "stop", "-D", str(data), "-w", "-t", str(STOP_TIMEOUT))
            if _run([*stop, "-m", "fast"], tmp, STOP_TIMEOUT + 10).returncode != 0:
                _run([*stop, "-m", "immediate"], tmp, STOP_TIMEOUT + 10)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_error(shutdown):
        tmp.chmod(0o755)
        if _is_root():
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerStartError(
                    "running as root, but there is no 'postgres' user to run PostgreSQL as"
                ) from None
            os.chown(tmp, user.pw_uid, user.pw_gid)

        # C.UTF-8 gives Unicode-aware lower()/upper(); fall back to plain C.
        for locale in ("C.UTF-8", "C"):
            shutil.rmtree(data, ignore_errors=True)
            initdb = as_postgres(
                str(bindir / "initdb"),
                *("-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"),
                *(f"--locale={locale}", "--no-sync", "--no-instructions"),
            )
            result = _run(initdb, tmp, 120)
            if result.returncode == 0:
                break
        else:
            hint = " (as root: can the postgres user reach it?)" if _is_root() else ""
            raise _start_error(f"initdb failed in {tmp}{hint}", result.stdout)

        for attempt in range(_BIND_ATTEMPTS):
            port, log_start = _free_port(), _log_size(log)
            options = " ".join(
                [
                    f"-p {port}",
                    "-c listen_addresses=127.0.0.1",
                    f"-k {shlex.quote(str(tmp))}",  # unix socket, out of /var/run
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200",
                    # Deliberately not UTC: a driver or adapter that takes local time for
                    # UTC (or binds an aware datetime to a naive column) shows up at once.
                    f"-c TimeZone={SERVER_TIME_ZONE}",
                ]
            )
            start = as_postgres(
                pg_ctl, "start", "-w", "-t", str(int(START_TIMEOUT)),
                *("-D", str(data), "-l", str(log), "-o", options),
            )  # fmt: skip
            result = _run(start, tmp, START_TIMEOUT + 10)
            if result.returncode == 0:
                break
            if attempt + 1 < _BIND_ATTEMPTS and _bind_failed(log, log_start):
                continue
            raise _start_error(
                f"PostgreSQL did not start (pg_ctl start, port {port})", result.stdout, log
            )

        server = DatabaseServer(
            name="postgres",
            base_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
            log_path=log,
            startup_seconds=time.monotonic() - started,
            _shutdown=shutdown,
        )
        return _register(server)


def _as_postgres(*cmd: str) -> list[str]:
    """``cmd`` run as the postgres user when we are root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if _is_root() else list(cmd)


def _pause_postgres(data: Path) -> None:
    """``pg_ctl stop -m immediate`` of the server of ``data`` (see DatabaseServer.pause)."""
    bindir = _postgres_bindir()
    assert bindir is not None
    stop = _as_postgres(
        str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate",
        "-w", "-t", str(int(STOP_TIMEOUT)),
    )  # fmt: skip
    result = _run(stop, data.parent, STOP_TIMEOUT + 10)
    if result.returncode != 0:
        raise _start_error("PostgreSQL did not stop (pg_ctl stop -m immediate)", result.stdout)


def _resume_postgres(data: Path) -> None:
    """Start the server of ``data`` again with the options of its last start, which
    PostgreSQL keeps in ``postmaster.opts`` (see DatabaseServer.resume)."""
    bindir = _postgres_bindir()
    assert bindir is not None
    log = data.parent / "postgres.log"
    args = shlex.split((data / "postmaster.opts").read_text())[1:]  # without the binary
    if "-D" in args:  # given to pg_ctl itself
        at = args.index("-D")
        del args[at : at + 2]
    start = _as_postgres(
        str(bindir / "pg_ctl"), "start", "-w", "-t", str(int(START_TIMEOUT)),
        *("-D", str(data), "-l", str(log), "-o", shlex.join(args)),
    )  # fmt: skip
    result = _run(start, data.parent, START_TIMEOUT + 10)
    if result.returncode != 0:
        raise _start_error("PostgreSQL did not start again (pg_ctl start)", result.stdout, log)


# --------------------------------------------------------------------------- #
# MariaDB
# --------------------------------------------------------------------------- #


def start_mariadb(workdir: Path | None = None) -> DatabaseServer:
    """Start a throwaway MariaDB and return its handle.

    Files live in a new directory under ``workdir`` (default: the system temp
    dir).  ``root`` may connect over TCP from 127.0.0.1 without a password.
    """
    reason = server_binaries_missing("mariadb")
    if reason:
        raise ServerStartError(reason)
    binaries = _mariadb_binaries()
    assert binaries is not None
    install_db, mariadbd = binaries
    started = time.monotonic()

    def reap(old: Path) -> None:
        pid = int((old / "mariadbd.pid").read_text())
        # Only if that pid still is the mariadbd of this dir (pids get reused).
        if str(old) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            os.kill(pid, signal.SIGKILL)  # throwaway data: no need to shut down cleanly

    tmp = _new_server_dir("authadapter-mariadb-", workdir, reap)
    data, log, sock = tmp / "data", tmp / "mariadb.log", tmp / "mysqld.sock"
    user_opt = ["--user=root"] if _is_root() else []  # mariadbd refuses root otherwise
    proc: subprocess.Popen[bytes] | None = None

    def shutdown() -> None:
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: clean shutdown
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_error(shutdown):
        result = _run(
            [
                install_db,
                "--no-defaults",  # must come first
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",  # root@localhost, no password
                "--skip-test-db",
                *user_opt,
            ],
            tmp,
            120,
        )
        if result.returncode != 0:
            raise _start_error(f"mariadb-install-db failed in {tmp}", result.stdout)

        for attempt in range(_BIND_ATTEMPTS):
            port, log_start = _free_port(), _log_size(log)
            cmd = [
                mariadbd,
                "--no-defaults",  # must come first
                f"--datadir={data}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                f"--socket={sock}",
                f"--pid-file={tmp / 'mariadbd.pid'}",
                f"--log-error={log}",
                "--skip-name-resolve",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
                f"--default-time-zone={SERVER_UTC_OFFSET}",  # not UTC, as for PostgreSQL
                "--max-connections=200",
                *user_opt,
            ]
            with log.open("ab") as log_file:  # early errors go to stderr, not --log-error
                proc = subprocess.Popen(
                    cmd,
                    cwd=tmp,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=log_file,
                    start_new_session=True,  # Ctrl-C goes to pytest, which stops us cleanly
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                )
            exited = _wait_for_mariadb(proc, sock, port, log)
            if not exited:
                break
            if attempt + 1 < _BIND_ATTEMPTS and _bind_failed(log, log_start):
                continue
            raise _start_error(
                f"mariadbd exited with code {proc.returncode} (port {port})", "", log
            )

        server = DatabaseServer(
            name="mariadb",
            base_url=f"mysql+pymysql://root@127.0.0.1:{port}/mysql?charset=utf8mb4",
            log_path=log,
            startup_seconds=time.monotonic() - started,
            _shutdown=shutdown,
        )
        return _register(server)


def _wait_for_mariadb(proc: subprocess.Popen[bytes], sock: Path, port: int, log: Path) -> bool:
    """Wait until root can log in over TCP; True if mariadbd exited instead."""
    import pymysql  # here: only needed for MariaDB

    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    while True:
        if proc.poll() is not None:
            return True
        if time.monotonic() > deadline:
            raise _start_error(
                f"MariaDB did not accept connections within {START_TIMEOUT:.0f} s "
                f"(port {port}; last error: {last_error})",
                "",
                log,
            )
        try:
            # The unix socket (as root@localhost) works whatever the TCP grants are.
            admin = pymysql.connect(unix_socket=str(sock), user="root", connect_timeout=2)
        except pymysql.err.OperationalError as exc:
            last_error = exc
            time.sleep(0.05)
            continue
        break
    with admin, admin.cursor() as cur:
        # mariadb-install-db normally creates root@127.0.0.1 already; make sure,
        # since with --skip-name-resolve root@localhost does not match TCP clients.
        cur.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'")
        cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
    try:
        pymysql.connect(host="127.0.0.1", port=port, user="root", connect_timeout=5).close()
    except pymysql.err.MySQLError as exc:
        raise _start_error(
            f"MariaDB is up, but root cannot log in over TCP: {exc}", "", log
        ) from exc
    return False


# --------------------------------------------------------------------------- #
# Redis
# --------------------------------------------------------------------------- #


def start_redis(workdir: Path | None = None) -> RedisServer:
    """Start a throwaway Redis and return its handle.

    Files live in a new directory under ``workdir`` (default: the system temp
    dir).  It listens on 127.0.0.1 only, without a password, and keeps nothing
    on disk (no RDB snapshots, no AOF).
    """
    reason = server_binaries_missing("redis")
    if reason:
        raise ServerStartError(reason)
    binary = _redis_binary()
    assert binary is not None
    started = time.monotonic()

    def reap(old: Path) -> None:
        pid = int((old / "redis.pid").read_text())
        # Only if that pid still is the redis-server of this dir (pids get reused).
        if str(old) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            os.kill(pid, signal.SIGKILL)  # nothing on disk: no need to shut down cleanly

    tmp = _new_server_dir("authadapter-redis-", workdir, reap)
    log = tmp / "redis.log"
    proc: subprocess.Popen[bytes] | None = None

    def shutdown() -> None:
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: clean shutdown (nothing to save)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)

    with _cleanup_on_error(shutdown):
        for attempt in range(_BIND_ATTEMPTS):
            port, log_start = _free_port(), _log_size(log)
            cmd = [
                binary,
                *("--port", str(port)),
                *("--bind", "127.0.0.1"),
                *("--dir", str(tmp)),
                # The server's own name for the pid file; also how `reap` recognises it.
                *("--pidfile", str(tmp / "redis.pid")),
                *("--logfile", str(log)),
                *("--daemonize", "no"),
                *("--save", ""),  # no snapshots
                *("--appendonly", "no"),
            ]
            with log.open("ab") as log_file:  # early errors go to stdout, not --logfile
                proc = subprocess.Popen(
                    cmd,
                    cwd=tmp,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=log_file,
                    start_new_session=True,  # Ctrl-C goes to pytest, which stops us cleanly
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                )
            url = f"redis://127.0.0.1:{port}/0"
            exited = _wait_for_redis(proc, url, log)
            if not exited:
                break
            if attempt + 1 < _BIND_ATTEMPTS and _bind_failed(log, log_start):
                continue
            raise _start_error(
                f"redis-server exited with code {proc.returncode} (port {port})", "", log
            )

        server = RedisServer(
            name="redis",
            url=url,
            log_path=log,
            startup_seconds=time.monotonic() - started,
            _shutdown=shutdown,
        )
        return _register(server)


def _wait_for_redis(proc: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """Wait until Redis answers PING at ``url``; True if redis-server exited instead."""
    import redis  # here: only needed for Redis

    deadline = time.monotonic() + START_TIMEOUT
    last_error: Exception | None = None
    while True:
        if proc.poll() is not None:
            return True
        if time.monotonic() > deadline:
            raise _start_error(
                f"Redis did not answer within {START_TIMEOUT:.0f} s "
                f"({url}; last error: {last_error})",
                "",
                log,
            )
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
                if client.ping():
                    return False
        except redis.RedisError as exc:  # not listening yet, or still loading
            last_error = exc
        time.sleep(0.05)


def _external_redis(env_var: str, raw: str) -> RedisServer:
    """The Redis named by ``env_var``, checked to answer PING."""
    import redis  # here: only needed for Redis

    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ServerStartError(
            f"{env_var} must be a redis://, rediss:// or unix:// URL, not "
            f"{_redis_url_without_password(raw)!r}"
        )
    server = RedisServer(name="redis", url=raw, external=True)
    try:
        with server.client() as client:
            client.ping()
    except redis.RedisError as exc:
        raise ServerStartError(f"{env_var} is set, but {server!r} does not answer: {exc}") from None
    return _register(server)
