"""Counting the SQL a block of code sends, two ways.

:class:`Statements` listens to SQLAlchemy's ``before_cursor_execute``: every statement the
adapter sends through SQLAlchemy, as its tests have always counted them. A listener on the
engine makes the adapter take SQLAlchemy's ``Connection.execute`` even on the hot path (see
``flask_authadapter/adapters/sqlalchemy/prepared.py``), so :class:`Wire` counts again below
SQLAlchemy, with no listener on the engine at all (pool events only), what the driver really
sends: SQLite's own trace of every statement it runs (``BEGIN`` and ``COMMIT`` included),
or PostgreSQL's protocol messages through libpq's trace (statements: one per ``Query`` or
``Execute`` message; round trips: one per simple ``Query`` or ``Sync``-ended batch).

:mod:`harness.flows` runs the sign-in flows under both and returns their counts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["Statements", "Wire", "WireCount"]

_WRITES = ("INSERT", "UPDATE", "DELETE")


class Statements:
    """The statements SQLAlchemy sends on ``engine`` inside the ``with`` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(" ".join(statement.split()).upper())

    @property
    def writes(self) -> list[str]:
        return [s for s in self.seen if s.startswith(_WRITES)]


class Wire:
    """What the driver of ``engine`` sends, counted below SQLAlchemy with pool events only
    (which leave the adapter's hot path as it is).

    ``statements``: statements the database ran (SQLite: its trace, BEGIN and COMMIT
    included; PostgreSQL: ``Query`` and ``Execute`` messages). ``round_trips``: PostgreSQL's
    statement batches sent, each awaited (see :func:`_count_messages`; SQLite: the same as
    ``statements``, in-process).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(f"Wire counts SQLite and PostgreSQL, not {self.backend}")
        self._dir = Path(tempfile.mkdtemp(prefix="authadapter-wire-"))
        self._traced: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()
        self._sqlite: list[str] = []
        self._counting = False
        self._offsets: dict[Path, int] = {}
        event.listen(engine.pool, "checkout", self._checkout)

    def close(self) -> None:
        event.remove(self.engine.pool, "checkout", self._checkout)
        # libpq may still hold its trace files open: on Linux they go when it closes them.
        shutil.rmtree(self._dir, ignore_errors=True)

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if self.backend == "sqlite":
            dbapi_connection.set_trace_callback(self._sqlite_statement)
            return
        if dbapi_connection in self._traced:
            return
        from psycopg import pq

        path = self._dir / f"conn{len(list(self._dir.iterdir()))}.trace"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # libpq writes through its own FILE on this descriptor until the connection ends.
        dbapi_connection.pgconn.trace(fd)
        dbapi_connection.pgconn.set_trace_flags(
            pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
        )
        self._traced[dbapi_connection] = path

    def _sqlite_statement(self, statement: str) -> None:
        if self._counting:
            self._sqlite.append(" ".join(statement.split()).upper())

    @contextmanager
    def counting(self) -> Iterator[WireCount]:
        """Count what is sent inside the ``with`` block."""
        found = WireCount()
        self._sqlite = []
        self._offsets = {p: p.stat().st_size for p in self._dir.iterdir()}
        self._counting = True
        try:
            yield found
        finally:
            self._counting = False
            if self.backend == "sqlite":
                found.statements = len(self._sqlite)
                found.round_trips = len(self._sqlite)
                found.texts = list(self._sqlite)
            else:
                for path in self._dir.iterdir():
                    with path.open(encoding="utf-8", errors="replace") as trace:
                        trace.seek(self._offsets.get(path, 0))
                        _count_messages(trace, found)


def _count_messages(trace: Iterable[str], found: WireCount) -> None:
    """Count libpq's trace of the messages a client sent (``F`` lines).

    A simple ``Query`` is one statement and one round trip; an extended-protocol batch
    (``Parse``/``Bind``/``Execute`` ... ``Sync``) is one round trip with one statement per
    ``Execute``. A batch without any ``Execute`` is psycopg preparing a statement it has run
    often on that connection (once per statement and connection): counted apart, in
    ``prepares``, since it does not recur.
    """
    executes = 0
    for line in trace:
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] != "F":
            continue
        kind = parts[2].split(" ", 1)[0].strip()
        if kind == "Query":
            found.statements += 1
            found.round_trips += 1
            found.texts.append(parts[3].strip(' "\n') if len(parts) > 3 else "")
        elif kind == "Execute":
            found.statements += 1
            executes += 1
        elif kind == "Sync":
            if executes:
                found.round_trips += 1
            else:
                found.prepares += 1
            executes = 0


@dataclass
class WireCount:
    statements: int = 0
    round_trips: int = 0
    prepares: int = 0
    texts: list[str] = field(default_factory=list)
