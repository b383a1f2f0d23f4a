"""Helpers of the sessions tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_authadapter.core.models import User
from flask_authadapter.core.tokens import hash_session_token
from tests.core.stores import Store, as_utc

DAY = timedelta(days=1)


SECOND = timedelta(seconds=1)


def _user(adapter: object, email: str = "ada@example.com") -> User:
    return adapter.create_user(User(email=email, name="Ada"))  # type: ignore[attr-defined]


def _stored_expires(store: Store, token: str) -> datetime:
    row = store.session_row(hash_session_token(token))
    assert row is not None
    return as_utc(row["expires"])
