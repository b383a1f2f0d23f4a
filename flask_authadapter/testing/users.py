"""The conformance cases of users: create, read, update, delete."""

from __future__ import annotations

import secrets

import pytest

from ..core.adapter import Adapter
from ..core.errors import ConflictError, DuplicateEmail, UnknownUser
from ..core.models import User
from .base import SuiteBase, new_email
from .raw import RawStore


class UserCases(SuiteBase):
    """The conformance cases of users: create, read, update, delete."""

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
            adapter.create_user(User(id=user.id, email=new_email()))
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
