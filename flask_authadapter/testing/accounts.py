"""The conformance cases of provider accounts: link, refresh, list, unlink."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ..core.adapter import Adapter
from ..core.errors import DuplicateAccount, DuplicateEmail, InvalidValue, UnknownUser
from ..core.models import Account, User
from ..core.signin import create_user_with_account
from .base import SuiteBase, new_email
from .raw import RawStore


class AccountCases(SuiteBase):
    """The conformance cases of provider accounts: link, refresh, list, unlink."""

    def test_link_account_stores_every_field(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        account = self.make_account(adapter, user)
        assert account.user_id == user.id
        fetched = adapter.get_account("github", account.provider_account_id)
        assert fetched == account
        assert fetched.expires_at == 1_900_000_000 and fetched.type == "oauth"
        stored = raw.account("github", account.provider_account_id)
        assert stored is not None and stored["access_token"] == account.access_token

    def test_link_the_same_account_twice_raises_duplicate_account(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        user, other = self.make_user(adapter), self.make_user(adapter)
        assert other.id is not None
        account = self.make_account(adapter, user)
        with pytest.raises(DuplicateAccount):
            adapter.link_account(
                Account(
                    user_id=other.id,
                    type="oauth",
                    provider="github",
                    provider_account_id=account.provider_account_id,
                )
            )
        assert raw.count("accounts") == 1
        assert adapter.get_user_by_account("github", account.provider_account_id) == user

    def test_one_user_links_several_providers(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        github = self.make_account(adapter, user, "github")
        google = self.make_account(adapter, user, "google")
        assert adapter.get_user_by_account("github", github.provider_account_id) == user
        assert adapter.get_user_by_account("google", google.provider_account_id) == user

    def test_link_account_for_unknown_user_raises_unknown_user(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        with pytest.raises(UnknownUser):
            adapter.link_account(
                Account(
                    user_id="4242424242", type="oauth", provider="github", provider_account_id="1"
                )
            )
        assert raw.count("accounts") == 0

    def test_link_account_without_a_type_is_refused_before_any_write(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        user = self.make_user(adapter)
        assert user.id is not None
        for missing in (None, ""):
            account = Account(
                user_id=user.id,
                type=missing,  # type: ignore[arg-type]
                provider="github",
                provider_account_id=secrets.token_hex(8),
            )
            with pytest.raises(InvalidValue):
                adapter.link_account(account)
            with pytest.raises(InvalidValue):
                create_user_with_account(adapter, User(email=new_email()), account)
        assert raw.count("accounts") == 0
        assert raw.count("users") == 1

    def test_unlink_account(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        account = self.make_account(adapter, user)
        adapter.unlink_account("github", account.provider_account_id)
        assert adapter.get_account("github", account.provider_account_id) is None
        assert adapter.get_user_by_account("github", account.provider_account_id) is None
        assert raw.account("github", account.provider_account_id) is None
        assert user.id is not None and adapter.get_user(user.id) == user
        adapter.unlink_account("github", account.provider_account_id)  # already gone: fine

    def test_update_account_stores_fresh_tokens(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        account = self.make_account(adapter, user)
        updated = adapter.update_account(
            "github",
            account.provider_account_id,
            access_token="fresh-access",
            refresh_token="fresh-refresh",
            expires_at=2_000_000_000,
        )
        assert updated is not None
        assert updated.access_token == "fresh-access"
        assert updated.refresh_token == "fresh-refresh"
        assert updated.expires_at == 2_000_000_000
        assert updated.scope == account.scope and updated.user_id == user.id
        stored = raw.account("github", account.provider_account_id)
        assert stored is not None and stored["access_token"] == "fresh-access"

    def test_list_accounts(self, adapter: Adapter) -> None:
        user, other = self.make_user(adapter), self.make_user(adapter)
        assert user.id is not None
        assert other.id is not None
        gitlab = self.make_account(adapter, user, "gitlab")
        github = self.make_account(adapter, user, "github")
        self.make_account(adapter, other, "github")
        listed = adapter.list_accounts(user.id)
        assert listed == [github, gitlab]
        assert adapter.list_accounts("4242424242") == []

    @staticmethod
    def _atomic_unlink(adapter: Adapter) -> Any:
        method = getattr(adapter, "unlink_account_unless_last", None)
        if not callable(method):
            pytest.skip("the adapter has no unlink_account_unless_last (optional)")
        return method

    def test_unlink_unless_last_keeps_the_last_way_to_sign_in(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        unlink = self._atomic_unlink(adapter)
        user, other = self.make_user(adapter), self.make_user(adapter)
        assert user.id is not None and other.id is not None
        github = self.make_account(adapter, user, "github")
        gitlab = self.make_account(adapter, user, "gitlab")
        theirs = self.make_account(adapter, other, "github")
        assert unlink(user.id, "github", theirs.provider_account_id) == "not_linked"
        assert raw.account("github", theirs.provider_account_id) is not None
        assert unlink(user.id, "github", "no-such-account") == "not_linked"
        assert unlink("4242424242", "github", github.provider_account_id) == "not_linked"
        assert unlink(user.id, "github", github.provider_account_id) == "unlinked"
        assert raw.account("github", github.provider_account_id) is None
        assert unlink(user.id, "gitlab", gitlab.provider_account_id) == "last"
        assert raw.account("gitlab", gitlab.provider_account_id) is not None
        assert unlink(user.id, "gitlab", gitlab.provider_account_id, other_ways=1) == "unlinked"
        assert adapter.list_accounts(user.id) == []

    def test_racing_unlinks_never_remove_the_last_way(self, adapter: Adapter) -> None:
        unlink = self._atomic_unlink(adapter)
        for _ in range(self.unlink_rounds):
            user = self.make_user(adapter)
            assert user.id is not None
            accounts = [self.make_account(adapter, user, f"p{n}") for n in range(2)]
            barrier = threading.Barrier(len(accounts))

            def race(
                account: Account, user_id: str = user.id, barrier: threading.Barrier = barrier
            ) -> str:
                barrier.wait(timeout=30)
                result: str = unlink(user_id, account.provider, account.provider_account_id)
                return result

            with ThreadPoolExecutor(max_workers=len(accounts)) as pool:
                results = list(pool.map(race, accounts))
            assert sorted(results) == ["last", "unlinked"], results
            assert len(adapter.list_accounts(user.id)) == 1

    def test_create_user_and_link_account_is_both_or_neither(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        # Through the core's helper: the adapter's create_user_and_link_account (optional)
        # when it has one, else create_user then link_account, undone if linking fails.
        def atomic(user: User, account: Account) -> tuple[User, Account]:
            return create_user_with_account(adapter, user, account)

        user, account = atomic(
            User(email=new_email(), name="New"),
            Account(user_id="", type="oidc", provider="keycloak", provider_account_id="sub-9"),
        )
        assert user.id is not None
        assert account.user_id == user.id
        assert adapter.get_user_by_account("keycloak", "sub-9") == user
        with pytest.raises(DuplicateAccount):
            atomic(
                User(email=new_email()),
                Account(user_id="", type="oidc", provider="keycloak", provider_account_id="sub-9"),
            )
        assert raw.count("users") == 1
        with pytest.raises(DuplicateEmail):
            atomic(
                User(email=user.email),
                Account(user_id="", type="oidc", provider="keycloak", provider_account_id="sub-10"),
            )
        assert raw.count("users") == 1
        assert raw.count("accounts") == 1

    def test_iter_accounts_visits_every_account_once(self, adapter: Adapter) -> None:
        # Optional in the contract (``flask auth reseal-tokens`` needs it): skipped without.
        iter_accounts = getattr(adapter, "iter_accounts", None)
        if not callable(iter_accounts):
            pytest.skip("the adapter has no iter_accounts (optional)")
        assert list(iter_accounts()) == []
        users = [self.make_user(adapter) for _ in range(3)]
        made = [
            self.make_account(adapter, users[n % 3], ("github", "gitlab", "google")[n % 3])
            for n in range(16)
        ]
        # Updating accounts while iterating (as resealing does) visits each once all the same.
        seen = []
        for account in iter_accounts():
            seen.append(account)
            adapter.update_account(
                account.provider, account.provider_account_id, access_token="updated"
            )
        key = lambda a: (a.provider, a.provider_account_id)  # noqa: E731
        assert sorted(seen, key=key) == sorted(made, key=key)
        assert all(a.access_token == "updated" for a in iter_accounts())

    def test_update_unknown_account_returns_none(self, adapter: Adapter) -> None:
        assert adapter.update_account("github", "no-such-account", access_token="x") is None

    def test_account_key_fields_cannot_change(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        account = self.make_account(adapter, user)
        assert user.id is not None
        other = self.make_user(adapter)
        with pytest.raises(InvalidValue):
            adapter.update_account("github", account.provider_account_id, user_id=other.id)
        assert adapter.get_user_by_account("github", account.provider_account_id) == user
