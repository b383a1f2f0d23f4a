"""Stealing the provider's tokens from the database, end to end, on PostgreSQL.

A person signs in with OpenID Connect against a real provider (``oidc-provider-mock``, over
real HTTP); the app stores their account on PostgreSQL. The attacker then has what a leak
gives: a dump of the ``accounts`` table, the SQL log of an app run with echo logging on, or
write access to the rows. None of it yields the access, refresh or ID token the provider
issued, while the app itself still reads them, across a rotation of ``AUTH_SECRET`` and for
rows stored in plain text before tokens were sealed, which ``flask auth reseal-tokens``
seals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import Engine

from flask_authadapter import account_tokens
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.sealing import is_sealed
from flask_authadapter.errors import SealedValueError
from flask_authadapter.providers import OIDC
from tests.apps import csrf_from, make_app
from tests.databases import adapter_on, create_engine_for
from tests.oidc import MockProvider, callback_target

pytestmark = pytest.mark.postgres

OLD_SECRET = "old-auth-secret-" + "o" * 40
NEW_SECRET = "new-auth-secret-" + "n" * 40
TOKEN_COLUMNS = ("access_token", "refresh_token", "id_token")


@pytest.fixture
def engine(make_database: Any) -> Iterator[Engine]:
    engine = create_engine_for(make_database("postgres", f"t_sealing_{uuid4().hex[:8]}"))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def adapter(engine: Engine) -> Iterator[SQLAlchemyAdapter]:
    yield from adapter_on(engine)


def site(adapter: SQLAlchemyAdapter, oidc: MockProvider, secret: str, *fallbacks: str) -> Flask:
    """The app with the OIDC provider "mock", under ``secret`` (and ``fallbacks``)."""
    app, _ = make_app(
        adapter,
        providers=[OIDC("mock", issuer=oidc.issuer, client_id="sealing", client_secret="s" * 24)],
        AUTH_URL="http://app.example",
        SERVER_NAME="app.example",
        AUTH_SECRET=secret,
        AUTH_SECRET_FALLBACKS=list(fallbacks),
    )
    return app


def person(oidc: MockProvider) -> str:
    sub = f"sealing-{uuid4().hex}"
    oidc.set_user(sub, email=f"{sub}@example.com", email_verified=True, name="Ada")
    return sub


def sign_in(app: Flask, oidc: MockProvider, sub: str) -> dict[str, str]:
    """The whole flow in a new browser; the tokens the provider issued to the app."""
    client = app.test_client()
    form = {"csrf_token": csrf_from(client), "callback_url": "/private"}
    started = client.post("/auth/signin/mock", data=form)
    location = oidc.approve(started.location, sub)
    code = dict(parse_qsl(urlsplit(location).query))["code"]
    assert client.get(callback_target(location)).status_code == 302
    (exchange,) = oidc.token_requests(code)
    return {name: exchange.body[name] for name in TOKEN_COLUMNS}


def dump(engine: Engine) -> list[dict[str, Any]]:
    """The ``accounts`` table as a stolen dump has it."""
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.text("SELECT * FROM accounts"))]


def tokens_read_by(app: Flask, sub: str) -> dict[str, str | None]:
    with app.app_context():
        account = account_tokens("mock", sub)
    assert account is not None
    return {name: getattr(account, name) for name in TOKEN_COLUMNS}


def assert_no_token_in(text: str, *issued: dict[str, str]) -> None:
    for tokens in issued:
        for name, value in tokens.items():
            assert value not in text, f"the {name} is in the clear"


def test_a_stolen_dump_and_the_sql_log_hold_no_provider_token(
    adapter: SQLAlchemyAdapter,
    engine: Engine,
    oidc_provider: MockProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # what echo=True logs
    app = site(adapter, oidc_provider, NEW_SECRET)
    sub = person(oidc_provider)
    first = sign_in(app, oidc_provider, sub)  # INSERT
    second = sign_in(app, oidc_provider, sub)  # UPDATE with fresh tokens

    (row,) = dump(engine)
    assert all(is_sealed(row[name]) for name in TOKEN_COLUMNS)
    assert_no_token_in(repr(row), first, second)
    sql = [r for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in sql)
    assert "INSERT INTO accounts" in logged and "UPDATE accounts" in logged
    assert row["access_token"] in logged  # the parameters are logged, sealed
    assert_no_token_in(logged, first, second)
    # The app reads what the provider issued last.
    assert tokens_read_by(app, sub) == second


def test_a_token_copied_onto_another_account_does_not_open(
    adapter: SQLAlchemyAdapter, engine: Engine, oidc_provider: MockProvider
) -> None:
    app = site(adapter, oidc_provider, NEW_SECRET)
    victim, attacker = person(oidc_provider), person(oidc_provider)
    sign_in(app, oidc_provider, victim)
    sign_in(app, oidc_provider, attacker)
    # With write access, the attacker puts the victim's sealed tokens on their own row.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE accounts SET access_token = v.access_token, "
                "refresh_token = v.refresh_token, id_token = v.id_token "
                "FROM accounts v WHERE v.provider_account_id = :victim "
                "AND accounts.provider_account_id = :attacker"
            ),
            {"victim": victim, "attacker": attacker},
        )
    with app.app_context(), pytest.raises(SealedValueError):
        account_tokens("mock", attacker)
    tokens_read_by(app, victim)  # the victim's own row still opens


def test_after_a_rotation_the_tokens_read_and_reseal_tokens_moves_them_to_the_new_secret(
    adapter: SQLAlchemyAdapter, engine: Engine, oidc_provider: MockProvider
) -> None:
    sub = person(oidc_provider)
    issued = sign_in(site(adapter, oidc_provider, OLD_SECRET), oidc_provider, sub)
    (before,) = dump(engine)
    assert all(is_sealed(before[name]) for name in TOKEN_COLUMNS)
    # The rotation: a new secret, the old one kept as a fallback.
    rotated = site(adapter, oidc_provider, NEW_SECRET, OLD_SECRET)
    assert tokens_read_by(rotated, sub) == issued

    result = rotated.test_cli_runner().invoke(args=["auth", "reseal-tokens"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Re-sealed the tokens of 1 of 1 account(s)."
    assert_no_token_in(result.output, issued)
    (row,) = dump(engine)
    assert_no_token_in(repr(row), issued)
    # The old secret can leave the fallbacks: the new one alone opens the tokens.
    assert tokens_read_by(site(adapter, oidc_provider, NEW_SECRET), sub) == issued
    with site(adapter, oidc_provider, OLD_SECRET).app_context(), pytest.raises(SealedValueError):
        account_tokens("mock", sub)
    again = rotated.test_cli_runner().invoke(args=["auth", "reseal-tokens"])
    assert again.output.strip() == "Re-sealed the tokens of 0 of 1 account(s)."


def test_a_plain_text_row_from_before_reads_and_reseal_tokens_seals_it(
    adapter: SQLAlchemyAdapter, engine: Engine, oidc_provider: MockProvider
) -> None:
    app = site(adapter, oidc_provider, NEW_SECRET)
    sub = person(oidc_provider)
    issued = sign_in(app, oidc_provider, sub)
    # The row as a version that stored tokens in plain text left it.
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE accounts SET access_token = :access_token, "
                "refresh_token = :refresh_token, id_token = :id_token"
            ),
            issued,
        )
    assert tokens_read_by(app, sub) == issued

    result = app.test_cli_runner().invoke(args=["auth", "reseal-tokens"])
    assert result.output.strip() == "Re-sealed the tokens of 1 of 1 account(s)."
    (row,) = dump(engine)
    assert all(is_sealed(row[name]) for name in TOKEN_COLUMNS)
    assert_no_token_in(repr(row), issued)
    assert tokens_read_by(app, sub) == issued
