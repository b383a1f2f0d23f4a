"""The users part of the SQLAlchemy adapter."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, select

from ...core.adapter import check_keys_unchanged
from ...core.errors import (
    AuthAdapterError,
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    StorageError,
    UnknownUser,
)
from ...core.models import ACCOUNT_REQUIRED, Account, User
from ...core.values import check_filled
from .mapping import needs_generated_id
from .store import TableStore


class UserStore(TableStore):
    """Creates, reads, changes and deletes users (with their accounts and sessions)."""

    def _new_user_values(self, user: User) -> dict[str, Any]:
        values = self.users.record_values(user)
        id_column = self.users.column("id")
        if user.id is None:
            values.pop(id_column.key, None)
            if needs_generated_id(id_column):
                values.update({id_column.key: self.users.bind_value("id", str(uuid.uuid4()))})
        return values

    def create_user(self, user: User) -> User:
        """Store a new user; an id is generated (or left to the database) when it is None."""
        values = self._new_user_values(user)
        with self._connect(
            "create_user", write=True, on_conflict=lambda: self._user_conflict(user)
        ) as conn:
            return self._insert(conn, self.users, values)

    def create_user_and_link_account(self, user: User, account: Account) -> tuple[User, Account]:
        """Store a new user and their first provider account in one transaction: both or
        neither (optional in the contract; the sign-in rules use it when present)."""
        check_filled("Account", account, ACCOUNT_REQUIRED)
        values = self._new_user_values(user)

        def conflict() -> AuthAdapterError:
            key = {"provider": account.provider, "provider_account_id": account.provider_account_id}
            if self._exists(self.accounts, **key):
                return DuplicateAccount(account.provider, account.provider_account_id)
            return self._user_conflict(user)

        with self._connect(
            "create_user_and_link_account", write=True, on_conflict=conflict
        ) as conn:
            created = self._insert(conn, self.users, values)
            assert created.id is not None
            linked = replace(account, user_id=created.id)
            account_values = {
                **self.accounts.record_values(linked),
                **self.accounts.new_key_values(),
            }
            return created, self._insert(conn, self.accounts, account_values)

    def _user_conflict(self, user: User) -> AuthAdapterError:
        if user.email is not None and self._exists(self.users, email=user.email):
            return DuplicateEmail()
        if user.id is not None and self._exists(self.users, id=user.id):
            return ConflictError("a user with this id already exists")
        return StorageError("create_user failed: a constraint of the users table was violated")

    def _email_conflict(self, changes: dict[str, Any]) -> AuthAdapterError:
        email = changes.get("email")
        if email is not None and self._exists(self.users, email=email):
            return DuplicateEmail()
        return StorageError("update_user failed: a constraint of the users table was violated")

    def get_user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        return self._fetch_one("get_user", self.users, id=user_id)

    def get_user_by_email(self, email: str) -> User | None:
        """The user with exactly this email, or None."""
        return self._fetch_one("get_user_by_email", self.users, email=email)

    def get_user_by_account(self, provider: str, provider_account_id: str) -> User | None:
        """The user who linked this provider account, or None."""
        users, accounts = self.users, self.accounts
        where = self._where(accounts, provider=provider, provider_account_id=provider_account_id)
        if where is None:
            return None
        query = (
            select(*users.select_columns)
            .select_from(
                users.table.join(accounts.table, accounts.column("user_id") == users.column("id"))
            )
            .where(where)
        )
        with self._connect("get_user_by_account") as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else users.from_row(row)

    def update_user(self, user_id: str, **changes: Any) -> User:
        """Change fields or extra columns of a user; raises UnknownUser when there is none."""
        check_keys_unchanged("user", changes)
        values = self.users.values(changes)
        where = self._where(self.users, id=user_id)
        if where is None:
            raise UnknownUser("no user with this id")
        conflict = lambda: self._email_conflict(changes)  # noqa: E731
        with self._connect("update_user", write=True, on_conflict=conflict) as conn:
            updated = self._update(conn, self.users, where, values)
        if updated is None:
            raise UnknownUser("no user with this id")
        return updated

    def delete_user(self, user_id: str) -> None:
        """Delete a user and their accounts and sessions, in one transaction."""
        key = self._bound(self.users, "id", user_id)
        if key is None:
            return
        with self._connect("delete_user", write=True) as conn:
            # Explicit, so that it holds where foreign keys are not enforced (SQLite's
            # default) or a custom model has no ON DELETE CASCADE.
            conn.execute(delete(self.sessions.table).where(self.sessions.column("user_id") == key))
            conn.execute(delete(self.accounts.table).where(self.accounts.column("user_id") == key))
            conn.execute(delete(self.users.table).where(self.users.column("id") == key))
