"""The conformance cases of verification tokens (used once) and of expiry."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from ..core.adapter import Adapter
from ..core.errors import ConflictError
from ..core.models import Session, VerificationToken
from .base import SuiteBase, new_email, new_token
from .raw import RawStore


class VerificationTokenCases(SuiteBase):
    """The conformance cases of verification tokens (used once) and of expiry."""

    def test_verification_token_is_used_once(self, adapter: Adapter, raw: RawStore) -> None:
        expires = self.now() + timedelta(minutes=15)
        token = VerificationToken(identifier=new_email(), token=new_token(), expires=expires)
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
        token = VerificationToken(new_email(), new_token(), self.now() + timedelta(minutes=15))
        adapter.create_verification_token(token)
        with pytest.raises(ConflictError):
            adapter.create_verification_token(token)
        assert raw.count("verification_tokens") == 1

    def test_verification_token_with_wrong_identifier_is_none_and_kept(
        self, adapter: Adapter
    ) -> None:
        token = VerificationToken(new_email(), new_token(), self.now() + timedelta(minutes=15))
        adapter.create_verification_token(token)
        assert adapter.use_verification_token(new_email(), token.token) is None
        assert adapter.use_verification_token(token.identifier, new_token()) is None
        assert adapter.use_verification_token(token.identifier, token.token) is not None

    def test_expired_verification_token_is_returned_for_the_caller_to_refuse(
        self, adapter: Adapter
    ) -> None:
        past = self.now() - timedelta(minutes=1)
        token = VerificationToken(new_email(), new_token(), past)
        adapter.create_verification_token(token)
        used = adapter.use_verification_token(token.identifier, token.token)
        assert used is not None
        self.assert_same_time(used.expires, past)
        assert adapter.use_verification_token(token.identifier, token.token) is None

    def test_delete_verification_tokens(self, adapter: Adapter, raw: RawStore) -> None:
        email, other = new_email(), new_email()
        expires = self.now() + timedelta(minutes=15)
        for _ in range(3):
            adapter.create_verification_token(VerificationToken(email, new_token(), expires))
        kept = adapter.create_verification_token(VerificationToken(other, new_token(), expires))
        assert adapter.delete_verification_tokens(email) == 3
        assert raw.count("verification_tokens") == 1
        assert adapter.use_verification_token(kept.identifier, kept.token) is not None
        assert adapter.delete_verification_tokens(email) == 0

    def test_racing_threads_use_a_token_exactly_once(self, adapter: Adapter) -> None:
        token = VerificationToken(new_email(), new_token(), self.now() + timedelta(minutes=15))
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
            VerificationToken(new_email(), new_token(), now - timedelta(seconds=5))
        )
        live_token = adapter.create_verification_token(
            VerificationToken(new_email(), new_token(), now + timedelta(minutes=5))
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
                    session_token=new_token(),
                    user_id=user.id,
                    expires=now - timedelta(minutes=i + 1),
                    created_at=now,
                )
            )
            adapter.create_verification_token(
                VerificationToken(new_email(), new_token(), now - timedelta(minutes=i + 1))
            )
        live = self.make_session(adapter, user)
        assert adapter.delete_expired(now) == 2 * self.expired_rows
        assert raw.count("sessions") == 1 and raw.session(live.session_token) is not None
        assert raw.count("verification_tokens") == 0
