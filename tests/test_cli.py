"""``flask auth ...`` through Flask's CLI runner, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.account_tokens import (
    SEALED_FIELDS,
    open_account_tokens,
    seal_account_tokens,
    token_sealer,
)
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.tokens import hash_session_token, new_token
from flask_authadapter.models import Account, Session, User, VerificationToken
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
    for command in ("cleanup", "revoke", "providers", "reseal-tokens"):
        assert command in result.output


# =========================================================================== #
# flask auth reseal-tokens
# =========================================================================== #

OLD_SECRET = "old-secret-" + "o" * 40
NEW_SECRET = "new-secret-" + "n" * 40


def add_account(adapter: SQLAlchemyAdapter, email: str, sealed_under: str | None) -> Account:
    """A user with an account whose tokens are stored in plain text (``sealed_under`` None,
    as before tokens were sealed) or sealed under the secret ``sealed_under``; the account
    is returned with its tokens in plain text."""
    user = add_user(adapter, email)
    assert user.id is not None
    plain = Account(
        user_id=user.id,
        type="oidc",
        provider="dummy",
        provider_account_id=f"sub-{email}",
        access_token=f"access-{new_token()}",
        refresh_token=f"refresh-{new_token()}",
        id_token=f"id.{new_token()}.sig",
        token_type="Bearer",
    )
    stored = (
        plain if sealed_under is None else seal_account_tokens(plain, token_sealer([sealed_under]))
    )
    adapter.link_account(stored)
    return plain


def test_reseal_tokens_seals_plain_text_and_old_secret_tokens_under_the_current_secret(
    adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    before = add_account(adapter, "ada@example.com", sealed_under=None)
    under_old = add_account(adapter, "bob@example.com", sealed_under=OLD_SECRET)
    current = add_account(adapter, "cara@example.com", sealed_under=NEW_SECRET)
    untouched = raw.account("dummy", current.provider_account_id)
    app, _ = make_app(adapter, AUTH_SECRET=NEW_SECRET, AUTH_SECRET_FALLBACKS=[OLD_SECRET])

    result = invoke(app, "reseal-tokens")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Re-sealed the tokens of 2 of 3 account(s)."
    new_only = token_sealer([NEW_SECRET])  # the old secret can now leave the fallbacks
    for account in (before, under_old, current):
        stored = adapter.get_account("dummy", account.provider_account_id)
        assert stored is not None
        for name in SEALED_FIELDS:
            value = getattr(stored, name)
            assert value is None or not new_only.needs_resealing(value), name
        assert open_account_tokens(stored, new_only) == account
    assert raw.account("dummy", current.provider_account_id) == untouched
    for token in (before.access_token, before.refresh_token, before.id_token):
        assert token is not None and token not in result.output

    again = invoke(app, "reseal-tokens")
    assert again.exit_code == 0
    assert again.output.strip() == "Re-sealed the tokens of 0 of 3 account(s)."


def test_reseal_tokens_reports_tokens_no_secret_opens_and_leaves_them(
    adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    lost = add_account(adapter, "ada@example.com", sealed_under="a-secret-no-longer-configured")
    stored = raw.account("dummy", lost.provider_account_id)
    app, _ = make_app(adapter, AUTH_SECRET=NEW_SECRET)

    result = invoke(app, "reseal-tokens")

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "Re-sealed the tokens of 0 of 1 account(s)."
    assert lines[1].startswith("1 account(s) hold tokens that no configured secret opens")
    assert raw.account("dummy", lost.provider_account_id) == stored


def test_reseal_tokens_with_no_accounts(app: Flask) -> None:
    result = invoke(app, "reseal-tokens")
    assert result.exit_code == 0
    assert result.output.strip() == "Re-sealed the tokens of 0 of 0 account(s)."


class WithoutIteration:
    """An adapter that cannot list every account (``iter_accounts`` is optional)."""

    def __init__(self, inner: SQLAlchemyAdapter) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "iter_accounts":
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_reseal_tokens_says_clearly_when_the_adapter_cannot_list_every_account(
    adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    add_account(adapter, "ada@example.com", sealed_under=None)
    stored = raw.account("dummy", "sub-ada@example.com")
    app, _ = make_app(WithoutIteration(adapter))
    result = invoke(app, "reseal-tokens")
    assert result.exit_code == 1
    assert "the adapter WithoutIteration has no iter_accounts method" in result.output
    assert "Traceback" not in result.output
    assert raw.account("dummy", "sub-ada@example.com") == stored
