"""The conformance cases of sessions: create, look up, extend, list, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..core.adapter import Adapter
from ..core.errors import ConflictError, UnknownUser
from ..core.models import Session
from .base import SuiteBase, new_token
from .raw import RawStore


class SessionCases(SuiteBase):
    """The conformance cases of sessions: create, look up, extend, list, delete."""

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
                    session_token=new_token(),
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
        assert adapter.update_session(new_token(), expires=self.now()) is None

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
                        session_token=new_token(),
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
            Session(session_token=new_token(), user_id=user.id, expires=expires)
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
                    session_token=new_token(),
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
