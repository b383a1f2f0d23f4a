"""The conformance cases of values: datetimes, extra columns, refused values, the contract."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ..core.adapter import FEATURE_METHODS, Adapter
from ..core.errors import InvalidValue
from ..core.models import Account, Session, User, VerificationToken
from ..core.values import MAX_EMAIL_LENGTH
from .base import SuiteBase, as_utc, new_email, new_token
from .raw import RawStore


class ValueCases(SuiteBase):
    """The conformance cases of values: datetimes, extra columns, refused values, the contract."""

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
        assert abs(as_utc(stored["email_verified"]) - moment) < self.datetime_precision
        session = adapter.create_session(
            Session(session_token=new_token(), user_id=user.id, expires=moment, created_at=moment)
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
                    session_token=new_token(), user_id=user.id, expires=naive, created_at=self.now()
                )
            )
        with pytest.raises(InvalidValue):
            adapter.create_verification_token(VerificationToken(new_email(), new_token(), naive))
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
                session_token=new_token(),
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
