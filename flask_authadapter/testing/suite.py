"""The adapter conformance suite: every case of Auth.js's adapter tests, and stricter ones.

Subclass :class:`AdapterSuite` in a test module (its name must start with ``Test`` for pytest
to collect it) and provide two fixtures: ``adapter``, a fresh, empty adapter per test, and
``raw``, a :class:`~flask_authadapter.testing.raw.RawStore` reading the same store::

    from flask_authadapter.testing import AdapterSuite

    class TestMyAdapter(AdapterSuite):
        @pytest.fixture
        def adapter(self):
            store = make_empty_store()
            yield MyAdapter(store)
            store.drop()

        @pytest.fixture
        def raw(self, adapter):
            return MyRawReader(adapter)

The class attributes below describe what the store keeps; override them to match. Tests of
extras a store does not declare are left out of the subclass rather than skipped.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from ..core.adapter import FEATURE_METHODS, Adapter
from ..core.errors import (
    ConflictError,
    DuplicateAccount,
    DuplicateEmail,
    InvalidValue,
    UnknownUser,
)
from ..core.models import Account, Session, User, VerificationToken
from ..core.signin import create_user_with_account
from ..core.values import MAX_EMAIL_LENGTH
from .raw import RawStore

__all__ = ["AdapterSuite"]

UTC = timezone.utc


def _utc(value: Any) -> Any:
    """A stored datetime read as UTC (stores that keep naive datetimes keep them in UTC)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _email() -> str:
    return f"user-{secrets.token_hex(6)}@example.com"


def _token() -> str:
    return secrets.token_hex(32)


class AdapterSuite:
    """The conformance suite; subclass it and provide ``adapter`` and ``raw`` fixtures."""

    #: The finest time step the store keeps (MySQL ``DATETIME`` without fsp: a second).
    datetime_precision: ClassVar[timedelta] = timedelta(microseconds=1)
    #: Extra user columns the store keeps, with a sample value for each (``{}``: none).
    user_extra: ClassVar[Mapping[str, Any]] = {}
    #: Extra session columns the store keeps, with a sample value for each.
    session_extra: ClassVar[Mapping[str, Any]] = {}
    #: Extra account columns the store keeps, with a sample value for each.
    account_extra: ClassVar[Mapping[str, Any]] = {}
    #: Whether any ``extra`` key is kept (a document store) rather than only known columns.
    accepts_any_extra: ClassVar[bool] = False
    #: Threads racing to use one verification token.
    racers: ClassVar[int] = 20
    #: Rounds of two threads unlinking a user's last two accounts at once.
    unlink_rounds: ClassVar[int] = 10
    #: Expired rows made for the batch-expiry test; make it exceed your batch size.
    expired_rows: ClassVar[int] = 25

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Leave out the tests of extras the store does not declare (not collected at all)."""
        super().__init_subclass__(**kwargs)
        not_applicable = {
            "test_user_extra_round_trips": not cls.user_extra,
            "test_session_extra_round_trips": not cls.session_extra,
            "test_account_extra_round_trips": not cls.account_extra,
            "test_unknown_extra_keys_are_refused_and_nothing_is_written": cls.accepts_any_extra,
        }
        for name, skip in not_applicable.items():
            if skip:
                setattr(cls, name, None)

    # Fixtures the subclass must provide ------------------------------------------------
    @pytest.fixture
    def adapter(self) -> Adapter:
        """A fresh, empty adapter for one test. Override in your subclass."""
        pytest.fail("subclass AdapterSuite and define an `adapter` fixture")

    @pytest.fixture
    def raw(self, adapter: Adapter) -> RawStore:
        """A RawStore reading the adapter's store directly. Override in your subclass."""
        pytest.fail("subclass AdapterSuite and define a `raw` fixture")

    # Helpers ---------------------------------------------------------------------------
    @staticmethod
    def now() -> datetime:
        """The current time, UTC."""
        return datetime.now(UTC)

    def assert_same_time(self, got: Any, expected: datetime) -> None:
        """``got`` is an aware UTC datetime equal to ``expected`` to the store's precision."""
        assert isinstance(got, datetime), got
        assert got.tzinfo is not None and got.utcoffset() == timedelta(0), got
        assert abs(got - expected) < self.datetime_precision, (got, expected)

    def make_user(self, adapter: Adapter, **fields: Any) -> User:
        """Create a user with a unique email (and ``fields``) through the adapter."""
        fields.setdefault("email", _email())
        return adapter.create_user(User(**fields))

    @staticmethod
    def make_account(adapter: Adapter, user: User, provider: str = "github") -> Account:
        """Link a provider account with a full token set to ``user``."""
        assert user.id is not None
        return adapter.link_account(
            Account(
                user_id=user.id,
                type="oauth",
                provider=provider,
                provider_account_id=secrets.token_hex(8),
                access_token="access-" + _token(),
                refresh_token="refresh-" + _token(),
                expires_at=1_900_000_000,
                token_type="bearer",
                scope="read:user user:email",
                id_token="header.payload.signature",
                session_state="state-1",
            )
        )

    def make_session(
        self, adapter: Adapter, user: User, *, expires_in: timedelta = timedelta(days=30)
    ) -> Session:
        """Create a session for ``user`` expiring ``expires_in`` from now."""
        assert user.id is not None
        now = self.now()
        return adapter.create_session(
            Session(
                session_token=_token(),
                user_id=user.id,
                expires=now + expires_in,
                created_at=now,
            )
        )

    # Users -------------------------------------------------------------------------------
    def test_create_user_generates_a_str_id(self, adapter: Adapter, raw: RawStore) -> None:
        verified = self.now()
        user = self.make_user(
            adapter, name="Ada", image="https://img.example/a.png", email_verified=verified
        )
        assert isinstance(user.id, str) and user.id
        assert user.name == "Ada" and user.image == "https://img.example/a.png"
        self.assert_same_time(user.email_verified, verified)
        stored = raw.user(user.id)
        assert stored is not None and stored["email"] == user.email

    def test_create_user_keeps_a_given_id(self, adapter: Adapter) -> None:
        # Numeric text, so that stores with integer ids accept it too.
        given = str(secrets.randbelow(10**9) + 10**9)
        user = self.make_user(adapter, id=given)
        assert user.id == given
        fetched = adapter.get_user(given)
        assert fetched is not None and fetched.id == given

    def test_two_users_get_different_ids(self, adapter: Adapter) -> None:
        assert self.make_user(adapter).id != self.make_user(adapter).id

    def test_get_user(self, adapter: Adapter) -> None:
        user = self.make_user(adapter, name="Grace")
        assert user.id is not None
        assert adapter.get_user(user.id) == user

    def test_get_user_by_email(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        assert user.email is not None
        assert adapter.get_user_by_email(user.email) == user

    def test_get_user_by_email_is_an_exact_match(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        assert user.email is not None
        assert adapter.get_user_by_email(user.email.upper()) is None
        assert adapter.get_user_by_email(user.email + " ") is None
        assert adapter.get_user_by_email(user.email[:-1]) is None

    def test_get_user_by_account(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        account = self.make_account(adapter, user)
        assert adapter.get_user_by_account("github", account.provider_account_id) == user
        assert adapter.get_user_by_account("gitlab", account.provider_account_id) is None

    def test_update_user(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        assert user.id is not None
        verified = self.now()
        updated = adapter.update_user(user.id, name="New Name", email_verified=verified)
        assert updated.id == user.id and updated.email == user.email
        assert updated.name == "New Name"
        self.assert_same_time(updated.email_verified, verified)
        assert adapter.get_user(user.id) == updated
        stored = raw.user(user.id)
        assert stored is not None and stored["name"] == "New Name"

    def test_update_user_can_clear_a_field(self, adapter: Adapter) -> None:
        user = self.make_user(adapter, name="Someone", email_verified=self.now())
        assert user.id is not None
        updated = adapter.update_user(user.id, name=None, email_verified=None)
        assert updated.name is None and updated.email_verified is None

    def test_update_unknown_user_raises_unknown_user(self, adapter: Adapter) -> None:
        with pytest.raises(UnknownUser):
            adapter.update_user("4242424242", name="x")

    def test_create_user_with_a_taken_email_raises_duplicate_email(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        user = self.make_user(adapter)
        with pytest.raises(DuplicateEmail):
            adapter.create_user(User(email=user.email, name="Impostor"))
        assert raw.count("users") == 1

    def test_update_user_to_a_taken_email_raises_duplicate_email(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        first, second = self.make_user(adapter), self.make_user(adapter)
        assert second.id is not None
        with pytest.raises(DuplicateEmail):
            adapter.update_user(second.id, email=first.email)
        stored = raw.user(second.id)
        assert stored is not None and stored["email"] == second.email

    def test_a_taken_user_id_is_a_conflict(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        with pytest.raises(ConflictError):
            adapter.create_user(User(id=user.id, email=_email()))
        assert raw.count("users") == 1

    def test_users_without_email_may_coexist(self, adapter: Adapter) -> None:
        first = adapter.create_user(User(name="No Mail One"))
        second = adapter.create_user(User(name="No Mail Two"))
        assert first.id != second.id and first.email is None and second.email is None

    def test_delete_user_removes_accounts_and_sessions(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        user, other = self.make_user(adapter), self.make_user(adapter)
        assert user.id is not None and other.id is not None
        account = self.make_account(adapter, user)
        session = self.make_session(adapter, user)
        kept_session = self.make_session(adapter, other)
        adapter.delete_user(user.id)
        assert adapter.get_user(user.id) is None
        assert raw.user(user.id) is None
        assert raw.account("github", account.provider_account_id) is None
        assert raw.session(session.session_token) is None
        assert adapter.get_session_and_user(session.session_token) is None
        assert adapter.get_user(other.id) == other
        assert raw.session(kept_session.session_token) is not None

    def test_delete_unknown_user_is_not_an_error(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        assert user.id is not None
        adapter.delete_user(user.id)
        adapter.delete_user(user.id)
        adapter.delete_user("4242424242")

    def test_returned_users_are_copies(self, adapter: Adapter) -> None:
        user = self.make_user(adapter, name="Original")
        assert user.id is not None
        user.name = "Changed locally"
        user.extra["local_only"] = True
        fetched = adapter.get_user(user.id)
        assert fetched is not None and fetched.name == "Original"
        assert "local_only" not in fetched.extra

    # Accounts ----------------------------------------------------------------------------
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
                create_user_with_account(adapter, User(email=_email()), account)
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
            User(email=_email(), name="New"),
            Account(user_id="", type="oidc", provider="keycloak", provider_account_id="sub-9"),
        )
        assert user.id is not None
        assert account.user_id == user.id
        assert adapter.get_user_by_account("keycloak", "sub-9") == user
        with pytest.raises(DuplicateAccount):
            atomic(
                User(email=_email()),
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

    # Sessions ----------------------------------------------------------------------------
    def test_create_session_and_get_session_and_user(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter, name="Session Owner")
        session = self.make_session(adapter, user)
        found = adapter.get_session_and_user(session.session_token)
        assert found is not None
        got_session, got_user = found
        assert got_session == session and got_user == user
        stored = raw.session(session.session_token)
        assert stored is not None and str(stored["user_id"]) == user.id

    def test_session_token_is_stored_as_given(self, adapter: Adapter, raw: RawStore) -> None:
        # The extension hands adapters a hash; the adapter must not transform it further.
        user = self.make_user(adapter)
        session = self.make_session(adapter, user)
        stored = raw.session(session.session_token)
        assert stored is not None and stored["session_token"] == session.session_token

    def test_create_session_for_unknown_user_raises_unknown_user(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        with pytest.raises(UnknownUser):
            adapter.create_session(
                Session(
                    session_token=_token(),
                    user_id="4242424242",
                    expires=self.now() + timedelta(days=1),
                    created_at=self.now(),
                )
            )
        assert raw.count("sessions") == 0

    def test_a_taken_session_token_is_a_conflict(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        session = self.make_session(adapter, user)
        with pytest.raises(ConflictError):
            adapter.create_session(session)
        assert raw.count("sessions") == 1

    def test_update_session(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        session = self.make_session(adapter, user)
        later = self.now() + timedelta(days=60)
        updated = adapter.update_session(session.session_token, expires=later)
        assert updated is not None and updated.session_token == session.session_token
        self.assert_same_time(updated.expires, later)
        found = adapter.get_session_and_user(session.session_token)
        assert found is not None
        self.assert_same_time(found[0].expires, later)

    def test_update_unknown_session_returns_none(self, adapter: Adapter) -> None:
        assert adapter.update_session(_token(), expires=self.now()) is None

    def test_delete_session(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        session = self.make_session(adapter, user)
        adapter.delete_session(session.session_token)
        assert adapter.get_session_and_user(session.session_token) is None
        assert raw.session(session.session_token) is None
        adapter.delete_session(session.session_token)  # already gone: fine
        assert user.id is not None and adapter.get_user(user.id) == user

    def test_list_sessions_oldest_first_and_only_the_users(self, adapter: Adapter) -> None:
        user, other = self.make_user(adapter), self.make_user(adapter)
        assert user.id is not None and other.id is not None
        base = self.now()
        made = []
        for days in (3, 1, 2):
            made.append(
                adapter.create_session(
                    Session(
                        session_token=_token(),
                        user_id=user.id,
                        expires=base + timedelta(days=30),
                        created_at=base - timedelta(days=days),
                    )
                )
            )
        self.make_session(adapter, other)
        listed = adapter.list_sessions(user.id)
        assert [s.session_token for s in listed] == [
            made[0].session_token,
            made[2].session_token,
            made[1].session_token,
        ]
        assert adapter.list_sessions("4242424242") == []

    def test_a_session_without_created_at_round_trips(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        # created_at is optional in the contract: the extension sets it, other callers may not.
        user = self.make_user(adapter)
        assert user.id is not None
        expires = self.now() + timedelta(days=1)
        session = adapter.create_session(
            Session(session_token=_token(), user_id=user.id, expires=expires)
        )
        assert session.created_at is None
        self.assert_same_time(session.expires, expires)
        found = adapter.get_session_and_user(session.session_token)
        assert found is not None and found == (session, user)
        assert adapter.list_sessions(user.id) == [session]
        later = expires + timedelta(days=1)
        updated = adapter.update_session(session.session_token, expires=later)
        assert updated is not None and updated.created_at is None
        stored = raw.session(session.session_token)
        assert stored is not None and stored["created_at"] is None

    def test_list_sessions_orders_those_without_created_at_by_expires(
        self, adapter: Adapter
    ) -> None:
        # The same order on every store, wherever its database sorts NULL.
        user = self.make_user(adapter)
        assert user.id is not None
        base = self.now()
        made = {}
        for name, created_at, expires in [
            ("created 3 days ago", base - timedelta(days=3), base + timedelta(days=30)),
            ("none, expires in a day", None, base + timedelta(days=1)),
            ("created yesterday", base - timedelta(days=1), base + timedelta(days=30)),
            ("none, expired 2 days ago", None, base - timedelta(days=2)),
            ("created yesterday, expires sooner", base - timedelta(days=1), base),
        ]:
            made[name] = adapter.create_session(
                Session(
                    session_token=_token(),
                    user_id=user.id,
                    expires=expires,
                    created_at=created_at,
                )
            )
        listed = [s.session_token for s in adapter.list_sessions(user.id)]
        expected = [
            "created 3 days ago",
            "none, expired 2 days ago",
            "created yesterday, expires sooner",
            "created yesterday",
            "none, expires in a day",
        ]
        assert listed == [made[name].session_token for name in expected]

    def test_delete_sessions_signs_out_everywhere(self, adapter: Adapter, raw: RawStore) -> None:
        user, other = self.make_user(adapter), self.make_user(adapter)
        assert user.id is not None and other.id is not None
        for _ in range(3):
            self.make_session(adapter, user)
        kept = self.make_session(adapter, other)
        assert adapter.delete_sessions(user.id) == 3
        assert adapter.list_sessions(user.id) == []
        assert raw.count("sessions") == 1 and raw.session(kept.session_token) is not None
        assert adapter.delete_sessions(user.id) == 0

    # Verification tokens -------------------------------------------------------------------
    def test_verification_token_is_used_once(self, adapter: Adapter, raw: RawStore) -> None:
        expires = self.now() + timedelta(minutes=15)
        token = VerificationToken(identifier=_email(), token=_token(), expires=expires)
        created = adapter.create_verification_token(token)
        assert created.identifier == token.identifier and created.token == token.token
        assert raw.verification_token(token.identifier, token.token) is not None
        used = adapter.use_verification_token(token.identifier, token.token)
        assert used is not None
        assert (used.identifier, used.token) == (token.identifier, token.token)
        self.assert_same_time(used.expires, expires)
        assert adapter.use_verification_token(token.identifier, token.token) is None
        assert raw.verification_token(token.identifier, token.token) is None

    def test_a_taken_verification_token_is_a_conflict(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        token = VerificationToken(_email(), _token(), self.now() + timedelta(minutes=15))
        adapter.create_verification_token(token)
        with pytest.raises(ConflictError):
            adapter.create_verification_token(token)
        assert raw.count("verification_tokens") == 1

    def test_verification_token_with_wrong_identifier_is_none_and_kept(
        self, adapter: Adapter
    ) -> None:
        token = VerificationToken(_email(), _token(), self.now() + timedelta(minutes=15))
        adapter.create_verification_token(token)
        assert adapter.use_verification_token(_email(), token.token) is None
        assert adapter.use_verification_token(token.identifier, _token()) is None
        assert adapter.use_verification_token(token.identifier, token.token) is not None

    def test_expired_verification_token_is_returned_for_the_caller_to_refuse(
        self, adapter: Adapter
    ) -> None:
        past = self.now() - timedelta(minutes=1)
        token = VerificationToken(_email(), _token(), past)
        adapter.create_verification_token(token)
        used = adapter.use_verification_token(token.identifier, token.token)
        assert used is not None
        self.assert_same_time(used.expires, past)
        assert adapter.use_verification_token(token.identifier, token.token) is None

    def test_delete_verification_tokens(self, adapter: Adapter, raw: RawStore) -> None:
        email, other = _email(), _email()
        expires = self.now() + timedelta(minutes=15)
        for _ in range(3):
            adapter.create_verification_token(VerificationToken(email, _token(), expires))
        kept = adapter.create_verification_token(VerificationToken(other, _token(), expires))
        assert adapter.delete_verification_tokens(email) == 3
        assert raw.count("verification_tokens") == 1
        assert adapter.use_verification_token(kept.identifier, kept.token) is not None
        assert adapter.delete_verification_tokens(email) == 0

    def test_racing_threads_use_a_token_exactly_once(self, adapter: Adapter) -> None:
        token = VerificationToken(_email(), _token(), self.now() + timedelta(minutes=15))
        adapter.create_verification_token(token)
        barrier = threading.Barrier(self.racers)

        def race(_: int) -> VerificationToken | None:
            barrier.wait(timeout=30)
            return adapter.use_verification_token(token.identifier, token.token)

        with ThreadPoolExecutor(max_workers=self.racers) as pool:
            results = list(pool.map(race, range(self.racers)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1, f"{len(winners)} of {self.racers} threads got the token"
        assert winners[0].token == token.token

    # Expiry ----------------------------------------------------------------------------------
    def test_delete_expired_removes_only_expired_rows(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        user = self.make_user(adapter)
        now = self.now()
        old = self.make_session(adapter, user, expires_in=timedelta(seconds=-5))
        live = self.make_session(adapter, user, expires_in=timedelta(days=1))
        old_token = adapter.create_verification_token(
            VerificationToken(_email(), _token(), now - timedelta(seconds=5))
        )
        live_token = adapter.create_verification_token(
            VerificationToken(_email(), _token(), now + timedelta(minutes=5))
        )
        assert adapter.delete_expired(now) == 2
        assert raw.session(old.session_token) is None
        assert raw.session(live.session_token) is not None
        assert raw.verification_token(old_token.identifier, old_token.token) is None
        assert raw.verification_token(live_token.identifier, live_token.token) is not None
        assert user.id is not None and adapter.get_user(user.id) == user
        assert adapter.delete_expired(now) == 0

    def test_delete_expired_clears_many_rows(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter)
        assert user.id is not None
        now = self.now()
        for i in range(self.expired_rows):
            adapter.create_session(
                Session(
                    session_token=_token(),
                    user_id=user.id,
                    expires=now - timedelta(minutes=i + 1),
                    created_at=now,
                )
            )
            adapter.create_verification_token(
                VerificationToken(_email(), _token(), now - timedelta(minutes=i + 1))
            )
        live = self.make_session(adapter, user)
        assert adapter.delete_expired(now) == 2 * self.expired_rows
        assert raw.count("sessions") == 1 and raw.session(live.session_token) is not None
        assert raw.count("verification_tokens") == 0

    # Dates ------------------------------------------------------------------------------------
    def test_datetimes_come_back_utc_to_the_stores_precision(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        india = timezone(timedelta(hours=5, minutes=30))
        moment = datetime(2031, 3, 4, 17, 45, 12, 654321, tzinfo=india)
        user = self.make_user(adapter, email_verified=moment)
        assert user.id is not None
        fetched = adapter.get_user(user.id)
        assert fetched is not None
        self.assert_same_time(fetched.email_verified, moment)
        stored = raw.user(user.id)
        assert stored is not None
        # Whatever the store keeps, it is the same instant (not local time taken as UTC).
        assert abs(_utc(stored["email_verified"]) - moment) < self.datetime_precision
        session = adapter.create_session(
            Session(session_token=_token(), user_id=user.id, expires=moment, created_at=moment)
        )
        found = adapter.get_session_and_user(session.session_token)
        assert found is not None
        self.assert_same_time(found[0].expires, moment)
        self.assert_same_time(found[0].created_at, moment)
        self.assert_same_time(found[1].email_verified, moment)
        for got in adapter.list_sessions(user.id):
            self.assert_same_time(got.expires, moment)

    def test_naive_datetimes_are_refused(self, adapter: Adapter, raw: RawStore) -> None:
        naive = datetime(2031, 1, 1, 12, 0, 0)
        with pytest.raises(InvalidValue):
            self.make_user(adapter, email_verified=naive)
        assert raw.count("users") == 0
        user = self.make_user(adapter)
        assert user.id is not None
        with pytest.raises(InvalidValue):
            adapter.create_session(
                Session(
                    session_token=_token(), user_id=user.id, expires=naive, created_at=self.now()
                )
            )
        with pytest.raises(InvalidValue):
            adapter.create_verification_token(VerificationToken(_email(), _token(), naive))
        assert raw.count("sessions") == 0 and raw.count("verification_tokens") == 0

    # Extra columns ------------------------------------------------------------------------------
    def test_user_extra_round_trips(self, adapter: Adapter, raw: RawStore) -> None:
        user = self.make_user(adapter, extra=dict(self.user_extra))
        assert user.id is not None
        for key, value in self.user_extra.items():
            assert user.extra[key] == value
            assert getattr(user, key) == value
        fetched = adapter.get_user(user.id)
        assert fetched is not None and fetched.extra == user.extra
        stored = raw.user(user.id)
        assert stored is not None
        assert {k: stored[k] for k in self.user_extra} == dict(self.user_extra)
        key = next(iter(self.user_extra))
        changed = adapter.update_user(user.id, **{key: None})
        assert changed.extra[key] is None
        assert changed.email == user.email

    def test_session_extra_round_trips(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        assert user.id is not None
        session = adapter.create_session(
            Session(
                session_token=_token(),
                user_id=user.id,
                expires=self.now() + timedelta(days=1),
                created_at=self.now(),
                extra=dict(self.session_extra),
            )
        )
        found = adapter.get_session_and_user(session.session_token)
        assert found is not None and found[0].extra == dict(self.session_extra)
        assert adapter.list_sessions(user.id)[0].extra == dict(self.session_extra)

    def test_account_extra_round_trips(self, adapter: Adapter) -> None:
        user = self.make_user(adapter)
        assert user.id is not None
        account = adapter.link_account(
            Account(
                user_id=user.id,
                type="oidc",
                provider="keycloak",
                provider_account_id="sub-1",
                extra=dict(self.account_extra),
            )
        )
        fetched = adapter.get_account("keycloak", "sub-1")
        assert fetched is not None and fetched.extra == account.extra
        assert fetched.extra == dict(self.account_extra)

    def test_unknown_extra_keys_are_refused_and_nothing_is_written(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        with pytest.raises(InvalidValue):
            self.make_user(adapter, extra={"no_such_column_here": 1})
        assert raw.count("users") == 0
        user = self.make_user(adapter)
        assert user.id is not None
        with pytest.raises(InvalidValue):
            adapter.update_user(user.id, no_such_column_here=1)

    def test_extra_keys_may_not_shadow_fields(self, adapter: Adapter) -> None:
        with pytest.raises(InvalidValue):
            self.make_user(adapter, extra={"email": "shadow@example.com"})

    # Bad values -------------------------------------------------------------------------------
    def test_an_overlong_email_is_refused_before_the_store(
        self, adapter: Adapter, raw: RawStore
    ) -> None:
        local = "a" * 64
        email = f"{local}@{'b' * (MAX_EMAIL_LENGTH - len(local))}.example"
        assert len(email) > MAX_EMAIL_LENGTH
        with pytest.raises(InvalidValue):
            adapter.create_user(User(email=email))
        assert raw.count("users") == 0
        user = self.make_user(adapter)
        assert user.id is not None
        with pytest.raises(InvalidValue):
            adapter.update_user(user.id, email=email)
        assert adapter.get_user_by_email(email) is None

    def test_the_longest_valid_email_is_stored(self, adapter: Adapter) -> None:
        email = f"{'a' * 64}@{'b' * (MAX_EMAIL_LENGTH - 65 - 8)}.example"
        assert len(email) == MAX_EMAIL_LENGTH
        user = adapter.create_user(User(email=email))
        assert adapter.get_user_by_email(email) == user

    def test_text_no_store_can_hold_is_refused(self, adapter: Adapter, raw: RawStore) -> None:
        for bad in ("nul\x00inside", "lone surrogate \ud800"):
            with pytest.raises(InvalidValue):
                self.make_user(adapter, name=bad)
        assert raw.count("users") == 0

    def test_unicode_round_trips(self, adapter: Adapter) -> None:
        user = self.make_user(adapter, name="Zoë Ångström 🙂 李")
        assert user.id is not None
        fetched = adapter.get_user(user.id)
        assert fetched is not None and fetched.name == "Zoë Ångström 🙂 李"

    def test_unknown_or_odd_ids_return_none_rather_than_raising(self, adapter: Adapter) -> None:
        self.make_user(adapter)
        odd = ["4242424242", "", "not-an-id", "0", "-1", "x" * 500, "nul\x00", "' OR 1=1 --"]
        for value in odd:
            assert adapter.get_user(value) is None
            assert adapter.get_user_by_email(value) is None
            assert adapter.get_user_by_account("github", value) is None
            assert adapter.get_account("github", value) is None
            assert adapter.get_session_and_user(value) is None
            assert adapter.update_session(value, expires=self.now()) is None
            assert adapter.update_account("github", value, access_token="x") is None
            assert adapter.use_verification_token(value, value) is None
            assert adapter.list_sessions(value) == []
            assert adapter.list_accounts(value) == []
            assert adapter.delete_sessions(value) == 0
            assert adapter.delete_verification_tokens(value) == 0
            adapter.delete_session(value)
            adapter.unlink_account("github", value)
            adapter.delete_user(value)

    # The contract itself ----------------------------------------------------------------------
    def test_the_adapter_has_every_method_of_the_contract(self, adapter: Adapter) -> None:
        assert isinstance(adapter, Adapter)
        for methods in FEATURE_METHODS.values():
            for name in methods:
                assert callable(getattr(adapter, name, None)), name
