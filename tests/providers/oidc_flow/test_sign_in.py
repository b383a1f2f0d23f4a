"""Signing in with OpenID Connect against a real OpenID provider (see support.py): what the app
sends, first and later sign-ins, linking, and an email that belongs to another user."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.sealing import is_sealed
from flask_authadapter.models import User
from flask_authadapter.testing import SQLAlchemyRawStore
from tests.apps import dummy_sign_in
from tests.oidc import (
    MockProvider,
    callback_target,
    decode_jwt_claims,
    pkce_challenge,
)
from tests.providers.oidc_flow.support import (
    BASE64URL_43,
    CLIENT_ID,
    CLIENT_SECRET,
    NewPerson,
    assert_error_page,
    begin,
    counted,
    counts,
    query,
    session_user,
    sign_in,
    tokens_of,
)

# =========================================================================== #
# What the app sends to the provider
# =========================================================================== #


def test_the_authorize_request_has_state_nonce_and_pkce_s256(
    client: FlaskClient, oidc_provider: MockProvider
) -> None:
    first = begin(client)
    assert first.startswith(f"{oidc_provider.issuer}/oauth2/authorize?")
    params = query(first)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://app.example/auth/callback/mock"
    assert params["scope"] == "openid email profile"
    assert BASE64URL_43.match(params["state"]), params["state"]
    assert len(params["nonce"]) >= 16
    assert params["code_challenge_method"] == "S256"
    assert BASE64URL_43.match(params["code_challenge"]), params["code_challenge"]
    assert "client_secret" not in params
    assert CLIENT_SECRET not in first

    second = query(begin(client))
    for name in ("state", "nonce", "code_challenge"):
        assert second[name] != params[name], f"{name} is the same on two attempts"


def test_the_token_request_proves_pkce_and_authenticates_the_client(
    client: FlaskClient, oidc_provider: MockProvider, new_person: NewPerson
) -> None:
    sub, _ = new_person()
    authorize = begin(client)
    sent = query(authorize)
    location = oidc_provider.approve(authorize, sub)
    code = query(location)["code"]
    assert client.get(callback_target(location)).status_code == 302

    (exchange,) = oidc_provider.token_requests(code)
    assert exchange.status == 200
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["redirect_uri"] == "http://app.example/auth/callback/mock"
    verifier = exchange.form["code_verifier"]
    assert 43 <= len(verifier) <= 128
    assert pkce_challenge(verifier) == sent["code_challenge"]
    # client_secret_basic: the secret travels in the Authorization header, not the form.
    assert "client_secret" not in exchange.form
    assert exchange.authorization is not None
    assert exchange.authorization.startswith("Basic ")
    # The ID token carries the nonce of the authorize request.
    assert decode_jwt_claims(exchange.body["id_token"])["nonce"] == sent["nonce"]


# =========================================================================== #
# Signing in, signing in again, linking
# =========================================================================== #


def test_a_first_sign_in_creates_the_user_and_the_account(
    app: Flask,
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True, name="Ada Lovelace")
    authorize = begin(client, callback_url="/private?tab=1")
    location = oidc_provider.approve(authorize, sub)
    before = int(time.time())
    landed = client.get(callback_target(location))

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert landed.location == "/private?tab=1"
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    user = adapter.get_user_by_account("mock", sub)
    assert user is not None
    assert user.email == email
    assert user.name == "Ada Lovelace"
    assert user.email_verified is not None  # the provider asserted it

    (exchange,) = oidc_provider.token_requests(query(location)["code"])
    issued = exchange.body
    account = raw.account("mock", sub)
    assert account is not None
    assert account["user_id"] == user.id
    assert account["type"] == "oidc"
    assert account["provider"] == "mock"
    assert account["provider_account_id"] == sub
    assert account["token_type"] == "Bearer"
    assert account["scope"] == "openid email profile"
    assert before + 3600 - 5 <= account["expires_at"] <= int(time.time()) + 3600 + 5
    # The tokens are stored sealed, and read in plain text through the app.
    opened = tokens_of(app, sub)
    for name in ("access_token", "refresh_token", "id_token"):
        assert is_sealed(account[name]), name
        assert getattr(opened, name) == issued[name], name
    assert decode_jwt_claims(opened.id_token or "")["sub"] == sub

    # The session works.
    assert session_user(client) == {
        "id": user.id,
        "email": email,
        "name": "Ada Lovelace",
        "image": None,
    }
    assert client.get(landed.location).get_data(as_text=True) == f"private page of {email}"


def test_a_second_sign_in_finds_the_user_and_updates_the_tokens(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person()
    first_browser = app.test_client()
    assert sign_in(first_browser, oidc_provider, sub).status_code == 302
    before = dict(raw.account("mock", sub) or {})
    user_id = before["user_id"]
    tokens_before = tokens_of(app, sub)

    second_browser = app.test_client()
    landed = sign_in(second_browser, oidc_provider, sub, callback_url="/")
    assert landed.status_code == 302
    assert landed.location == "/"

    assert counts(raw) == counted(users=1, accounts=1, sessions=2)
    after = raw.account("mock", sub)
    assert after is not None
    assert after["user_id"] == user_id
    tokens_after = tokens_of(app, sub)
    for name in ("access_token", "refresh_token", "id_token"):
        fresh, old = getattr(tokens_after, name), getattr(tokens_before, name)
        assert fresh and fresh != old, f"{name} was not updated"
    assert after["expires_at"] >= before["expires_at"]
    assert (session_user(second_browser) or {}).get("id") == user_id
    assert (session_user(first_browser) or {}).get("email") == email


def test_a_signed_in_user_links_a_second_oidc_provider(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person()
    other_sub, _ = new_person()  # another email: linking does not go by email here
    assert sign_in(client, oidc_provider, sub).status_code == 302
    user_id = (session_user(client) or {})["id"]

    landed = sign_in(client, oidc_provider, other_sub, provider="mock2", callback_url="/")
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert landed.location == "/"

    assert raw.count("users") == 1
    assert raw.count("accounts") == 2
    assert (raw.account("mock", sub) or {})["user_id"] == user_id
    assert (raw.account("mock2", other_sub) or {})["user_id"] == user_id
    assert session_user(client) == {
        "id": user_id,
        "email": email,
        "name": "Ada Lovelace",
        "image": None,
    }


def test_a_user_of_an_email_free_provider_links_an_oidc_account(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    assert dummy_sign_in(client, sub="d-1", email=None).status_code == 302
    user_id = (session_user(client) or {})["id"]
    sub, _ = new_person()

    assert sign_in(client, oidc_provider, sub).status_code == 302

    assert counts(raw)["users"] == 1
    assert counts(raw)["accounts"] == 2
    assert (raw.account("mock", sub) or {})["user_id"] == user_id
    assert (raw.account("dummy", "d-1") or {})["user_id"] == user_id


def test_linking_an_account_that_belongs_to_another_user_is_refused(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    assert sign_in(app.test_client(), oidc_provider, sub).status_code == 302  # its owner
    other = app.test_client()
    assert dummy_sign_in(other, sub="d-2", email=None).status_code == 302
    before = counts(raw)

    answer = sign_in(other, oidc_provider, sub)

    assert_error_page(answer, "OAuthAccountNotLinked", 409)
    assert counts(raw) == before
    assert (raw.account("mock", sub) or {})["user_id"] != (session_user(other) or {})["id"]


# =========================================================================== #
# An email that belongs to another user
# =========================================================================== #


def test_an_oidc_sign_in_with_the_email_of_a_user_is_not_linked(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True)
    adapter.create_user(User(email=email))

    answer = sign_in(client, oidc_provider, sub)

    assert_error_page(answer, "OAuthAccountNotLinked", 409)
    assert counts(raw) == counted(users=1)
    assert session_user(client) is None


def test_dangerous_linking_with_a_verified_email_links_to_the_user(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True)
    existing = adapter.create_user(
        User(email=email, name="Existing", email_verified=datetime.now(timezone.utc))
    )

    landed = sign_in(client, oidc_provider, sub, provider="trusting")

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert (raw.account("trusting", sub) or {})["user_id"] == existing.id
    assert (session_user(client) or {})["id"] == existing.id


def test_dangerous_linking_without_a_verified_email_makes_a_separate_user(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=False)
    existing = adapter.create_user(User(email=email, email_verified=datetime.now(timezone.utc)))

    answer = sign_in(client, oidc_provider, sub, provider="trusting")

    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert counts(raw) == counted(users=2, accounts=1, sessions=1)
    signed_in = session_user(client) or {}
    assert signed_in["id"] != existing.id
    assert signed_in["email"] is None
    assert (raw.account("trusting", sub) or {})["user_id"] == signed_in["id"]


def test_dangerous_linking_into_a_user_whose_email_nobody_verified_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True)
    adapter.create_user(User(email=email))  # made by the app, address never checked

    answer = sign_in(client, oidc_provider, sub, provider="trusting")

    assert_error_page(answer, "OAuthAccountNotLinked", 409)
    assert counts(raw) == counted(users=1)
    assert session_user(client) is None
