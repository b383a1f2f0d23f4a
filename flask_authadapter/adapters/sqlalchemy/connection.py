"""Where the adapter's engine comes from, and how driver errors become the adapter's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Dialect, Engine, MetaData
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import scoped_session, sessionmaker

from ...core.errors import AuthAdapterError, ConfigurationError, StorageError

#: Databases whose usual collations ignore case and trailing spaces in comparisons.
BYTE_EXACT_DIALECTS = frozenset({"mysql", "mariadb"})

#: PostgreSQL drivers whose autocommit switch is client-side only (no round trip).
_CLIENT_SIDE_AUTOCOMMIT = frozenset({"psycopg", "psycopg2"})


def reads_in_autocommit(dialect: Dialect) -> bool:
    """Whether a lone ``SELECT`` is best run in the driver's autocommit mode: on PostgreSQL
    through psycopg or psycopg2, where that saves the ``BEGIN`` and ``ROLLBACK`` round trips
    and costs none (one statement is atomic by itself). Elsewhere a read starts no
    transaction anyway (SQLite), or switching would itself be a round trip (MySQL drivers).
    """
    return dialect.name == "postgresql" and dialect.driver in _CLIENT_SIDE_AUTOCOMMIT


def engine_source(source: object) -> tuple[Callable[[], Engine], MetaData | None]:
    """How to get the engine from what the app passed, and the metadata it offers if any."""
    if isinstance(source, Engine):
        return (lambda: source), None
    if isinstance(source, scoped_session):
        source = source.session_factory
    if isinstance(source, sessionmaker):
        bind = source.kw.get("bind")
        if not isinstance(bind, Engine):
            raise ConfigurationError(
                "SQLAlchemyAdapter needs a sessionmaker bound to an Engine (sessionmaker(bind=...))"
            )
        return (lambda: bind), None
    engine = getattr(type(source), "engine", None)
    metadata = getattr(source, "metadata", None)
    if engine is not None and isinstance(metadata, MetaData):
        # Flask-SQLAlchemy's ``db``: the engine depends on the current app, so ask each time.
        def app_engine() -> Engine:
            try:
                found: Engine = source.engine  # type: ignore[attr-defined]
            except RuntimeError as exc:
                raise ConfigurationError(
                    "SQLAlchemyAdapter(db) is used outside an app context; wrap the call in "
                    "`with app.app_context():`"
                ) from exc
            return found

        return app_engine, metadata
    raise ConfigurationError(
        "SQLAlchemyAdapter takes a Flask-SQLAlchemy db, a sessionmaker or an Engine, "
        f"not {type(source).__name__}"
    )


@contextmanager
def translating(
    action: str, on_conflict: Callable[[], AuthAdapterError] | None = None
) -> Iterator[None]:
    """Raise SQLAlchemy's errors inside as the adapter's: ``on_conflict()`` for a constraint
    violation when given, else a StorageError that never quotes the statement's values;
    chained to the driver's own error when there is one."""
    try:
        yield
    except SQLAlchemyError as exc:
        if isinstance(exc, IntegrityError) and on_conflict is not None:
            error = on_conflict()
        else:
            error = _driver_error(action, exc)
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise error from cause


def _driver_error(action: str, exc: SQLAlchemyError) -> StorageError:
    """A StorageError for ``exc`` whose message never repeats the statement's parameters."""
    if not isinstance(exc, DBAPIError):
        return StorageError(f"{action} failed: {type(exc).__name__}")
    text = f"{action} failed: {type(exc.orig).__name__}"
    # Connection-level messages ("connection refused", "database is locked") help the
    # operator and carry no values; integrity and data errors can echo a row's values, so
    # they are named but not quoted.
    if isinstance(exc, (OperationalError, InterfaceError)):
        lines = str(exc.orig).strip().splitlines()
        if lines:
            text += f": {lines[0][:200]}"
    return StorageError(text)
