"""The provider accounts part of the SQLAlchemy adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from ...core.adapter import UnlinkOutcome, check_keys_unchanged
from ...core.errors import AuthAdapterError, DuplicateAccount, StorageError, UnknownUser
from ...core.models import ACCOUNT_REQUIRED, Account
from ...core.values import check_filled
from .store import TableStore


class AccountStore(TableStore):
    """Links, reads, refreshes and unlinks users' provider accounts."""

    def link_account(self, account: Account) -> Account:
        """Store a provider account of an existing user."""
        check_filled("Account", account, ACCOUNT_REQUIRED)
        with self._connect(
            "link_account", write=True, on_conflict=lambda: self._account_conflict(account)
        ) as conn:
            self._require_user(conn, account.user_id, "link_account")
            values = {**self.accounts.record_values(account), **self.accounts.new_key_values()}
            return self._insert(conn, self.accounts, values)

    def _account_conflict(self, account: Account) -> AuthAdapterError:
        key = {"provider": account.provider, "provider_account_id": account.provider_account_id}
        if self._exists(self.accounts, **key):
            return DuplicateAccount(account.provider, account.provider_account_id)
        if not self._exists(self.users, id=account.user_id):
            return UnknownUser("link_account: no user with this id")
        return StorageError("link_account failed: a constraint of the accounts table was violated")

    def unlink_account(self, provider: str, provider_account_id: str) -> None:
        """Remove a provider account; no error when already gone."""
        self._delete(
            "unlink_account",
            self.accounts,
            provider=provider,
            provider_account_id=provider_account_id,
        )

    def unlink_account_unless_last(
        self, user_id: str, provider: str, provider_account_id: str, *, other_ways: int = 0
    ) -> UnlinkOutcome:
        """Remove ``user_id``'s provider account unless it is their last way to sign in
        (``other_ways`` counts the ways besides provider accounts), in one transaction.

        The user's row is written first (an UPDATE that changes nothing), which takes its
        row lock on PostgreSQL and MariaDB and the write lock on SQLite: concurrent unlinks
        of one user run one after the other, each counting what the previous one left."""
        users, accounts = self.users, self.accounts
        user_where = self._where(users, id=user_id)
        mine = self._where(accounts, user_id=user_id)
        target = self._where(accounts, provider=provider, provider_account_id=provider_account_id)
        if user_where is None or mine is None or target is None:
            return "not_linked"
        user_key = users.column("id")
        with self._connect("unlink_account_unless_last", write=True) as conn:
            touched = update(users.table).where(user_where).values({user_key: user_key})
            if conn.execute(touched).rowcount == 0:
                return "not_linked"
            keys = [
                (row[0], row[1])
                for row in conn.execute(
                    select(accounts.column("provider"), accounts.column("provider_account_id"))
                    .where(mine)
                    .with_for_update()
                )
            ]
            if (provider, provider_account_id) not in keys:
                return "not_linked"
            if len(keys) - 1 + other_ways < 1:
                return "last"
            conn.execute(delete(accounts.table).where(and_(target, mine)))
            return "unlinked"

    def get_account(self, provider: str, provider_account_id: str) -> Account | None:
        """The stored provider account, or None."""
        return self._fetch_one(
            "get_account", self.accounts, provider=provider, provider_account_id=provider_account_id
        )

    def update_account(
        self, provider: str, provider_account_id: str, **changes: Any
    ) -> Account | None:
        """Change fields of a provider account (fresh tokens); None when there is none."""
        check_keys_unchanged("account", changes)
        return self._update_one(
            "update_account",
            self.accounts,
            changes,
            provider=provider,
            provider_account_id=provider_account_id,
        )

    def list_accounts(self, user_id: str) -> list[Account]:
        """A user's provider accounts, by provider then account id."""
        order = [self.accounts.column("provider"), self.accounts.column("provider_account_id")]
        return self._fetch_all("list_accounts", self.accounts, order, user_id=user_id)

    def iter_accounts(self) -> Iterator[Account]:
        """Every provider account of every user, by provider then account id, read
        ``batch_size`` rows at a time, each batch its own short read (optional in the
        contract: ``flask auth reseal-tokens`` needs it). Accounts changed while it runs
        are seen as they are when their batch is read."""
        accounts = self.accounts
        provider, account_id = accounts.column("provider"), accounts.column("provider_account_id")
        query = select(*accounts.select_columns).order_by(provider, account_id)
        after: tuple[Any, Any] | None = None
        while True:
            page = query
            if after is not None:
                # Keyset paging: rows after the last one read, in the same order.
                page = query.where(
                    or_(provider > after[0], and_(provider == after[0], account_id > after[1]))
                )
            with self._connect("iter_accounts") as conn:
                rows = conn.execute(page.limit(self.batch_size)).all()
            batch = [accounts.from_row(row) for row in rows]
            yield from batch
            if len(batch) < self.batch_size:
                return
            after = (batch[-1].provider, batch[-1].provider_account_id)
