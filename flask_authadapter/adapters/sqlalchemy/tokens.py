"""The verification tokens part of the SQLAlchemy adapter, and the batched expiry of
sessions and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from ...core.errors import AuthAdapterError, ConflictError, StorageError
from ...core.models import VerificationToken
from .connection import BYTE_EXACT_DIALECTS
from .mapping import RecordTable
from .store import TableStore


class VerificationTokenStore(TableStore):
    """Stores and uses verification tokens; deletes what has expired."""

    def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        """Store a verification token."""
        values = {**self.tokens.record_values(token), **self.tokens.new_key_values()}
        with self._connect(
            "create_verification_token",
            write=True,
            on_conflict=lambda: self._token_conflict(token),
        ) as conn:
            return self._insert(conn, self.tokens, values)

    def _token_conflict(self, token: VerificationToken) -> AuthAdapterError:
        if self._exists(self.tokens, identifier=token.identifier, token=token.token):
            return ConflictError("this verification token already exists")
        return StorageError("create_verification_token failed: a constraint was violated")

    def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        """Delete and return the token in one statement; None when it is not (or no more) there."""
        tokens = self.tokens
        where = self._where(tokens, identifier=identifier, token=token)
        if where is None:
            return None
        with self._connect("use_verification_token", write=True) as conn:
            statement = delete(tokens.table).where(where)
            if conn.dialect.delete_returning:
                row = conn.execute(statement.returning(*tokens.select_columns)).one_or_none()
            else:
                # MySQL has no DELETE ... RETURNING: lock the row, read it, delete it.
                query = select(*tokens.select_columns).where(where).with_for_update()
                row = conn.execute(query).one_or_none()
                if row is not None and conn.execute(statement).rowcount != 1:
                    row = None
        return None if row is None else tokens.from_row(row)

    def delete_verification_tokens(self, identifier: str) -> int:
        """Delete every token of ``identifier``; returns how many."""
        return self._delete("delete_verification_tokens", self.tokens, identifier=identifier)

    # Maintenance ------------------------------------------------------------------------
    def delete_expired(self, now: datetime) -> int:
        """Delete sessions and tokens that expired before ``now``, ``batch_size`` rows per
        transaction so that no lock is held long; returns how many."""
        return self._delete_expired(self.sessions, now) + self._delete_expired(self.tokens, now)

    def _delete_expired(self, rt: RecordTable[Any], now: datetime) -> int:
        keys = list(rt.table.primary_key.columns)
        expired = rt.column("expires") < rt.bind_value("expires", now)
        find = select(*keys).where(expired).limit(self.batch_size)
        if self._engine().dialect.name in BYTE_EXACT_DIALECTS:
            # MySQL takes no LIMIT in an IN subquery (nor one on the table being deleted
            # from): the batch's keys are read, then deleted.
            return self._delete_found(rt, find, expired)
        # Elsewhere one statement per batch: the keys never travel to Python and back.
        batch = find.scalar_subquery() if len(keys) == 1 else find
        in_batch = keys[0].in_(batch) if len(keys) == 1 else tuple_(*keys).in_(batch)
        statement = delete(rt.table).where(in_batch).where(expired)
        total = 0
        while True:
            with self._connect("delete_expired", write=True) as conn:
                deleted = conn.execute(statement).rowcount
            total += deleted
            if deleted < self.batch_size:
                return total

    def _delete_found(
        self, rt: RecordTable[Any], find: Select[Any], expired: ColumnElement[bool]
    ) -> int:
        keys = list(rt.table.primary_key.columns)
        total = 0
        while True:
            with self._connect("delete_expired", write=True) as conn:
                found = conn.execute(find).all()
                if found:
                    if len(keys) == 1:
                        batch = keys[0].in_([row[0] for row in found])
                    else:
                        batch = tuple_(*keys).in_([tuple(row) for row in found])
                    total += conn.execute(delete(rt.table).where(batch).where(expired)).rowcount
            if len(found) < self.batch_size:
                return total
