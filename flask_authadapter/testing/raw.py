"""Direct readers of a store, for :class:`~flask_authadapter.testing.AdapterSuite`.

The suite checks what an adapter really wrote (a cascade that really deleted rows, a failed
call that wrote nothing) by reading the store behind the adapter's back. An adapter author
provides a ``raw`` fixture returning a :class:`RawStore` for their store; this module has
the ones for the adapters that ship.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..adapters.memory import MemoryAdapter
    from ..adapters.sqlalchemy import SQLAlchemyAdapter


#: The kinds of record a store holds, as named in :meth:`RawStore.count`.
KINDS = ("users", "accounts", "sessions", "verification_tokens")


class RawStore(Protocol):
    """Reads rows straight from the store, bypassing the adapter.

    Each reader returns the stored values by field name (``extra`` keys flattened in), or
    ``None`` when there is no such row. Datetimes may come back naive where the store keeps
    them naive; the suite reads those as UTC.
    """

    def user(self, user_id: str) -> Mapping[str, Any] | None:
        """The stored user row."""
        ...

    def account(self, provider: str, provider_account_id: str) -> Mapping[str, Any] | None:
        """The stored account row."""
        ...

    def session(self, session_token: str) -> Mapping[str, Any] | None:
        """The stored session row."""
        ...

    def verification_token(self, identifier: str, token: str) -> Mapping[str, Any] | None:
        """The stored verification token row."""
        ...

    def count(self, kind: str) -> int:
        """How many rows of ``kind`` (one of :data:`KINDS`) the store holds."""
        ...


def _flat(record: Any) -> dict[str, Any]:
    values = asdict(record)
    values.update(values.pop("extra", None) or {})
    return values


class MemoryRawStore:
    """:class:`RawStore` for :class:`~flask_authadapter.adapters.memory.MemoryAdapter`."""

    def __init__(self, adapter: MemoryAdapter) -> None:
        self._a = adapter

    def user(self, user_id: str) -> Mapping[str, Any] | None:
        """The stored user row."""
        found = self._a._users.get(user_id)
        return None if found is None else _flat(found)

    def account(self, provider: str, provider_account_id: str) -> Mapping[str, Any] | None:
        """The stored account row."""
        found = self._a._accounts.get((provider, provider_account_id))
        return None if found is None else _flat(found)

    def session(self, session_token: str) -> Mapping[str, Any] | None:
        """The stored session row."""
        found = self._a._sessions.get(session_token)
        return None if found is None else _flat(found)

    def verification_token(self, identifier: str, token: str) -> Mapping[str, Any] | None:
        """The stored verification token row."""
        found = self._a._tokens.get((identifier, token))
        return None if found is None else _flat(found)

    def count(self, kind: str) -> int:
        """How many rows of ``kind`` the store holds."""
        stores: dict[str, Any] = {
            "users": self._a._users,
            "accounts": self._a._accounts,
            "sessions": self._a._sessions,
            "verification_tokens": self._a._tokens,
        }
        return len(stores[kind])


class SQLAlchemyRawStore:
    """:class:`RawStore` for :class:`~flask_authadapter.adapters.sqlalchemy.SQLAlchemyAdapter`,
    reading the tables with plain SQL on its own connection."""

    def __init__(self, adapter: SQLAlchemyAdapter) -> None:
        self._a = adapter

    def _one(self, kind: str, **pairs: Any) -> Mapping[str, Any] | None:
        from sqlalchemy import and_, select

        rt = self._tables()[kind]
        where = and_(
            *(rt.column(name) == rt.bind_value(name, value) for name, value in pairs.items())
        )
        with self._a._engine().connect() as conn:
            row = conn.execute(select(*rt.select_columns).where(where)).one_or_none()
        if row is None:
            return None
        prefix = f"{rt.table.name}__"
        return {key.removeprefix(prefix): value for key, value in row._mapping.items()}

    def _tables(self) -> dict[str, Any]:
        a = self._a
        return {
            "users": a.users,
            "accounts": a.accounts,
            "sessions": a.sessions,
            "verification_tokens": a.tokens,
        }

    def user(self, user_id: str) -> Mapping[str, Any] | None:
        """The stored user row."""
        return self._one("users", id=user_id)

    def account(self, provider: str, provider_account_id: str) -> Mapping[str, Any] | None:
        """The stored account row."""
        return self._one("accounts", provider=provider, provider_account_id=provider_account_id)

    def session(self, session_token: str) -> Mapping[str, Any] | None:
        """The stored session row."""
        return self._one("sessions", session_token=session_token)

    def verification_token(self, identifier: str, token: str) -> Mapping[str, Any] | None:
        """The stored verification token row."""
        return self._one("verification_tokens", identifier=identifier, token=token)

    def count(self, kind: str) -> int:
        """How many rows of ``kind`` the store holds."""
        from sqlalchemy import func, select

        table = self._tables()[kind].table
        with self._a._engine().connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
