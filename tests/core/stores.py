"""Helpers for the core's tests: one real store per backend, read behind the adapter's back.

The core's rules run against real adapters. A :class:`Store` makes the adapter of a test
(optionally a small subclass that injects a fault or logs the calls made to it) and reads
what really got stored, so a test can prove what was written and what was not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, MetaData, event, select

from flask_authadapter.adapters import FEATURE_METHODS
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.testing import KINDS, MemoryRawStore, RawStore, SQLAlchemyRawStore

UTC = timezone.utc

#: Every method of the adapter contract.
CONTRACT_METHODS = frozenset(name for names in FEATURE_METHODS.values() for name in names)

_WRITES = ("INSERT", "UPDATE", "DELETE")


def as_utc(value: datetime) -> datetime:
    """A datetime read raw from a store as aware UTC (SQLite hands back naive ones)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Statements:
    """The SQL statements an engine runs while in the ``with`` block, normalised."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        if self.engine is not None:
            event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.engine is not None:
            event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(" ".join(statement.split()).upper())

    @property
    def writes(self) -> list[str]:
        """The statements that change rows."""
        return [s for s in self.seen if s.startswith(_WRITES)]

    @property
    def reads(self) -> list[str]:
        """The statements that only read."""
        return [s for s in self.seen if s.startswith("SELECT")]


class Recording:
    """Mixin: logs the contract methods called on the adapter (the real ones still run)."""

    calls: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = []

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name not in CONTRACT_METHODS:
            return value
        calls = super().__getattribute__("calls")

        @functools.wraps(value)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return value(*args, **kwargs)

        return recorded


@dataclass
class Database:
    """A module's database: an engine and the default tables' metadata."""

    engine: Engine
    metadata: MetaData


@dataclass
class Store:
    """One test's store on ``backend``: makes its adapter, and reads the store directly."""

    backend: str
    database: Database | None = None
    _adapter: Any = field(default=None, repr=False)

    @property
    def sql(self) -> bool:
        """Whether the store is an SQL database (statements can be counted)."""
        return self.database is not None

    @property
    def engine(self) -> Engine | None:
        """The SQL engine, or None for the memory store."""
        return None if self.database is None else self.database.engine

    def adapter(self, *mixins: type) -> Any:
        """The test's adapter, of a subclass putting ``mixins`` before the real adapter class.

        The memory store lives in its adapter, so a memory test gets one adapter only.
        """
        base: type = MemoryAdapter if self.database is None else SQLAlchemyAdapter
        cls = type(f"Test{base.__name__}", (*mixins, base), {}) if mixins else base
        if self.database is None:
            if self._adapter is not None:
                raise RuntimeError("a memory test has one adapter: call store.adapter() once")
            adapter = cls()
        else:
            adapter = cls(self.database.engine, metadata=self.database.metadata)
        if self._adapter is None:
            self._adapter = adapter
        return adapter

    @property
    def raw(self) -> RawStore:
        """Reads rows straight from the store, bypassing the adapter."""
        if self._adapter is None:
            self.adapter()
        if self.database is None:
            return MemoryRawStore(self._adapter)
        return SQLAlchemyRawStore(self._adapter)

    def counts(self) -> dict[str, int]:
        """How many rows of each kind the store holds."""
        return {kind: self.raw.count(kind) for kind in KINDS}

    def dump(self) -> str:
        """Every value the store holds, as text (to search for what must not be there)."""
        if self.database is None:
            if self._adapter is None:
                self.adapter()
            return repr(vars(self._adapter))
        parts: list[str] = []
        with self.database.engine.connect() as conn:
            for table in self.database.metadata.sorted_tables:
                parts.extend(repr(tuple(row)) for row in conn.execute(select(table)))
        return "\n".join(parts)

    def session_row(self, session_token: str) -> Mapping[str, Any] | None:
        """The stored session row keyed by ``session_token`` (as stored: the hash)."""
        return self.raw.session(session_token)

    def statements(self) -> Statements:
        """Records the SQL statements run in a ``with`` block (none for the memory store)."""
        return Statements(self.engine)


#: A factory the ``make_database`` fixture provides: (backend, name) -> URL.
MakeDatabase = Callable[[str, str], str]


@contextmanager
def no_change(store: Store) -> Iterator[None]:
    """Asserts that the block leaves every row count of ``store`` as it was."""
    before = store.counts()
    yield
    assert store.counts() == before
