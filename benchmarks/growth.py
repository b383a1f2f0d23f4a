"""Growth: the session lookup with 1 thousand, 100 thousand and 1 million sessions stored,
and the cleanup of 1 million expired sessions.

Rows are made by the database itself where it can (PostgreSQL: ``generate_series`` and its
own ``sha256``), so that filling a million rows takes seconds. Every session belongs to one
user; the session tokens stored are the SHA-256 of ``bench-<n>``, as the extension stores the
hash of a cookie's token, so the benchmark knows the key of every row and looks up random
ones (a lookup that always hits the same row would only measure a cached page).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.models import User

from .databases import Databases
from .timing import figure, ratio_figure, rounds_of

__all__ = ["SIZES", "run_cleanup", "run_lookup_growth"]

#: The numbers of stored sessions the lookup is timed at.
SIZES = {"1k": 1_000, "100k": 100_000, "1M": 1_000_000}

_USER_ID = "00000000-0000-4000-8000-000000000001"
_CHUNK = 100_000


def token_hash(n: int) -> str:
    return hashlib.sha256(f"bench-{n}".encode()).hexdigest()


def _fresh(url: str) -> tuple[Engine, SQLAlchemyAdapter]:
    engine = create_engine(url)
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.drop_all(engine)
    adapter.metadata.create_all(engine)
    adapter.create_user(User(id=_USER_ID, email="bench@example.com"))
    return engine, adapter


def fill_sessions(engine: Engine, count: int, *, expires_in: timedelta) -> float:
    """Insert ``count`` sessions of the benchmark user expiring ``expires_in`` from now (a
    negative one: already expired); returns the seconds it took."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    if engine.dialect.name == "postgresql":
        statement = text(
            "INSERT INTO sessions (session_token, user_id, expires, created_at) "
            "SELECT encode(sha256(convert_to('bench-' || i, 'UTF8')), 'hex'), :user_id, "
            ":expires, :created "
            "FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i"
        )
        with engine.begin() as conn:
            # Filling a table is faster without its indexes: they are dropped, and made
            # again (sorted, in one pass each) once the rows are in.
            rebuild = _drop_indexes(conn, "sessions")
            for first in range(1, count + 1, _CHUNK):
                conn.execute(
                    statement,
                    {
                        "user_id": _USER_ID,
                        "expires": now + expires_in,
                        "created": now - timedelta(days=1),
                        "first": first,
                        "last": min(first + _CHUNK - 1, count),
                    },
                )
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for statement_text in rebuild:
                conn.exec_driver_sql(statement_text)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE sessions")
    else:
        path = engine.url.database
        assert path is not None
        expires = (now + expires_in).replace(tzinfo=None).isoformat(" ")
        created = (now - timedelta(days=1)).replace(tzinfo=None).isoformat(" ")
        raw = sqlite3.connect(path)
        try:
            # In key order, the primary key's index only ever grows at its end.
            keys = sorted(token_hash(n) for n in range(1, count + 1))
            with raw:
                raw.executemany(
                    "INSERT INTO sessions (session_token, user_id, expires, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    ((key, _USER_ID, expires, created) for key in keys),
                )
            raw.execute("ANALYZE")
        finally:
            raw.close()
    return time.perf_counter() - started


def _drop_indexes(conn: Any, table: str) -> list[str]:
    """Drop the primary key and the indexes of a PostgreSQL ``table``; the statements that
    make them again."""
    primary = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype = 'p'"
        ),
        {"table": table},
    ).all()
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass))"
        ),
        {"table": table},
    ).all()
    for name, _ in primary:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [
        *(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
            for name, definition in primary
        ),
        *(definition for _, definition in indexes),
    ]


def run_lookup_growth(
    databases: Databases,
    backend: str,
    *,
    rounds: int,
    batch_seconds: float,
    warmup_seconds: float,
) -> dict[str, Any]:
    """``adapter.get_session_and_user`` of random stored sessions, at each of :data:`SIZES`
    (one database per size, timed in the same rounds)."""
    engines: list[Engine] = []
    runners: dict[str, Callable[[int], float]] = {}
    fill_seconds: dict[str, float] = {}
    rng = random.Random(7)  # which rows to look up: not a secret
    try:
        for label, size in SIZES.items():
            engine, adapter = _fresh(databases.url(backend, f"growth_{label.lower()}"))
            engines.append(engine)
            fill_seconds[label] = fill_sessions(engine, size, expires_in=timedelta(days=30))
            keys = [token_hash(rng.randint(1, size)) for _ in range(4096)]
            if adapter.get_session_and_user(keys[0]) is None:
                raise RuntimeError(f"{backend} {label}: a stored session was not found")
            runners[label] = _lookups(adapter, keys)
        per_round = rounds_of(
            runners, rounds=rounds, batch_seconds=batch_seconds, warmup_seconds=warmup_seconds
        )
    finally:
        for engine in engines:
            engine.dispose()
    return {
        "fill_seconds": fill_seconds,
        "microseconds": {k: figure([v * 1e6 for v in vs]).as_dict() for k, vs in per_round.items()},
        "ratio_1M_1k": ratio_figure(per_round["1M"], per_round["1k"]).as_dict(),
        "ratio_100k_1k": ratio_figure(per_round["100k"], per_round["1k"]).as_dict(),
    }


def _lookups(adapter: SQLAlchemyAdapter, keys: list[str]) -> Callable[[int], float]:
    position = 0

    def run(n: int) -> float:
        nonlocal position
        lookup = adapter.get_session_and_user
        started = time.perf_counter()
        for i in range(n):
            lookup(keys[(position + i) % len(keys)])
        position += n
        return (time.perf_counter() - started) / n

    return run


class _Transactions:
    """How long each transaction on an engine lasted: from its start (``begin``) to the
    connection's return to the pool (after ``COMMIT``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.durations: list[float] = []
        self._started: float | None = None

    def __enter__(self) -> _Transactions:
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine.pool, "checkin", self._end)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine.pool, "checkin", self._end)

    def _begin(self, conn: Any) -> None:
        self._started = time.perf_counter()

    def _end(self, *args: Any) -> None:
        if self._started is not None:
            self.durations.append(time.perf_counter() - self._started)
            self._started = None


def run_cleanup(databases: Databases, backend: str, *, rows: int = 1_000_000) -> dict[str, Any]:
    """``adapter.delete_expired`` (what ``flask auth cleanup`` runs) on ``rows`` expired
    sessions plus 1000 live ones: total time, the longest transaction, how many."""
    engine, adapter = _fresh(databases.url(backend, "cleanup"))
    try:
        fill = fill_sessions(engine, rows, expires_in=timedelta(days=-1))
        live = 1000
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sessions (session_token, user_id, expires, created_at) "
                    "VALUES (:token, :user_id, :expires, :created)"
                ),
                [
                    {
                        "token": f"live-{n}",
                        "user_id": _USER_ID,
                        "expires": datetime.now(timezone.utc) + timedelta(days=1),
                        "created": datetime.now(timezone.utc),
                    }
                    for n in range(live)
                ],
            )
        with _Transactions(engine) as transactions:
            started = time.perf_counter()
            deleted = adapter.delete_expired(datetime.now(timezone.utc))
            total = time.perf_counter() - started
        with engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM sessions")).scalar_one()
        if deleted != rows or left != live:
            raise RuntimeError(f"cleanup deleted {deleted} of {rows}, left {left} of {live}")
        durations = transactions.durations
        return {
            "rows": rows,
            "fill_seconds": fill,
            "batch_size": adapter.batch_size,
            "seconds": total,
            "transactions": len(durations),
            "longest_transaction_seconds": max(durations),
            "median_transaction_seconds": figure(durations).median,
        }
    finally:
        engine.dispose()
