"""A read on the hot path, compiled once per database and run with the least machinery.

Used only when the app asks for it (``SQLAlchemyAdapter(..., fast_session_lookup=True)``):
it relies on SQLAlchemy internals (``Engine._has_events``, ``_execution_options``,
``_should_log_info()``, ``pool._invalidate``), read defensively, so that an unknown
SQLAlchemy falls back to ``Connection.execute``.

Every signed-in request runs one statement: the session-plus-user JOIN. SQLAlchemy's
``Connection.execute`` costs more than the query itself on SQLite (a connection object, the
compiled-cache lookup, an execution context, a result object), and on PostgreSQL the
driver's ``BEGIN`` and the pool's ``ROLLBACK`` around a lone ``SELECT`` are two more round
trips to the server. :class:`PreparedRead` therefore

- compiles its statement once per engine (with that engine's dialect, so the SQL is the
  very text ``Connection.execute`` would send) and keeps the bind and result processors of
  its types, so values come back exactly as through SQLAlchemy (SQLite's timestamps parsed,
  type decorators applied);
- runs it on a pooled DBAPI connection (``engine.raw_connection()``: the pool, its events
  and its reset on return work as always), in the driver's autocommit mode on PostgreSQL
  (psycopg, psycopg2), where a single ``SELECT`` is atomic anyway: one round trip instead
  of three;
- falls back to ``Connection.execute`` of the same statement whenever anything observes the
  engine: event listeners (query counters, tracing, Flask-SQLAlchemy's recorded queries),
  engine-level execution options, or SQL logging (``echo``). Those see every statement as
  before.

Driver errors are raised as SQLAlchemy's own ``DBAPIError`` subclasses, and a connection the
dialect reports as lost is invalidated, as ``Connection.execute`` does.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.exc import DBAPIError, MultipleResultsFound
from sqlalchemy.pool import PoolProxiedConnection

from .connection import reads_in_autocommit

Processor = Callable[[Any], Any]


@dataclass
class _Plan:
    """The statement of one :class:`PreparedRead` compiled for one engine."""

    statement: Select[Any]
    sql: str
    positional: bool
    names: tuple[str, ...]
    bind_processors: dict[str, Processor]
    autocommit: bool
    processors: list[Processor | None] | None = None

    def parameters(self, values: dict[str, Any]) -> Any:
        if self.bind_processors:
            values = {
                name: (proc(values[name]) if (proc := self.bind_processors.get(name)) else v)
                for name, v in values.items()
            }
        if self.positional:
            return tuple(values[name] for name in self.names)
        return values


def _unobserved(engine: Engine) -> bool:
    """Whether nothing watches ``engine``'s statements (no listeners, no engine execution
    options, no SQL logging), so that running one on the DBAPI connection changes nothing
    anyone can see. Unknown (another SQLAlchemy's internals): observed."""
    return not (
        getattr(engine, "_has_events", True)
        or getattr(engine.dialect, "_has_events", True)
        or getattr(engine, "_execution_options", True)
        or engine._should_log_info()
    )


class PreparedRead:
    """A ``SELECT`` returning at most one row, with named bound parameters, run by
    :meth:`fetch_one` on any engine."""

    def __init__(self, build: Callable[[Engine], Select[Any]]) -> None:
        """``build(engine)`` makes the statement for an engine (it may depend on the
        dialect); it is called once per engine."""
        self._build = build
        self._plans: weakref.WeakKeyDictionary[Engine, _Plan] = weakref.WeakKeyDictionary()
        self._last: tuple[Engine, _Plan] | None = None
        self._lock = threading.Lock()

    def _plan(self, engine: Engine) -> _Plan:
        last = self._last  # (engine, plan) of the last call: nearly always this engine
        if last is not None and last[0] is engine:
            return last[1]
        plan = self._plans.get(engine)
        if plan is None:
            with self._lock:
                plan = self._plans.get(engine)
                if plan is None:
                    plan = self._plans[engine] = self._compile(engine)
        self._last = (engine, plan)
        return plan

    def _compile(self, engine: Engine) -> _Plan:
        dialect = engine.dialect
        statement = self._build(engine)
        compiled = statement.compile(dialect=dialect)
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        bind_processors: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                bind_processors[name] = processor
        return _Plan(
            statement=statement,
            sql=compiled.string,
            positional=positional,
            names=names,
            bind_processors=bind_processors,
            autocommit=reads_in_autocommit(dialect),
        )

    def fetch_one(self, engine: Engine, values: dict[str, Any]) -> Sequence[Any] | None:
        """The row (indexable in the order of the statement's columns), or None.

        Raises SQLAlchemy's ``DBAPIError`` subclasses on driver errors. A pooled connection
        the server had closed (a database restart) is tried once more on a fresh one: this
        is a single read, and nothing was done on the dead connection.
        """
        try:
            return self._fetch_once(engine, values)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return self._fetch_once(engine, values)

    def _fetch_once(self, engine: Engine, values: dict[str, Any]) -> Sequence[Any] | None:
        plan = self._plan(engine)
        if not _unobserved(engine):
            with engine.connect() as conn:
                if plan.autocommit:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                row: Sequence[Any] | None = conn.execute(plan.statement, values).one_or_none()
                return row
        found: Sequence[Any] | None = self._fetch_raw(engine, plan, values)
        return found

    def _fetch_raw(self, engine: Engine, plan: _Plan, values: dict[str, Any]) -> Any:
        dialect = engine.dialect
        dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        parameters = plan.parameters(values)
        try:
            connection = engine.raw_connection()
        except dbapi_error as exc:
            raise DBAPIError.instance(
                None,
                None,
                exc,
                dbapi_error,
                connection_invalidated=dialect.is_disconnect(exc, None, None),  # type: ignore[arg-type]
                dialect=dialect,
            ) from exc
        cursor = None
        autocommit = False  # switched on here, to switch off again before check-in
        try:
            dbapi_connection: Any = connection.dbapi_connection
            if plan.autocommit and not dbapi_connection.autocommit:
                try:
                    dbapi_connection.autocommit = True
                    autocommit = True
                except dbapi_error:  # inside a transaction after all: read in it
                    pass
            cursor = connection.cursor()
            cursor.execute(plan.sql, parameters)
            row = cursor.fetchone()
            extra = None if row is None else cursor.fetchone()
            processors = plan.processors
            if processors is None:
                processors = plan.processors = self._processors(engine, plan, cursor.description)
            cursor.close()
            cursor = None
            if autocommit:
                dbapi_connection.autocommit = False
                autocommit = False
        except dbapi_error as exc:
            lost = dialect.is_disconnect(exc, connection, cursor)  # type: ignore[arg-type]
            if lost:
                _invalidate(engine, connection, exc)
            raise DBAPIError.instance(
                plan.sql,
                parameters,
                exc,
                dbapi_error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from exc
        finally:
            if cursor is not None:
                with contextlib.suppress(dbapi_error):  # the statement's outcome matters
                    cursor.close()
            if autocommit and connection.is_valid:
                _leave_autocommit(connection)
            connection.close()
        if extra is not None:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        if row is None:
            return None
        if any(processors):
            pairs = zip(processors, row, strict=True)
            return [value if p is None else p(value) for p, value in pairs]
        return row

    @staticmethod
    def _processors(
        engine: Engine, plan: _Plan, description: Sequence[Sequence[Any]]
    ) -> list[Processor | None]:
        """The result processors of the statement's columns, as SQLAlchemy picks them
        (type by type, for this dialect and the driver's reported column type)."""
        dialect = engine.dialect
        columns = list(plan.statement.selected_columns)
        return [
            column.type.dialect_impl(dialect).result_processor(dialect, entry[1])
            for column, entry in zip(columns, description, strict=True)
        ]


def _leave_autocommit(connection: PoolProxiedConnection) -> None:
    """After an error: switch the driver's autocommit off again. A connection that refuses
    is invalidated, so that it never goes back to the pool in autocommit mode."""
    try:
        connection.dbapi_connection.autocommit = False  # type: ignore[union-attr]
    except Exception as exc:  # anything at all: the connection must not be reused
        connection.invalidate(exc)


def _invalidate(engine: Engine, connection: PoolProxiedConnection, exc: BaseException) -> None:
    """A lost connection: discard it and the pool's older ones, as ``Connection`` does."""
    invalidate_pool = getattr(engine.pool, "_invalidate", None)
    if invalidate_pool is not None:
        invalidate_pool(connection, exc)
    if connection.is_valid:
        connection.invalidate(exc)
