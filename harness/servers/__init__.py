"""Throwaway PostgreSQL, MariaDB and Redis servers for the tests and the benchmarks.

Each ``start_*`` function creates a brand-new server in a temporary directory,
listening on a free loopback TCP port, tuned for speed rather than durability
(no fsync), and returns a :class:`DatabaseServer` (or :class:`RedisServer`).
``stop()`` shuts it down and deletes the directory; an ``atexit`` hook does the
same for any server still running when the interpreter exits (e.g. after an
exception or Ctrl-C), so a test run never leaves servers behind.  A run killed
with SIGKILL cannot clean up: MariaDB and Redis then die with it (parent-death
signal), but a PostgreSQL started through ``pg_ctl`` keeps running until the
next start of a server of that kind finds and stops it (see
``process.new_server_dir``).

Instead of starting a server, the tests can use an existing one: set
``AUTHADAPTER_TEST_POSTGRES_URL`` / ``AUTHADAPTER_TEST_MARIADB_URL`` to a
SQLAlchemy URL of an admin database (a user allowed to create and drop
databases), e.g. ``postgresql+psycopg://postgres:secret@localhost/postgres`` or
``mysql+pymysql://root:secret@localhost/mysql``.  ``create_database()`` then
works on that server, and ``stop()`` drops the databases it created.
``AUTHADAPTER_TEST_REDIS_URL`` (e.g. ``redis://localhost:6379/15``) points the
tests at an existing Redis: they empty that database, so give them one of
their own.

One module per server (``postgres``, ``mariadb``, ``redis``); ``handles`` holds
what a running server is, ``process`` the plumbing they share, ``choice`` which
server a test gets.  Nothing here imports pytest at module level; only
:func:`skip_or_fail` needs it.
"""

from harness.servers.choice import (
    ENV_VARS,
    KINDS,
    external_server,
    running_in_ci,
    server_binaries_missing,
    skip_or_fail,
    start_server,
    unavailable_reason,
)
from harness.servers.handles import DatabaseServer, RedisServer
from harness.servers.mariadb import start_mariadb
from harness.servers.postgres import start_postgres
from harness.servers.process import ServerStartError, die_with_parent
from harness.servers.redis import start_redis

__all__ = [
    "ENV_VARS",
    "KINDS",
    "DatabaseServer",
    "RedisServer",
    "ServerStartError",
    "die_with_parent",
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
