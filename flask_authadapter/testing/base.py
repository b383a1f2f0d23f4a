"""What every part of the adapter conformance suite shares: the class attributes that
describe a store, the fixtures a subclass provides, and helpers that make records."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from ..core.adapter import Adapter
from ..core.models import Account, Session, User
from .raw import RawStore

UTC = timezone.utc


def as_utc(value: Any) -> Any:
    """A stored datetime read as UTC (stores that keep naive datetimes keep them in UTC)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def new_email() -> str:
    """A unique email address for a test user."""
    return f"user-{secrets.token_hex(6)}@example.com"


def new_token() -> str:
    """A random token (64 hex digits) for a test session or verification token."""
    return secrets.token_hex(32)


class SuiteBase:
    """The attributes, fixtures and helpers of :class:`~flask_authadapter.testing.AdapterSuite`."""

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
        fields.setdefault("email", new_email())
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
                access_token="access-" + new_token(),
                refresh_token="refresh-" + new_token(),
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
                session_token=new_token(),
                user_id=user.id,
                expires=now + expires_in,
                created_at=now,
            )
        )
