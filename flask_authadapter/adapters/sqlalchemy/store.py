"""What every part of the SQLAlchemy adapter shares: its tables, its connections, and the
statements that read, insert, update and delete one table's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, delete, exists, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from ...core.errors import AuthAdapterError, InvalidValue, UnknownUser
from ...core.models import Account, Session, User, VerificationToken
from .connection import BYTE_EXACT_DIALECTS, reads_in_autocommit, translating
from .mapping import RecordTable

R = TypeVar("R")


class TableStore:
    """The four tables of an adapter and the short transactions every method runs in."""

    _engine: Callable[[], Engine]
    users: RecordTable[User]
    accounts: RecordTable[Account]
    sessions: RecordTable[Session]
    tokens: RecordTable[VerificationToken]
    #: How many rows a batched read or delete handles per transaction.
    batch_size: int

    @contextmanager
    def _connect(
        self,
        action: str,
        *,
        write: bool = False,
        on_conflict: Callable[[], AuthAdapterError] | None = None,
    ) -> Iterator[Connection]:
        """A connection in its own transaction, committed when ``write``; errors translated.

        Reads (each one statement) run in autocommit mode where that saves round trips
        (PostgreSQL: no BEGIN and ROLLBACK around the SELECT).
        """
        with translating(action, on_conflict):
            engine = self._engine()
            if write:
                with engine.begin() as conn:
                    yield conn
            else:
                with engine.connect() as conn:
                    if reads_in_autocommit(engine.dialect):
                        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    yield conn

    def _byte_exact(self) -> bool:
        """Whether text comparisons need to be made exact (MariaDB/MySQL collations)."""
        return self._engine().dialect.name in BYTE_EXACT_DIALECTS

    def _where(self, rt: RecordTable[Any], **pairs: Any) -> ColumnElement[bool] | None:
        """``field == value`` for each pair, exact on every database; None when a value is
        one no row can hold (so there is no such row)."""
        try:
            return rt.match(pairs, byte_exact=self._byte_exact())
        except InvalidValue:
            return None

    @staticmethod
    def _bound(rt: RecordTable[Any], name: str, value: Any) -> Any | None:
        """``value`` converted for the column of field ``name``; None when it is one that
        column cannot hold (so no row has it)."""
        try:
            return rt.bind_value(name, value)
        except InvalidValue:
            return None

    def _fetch_one(self, action: str, rt: RecordTable[R], **pairs: Any) -> R | None:
        where = self._where(rt, **pairs)
        if where is None:
            return None
        with self._connect(action) as conn:
            row = conn.execute(select(*rt.select_columns).where(where)).one_or_none()
        return None if row is None else rt.from_row(row)

    def _fetch_all(
        self, action: str, rt: RecordTable[R], order: Sequence[ColumnElement[Any]], **pairs: Any
    ) -> list[R]:
        where = self._where(rt, **pairs)
        if where is None:
            return []
        with self._connect(action) as conn:
            rows = conn.execute(select(*rt.select_columns).where(where).order_by(*order))
            return [rt.from_row(row) for row in rows]

    def _delete(self, action: str, rt: RecordTable[Any], **pairs: Any) -> int:
        """Delete the rows matching ``pairs``; returns how many."""
        where = self._where(rt, **pairs)
        if where is None:
            return 0
        with self._connect(action, write=True) as conn:
            return conn.execute(delete(rt.table).where(where)).rowcount

    def _exists(self, rt: RecordTable[Any], **pairs: Any) -> bool:
        """Whether a row matches, compared as the database's own constraints compare (so
        also case-insensitively where a collation does): for telling which rule a write
        broke."""
        try:
            where = rt.match(pairs)
        except InvalidValue:
            return False
        with self._connect("conflict check") as conn:
            return bool(conn.execute(select(exists().where(where))).scalar())

    @staticmethod
    def _insert(conn: Connection, rt: RecordTable[R], values: dict[str, Any]) -> R:
        """Insert a row and return the record as stored (with generated and default values)."""
        rt.check_required(values, inserting=True)
        statement = insert(rt.table).values(values)
        if conn.dialect.insert_returning:
            return rt.from_row(conn.execute(statement.returning(*rt.select_columns)).one())
        result = conn.execute(statement)
        keys = result.inserted_primary_key
        assert keys is not None
        where = and_(*(c == v for c, v in zip(rt.table.primary_key.columns, keys, strict=True)))
        return rt.from_row(conn.execute(select(*rt.select_columns).where(where)).one())

    @staticmethod
    def _update(
        conn: Connection, rt: RecordTable[R], where: ColumnElement[bool], values: dict[str, Any]
    ) -> R | None:
        """Update the row matching ``where``; the record as stored, or None when none matched."""
        rt.check_required(values, inserting=False)
        query = select(*rt.select_columns).where(where)
        if not values:
            row = conn.execute(query).one_or_none()
        elif conn.dialect.update_returning:
            statement = update(rt.table).where(where).values(values)
            row = conn.execute(statement.returning(*rt.select_columns)).one_or_none()
        else:
            if conn.execute(update(rt.table).where(where).values(values)).rowcount == 0:
                return None
            row = conn.execute(query).one_or_none()
        return None if row is None else rt.from_row(row)

    def _update_one(
        self, action: str, rt: RecordTable[R], changes: dict[str, Any], **pairs: Any
    ) -> R | None:
        """Apply field/extra ``changes`` to the row matching ``pairs``; None when none does."""
        values = rt.values(changes)
        where = self._where(rt, **pairs)
        if where is None:
            return None
        with self._connect(action, write=True) as conn:
            return self._update(conn, rt, where, values)

    def _require_user(self, conn: Connection, user_id: str, action: str) -> None:
        """Raise UnknownUser unless the user exists (also where no FK is enforced)."""
        where = self._where(self.users, id=user_id)
        if where is None or not conn.execute(select(exists().where(where))).scalar():
            raise UnknownUser(f"{action}: no user with this id")
