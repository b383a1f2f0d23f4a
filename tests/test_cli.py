"""``flask auth ...`` through Flask's CLI runner, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.tokens import hash_session_token, new_token
from flask_authadapter.models import Session, User, VerificationToken
from flask_authadapter.providers.base import mask
from flask_authadapter.testing import KINDS, SQLAlchemyRawStore
from tests.apps import DummyProvider, make_app

# =========================================================================== #
# A real database per backend for the module; empty tables for each test.
# =========================================================================== #
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401


def counts(raw: SQLAlchemyRawStore) -> dict[str, int]:
    return {kind: raw.count(kind) for kind in KINDS}


# =========================================================================== #
# Helpers
# =========================================================================== #

UTC = timezone.utc
NOW = datetime(2031, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app(adapter: SQLAlchemyAdapter, clock: FrozenClock) -> Flask:
    app, _ = make_app(adapter, clock=clock)
    return app


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["auth", *args])


def add_user(adapter: SQLAlchemyAdapter, email: str) -> User:
    return adapter.create_user(User(email=email))


def add_session(adapter: SQLAlchemyAdapter, user: User, expires: datetime) -> str:
    assert user.id is not None
    key = hash_session_token(new_token())
    adapter.create_session(
        Session(session_token=key, user_id=user.id, expires=expires, created_at=NOW)
    )
    return key


def add_token(adapter: SQLAlchemyAdapter, identifier: str, expires: datetime) -> str:
    token = new_token()
    adapter.create_verification_token(
        VerificationToken(identifier=identifier, token=token, expires=expires)
    )
    return token


# =========================================================================== #
# flask auth cleanup
# =========================================================================== #


def test_cleanup_deletes_only_expired_sessions_and_tokens(
    app: Flask, adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    ada = add_user(adapter, "ada@example.com")
    expired_sessions = [
        add_session(adapter, ada, NOW - timedelta(seconds=1)),
        add_session(adapter, ada, NOW - timedelta(days=40)),
    ]
    live_sessions = [
        add_session(adapter, ada, NOW + timedelta(seconds=1)),
        add_session(adapter, ada, NOW + timedelta(days=29)),
    ]
    expired_token = add_token(adapter, "ada@example.com", NOW - timedelta(minutes=1))
    live_token = add_token(adapter, "bob@example.com", NOW + timedelta(minutes=14))

    result = invoke(app, "cleanup")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Deleted 3 expired session(s) and verification token(s)."
    assert counts(raw) == {"users": 1, "accounts": 0, "sessions": 2, "verification_tokens": 1}
    assert all(raw.session(key) is None for key in expired_sessions)
    assert all(raw.session(key) is not None for key in live_sessions)
    assert raw.verification_token("ada@example.com", expired_token) is None
    assert raw.verification_token("bob@example.com", live_token) is not None


def test_cleanup_uses_the_apps_clock(
    app: Flask, adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore, clock: FrozenClock
) -> None:
    ada = add_user(adapter, "ada@example.com")
    add_session(adapter, ada, NOW + timedelta(days=1))
    assert "Deleted 0 " in invoke(app, "cleanup").output
    assert raw.count("sessions") == 1
    clock.advance(days=2)
    assert "Deleted 1 " in invoke(app, "cleanup").output
    assert raw.count("sessions") == 0


def test_cleanup_with_nothing_to_do(app: Flask) -> None:
    result = invoke(app, "cleanup")
    assert result.exit_code == 0
    assert result.output.strip() == "Deleted 0 expired session(s) and verification token(s)."


# =========================================================================== #
# flask auth revoke EMAIL
# =========================================================================== #


@pytest.mark.parametrize("given", ["ada@example.com", "  ADA@Example.COM ", "\uff21da@example.com"])
def test_revoke_deletes_every_session_of_that_user_only(
    app: Flask, adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore, given: str
) -> None:
    ada = add_user(adapter, "ada@example.com")
    bob = add_user(adapter, "bob@example.com")
    for days in (1, 5, 20):
        add_session(adapter, ada, NOW + timedelta(days=days))
    bobs = add_session(adapter, bob, NOW + timedelta(days=1))

    result = invoke(app, "revoke", given)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Signed ada@example.com out of 3 session(s)."
    assert ada.id is not None
    assert adapter.list_sessions(ada.id) == []
    assert raw.session(bobs) is not None
    assert counts(raw) == {"users": 2, "accounts": 0, "sessions": 1, "verification_tokens": 0}


def test_revoke_a_user_without_sessions(app: Flask, adapter: SQLAlchemyAdapter) -> None:
    add_user(adapter, "ada@example.com")
    result = invoke(app, "revoke", "ada@example.com")
    assert result.exit_code == 0
    assert result.output.strip() == "Signed ada@example.com out of 0 session(s)."


def test_revoke_an_unknown_email_fails_clearly(
    app: Flask, adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    ada = add_user(adapter, "ada@example.com")
    add_session(adapter, ada, NOW + timedelta(days=1))
    result = invoke(app, "revoke", "Nobody@Example.com")
    assert result.exit_code == 1
    assert "no user has the email address nobody@example.com" in result.output
    assert "Traceback" not in result.output
    assert raw.count("sessions") == 1


@pytest.mark.parametrize(
    "given", ["not-an-email", "a@b", "ada@@example.com", "", "a@example.com, b@example.com"]
)
def test_revoke_an_invalid_email_is_a_usage_error(
    app: Flask, adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore, given: str
) -> None:
    ada = add_user(adapter, "ada@example.com")
    add_session(adapter, ada, NOW + timedelta(days=1))
    result = invoke(app, "revoke", given)
    assert result.exit_code == 2, result.output
    assert "not an email address" in result.output
    assert "EMAIL" in result.output
    assert raw.count("sessions") == 1


def test_revoke_needs_an_email(app: Flask) -> None:
    result = invoke(app, "revoke")
    assert result.exit_code == 2
    assert "Missing argument 'EMAIL'" in result.output


# =========================================================================== #
# flask auth providers
# =========================================================================== #

RAW_SECRET = "s3cr3t-value-that-must-never-be-printed-9f2c"


class SecretProvider(DummyProvider):
    """A provider with credentials, whose settings mask the secret."""

    def __init__(self, id: str, *, client_id: str, client_secret: str, **kwargs: Any) -> None:
        super().__init__(id, **kwargs)
        self.client_id = client_id
        self.client_secret = client_secret

    def settings(self) -> dict[str, Any]:
        return {
            **super().settings(),
            "client_id": self.client_id,
            "client_secret": mask(self.client_secret),
        }


def test_providers_lists_them_with_their_secrets_masked(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(
        adapter,
        providers=[
            DummyProvider("dummy"),
            SecretProvider(
                "corp", name="Corp SSO", client_id="corp-client-id", client_secret=RAW_SECRET
            ),
        ],
    )
    result = invoke(app, "providers")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "dummy  (oauth)  Dummy" in lines
    assert "corp  (oauth)  Corp SSO" in lines
    assert "    client_id: corp-client-id" in lines
    assert f"    client_secret: {'*' * 8}{RAW_SECRET[-4:]}" in lines
    assert RAW_SECRET not in result.output
    assert RAW_SECRET[:-4] not in result.output
    assert "type:" not in result.output  # shown once, in the heading line


def test_providers_never_print_the_app_secret(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, AUTH_SECRET="app-secret-" + "z" * 40)
    result = invoke(app, "providers")
    assert result.exit_code == 0
    assert "z" * 40 not in result.output


def test_providers_when_there_are_none(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, providers=[])
    result = invoke(app, "providers")
    assert result.exit_code == 0
    assert result.output.strip() == "No providers are configured."


def test_the_auth_group_has_help(app: Flask) -> None:
    result = invoke(app, "--help")
    assert result.exit_code == 0
    for command in ("cleanup", "revoke", "providers"):
        assert command in result.output
