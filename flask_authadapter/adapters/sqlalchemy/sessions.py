"""The sessions part of the SQLAlchemy adapter, with the lookup of every signed-in request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from ...core.adapter import check_keys_unchanged
from ...core.errors import AuthAdapterError, ConflictError, StorageError, UnknownUser
from ...core.models import Session, User
from .connection import BYTE_EXACT_DIALECTS, reads_in_autocommit, translating
from .mapping import exact_text
from .prepared import PreparedRead
from .store import TableStore


class SessionStore(TableStore):
    """Creates, looks up, extends and deletes sessions.

    :meth:`get_session_and_user` runs on every signed-in request: its JOIN is built once per
    kind of database, and its row read by position. With ``_prepared`` set (the adapter's
    ``fast_session_lookup=True``) it runs on the pooled DBAPI connection (see prepared.py).
    """

    _session_and_user_queries: dict[bool, Select[Any]]
    _prepared: PreparedRead | None
    _read_session: Callable[[Sequence[Any]], Session]
    _read_user: Callable[[Sequence[Any]], User]

    def _init_session_lookup(self, *, fast: bool) -> None:
        self._session_and_user_queries = {}
        self._prepared = None
        if fast:
            self._prepared = PreparedRead(
                lambda engine: self._session_and_user_query(
                    engine.dialect.name in BYTE_EXACT_DIALECTS
                )
            )
        self._read_session = self.sessions.reader(0)
        self._read_user = self.users.reader(len(self.sessions.select_columns))

    def create_session(self, session: Session) -> Session:
        """Store a new session of an existing user."""

        def conflict() -> AuthAdapterError:
            if self._exists(self.sessions, session_token=session.session_token):
                return ConflictError("a session with this token already exists")
            if not self._exists(self.users, id=session.user_id):
                return UnknownUser("create_session: no user with this id")
            return StorageError("create_session failed: a constraint was violated")

        with self._connect("create_session", write=True, on_conflict=conflict) as conn:
            self._require_user(conn, session.user_id, "create_session")
            values = {**self.sessions.record_values(session), **self.sessions.new_key_values()}
            return self._insert(conn, self.sessions, values)

    def _session_and_user_query(self, byte_exact: bool) -> Select[Any]:
        """The session-plus-user JOIN, by a bound ``session_token``, built once for each
        value of ``byte_exact`` (text compared byte for byte: MariaDB/MySQL)."""
        query = self._session_and_user_queries.get(byte_exact)
        if query is not None:
            return query
        sessions, users = self.sessions, self.users
        token_column = sessions.column("session_token")
        token = bindparam("session_token", type_=String())
        where = token_column == token
        if byte_exact:
            where = and_(where, exact_text(token_column, token))
        query = (
            select(*sessions.select_columns, *users.select_columns)
            .select_from(
                sessions.table.join(users.table, sessions.column("user_id") == users.column("id"))
            )
            .where(where)
        )
        self._session_and_user_queries[byte_exact] = query
        return query

    def get_session_and_user(self, session_token: str) -> tuple[Session, User] | None:
        """The session and its user in one statement (a JOIN), or None."""
        token = self._bound(self.sessions, "session_token", session_token)
        if token is None:
            return None
        values = {"session_token": token}
        with translating("get_session_and_user"):
            if self._prepared is not None:
                row = self._prepared.fetch_one(self._engine(), values)
            else:
                try:
                    row = self._lookup(values)
                except DBAPIError as exc:
                    # A pooled connection the server had closed (a database restart): this
                    # is a single read and nothing was done on it, so try a fresh one once.
                    if not exc.connection_invalidated:
                        raise
                    row = self._lookup(values)
        if row is None:
            return None
        return self._read_session(row), self._read_user(row)

    def _lookup(self, values: dict[str, Any]) -> Sequence[Any] | None:
        engine = self._engine()
        with engine.connect() as conn:
            if reads_in_autocommit(engine.dialect):
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            query = self._session_and_user_query(conn.dialect.name in BYTE_EXACT_DIALECTS)
            row: Sequence[Any] | None = conn.execute(query, values).one_or_none()
            return row

    def update_session(self, session_token: str, **changes: Any) -> Session | None:
        """Change fields of a session (usually ``expires``); None when there is none."""
        check_keys_unchanged("session", changes)
        return self._update_one(
            "update_session", self.sessions, changes, session_token=session_token
        )

    def delete_session(self, session_token: str) -> None:
        """Delete a session; no error when already gone."""
        self._delete("delete_session", self.sessions, session_token=session_token)

    def list_sessions(self, user_id: str) -> list[Session]:
        """A user's sessions, oldest first (by ``created_at``, else ``expires``; then
        ``expires``): the same order on every database, wherever it sorts NULL."""
        sessions = self.sessions
        expires = sessions.column("expires")
        created: ColumnElement[Any] = expires
        if sessions.has("created_at"):
            created = func.coalesce(sessions.column("created_at"), expires)
        return self._fetch_all("list_sessions", sessions, (created, expires), user_id=user_id)

    def delete_sessions(self, user_id: str) -> int:
        """Delete every session of a user; returns how many."""
        return self._delete("delete_sessions", self.sessions, user_id=user_id)
